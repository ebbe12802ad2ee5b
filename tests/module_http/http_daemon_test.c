/* The http handler through the real daemon (issue 6, item 5): events
 * POSTed to rtwebhookd reach a downstream started by the test, which
 * fails on purpose: 503s are retried in order, 429 + Retry-After pauses
 * every bot (or, with retry_after_scope = "bot", only the answered one)
 * for exactly that long, 400 dead-letters, a timeout is retried, our signature
 * verifies, two bots go in parallel with workers = 2 each in order, one
 * connection carries a bot's events, and URL credentials never reach the log.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dint_util.h"
#include "downstream.h"
#include "http_modtest.h"

#define WAIT_MS	     60000
#define DEAD_LETTERS "spool/handlers/fwd/dead-letters.jsonl"

struct run {
	struct downstream ds;
	struct daemon *d;
};

/* Starts the downstream and the daemon with one http handler "fwd"
 * (handler_extra inside its group, config_extra inside its config) whose
 * url carries userinfo ("" or "user:password@"). */
static void run_start(struct run *r, const struct ds_script *script,
		      const char *userinfo, const char *handler_extra,
		      const char *config_extra)
{
	char handlers[1024], url[160];

	ds_start(&r->ds, script);
	snprintf(url, sizeof(url), "http://%s127.0.0.1:%d/hook", userinfo,
		 r->ds.port);
	snprintf(handlers, sizeof(handlers),
		 "handlers = ( { name = \"fwd\"; module = \"http\"; %s\n"
		 "  config = { url = \"%s\"; %s }; } );\n",
		 handler_extra, url, config_extra);
	r->d = daemon_new();
	assert_non_null(r->d);
	assert_int_equal(dint_configure(r->d, "", handlers), 0);
	assert_int_equal(daemon_start(r->d, NULL), 0);
}

/* Stops both; the records and the daemon's files stay for checks. */
static void run_stop(struct run *r)
{
	assert_int_equal(daemon_stop(r->d), 0);
	ds_stop(&r->ds);
}

static int run_teardown(void **state)
{
	struct run *r = *state;

	if (r->d != NULL)
		daemon_free(r->d);
	r->d = NULL;
	ds_free(&r->ds);
	return 0;
}

static int run_setup(void **state)
{
	static struct run run;

	memset(&run, 0, sizeof(run));
	*state = &run;
	return 0;
}

static void post_event(struct run *r, const char *bot, int idx,
		       const char *const *headers)
{
	char body[2048];
	size_t len = dint_event(bot, idx, body, sizeof(body));

	assert_int_equal(dint_post(r->d->port, body, len, headers, NULL, 0),
			 200);
}

static void post_events(struct run *r, const char *bot, int n)
{
	for (int i = 0; i < n; i++)
		post_event(r, bot, i, NULL);
}

/* The event index of bot in a forwarded body, or -1 (another bot's). */
static int idx_of(const struct ds_request *q, const char *bot)
{
	char prefix[64];
	const char *p;

	snprintf(prefix, sizeof(prefix), "%s:", bot);
	p = strstr(q->body, prefix);
	return p != NULL ? atoi(p + strlen(prefix)) : -1;
}

/* bot's events among the requests, in arrival order, must never go back
 * (a retry repeats the same index, then the next comes), and the ones
 * answered 200 in time must be exactly 0..n-1 in order. */
static void check_bot_order(struct downstream *ds, const char *bot, int n)
{
	int last = -1, next_ok = 0;

	for (size_t i = 0; i < ds->nreq; i++) {
		int idx = idx_of(&ds->req[i], bot);

		if (idx < 0)
			continue;
		if (idx < last)
			fail_msg("%s: event %d arrived after %d", bot, idx,
				 last);
		last = idx;
		if (ds->req[i].status == 200 && !ds->req[i].delayed) {
			if (idx != next_ok)
				fail_msg("%s: event %d delivered, expected %d",
					 bot, idx, next_ok);
			next_ok++;
		}
	}
	assert_int_equal(next_ok, n);
}

