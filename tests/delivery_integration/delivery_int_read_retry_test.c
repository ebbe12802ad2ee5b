/* Regression test for a fixed bug (daemon, src/dispatch.c): an event the dispatcher cannot
 * read back from the spool at one moment is skipped for good.
 *
 * Events reach a handler from memory (the inbox) while it keeps up; a
 * handler that is far behind gets them from the spool files. When that
 * read fails, load_from_spool() returns NULL and take_in() logs "cannot be
 * read from the spool; skipped" and marks the event done: the handler
 * never sees it, although it is acknowledged and still on disk. A
 * transient failure (the directory briefly unavailable, EMFILE, EIO)
 * thereby loses acknowledged events, against "each handler receives every
 * matching event at least once". The read should be retried instead.
 *
 * Reproduction: bot-b's handler is down (RETRY) while more events arrive
 * than the dispatcher holds in memory (DISPATCH_MAX_QUEUED = 2048 in the
 * lanes plus INBOX_CAPACITY = 1024 offers); the spool directory is then
 * unavailable for a moment (renamed away, as in the unwritable-spool test)
 * while the handler recovers and the dispatcher reads the rest from disk.
 * Once the directory is back, every acknowledged event must reach the
 * handler, once, in order, without a restart. With the bug, the events
 * read during the outage are missing (a restart may offer them again,
 * but only because the progress of that moment was not saved either,
 * see delivery_int_progress_resave). */
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

/* More than the lanes (2048) and the inbox (1024) hold together. */
#define EVENTS	  (2048 + 1024 + 200)
#define OUTAGE_MS 1500

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  retry_first_ms = 20; retry_max_ms = 100;\n"
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

static void event_unreadable_for_a_moment_is_not_skipped(void **state)
{
	struct daemon *d = *state;
	char spool[512], away[512], out[512], down[512], body[2048], *log;
	struct flaky_line *lines;
	size_t n, alarms, handled;

	daemon_path(d, "spool", spool, sizeof(spool));
	daemon_path(d, "spool.away", away, sizeof(away));
	daemon_path(d, "out.txt", out, sizeof(out));
	daemon_path(d, "down", down, sizeof(down));
	assert_int_equal(daemon_start(d, NULL), 0);
	for (int i = 0; i < EVENTS; i++) {
		size_t len = dint_event("bot-b", i, body, sizeof(body));

		assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0),
				 200);
	}

	/* The spool directory is unavailable for a moment, just while the
	 * handler recovers and its backlog is read from disk. */
	assert_int_equal(rename(spool, away), 0);
	assert_int_equal(unlink(down), 0);
	dint_sleep_ms(OUTAGE_MS);
	assert_int_equal(rename(away, spool), 0);

	handled = dint_wait_count_settled(out, "\n", EVENTS, 3000, 20000);
	assert_int_equal(daemon_stop(d), 0);
	log = daemon_log(d);
	if (strstr(log, "is gone or corrupt in the spool; skipped") != NULL)
		print_message("daemon log: \"... is gone or corrupt in the "
			      "spool; skipped\" (%zu times)\n",
			      harness_count(log, "skipped"));
	free(log);
	lines = flaky_read(out, &n, &alarms);
	assert_non_null(lines);
	if (dint_flaky_bot_exact(lines, n, "bot-b", EVENTS) != 0)
		fail_msg("%zu lines for %d acknowledged events: events the "
			 "spool could not give for %d ms were skipped",
			 handled, EVENTS, OUTAGE_MS);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		event_unreadable_for_a_moment_is_not_skipped, setup, teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_read_retry", tests,
					   NULL, NULL);
}
