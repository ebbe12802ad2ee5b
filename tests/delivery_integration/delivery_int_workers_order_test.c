/* workers = 4 on a thread-safe handler (issue 3 item 3, handler.h
 * "Threads"): several bots are handled at once, yet each bot's events
 * reach the handler one at a time, in the order they were acknowledged,
 * each exactly once. 8 senders (one per bot, sequential like Recall) post
 * concurrently; flaky (thread-safe) sleeps 1 ms per event so that workers
 * overlap, reports any two handles of one bot running at once with a "!"
 * line, and logs at fini how many events it handled at once at most. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dint_util.h"

#define BOTS	8
#define PER_BOT 100
#define TOTAL	(BOTS * PER_BOT)

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\"; workers = 4;\n"
    "  config = { out = \"@DIR@/out.txt\"; sleep_ms = 1; }; } );\n";

struct bot_run {
	char name[32];
	struct dint_sender sender;
	int acked;
	pthread_t thread;
};

static void *sender_main(void *arg)
{
	struct bot_run *b = arg;
	char body[2048];

	for (int i = 0; i < PER_BOT; i++) {
		size_t len = dint_event(b->name, i, body, sizeof(body));

		if (dint_sender_send(&b->sender, body, len) != 200)
			break;
		b->acked++;
	}
	return NULL;
}

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL || dint_configure(d, "", flaky_handlers) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* flaky's "at most N event(s) handled at once" from the log, or -1. */
static int max_at_once(const struct daemon *d)
{
	char *log = daemon_log(d);
	const char *p = strstr(log, "at most ");
	int n = -1;

	if (p == NULL || sscanf(p, "at most %d", &n) != 1)
		n = -1;
	free(log);
	return n;
}

static void four_workers_keep_each_bots_order_and_deliver_once(void **state)
{
	struct daemon *d = *state;
	struct bot_run bots[BOTS];
	struct flaky_line *lines;
	atomic_int port;
	char out[512];
	size_t n, alarms;
	int failures = 0, at_once;

	daemon_path(d, "out.txt", out, sizeof(out));
	assert_int_equal(daemon_start(d, NULL), 0);
	atomic_init(&port, d->port);
	for (int b = 0; b < BOTS; b++) {
		memset(&bots[b], 0, sizeof(bots[b]));
		snprintf(bots[b].name, sizeof(bots[b].name), "wbot-%d", b);
		dint_sender_init(&bots[b].sender, &port);
		/* No fault is expected here: a daemon that stops answering
		 * should fail the test quickly, not after Recall's minute. */
		bots[b].sender.max_retries = 3;
	}
	for (int b = 0; b < BOTS; b++)
		assert_int_equal(pthread_create(&bots[b].thread, NULL,
						sender_main, &bots[b]),
				 0);
	for (int b = 0; b < BOTS; b++) {
		pthread_join(bots[b].thread, NULL);
		dint_sender_free(&bots[b].sender);
		if (bots[b].acked != PER_BOT)
			fail_msg("%s: only %d of %d events acknowledged",
				 bots[b].name, bots[b].acked, PER_BOT);
	}
	if (harness_wait_lines(out, TOTAL, 30000) < TOTAL)
		fail_msg("not all %d events were handled", TOTAL);
	assert_int_equal(daemon_stop(d), 0);

	lines = flaky_read(out, &n, &alarms);
	assert_non_null(lines);
	if (alarms > 0)
		fail_msg("%zu time(s) one bot's events were handled on two "
			 "workers at once",
			 alarms);
	for (int b = 0; b < BOTS; b++)
		if (dint_flaky_bot_exact(lines, n, bots[b].name, PER_BOT) != 0)
			failures++;
	free(lines);
	if (failures > 0)
		fail_msg("%d bot(s) not in order or not exactly once",
			 failures);
	assert_int_equal(n, TOTAL);

	/* The test means something only if the workers did overlap. */
	at_once = max_at_once(d);
	print_message("flaky handled at most %d event(s) at once\n", at_once);
	if (at_once < 2)
		fail_msg("never more than %d event at once with workers = 4",
			 at_once);
	assert_true(at_once <= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		four_workers_keep_each_bots_order_and_deliver_once, setup,
		teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	dint_token(); /* fixed before any thread starts */
	dint_target();
	return cmocka_run_group_tests_name("delivery_int_workers_order", tests,
					   NULL, NULL);
}
