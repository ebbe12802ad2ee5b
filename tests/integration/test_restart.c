/* Delivery across a restart (DESIGN.md, delivery guarantees): an event
 * acknowledged with 200 reaches the handler exactly once even when the
 * daemon stops before handling it, and a sender retry of an accepted event
 * is answered 200 without a second delivery, also after a restart.
 *
 * SIGTERM lets a handler finish only the event in hand (docs:
 * shutdown_timeout_s); the backlog stays in the spool for the next start.
 * To have a backlog for certain, the first run cannot write its output:
 * the file is pre-filled up to the daemon's file size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define WITH_TOKEN "/recall/events?token=" HARNESS_TOKEN
#define JSON "application/json"
#define META "{\"_rtwebhookd\":"
#define EVENTS 5
#define LIMIT (64 * 1024)

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL || daemon_configure(d, HARNESS_DEFAULT_BODY) != 0)
		goto fail;
	return 0;
fail:
	daemon_teardown(state); /* cmocka skips the teardown */
	return -1;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Event i of one bot, marked so the output can be searched for it. */
static void make_event(int i, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"event\":\"participant_events.speech_on\",\"data\":{"
		 "\"data\":{\"participant\":{\"id\":%d,\"name\":\"mark-%03d\"}},"
		 "\"bot\":{\"id\":\"restart-bot\",\"metadata\":{}}}}",
		 i, i);
}

static void backlog_at_sigterm_is_delivered_exactly_once_after_restart(
	void **state)
{
	struct daemon *d = *state;
	char path[512], event[512], mark[32], *filler, *out;

	/* Whole lines of filler up to the limit: no event line fits. */
	filler = malloc(LIMIT + 1);
	assert_non_null(filler);
	for (size_t i = 0; i < LIMIT; i += 4)
		memcpy(filler + i, "{ }\n", 4);
	daemon_path(d, "events.jsonl", path, sizeof(path));
	assert_int_equal(harness_write_file(path, filler, LIMIT), 0);
	free(filler);

	d->file_size_limit = LIMIT;
	assert_int_equal(daemon_start(d, NULL), 0);
	for (int i = 0; i < EVENTS; i++) {
		make_event(i, event, sizeof(event));
		assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, event,
					   strlen(event)),
				 200);
	}
	assert_int_equal(daemon_stop(d), 0);
	out = harness_read_file(path, NULL);
	assert_non_null(out);
	assert_int_equal(harness_count(out, META), 0); /* all in the backlog */
	free(out);

	d->file_size_limit = 0;
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(harness_wait_count(path, META, EVENTS, 10000), EVENTS);
	assert_int_equal(daemon_stop(d), 0);
	out = harness_read_file(path, NULL);
	assert_int_equal(harness_count(out, META), EVENTS);
	for (int i = 0; i < EVENTS; i++) {
		snprintf(mark, sizeof(mark), "\"mark-%03d\"", i);
		if (harness_count(out, mark) != 1)
			fail_msg("event %d is in the output %zu times", i,
				 harness_count(out, mark));
	}
	free(out);
}

static void sender_retry_is_200_and_delivered_once_across_restart(
	void **state)
{
	struct daemon *d = *state;
	char path[512], first[512], last[512], *out;

	make_event(1, first, sizeof(first));
	make_event(2, last, sizeof(last));
	daemon_path(d, "events.jsonl", path, sizeof(path));
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, first,
				   strlen(first)),
			 200);
	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, first,
				   strlen(first)),
			 200);
	assert_int_equal(harness_wait_count(path, "\"mark-001\"", 1, 10000), 1);
	assert_int_equal(daemon_stop(d), 0);

	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, first,
				   strlen(first)),
			 200);
	/* One bot: once the later event is out, a second copy of the
	 * first would be out too. */
	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, last,
				   strlen(last)),
			 200);
	assert_int_equal(harness_wait_count(path, "\"mark-002\"", 1, 10000), 1);
	assert_int_equal(daemon_stop(d), 0);
	out = harness_read_file(path, NULL);
	assert_int_equal(harness_count(out, "\"mark-001\""), 1);
	assert_int_equal(harness_count(out, META), 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			backlog_at_sigterm_is_delivered_exactly_once_after_restart,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			sender_retry_is_200_and_delivered_once_across_restart,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("integration_restart", tests, NULL,
					   NULL);
}