static void wait_delivered(struct run *r, size_t n)
{
	if (ds_wait_ok(&r->ds, n, WAIT_MS) < n)
		fail_msg("only %zu of %zu events reached the downstream",
			 ds_wait_ok(&r->ds, n, 0), n);
}

static void test_503s_are_retried_in_order(void **state)
{
	struct ds_script script = {.fail_count = 3, .fail_status = 503};
	struct run *r = *state;

	run_start(r, &script, "", "", "");
	post_events(r, "bot-a", 6);
	wait_delivered(r, 6);
	run_stop(r);
	assert_int_equal(r->ds.nreq, 9);
	for (int i = 0; i < 4; i++) /* later events waited behind it */
		assert_int_equal(idx_of(&r->ds.req[i], "bot-a"), 0);
	check_bot_order(&r->ds, "bot-a", 6);
}

/* Waits for the downstream to have received n requests. */
static void wait_requests(struct run *r, size_t n)
{
	int64_t t0 = ds_now_ms();

	while (ds_count(&r->ds) < n) {
		if (ds_now_ms() - t0 > WAIT_MS)
			fail_msg("only %zu of %zu requests arrived",
				 ds_count(&r->ds), n);
		dint_sleep_ms(10);
	}
}

/* The first request after the first one that carries bot's event idx. */
static const struct ds_request *next_of(struct downstream *ds, const char *bot,
					int idx)
{
	for (size_t i = 1; i < ds->nreq; i++)
		if (idx_of(&ds->req[i], bot) == idx)
			return &ds->req[i];
	fail_msg("%s:%d never sent after the first request", bot, idx);
	return NULL;
}

/* ms from the first request (the 429) to q. */
static long after_429(struct downstream *ds, const struct ds_request *q)
{
	return (long)(q->at_ms - ds->req[0].at_ms);
}

/* The host's own backoff (4 s) is made longer than the Retry-After (2 s),
 * so a retry at about 2 s shows the asked delay was used, and one at 4 s
 * that it was not (the hold a host without retry_after gives). */
#define SLOW_BACKOFF  "retry_first_ms = 4000; retry_max_ms = 4000;"
#define PAUSED_MIN_MS 1900
#define PAUSED_MAX_MS 3000

static void check_paused(struct downstream *ds, const char *bot, int idx)
{
	long ms = after_429(ds, next_of(ds, bot, idx));

	if (ms < PAUSED_MIN_MS || ms > PAUSED_MAX_MS)
		fail_msg("%s:%d sent %ld ms after the 429 with Retry-After: "
			 "2 (want %d..%d)",
			 bot, idx, ms, PAUSED_MIN_MS, PAUSED_MAX_MS);
}

/* 429 with Retry-After: 2 for bot-a's event: its next attempt comes 2 s
 * later, not after the host's backoff, and (scope "handler", the
 * default) bot-b's event, which arrives during the pause, is not sent
 * until it ends, and then at once. */
static void test_429_retry_after_pauses_every_bot_exactly(void **state)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 429, .retry_after = "2"};
	struct run *r = *state;

	run_start(r, &script, "", SLOW_BACKOFF, "");
	post_event(r, "bot-a", 0, NULL);
	wait_requests(r, 1);
	post_event(r, "bot-b", 0, NULL);
	post_event(r, "bot-a", 1, NULL);
	wait_delivered(r, 3);
	run_stop(r);
	assert_int_equal(r->ds.nreq, 4); /* nothing sent during the pause */
	assert_int_equal(idx_of(&r->ds.req[0], "bot-a"), 0);
	check_paused(&r->ds, "bot-a", 0);
	check_paused(&r->ds, "bot-b", 0);
	check_bot_order(&r->ds, "bot-a", 2);
	check_bot_order(&r->ds, "bot-b", 1);
}

/* The same with retry_after_scope = "bot": bot-a's event still comes back
 * 2 s later, bot-b's events go at once: each reaches the downstream well
 * within the pause after the daemon accepted it (measured from its
 * acceptance, not from the 429: under valgrind on a busy machine the
 * three posts alone can take 2 s). */
