/* Numbers of events lost with a failed flush, through the real daemon.
 *
 * The spool's list of suspect records (spool_suspect.h) says events 2-40
 * were written before a flush that failed; recovery finds only event 1
 * (their pages never reached the disk). The daemon must not hand those
 * numbers out again (the next event is 41), and the handler, whose
 * progress is at 1, skips 2-40 with two log lines, not thirty-nine. The
 * list is written here by hand: making a disk drop pages is not possible
 * in a test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dint_util.h"

static const char jsonl_handler[] =
    "handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
    "  config = { path = \"@DIR@/events.jsonl\"; }; } );\n";

static int setup(void **state)
{
	return dint_setup(state, jsonl_handler); /* started */
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Posts bot-a's event idx and waits until the sink holds it. */
static void post_and_wait(struct daemon *d, int idx, const char *sink)
{
	char body[2048], mark[64];
	size_t len = dint_event("bot-a", idx, body, sizeof(body));

	dint_mark("bot-a", idx, mark, sizeof(mark));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	assert_int_equal(dint_wait_count_settled(sink, mark, 1, 10000, 30000),
			 1);
}

static void lost_numbers_are_skipped_once_and_quietly(void **state)
{
	struct daemon *d = *state;
	char sink[512], list[512], *log;
	struct jsonl_entry *e;
	size_t n, bad;

	daemon_path(d, "events.jsonl", sink, sizeof(sink));
	daemon_path(d, "spool/suspect", list, sizeof(list));
	post_and_wait(d, 0, sink); /* event 1 */
	assert_int_equal(daemon_stop(d), 0);

	assert_int_equal(harness_write_file(list, "2 40\n", 5), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	post_and_wait(d, 1, sink);
	assert_int_equal(daemon_stop(d), 0);

	e = jsonl_read(sink, &n, &bad);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	assert_int_equal(e[0].seq, 1);
	assert_int_equal(e[1].seq, 41);
	free(e);
	log = daemon_log(d);
	assert_non_null(log);
	assert_int_equal(harness_count(log, "events 2-40, written before a "
					    "flush that failed"),
			 1);
	assert_int_equal(harness_count(log, "event 2 is gone or corrupt"), 1);
	assert_int_equal(harness_count(log, "events 3-40 are gone or corrupt"),
			 1);
	assert_int_equal(harness_count(log, "gone or corrupt"), 2);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		lost_numbers_are_skipped_once_and_quietly, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
