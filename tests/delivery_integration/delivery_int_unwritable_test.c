/* When the spool cannot be written the answer is 503 with Retry-After,
 * never a 2xx, and /healthz says 503; once it can be written again the
 * next requests get 200 (issue 3 item 1, DESIGN.md "HTTP answers").
 *
 * The spool directory is renamed away and a regular file put at its path.
 * The daemon writes the open segment through its descriptor, so requests
 * keep working until a new segment is needed; with segment_bytes = 4096
 * that is a few events later, and from then on every request must get 503.
 * Afterwards every event answered 200 is handled exactly once and in order
 * and no event answered 503 (and never resent) is handled at all. */
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

#define MAX_EVENTS 400
/* Segments to fill before the directory goes away. */
#define SEGMENTS_BEFORE 3
/* Requests answered 503 in a row that show the outage is seen. */
#define REFUSED_IN_A_ROW 3
#define MAX_SENDS_DURING 60
#define MORE_AFTER	 40

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; }; } );\n";

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL ||
	    dint_configure(d, "segment_bytes = 4096; fsync = \"batch\";",
			   flaky_handlers) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Sends event idx of bot; checks a 503 carries Retry-After. */
static long send_event(struct daemon *d, const char *bot, int idx)
{
	char body[2048], retry_after[32];
	size_t len = dint_event(bot, idx, body, sizeof(body));
	long status = dint_post(d->port, body, len, NULL, retry_after,
				sizeof(retry_after));

	if (status == 503 && retry_after[0] == '\0')
		fail_msg("503 for %s %d without Retry-After", bot, idx);
	if (status != 200 && status != 503)
		fail_msg("%s %d got %ld, expected 200 or 503", bot, idx,
			 status);
	return status;
}

struct count_arg {
	const char *path;
	size_t want;
};

static int lines_reached(void *arg)
{
	struct count_arg *c = arg;
	char *text = harness_read_file(c->path, NULL);
	size_t n = text != NULL ? harness_count(text, "\n") : 0;

	free(text);
	return n >= c->want;
}

static void unwritable_spool_gets_503_then_200_once_writable_again(void **state)
{
	struct daemon *d = *state;
	char spool[512], away[512], out[512];
	struct count_arg wait_out;
	struct flaky_line *lines;
	size_t n, alarms, refused_x = 0;
	int next = 0, in_a_row = 0, sends = 0, acked_during = 0;

	daemon_path(d, "spool", spool, sizeof(spool));
	daemon_path(d, "spool.away", away, sizeof(away));
	daemon_path(d, "out.txt", out, sizeof(out));
	assert_int_equal(daemon_start(d, NULL), 0);

	/* Fill a few segments. bot-w is the Recall bot whose every event
	 * must eventually be stored, once, in order. */
	while (dint_count_segments(spool) < SEGMENTS_BEFORE) {
		assert_true(next < MAX_EVENTS);
		assert_int_equal(send_event(d, "bot-w", next), 200);
		next++;
	}
	assert_int_equal(http_get(d->port, "/healthz"), 200);

	/* The spool directory goes away; a file takes its place. */
	assert_int_equal(rename(spool, away), 0);
	assert_int_equal(harness_write_file(spool, "not a directory\n", 16), 0);

	/* Until the open segment is full its events still get 200; then
	 * every request gets 503. Like Recall, bot-w resends a refused event
	 * until it is taken; bot-x, another feed, sends new events whose
	 * 503s are never followed by a resend. */
	while (in_a_row < REFUSED_IN_A_ROW) {
		long status;

		if (++sends > MAX_SENDS_DURING)
			fail_msg("%d requests after the spool went away and "
				 "still no %d refusals in a row",
				 MAX_SENDS_DURING, REFUSED_IN_A_ROW);
		status = send_event(d, "bot-w", next);
		if (status == 200) {
			if (in_a_row > 0)
				fail_msg("event %d got 200 after a 503 while "
					 "the spool directory is gone",
					 next);
			acked_during++;
			next++;
			continue;
		}
		in_a_row++;
		if (send_event(d, "bot-x", (int)refused_x) != 503)
			fail_msg("bot-x %zu got 200 while the spool "
				 "refuses bot-w",
				 refused_x);
		refused_x++;
	}
	assert_int_equal(http_get(d->port, "/healthz"), 503);
	print_message("%d event(s) got 200 after the directory went away "
		      "(the open segment), then 503\n",
		      acked_during);

	/* The directory comes back: the refused event gets 200 on its next
	 * try, and so does everything after it. */
	assert_int_equal(unlink(spool), 0);
	assert_int_equal(rename(away, spool), 0);
	assert_int_equal(send_event(d, "bot-w", next), 200);
	next++;
	assert_int_equal(http_get(d->port, "/healthz"), 200);
	for (int i = 0; i < MORE_AFTER; i++, next++)
		assert_int_equal(send_event(d, "bot-w", next), 200);

	wait_out = (struct count_arg){out, (size_t)next};
	if (!dint_wait_until(lines_reached, &wait_out, 15000))
		fail_msg("not all %d acknowledged events were handled", next);
	assert_int_equal(daemon_stop(d), 0);

	lines = flaky_read(out, &n, &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	if (dint_flaky_bot_exact(lines, n, "bot-w", next) != 0)
		fail_msg("bot-w: not every acknowledged event once, in order");
	for (size_t i = 0; i < n; i++)
		if (strcmp(lines[i].bot, "bot-x") == 0)
			fail_msg("bot-x %d was answered 503 but handled",
				 lines[i].idx);
	assert_int_equal(n, (size_t)next);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		unwritable_spool_gets_503_then_200_once_writable_again, setup,
		teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_unwritable", tests,
					   NULL, NULL);
}
