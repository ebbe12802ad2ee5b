/* The nats handler through the real daemon: events posted over HTTP (signed
 * as Recall signs them) reach a real JetStream stream in order per bot;
 * two daemons that both receive one signed event (one webhook-id) produce
 * one message; a nats-server restart mid-run loses nothing while the
 * daemon keeps answering 200. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "js_read.h"
#include "nats_server.h"

#define SECRET	"whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define KEY	"test-recall-secret" /* the base64 part, decoded */
#define PATH	"/recall/events"
#define STREAM	"RECALL"
#define WAIT_MS 60000 /* generous: the daemon may run under valgrind */

/* The daemon configuration: a signed endpoint and the nats handler with
 * four workers; %s is the server's URL. */
#define CONFIG                                                                 \
	"endpoints = ( { path = \"" PATH "\";\n"                               \
	"                signing_secrets = [\"" SECRET "\"]; } );\n"           \
	"handlers = ( { name = \"bus\"; module = \"nats\"; workers = 4;\n"     \
	"               config = { url = \"%s\"; create_stream = true;\n"      \
	"                          reconnect_wait_ms = 50; }; } );\n"

struct fixture {
	struct nats_server server;
	struct daemon *d[2];
};

static struct daemon *start_daemon(const struct nats_server *s)
{
	struct daemon *d = daemon_new();
	char body[1024];

	snprintf(body, sizeof(body), CONFIG, s->url);
	if (d == NULL || daemon_configure(d, body) != 0 ||
	    daemon_start(d, NULL) != 0) {
		daemon_free(d);
		return NULL;
	}
	return d;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (nats_server_start(&f->server, NULL) != 0) {
		nats_server_stop(&f->server);
		free(f);
		return -1;
	}
	f->d[0] = start_daemon(&f->server);
	if (f->d[0] == NULL) {
		nats_server_stop(&f->server);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 2; i++)
		daemon_free(f->d[i]);
	nats_server_stop(&f->server);
	free(f);
	return 0;
}

