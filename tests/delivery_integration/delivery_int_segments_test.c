/* Spool segments are removed once every handler is done with them and
 * they are older than the dedup window (issue 3 item 1, docs: dedup
 * window_s), end to end: with segment_bytes = 4096 and window_s = 0 the
 * segments of handled events disappear from the spool directory within
 * seconds, and a restart afterwards neither loses nor repeats an event
 * (flaky writes whatever it is offered, so a repeat would show). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dint_util.h"

#define FIRST_RUN  150
#define SECOND_RUN 30

static const char flaky_handlers[] =
    "dedup = { window_s = 0; };\n"
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; }; } );\n";

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL ||
	    dint_configure(d, "segment_bytes = 4096;", flaky_handlers) != 0) {
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
		size_t len = dint_event("bot-r", i, body, sizeof(body));

		assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0),
				 200);
	}
}

/* At most two segment files left: the one being written and, at most,
 * the one before it. */
static int old_segments_gone(void *arg)
{
	return dint_count_segments(arg) <= 2;
}

/* The first event of the newest segment file (names are the first
 * sequence number), or 0 when there is none. */
static unsigned long long newest_segment_start(const char *spool)
{
	char **segs = harness_list(spool, ".seg");
	unsigned long long first = 0;

	assert_non_null(segs);
	for (size_t i = 0; segs[i] != NULL; i++) {
		const char *name = strrchr(segs[i], '/');
		unsigned long long f =
			strtoull(name != NULL ? name + 1 : segs[i], NULL, 10);

		if (f > first)
			first = f;
	}
	harness_free_list(segs);
	return first;
}

static void
handled_segments_are_removed_and_restart_repeats_nothing(void **state)
{
	struct daemon *d = *state;
	char spool[512], out[512];
	struct flaky_line *lines;
	unsigned long long first;
	size_t n, alarms;

	daemon_path(d, "spool", spool, sizeof(spool));
	daemon_path(d, "out.txt", out, sizeof(out));
	assert_int_equal(daemon_start(d, NULL), 0);
	send_range(d, 0, FIRST_RUN);
	if (harness_wait_lines(out, FIRST_RUN, 15000) < FIRST_RUN)
		fail_msg("not all %d events were handled", FIRST_RUN);

	/* 150 events of ~1 KB in 4 KB segments: the newest segment starts
	 * far past the first event, so dozens were written. (Counting the
	 * files now would race with their removal, which runs every
	 * second.) */
	first = newest_segment_start(spool);
	print_message("after %d events the newest segment starts at event "
		      "%llu\n",
		      FIRST_RUN, first);
	assert_true(first > FIRST_RUN / 2);
	/* Every segment but the one being written holds only handled
	 * events: they must go. */
	if (!dint_wait_until(old_segments_gone, spool, 10000))
		fail_msg("handled segments are still in %s after 10 s (%zu "
			 "segment files)",
			 spool, dint_count_segments(spool));

	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	send_range(d, FIRST_RUN, FIRST_RUN + SECOND_RUN);
	if (harness_wait_lines(out, FIRST_RUN + SECOND_RUN, 15000) <
	    FIRST_RUN + SECOND_RUN)
		fail_msg("not all events were handled after the restart");
	assert_int_equal(daemon_stop(d), 0);

	lines = flaky_read(out, &n, &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	assert_int_equal(
	    dint_flaky_bot_exact(lines, n, "bot-r", FIRST_RUN + SECOND_RUN), 0);
	assert_int_equal(n, FIRST_RUN + SECOND_RUN);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		handled_segments_are_removed_and_restart_repeats_nothing, setup,
		teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_segments", tests, NULL,
					   NULL);
}
