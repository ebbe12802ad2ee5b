/* The built nats module against a real nats-server with JetStream, one
 * server per test: what a consumer of the stream sees (order per bot,
 * headers, one message per dedup key), stream creation, a missing stream,
 * the server going away and coming back, and two instances in one
 * process (libnats keeps process-wide state). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "js_read.h"
#include "nats_modtest.h"
#include "nats_server.h"

#define STREAM "RECALL"

/* A config on s's URL, with extra JSON members ("" for none). */
static const char *config_for(const struct nats_server *s, const char *extra)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"url\":\"%s\",\"stream\":\"" STREAM "\","
		 "\"create_stream\":true,\"reconnect_wait_ms\":50%s%s}",
		 s->url, extra[0] != '\0' ? "," : "", extra);
	return buf;
}

static void test_events_reach_the_stream_in_order_per_bot(void **state)
{
	struct nats_server *s = *state;
	static const char *const bots[] = {"bot-a", "bot-b", "bot-c"};
	struct nats_instance ni;
	struct js_message *m;
	uint64_t seq = 1;
	size_t n;

	nats_open_ok(&ni, config_for(s, ""));
	for (int idx = 0; idx < 40; idx++)
		for (int b = 0; b < 3; b++)
			nats_handle_ok(&ni, bots[b], idx, seq++);
	nats_close(&ni);
	m = js_read_all(s->url, STREAM, &n);
	assert_int_equal(n, 120);
	for (int b = 0; b < 3; b++)
		nats_check_bot_order(m, n, bots[b], 40);
	js_messages_free(m, n);
}

static void test_message_carries_subject_body_and_headers(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct nats_test_event te;
	struct rtw_error err = {{0}};
	struct js_message *m;
	size_t n;

	nats_open_ok(&ni, config_for(s, ""));
	nats_event_chat(&te, "5b1e.2f4c 9", 3, 42);
	assert_int_equal(nats_handle(&ni, &te, &err), RTW_OK);
	nats_close(&ni);
	m = js_read_all(s->url, STREAM, &n);
	assert_int_equal(n, 1);
	/* '.' and ' ' in the bot id cannot be in a token: '_' */
	assert_string_equal(
	    m[0].subject, "recall.participant_events_chat_message.5b1e_2f4c_9");
	/* the dedup key, with the space escaped for a header */
	assert_string_equal(m[0].msg_id, "id:msg_5b1e.2f4c%209_3");
	assert_string_equal(m[0].rtw_seq, "42");
	assert_string_equal(m[0].rtw_event, "participant_events.chat_message");
	assert_int_equal(m[0].len, te.len);
	assert_memory_equal(m[0].data, te.body, te.len);
	nats_event_clear(&te);
	js_messages_free(m, n);
}

static void test_same_dedup_key_is_stored_once(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct js_message *m;
	size_t n;

	nats_open_ok(&ni, config_for(s, ""));
	nats_handle_ok(&ni, "bot-a", 0, 10);
	/* offered again (after a crash: same event, same seq) */
	nats_handle_ok(&ni, "bot-a", 0, 10);
	/* another instance's spool numbers it differently: same key */
	nats_handle_ok(&ni, "bot-a", 0, 777);
	nats_handle_ok(&ni, "bot-a", 1, 11);
	nats_close(&ni);
	m = js_read_all(s->url, STREAM, &n);
	assert_int_equal(n, 2);
	nats_check_bot_order(m, n, "bot-a", 2);
	assert_string_equal(m[0].rtw_seq, "10");
	js_messages_free(m, n);
}