/* A chat message of bot with text "<bot>:<idx>". */
static size_t chat_body(const char *bot, int idx, char *buf, size_t cap)
{
	int n = snprintf(
	    buf, cap,
	    "{\"event\":\"participant_events.chat_message\",\"data\":{"
	    "\"data\":{\"participant\":{\"id\":7,\"name\":\"Ada\","
	    "\"is_host\":true,\"platform\":\"zoom\",\"extra_data\":{},"
	    "\"email\":null},\"timestamp\":{\"absolute\":"
	    "\"2026-11-26T16:21:17.125Z\",\"relative\":%d.5},\"data\":{"
	    "\"text\":\"%s:%d\",\"to\":\"everyone\"}},"
	    "\"recording\":{\"id\":\"rec-1\",\"metadata\":{}},"
	    "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
	    idx, bot, idx, bot);

	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

/* POSTs body signed with webhook id; returns the status. */
static long post_signed(const struct daemon *d, const char *id,
			const char *body, size_t len)
{
	char ts[32], sig[64], h_id[160], h_ts[64], h_sig[128];
	const char *headers[4] = {h_id, h_ts, h_sig, NULL};
	struct http_request req = {.target = PATH,
				   .content_type = "application/json",
				   .body = body,
				   .body_len = len,
				   .headers = headers};
	struct http_reply rep;
	long status;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	assert_int_equal(harness_sign(KEY, id, ts, body, len, sig), 0);
	snprintf(h_id, sizeof(h_id), "webhook-id: %s", id);
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
	http_send(d->port, &req, &rep);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

/* Posts event idx of bot with a unique webhook id; fails unless 200. */
static void post_event(const struct daemon *d, const char *bot, int idx)
{
	char body[1024], id[96];
	size_t len = chat_body(bot, idx, body, sizeof(body));
	long status;

	snprintf(id, sizeof(id), "msg_%s_%d_%ld", bot, idx, (long)getpid());
	status = post_signed(d, id, body, len);
	if (status != 200)
		fail_msg("POST %s:%d answered %ld", bot, idx, status);
}

/* The "<bot>:<idx>" index of a chat body, bot into out. */
static int mark_of(const char *body, char *bot, size_t cap)
{
	const char *t = strstr(body, "\"text\":\"");
	const char *colon;

	if (t == NULL || (colon = strchr(t + 8, ':')) == NULL ||
	    (size_t)(colon - t - 8) >= cap)
		return -1;
	snprintf(bot, cap, "%.*s", (int)(colon - t - 8), t + 8);
	return atoi(colon + 1);
}

static void check_bot_order(const struct js_message *m, size_t n,
			    const char *bot, int count)
{
	int next = 0;

	for (size_t i = 0; i < n; i++) {
		char b[64];
		int idx = mark_of(m[i].data, b, sizeof(b));

		if (strcmp(b, bot) != 0)
			continue;
		if (idx != next)
			fail_msg("bot %s: message %zu holds %d, expected %d",
				 bot, i, idx, next);
		next++;
	}
	if (next != count)
		fail_msg("bot %s: %d of %d events in the stream", bot, next,
			 count);
}

static void stop_cleanly(struct daemon *d)
{
	assert_int_equal(daemon_stop(d), 0);
}

static void test_events_reach_the_stream_in_order_per_bot(void **state)
{
	static const char *const bots[] = {"bot-a", "bot-b", "bot-c"};
	struct fixture *f = *state;
	struct js_message *m;
	size_t n;

	for (int idx = 0; idx < 30; idx++)
		for (int b = 0; b < 3; b++)
			post_event(f->d[0], bots[b], idx);
	assert_int_equal(js_wait_count(f->server.url, STREAM, 90, WAIT_MS), 90);
	stop_cleanly(f->d[0]);
	m = js_read_all(f->server.url, STREAM, &n);
	assert_int_equal(n, 90);
	for (int b = 0; b < 3; b++)
		check_bot_order(m, n, bots[b], 30);
	js_messages_free(m, n);
}

static void test_two_daemons_one_signed_event_one_message(void **state)
{
	struct fixture *f = *state;
	char body[1024], marker[1024], id[96];
	size_t len = chat_body("bot-dup", 0, body, sizeof(body));
	size_t mlen = chat_body("bot-dup", 1, marker, sizeof(marker));
	struct js_message *m;
	size_t n;

	f->d[1] = start_daemon(&f->server);
	assert_non_null(f->d[1]);
	snprintf(id, sizeof(id), "msg_dup_%ld_%ld", (long)getpid(),
		 (long)time(NULL));
	/* Recall retried the event, and the load balancer sent the retry to
	 * the other instance: both accept it. */
	assert_int_equal(post_signed(f->d[0], id, body, len), 200);
	assert_int_equal(js_wait_count(f->server.url, STREAM, 1, WAIT_MS), 1);
	assert_int_equal(post_signed(f->d[1], id, body, len), 200);
	/* The next event of that bot at the second daemon: once it is in
	 * the stream, the second daemon has handled the duplicate too. */
	assert_int_equal(post_signed(f->d[1], "msg_dup_marker", marker, mlen),
			 200);
	assert_int_equal(js_wait_count(f->server.url, STREAM, 2, WAIT_MS), 2);
	stop_cleanly(f->d[0]);
	stop_cleanly(f->d[1]);
	m = js_read_all(f->server.url, STREAM, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(m[0].data, body, len);
	/* the daemon's dedup key, "id:<webhook-id>" */
	assert_string_equal(m[0].msg_id + 3, id);
	assert_int_equal(strncmp(m[0].msg_id, "id:", 3), 0);
	assert_memory_equal(m[1].data, marker, mlen);
	js_messages_free(m, n);
}

static void test_nats_restart_mid_run_loses_nothing(void **state)
{
	struct fixture *f = *state;
	struct js_message *m;
	size_t n;

	for (int idx = 0; idx < 60; idx++) {
		/* Killed while the daemon may still be publishing the
		 * first events: their order must survive the restart. Not
		 * every run hits a publish in flight; module_nats_batch
		 * has the deterministic test of that. */
		if (idx == 20)
			nats_server_kill(&f->server, SIGTERM);
		if (idx == 40)
			assert_int_equal(nats_server_restart(&f->server), 0);
		/* the daemon answers 200 throughout: events wait in the
		 * spool while NATS is down */
		post_event(f->d[0], idx % 2 ? "bot-odd" : "bot-even", idx / 2);
	}
	assert_int_equal(js_wait_count(f->server.url, STREAM, 60, WAIT_MS), 60);
	stop_cleanly(f->d[0]);
	m = js_read_all(f->server.url, STREAM, &n);
	assert_int_equal(n, 60);
	check_bot_order(m, n, "bot-even", 30);
	check_bot_order(m, n, "bot-odd", 30);
	js_messages_free(m, n);
}

#define DAEMON_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    DAEMON_TEST(test_events_reach_the_stream_in_order_per_bot),
	    DAEMON_TEST(test_two_daemons_one_signed_event_one_message),
	    DAEMON_TEST(test_nats_restart_mid_run_loses_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
