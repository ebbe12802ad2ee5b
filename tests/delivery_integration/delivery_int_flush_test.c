/* Batching handlers (ABI 1.2): handle answers PENDING and a later flush
 * makes the batch durable. Every event reaches the output once, in order
 * per bot; while flush fails nothing is lost and nothing new is handed
 * over; a crash before a successful flush offers the batch again. flaky
 * runs with batch = true and a flush_down_file. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dint_util.h"

#define BOTS	3
#define PER_BOT 200

static const char batch_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\"; workers = 2;\n"
    "  config = { out = \"@DIR@/out.txt\"; batch = true;\n"
    "             flush_down_file = \"@DIR@/flush-down\"; }; } );\n";

static int setup(void **state)
{
	return dint_setup(state, batch_handlers);
}

static void post_all(struct daemon *d, int first, int count)
{
	char body[2048], bot[16];

	for (int i = first; i < first + count; i++)
		for (int b = 0; b < BOTS; b++) {
			size_t len;

			snprintf(bot, sizeof(bot), "bot-%d", b);
			len = dint_event(bot, i, body, sizeof(body));
			assert_int_equal(
			    dint_post(d->port, body, len, NULL, NULL, 0), 200);
		}
}

/* The output holds exactly events 0..count-1 of every bot, in order. */
static void expect_exactly(struct daemon *d, int count)
{
	struct flaky_line *lines;
	char path[512], bot[16];
	size_t n, alarms;

	lines = flaky_read(daemon_path(d, "out.txt", path, sizeof(path)), &n,
			   &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	for (int b = 0; b < BOTS; b++) {
		snprintf(bot, sizeof(bot), "bot-%d", b);
		if (dint_flaky_bot_exact(lines, n, bot, count) != 0)
			fail_msg("%s: not exactly events 0..%d once each, in "
				 "order (%zu lines in all)",
				 bot, count - 1, n);
	}
	assert_int_equal(n, (size_t)(BOTS * count));
	free(lines);
}

static size_t wait_lines(struct daemon *d, size_t n, long ms)
{
	char path[512];

	return dint_wait_count_settled(
	    daemon_path(d, "out.txt", path, sizeof(path)), "\n", n, 1000, ms);
}

static void batched_events_arrive_once_in_order(void **state)
{
	struct daemon *d = *state;

	post_all(d, 0, PER_BOT);
	assert_int_equal(wait_lines(d, BOTS * PER_BOT, 20000), BOTS * PER_BOT);
	assert_int_equal(daemon_stop(d), 0);
	expect_exactly(d, PER_BOT);
}

static void a_failing_flush_loses_nothing(void **state)
{
	struct daemon *d = *state;
	char down[512];

	daemon_path(d, "flush-down", down, sizeof(down));
	assert_int_equal(harness_write_file(down, "", 0), 0);
	post_all(d, 0, 20);
	/* Flushes keep failing: nothing is out, the daemon says why. */
	assert_true(harness_wait_count(d->err_log, "flush failed", 1, 5000) >=
		    1);
	assert_int_equal(wait_lines(d, 1, 500), 0);
	assert_int_equal(unlink(down), 0);
	assert_int_equal(wait_lines(d, BOTS * 20, 20000), BOTS * 20);
	assert_int_equal(daemon_stop(d), 0);
	expect_exactly(d, 20);
}

static void a_crash_before_the_flush_offers_the_batch_again(void **state)
{
	struct daemon *d = *state;
	char down[512];

	daemon_path(d, "flush-down", down, sizeof(down));
	assert_int_equal(harness_write_file(down, "", 0), 0);
	post_all(d, 0, 20);
	assert_true(harness_wait_count(d->err_log, "flush failed", 1, 5000) >=
		    1);
	assert_int_equal(daemon_signal(d, SIGKILL), 0);
	assert_int_equal(daemon_wait(d, 5000), 128 + SIGKILL);
	assert_int_equal(unlink(down), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(wait_lines(d, BOTS * 20, 20000), BOTS * 20);
	assert_int_equal(daemon_stop(d), 0);
	expect_exactly(d, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(batched_events_arrive_once_in_order,
					    setup, daemon_teardown),
	    cmocka_unit_test_setup_teardown(a_failing_flush_loses_nothing,
					    setup, daemon_teardown),
	    cmocka_unit_test_setup_teardown(
		a_crash_before_the_flush_offers_the_batch_again, setup,
		daemon_teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_flush", tests, NULL,
					   NULL);
}