static void test_bot_scope_pauses_only_the_answered_bot(void **state)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 429, .retry_after = "2"};
	struct run *r = *state;
	int64_t accepted[3];

	run_start(r, &script, "", SLOW_BACKOFF, "retry_after_scope = \"bot\";");
	post_event(r, "bot-a", 0, NULL);
	wait_requests(r, 1);
	for (int i = 0; i < 3; i++) {
		post_event(r, "bot-b", i, NULL);
		accepted[i] = ds_now_ms();
	}
	wait_delivered(r, 4);
	run_stop(r);
	assert_int_equal(r->ds.nreq, 5);
	check_paused(&r->ds, "bot-a", 0);
	for (int i = 0; i < 3; i++) {
		const struct ds_request *q = next_of(&r->ds, "bot-b", i);
		long ms = (long)(q->at_ms - accepted[i]);

		if (after_429(&r->ds, q) >= PAUSED_MIN_MS &&
		    ms >= PAUSED_MIN_MS)
			fail_msg("bot-b:%d held %ld ms by bot-a's Retry-After",
				 i, ms);
	}
	check_bot_order(&r->ds, "bot-a", 1);
	check_bot_order(&r->ds, "bot-b", 3);
}

static void test_400_goes_to_dead_letters(void **state)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 400, .fail_body = "field x is bad"};
	struct run *r = *state;
	char path[512], *text;

	run_start(r, &script, "", "", "");
	post_events(r, "bot-a", 3);
	wait_delivered(r, 2);
	daemon_path(r->d, DEAD_LETTERS, path, sizeof(path));
	assert_int_equal(harness_wait_lines(path, 1, WAIT_MS), 1);
	text = harness_read_file(path, NULL);
	assert_non_null(strstr(text, "HTTP 400: field x is bad"));
	assert_non_null(strstr(text, "bot-a:0000"));
	free(text);
	run_stop(r);
	assert_int_equal(r->ds.nreq, 3); /* a 400 is not retried */
	assert_int_equal(idx_of(&r->ds.req[1], "bot-a"), 1);
	assert_int_equal(idx_of(&r->ds.req[2], "bot-a"), 2);
}

static void test_timeout_is_retried(void **state)
{
	struct ds_script script = {.delay_count = 1, .delay_ms = 3000};
	struct run *r = *state;

	run_start(r, &script, "", "", "timeout_ms = 1000;");
	post_events(r, "bot-a", 3);
	wait_delivered(r, 3);
	run_stop(r);
	assert_true(r->ds.req[0].delayed);
	assert_int_equal(idx_of(&r->ds.req[1], "bot-a"), 0);
	check_bot_order(&r->ds, "bot-a", 3);
}

static void test_signature_verifies_at_the_downstream(void **state)
{
	struct ds_script script = {.verify_key = VECTOR_KEY};
	const char *const with_id[] = {"webhook-id: msg_int_1", NULL};
	struct run *r = *state;

	run_start(r, &script, "", "",
		  "signing_secret = \"" VECTOR_SECRET "\";");
	post_event(r, "bot-a", 0, with_id);
	post_event(r, "bot-a", 1, NULL);
	wait_delivered(r, 2);
	run_stop(r);
	assert_int_equal(r->ds.nreq, 2);
	assert_true(r->ds.req[0].signature_ok);
	assert_true(r->ds.req[1].signature_ok);
	/* Recall's id passed on; an unsigned request's body digest. */
	assert_string_equal(r->ds.req[0].webhook_id, "msg_int_1");
	assert_int_equal(strlen(r->ds.req[1].webhook_id), 4 + 32);
	assert_memory_equal(r->ds.req[1].webhook_id, "msg_", 4);
}

struct bot_sender {
	struct run *r;
	const char *bot;
	int n;
	int acked;
};

static void *send_bot(void *arg)
{
	struct bot_sender *b = arg;
	char body[2048];

	for (int i = 0; i < b->n; i++) {
		size_t len = dint_event(b->bot, i, body, sizeof(body));

		b->acked +=
		    dint_post(b->r->d->port, body, len, NULL, NULL, 0) == 200;
	}
	return NULL;
}