static void test_create_stream_takes_the_template_prefix(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	char subject[128], cfg[512];
	long long dup_s = 0;

	assert_int_equal(js_stream_count(s->url, "EVENTS"), -1);
	snprintf(
	    cfg, sizeof(cfg),
	    "{\"url\":\"%s\",\"stream\":\"EVENTS\",\"create_stream\":true,"
	    "\"subject\":\"hooks.rtw.{bot_id}\",\"duplicate_window_s\":900}",
	    s->url);
	nats_open_ok(&ni, cfg);
	nats_handle_ok(&ni, "bot-a", 0, 1);
	assert_true(nats_logged(&ni, "created stream EVENTS"));
	nats_close(&ni);
	assert_int_equal(js_stream_config(s->url, "EVENTS", subject,
					  sizeof(subject), &dup_s),
			 0);
	assert_string_equal(subject, "hooks.rtw.>");
	assert_int_equal(dup_s, 900);
	assert_int_equal(js_stream_count(s->url, "EVENTS"), 1);
}

static void test_missing_stream_is_retried_until_it_exists(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct nats_test_event te;
	struct rtw_error err = {{0}};
	char cfg[512];

	snprintf(cfg, sizeof(cfg), "{\"url\":\"%s\",\"stream\":\"" STREAM "\"}",
		 s->url);
	nats_open_ok(&ni, cfg);
	nats_event_chat(&te, "bot-a", 0, 1);
	assert_int_equal(nats_handle(&ni, &te, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, "stream RECALL does not exist"));
	assert_int_equal(js_create_stream(s->url, STREAM, "recall.>"), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(nats_handle(&ni, &te, &err), RTW_OK);
	nats_event_clear(&te);
	nats_close(&ni);
	assert_int_equal(js_stream_count(s->url, STREAM), 1);
}

static void test_server_down_is_a_quick_retry(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct nats_test_event te;
	struct rtw_error err = {{0}};
	int64_t start;
	int retries = 0;

	nats_open_ok(&ni, config_for(s, "\"publish_timeout_ms\":1500"));
	nats_handle_ok(&ni, "bot-a", 0, 1);
	nats_server_kill(s, SIGKILL);
	nats_event_chat(&te, "bot-a", 1, 2);
	for (int i = 0; i < 3; i++) {
		start = nats_now_ms();
		assert_int_equal(nats_handle(&ni, &te, &err), RTW_RETRY);
		/* never waits longer than the publish timeout */
		assert_true(nats_now_ms() - start < 1600);
	}
	nats_event_clear(&te);
	assert_int_equal(nats_server_restart(s), 0);
	assert_int_equal(
	    nats_handle_until_ok(&ni, "bot-a", 1, 2, 50, 15000, &retries),
	    RTW_OK);
	assert_true(nats_logged(&ni, "disconnected from NATS"));
	/* a new connection ("connected to" twice), not the old one
	 * reconnected in place, where libnats would first resend what it
	 * buffered meanwhile (nats_conn.h) */
	assert_int_equal(nats_lines_starting(&ni, "connected to nats://"), 2);
	nats_close(&ni);
	assert_int_equal(js_stream_count(s->url, STREAM), 2);
}

/* Restarts the server (clean stop, short pause, start) once `published`
 * reaches `at`, while the test keeps publishing. The thread lives until
 * `done`: the server dies with the thread that forked it. */
struct restarter {
	pthread_t thread;
	struct nats_server *server;
	atomic_int published;
	atomic_int done;
	int at;
	int ok;
};

static void *restart_when_due(void *arg)
{
	struct restarter *r = arg;
	int64_t deadline = nats_now_ms() + 60000;

	while (atomic_load(&r->published) < r->at && nats_now_ms() < deadline)
		nats_sleep_ms(1);
	nats_server_kill(r->server, SIGTERM);
	nats_sleep_ms(300);
	r->ok = nats_server_restart(r->server) == 0;
	while (!atomic_load(&r->done))
		nats_sleep_ms(5);
	return NULL;
}

static void test_server_restart_mid_run_loses_nothing(void **state)
{
	struct restarter r = {.server = *state, .at = 100};
	struct nats_instance ni;
	struct js_message *m;
	int retries = 0;
	size_t n;

	nats_open_ok(&ni, config_for(r.server, ""));
	assert_int_equal(pthread_create(&r.thread, NULL, restart_when_due, &r),
			 0);
	for (int idx = 0; idx < 300; idx++) {
		const char *bot = idx % 2 ? "bot-odd" : "bot-even";

		/* as the daemon does: retry the same event until OK */
		if (nats_handle_until_ok(&ni, bot, idx / 2, (uint64_t)idx + 1,
					 20, 20000, &retries) != RTW_OK)
			fail_msg("event %d never published", idx);
		atomic_fetch_add(&r.published, 1);
	}
	nats_close(&ni);
	assert_true(r.ok);
	assert_true(retries > 0); /* the restart was seen */
	m = js_read_all(r.server->url, STREAM, &n);
	atomic_store(&r.done, 1);
	pthread_join(r.thread, NULL);
	assert_int_equal(n, 300);
	nats_check_bot_order(m, n, "bot-even", 150);
	nats_check_bot_order(m, n, "bot-odd", 150);
	js_messages_free(m, n);
}

static void test_two_instances_share_the_library(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance a, b;

	nats_open_ok(&a, config_for(s, ""));
	nats_open_ok(&b, config_for(s, ""));
	nats_handle_ok(&a, "bot-a", 0, 1);
	nats_handle_ok(&b, "bot-b", 0, 1);
	/* the same event reaching both instances: one message */
	nats_handle_ok(&a, "bot-c", 0, 2);
	nats_handle_ok(&b, "bot-c", 0, 2);
	/* closing one instance leaves the other working */
	nats_close(&a);
	nats_handle_ok(&b, "bot-b", 1, 3);
	nats_close(&b);
	/* the last close shut the library down; a new instance reopens it */
	nats_open_ok(&a, config_for(s, ""));
	nats_handle_ok(&a, "bot-a", 1, 4);
	nats_close(&a);
	assert_int_equal(js_stream_count(s->url, STREAM), 5);
}

static void test_user_and_password_are_used(void **state)
{
	struct nats_server s;
	struct nats_instance ni;
	struct nats_test_event te;
	struct rtw_error err = {{0}};
	char cfg[512];

	(void)state;
	assert_int_equal(nats_server_start(&s, "--user rtw --pass right"), 0);
	snprintf(cfg, sizeof(cfg),
		 "{\"url\":\"%s\",\"create_stream\":true,\"user\":\"rtw\","
		 "\"password\":\"wrong\",\"reconnect_wait_ms\":50}",
		 s.url);
	nats_open_ok(&ni, cfg);
	nats_event_chat(&te, "bot-a", 0, 1);
	assert_int_equal(nats_handle(&ni, &te, &err), RTW_RETRY);
	nats_close(&ni);
	snprintf(cfg, sizeof(cfg),
		 "{\"url\":\"%s\",\"create_stream\":true,\"user\":\"rtw\","
		 "\"password\":\"right\"}",
		 s.url);
	nats_open_ok(&ni, cfg);
	memset(&err, 0, sizeof(err));
	if (nats_handle(&ni, &te, &err) != RTW_OK)
		fail_msg("with the right password: %s", err.message);
	nats_close(&ni);
	nats_event_clear(&te);
	nats_server_stop(&s);
}

#define SERVER_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, nats_test_server_setup,            \
					nats_test_server_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SERVER_TEST(test_events_reach_the_stream_in_order_per_bot),
	    SERVER_TEST(test_message_carries_subject_body_and_headers),
	    SERVER_TEST(test_same_dedup_key_is_stored_once),
	    SERVER_TEST(test_create_stream_takes_the_template_prefix),
	    SERVER_TEST(test_missing_stream_is_retried_until_it_exists),
	    SERVER_TEST(test_server_down_is_a_quick_retry),
	    SERVER_TEST(test_server_restart_mid_run_loses_nothing),
	    SERVER_TEST(test_two_instances_share_the_library),
	    cmocka_unit_test(test_user_and_password_are_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
