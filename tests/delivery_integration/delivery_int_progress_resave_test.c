/* Regression test for a fixed bug (daemon, src/dispatch.c maybe_save, as of the dispatcher
 * that splits progress saving into progress_snapshot + progress_write):
 * a progress save that fails is never retried, so after a graceful
 * restart the handler is offered again events it had finished.
 *
 * progress_snapshot() marks the state clean before progress_write() runs;
 * when the write fails (the state directory briefly unavailable, disk
 * full, EIO) nothing marks it dirty again. If no further event finishes
 * afterwards, no later save happens - not even the forced one at SIGTERM,
 * which finds nothing "dirty" - and the progress file keeps the old low
 * mark. README: "On SIGTERM the daemon ... lets each handler finish the
 * event in hand, saves progress and exits 0"; issue 3 item 4: "after a
 * crash or restart each handler gets every event it had not finished, and
 * nothing else". A non-idempotent handler (flaky here; an exec or http
 * handler in practice) then repeats those events.
 *
 * Reproduction: events are handled while the spool directory is renamed
 * away for a moment (the spool appends through its open segment, so they
 * are still acknowledged; only the progress file cannot be written). The
 * directory comes back, nothing else happens for a while, then SIGTERM,
 * restart, one more event: every event must be in flaky's output once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "dint_util.h"

#define BEFORE 10
#define DURING 10
/* Small segments: the spare is written in moments and needs little room. */
#define SEGMENT_BYTES (1024 * 1024)

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; }; } );\n";

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL ||
	    dint_configure(d, "segment_bytes = 1048576;", flaky_handlers) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static void send_range(struct daemon *d, int from, int to)
{
	char body[2048];

	for (int i = from; i < to; i++) {
		size_t len = dint_event("bot-p", i, body, sizeof(body));

		assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0),
				 200);
	}
}

/* 1 when the newest segment is a spare (prewritten to full size), not a
 * file that grows by appends. */
static int writing_a_spare(const char *spool)
{
	char **list = harness_list(spool, ".seg");
	size_t n = 0;
	struct stat st;
	int spare;

	while (list != NULL && list[n] != NULL)
		n++;
	spare = n > 0 && stat(list[n - 1], &st) == 0 &&
		st.st_size == SEGMENT_BYTES;
	harness_free_list(list);
	return spare;
}

/* A fresh spool leaves its first segment for the prewritten spare once
 * that is ready (src/spool.c, segment_due), at an append, unless the
 * spare was ready before the first one. Either way this happens before
 * the outage: renamed away, the directory takes no new segment. Events of
 * another bot carry the appends; the checks below count bot-p's only. */
static void wait_spare_taken(struct daemon *d, const char *spool)
{
	char body[2048];

	for (int i = 0; !writing_a_spare(spool); i++) {
		size_t len = dint_event("bot-w", i, body, sizeof(body));

		if (i == 500)
			fail_msg("the spool never moved to its spare");
		assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0),
				 200);
		dint_sleep_ms(20);
	}
}

/* Counts bot-p's lines only: bot-w's are in the same file. */
static void wait_handled(const char *out, int n)
{
	if (dint_wait_count_settled(out, " bot-p ", (size_t)n, 10000,
				    10000) < (size_t)n)
		fail_msg("not all %d events were handled", n);
}

static void
progress_that_failed_to_save_is_saved_later_not_forgotten(void **state)
{
	struct daemon *d = *state;
	char spool[512], away[512], out[512];
	struct flaky_line *lines;
	size_t n, alarms;

	daemon_path(d, "spool", spool, sizeof(spool));
	daemon_path(d, "spool.away", away, sizeof(away));
	daemon_path(d, "out.txt", out, sizeof(out));
	assert_int_equal(daemon_start(d, NULL), 0);
	wait_spare_taken(d, spool);
	send_range(d, 0, BEFORE);
	wait_handled(out, BEFORE);
	dint_sleep_ms(300); /* saved within SAVE_INTERVAL_MS (50 ms) */

	/* A short outage of the state directory while events finish. */
	assert_int_equal(rename(spool, away), 0);
	send_range(d, BEFORE, BEFORE + DURING);
	wait_handled(out, BEFORE + DURING);
	dint_sleep_ms(200); /* the saves due now fail */
	assert_int_equal(rename(away, spool), 0);
	dint_sleep_ms(500); /* quiet: only a retried save would help */

	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	/* One more event of the same bot: anything offered again comes
	 * before it on the bot's lane. */
	send_range(d, BEFORE + DURING, BEFORE + DURING + 1);
	if (dint_wait_count_settled(out, " bot-p:0020", 1, 10000, 10000) < 1)
		fail_msg("the event after the restart was not handled");
	assert_int_equal(daemon_stop(d), 0);

	lines = flaky_read(out, &n, &alarms);
	assert_non_null(lines);
	if (dint_flaky_bot_exact(lines, n, "bot-p", BEFORE + DURING + 1) != 0)
		fail_msg("after the restart the handler was offered events it "
			 "had finished (%zu lines for %d events): the progress "
			 "that failed to save during the outage was never "
			 "saved",
			 n, BEFORE + DURING + 1);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		progress_that_failed_to_save_is_saved_later_not_forgotten,
		setup, teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_progress_resave",
					   tests, NULL, NULL);
}