/* The position of bot's first and last request. */
static void span_of(struct downstream *ds, const char *bot, size_t *first,
		    size_t *last)
{
	*first = SIZE_MAX;
	*last = 0;
	for (size_t i = 0; i < ds->nreq; i++)
		if (idx_of(&ds->req[i], bot) >= 0) {
			if (*first == SIZE_MAX)
				*first = i;
			*last = i;
		}
}

static void test_two_bots_in_parallel_each_in_order(void **state)
{
	struct ds_script script = {.every_delay_ms = 30};
	struct bot_sender b[2] = {{.bot = "bot-a", .n = 15},
				  {.bot = "bot-b", .n = 15}};
	pthread_t t[2];
	size_t a_first, a_last, b_first, b_last;
	struct run *r = *state;

	run_start(r, &script, "", "workers = 2;", "");
	for (int i = 0; i < 2; i++) {
		b[i].r = r;
		assert_int_equal(pthread_create(&t[i], NULL, send_bot, &b[i]),
				 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(b[i].acked, b[i].n);
	}
	wait_delivered(r, 30);
	run_stop(r);
	check_bot_order(&r->ds, "bot-a", 15);
	check_bot_order(&r->ds, "bot-b", 15);
	span_of(&r->ds, "bot-a", &a_first, &a_last);
	span_of(&r->ds, "bot-b", &b_first, &b_last);
	if (a_first > b_last || b_first > a_last)
		fail_msg("the bots were not interleaved");
	assert_int_equal(atomic_load(&r->ds.max_in_flight), 2);
	assert_true(atomic_load(&r->ds.connections) <= 2);
}

static void test_one_connection_carries_the_events(void **state)
{
	struct ds_script script = {0};
	struct run *r = *state;

	run_start(r, &script, "", "", "");
	post_events(r, "bot-a", 30);
	wait_delivered(r, 30);
	run_stop(r);
	check_bot_order(&r->ds, "bot-a", 30);
	assert_int_equal(atomic_load(&r->ds.connections), 1);
}

static void test_credentials_never_reach_the_log(void **state)
{
	struct ds_script script = {.fail_count = 1, .fail_status = 503};
	struct run *r = *state;
	char *log;

	run_start(r, &script, "alice:pa55word@", "",
		  "signing_secret = \"" VECTOR_SECRET "\";");
	post_events(r, "bot-a", 1);
	wait_delivered(r, 1);
	run_stop(r);
	log = daemon_log(r->d);
	/* The failure was logged, with the URL redacted. */
	if (strstr(log, "downstream failing") == NULL ||
	    strstr(log, "http://***:***@127.0.0.1") == NULL)
		fail_msg("no redacted failure in the log:\n%s", log);
	assert_null(strstr(log, "pa55word"));
	assert_null(strstr(log, "dGVzdC1yZWNhbGwtc2VjcmV0"));
	assert_string_equal(r->ds.req[0].authorization,
			    "Basic YWxpY2U6cGE1NXdvcmQ=");
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_503s_are_retried_in_order,
					    run_setup, run_teardown),
	    cmocka_unit_test_setup_teardown(
		test_429_retry_after_pauses_every_bot_exactly, run_setup,
		run_teardown),
	    cmocka_unit_test_setup_teardown(
		test_bot_scope_pauses_only_the_answered_bot, run_setup,
		run_teardown),
	    cmocka_unit_test_setup_teardown(test_400_goes_to_dead_letters,
					    run_setup, run_teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_is_retried, run_setup,
					    run_teardown),
	    cmocka_unit_test_setup_teardown(
		test_signature_verifies_at_the_downstream, run_setup,
		run_teardown),
	    cmocka_unit_test_setup_teardown(
		test_two_bots_in_parallel_each_in_order, run_setup,
		run_teardown),
	    cmocka_unit_test_setup_teardown(
		test_one_connection_carries_the_events, run_setup,
		run_teardown),
	    cmocka_unit_test_setup_teardown(
		test_credentials_never_reach_the_log, run_setup, run_teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
