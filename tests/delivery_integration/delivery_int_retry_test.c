/* A handler whose downstream is down for one bot answers RETRY (issue 3,
 * DESIGN.md "Delivery guarantees"): Recall still gets 200 for every event,
 * the other bots' events go on, the bot's own later events wait behind the
 * retried one, and once the downstream is back every event of that bot is
 * handled once, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dint_util.h"

#define PER_BOT 30

static const char *const bots[] = {"bot-a", "bot-b", "bot-c"};

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  retry_first_ms = 20; retry_max_ms = 200;\n"
    "  config = { out = \"@DIR@/out.txt\"; retry_bot = \"bot-b\";\n"
    "             down_file = \"@DIR@/down\"; }; } );\n";

static int setup(void **state)
{
	struct daemon *d = daemon_new();
	char down[512];

	*state = d;
	if (d == NULL || dint_configure(d, "", flaky_handlers) != 0 ||
	    harness_write_file(daemon_path(d, "down", down, sizeof(down)), "",
			       0) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static size_t lines_of(const struct daemon *d, const char *bot)
{
	char path[512], needle[80];
	char *text;
	size_t n;

	snprintf(needle, sizeof(needle), " %s ", bot);
	text = harness_read_file(daemon_path(d, "out.txt", path, sizeof(path)),
				 NULL);
	n = text != NULL ? harness_count(text, needle) : 0;
	free(text);
	return n;
}

struct wait_arg {
	const struct daemon *d;
	const char *const *bots;
	size_t nbots;
};

static int all_handled(void *arg)
{
	struct wait_arg *w = arg;

	for (size_t i = 0; i < w->nbots; i++)
		if (lines_of(w->d, w->bots[i]) < PER_BOT)
			return 0;
	return 1;
}

static void send_interleaved(struct daemon *d, int from, int to)
{
	char body[2048];

	for (int i = from; i < to; i++)
		for (size_t b = 0; b < 3; b++) {
			size_t len = dint_event(bots[b], i, body, sizeof(body));
			long status =
			    dint_post(d->port, body, len, NULL, NULL, 0);

			if (status != 200)
				fail_msg("event %d of %s got %ld while bot-b's "
					 "handler retries, not 200",
					 i, bots[b], status);
		}
}

static void
retry_of_one_bot_blocks_only_that_bot_and_loses_nothing(void **state)
{
	struct daemon *d = *state;
	const char *const others[] = {"bot-a", "bot-c"};
	const char *const only_b[] = {"bot-b"};
	struct wait_arg w_others = {d, others, 2}, w_b = {d, only_b, 1};
	unsigned long long accepted, ok, retried, failed;
	struct flaky_line *lines;
	char path[512];
	size_t n, alarms;

	assert_int_equal(daemon_start(d, NULL), 0);
	/* Two thirds while the downstream is down from the start ... */
	send_interleaved(d, 0, PER_BOT * 2 / 3);
	/* ... and the rest once bot-b's first event has been retried a
	 * while (the lane is asleep in its backoff). */
	dint_sleep_ms(300);
	send_interleaved(d, PER_BOT * 2 / 3, PER_BOT);

	if (!dint_wait_until(all_handled, &w_others, 15000))
		fail_msg("bot-a and bot-c: %zu and %zu of %d handled while "
			 "bot-b retries: the retried bot blocks the others",
			 lines_of(d, "bot-a"), lines_of(d, "bot-c"), PER_BOT);
	/* Let bot-b's backoff run a few more rounds: still nothing of it. */
	dint_sleep_ms(500);
	assert_int_equal(lines_of(d, "bot-b"), 0);

	unlink(daemon_path(d, "down", path, sizeof(path)));
	if (!dint_wait_until(all_handled, &w_b, 15000))
		fail_msg("bot-b: %zu of %d handled after the downstream came "
			 "back",
			 lines_of(d, "bot-b"), PER_BOT);
	assert_int_equal(daemon_stop(d), 0);

	lines = flaky_read(daemon_path(d, "out.txt", path, sizeof(path)), &n,
			   &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	assert_int_equal(n, 3 * PER_BOT);
	for (size_t b = 0; b < 3; b++)
		if (dint_flaky_bot_exact(lines, n, bots[b], PER_BOT) != 0)
			fail_msg("%s: not every event once and in order",
				 bots[b]);
	free(lines);

	assert_int_equal(
	    dint_last_summary(d, &accepted, &ok, &retried, &failed), 0);
	print_message("accepted %llu, handled ok %llu, retried %llu, "
		      "failed %llu\n",
		      accepted, ok, retried, failed);
	assert_int_equal(accepted, 3 * PER_BOT);
	assert_int_equal(ok, 3 * PER_BOT);
	assert_true(retried > 0);
	assert_int_equal(failed, 0);
}

/* The handler's progress is saved with the events finished out of order
 * (bot-a's and bot-c's, above bot-b's stuck one): after a restart during
 * the outage bot-b's events are all still offered, and bot-a's and
 * bot-c's are not offered again (flaky would write them twice). */
static void
retry_backlog_survives_restart_without_repeating_other_bots(void **state)
{
	struct daemon *d = *state;
	const char *const others[] = {"bot-a", "bot-c"};
	const char *const only_b[] = {"bot-b"};
	struct wait_arg w_others = {d, others, 2}, w_b = {d, only_b, 1};
	struct flaky_line *lines;
	char path[512];
	size_t n, alarms;

	assert_int_equal(daemon_start(d, NULL), 0);
	send_interleaved(d, 0, PER_BOT);
	if (!dint_wait_until(all_handled, &w_others, 15000))
		fail_msg(
		    "bot-a and bot-c were not handled while bot-b retries");
	assert_int_equal(lines_of(d, "bot-b"), 0);
	assert_int_equal(daemon_stop(d), 0);

	assert_int_equal(daemon_start(d, NULL), 0);
	/* Still down for a moment: the restarted daemon offers bot-b's first
	 * event again and gets RETRY again. */
	dint_sleep_ms(300);
	assert_int_equal(lines_of(d, "bot-b"), 0);
	unlink(daemon_path(d, "down", path, sizeof(path)));
	if (!dint_wait_until(all_handled, &w_b, 15000))
		fail_msg("bot-b: %zu of %d handled after the restart",
			 lines_of(d, "bot-b"), PER_BOT);
	assert_int_equal(daemon_stop(d), 0);

	lines = flaky_read(daemon_path(d, "out.txt", path, sizeof(path)), &n,
			   &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	for (size_t b = 0; b < 3; b++)
		if (dint_flaky_bot_exact(lines, n, bots[b], PER_BOT) != 0)
			fail_msg("%s: not every event exactly once and in "
				 "order across the restart",
				 bots[b]);
	assert_int_equal(n, 3 * PER_BOT);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		retry_of_one_bot_blocks_only_that_bot_and_loses_nothing, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		retry_backlog_survives_restart_without_repeating_other_bots,
		setup, teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_retry", tests, NULL,
					   NULL);
}
