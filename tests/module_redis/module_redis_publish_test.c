/* The redis module against a real redis-server (one per test), through
 * its ABI with a mock host: what lands in the streams, in what order,
 * once per event across re-deliveries, and the answers it gives when the
 * server refuses or is gone. */
#include <pthread.h>
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

#include "redis_module.h"
#include "redis_server.h"
#include "redis_stream.h"

static void open_on(struct redis_instance *ri, const struct redis_server *s,
		    const char *extra)
{
	char conf[1024];

	snprintf(conf, sizeof(conf), "{\"url\": \"redis://127.0.0.1:%d\"%s%s}",
		 s->port, extra ? ", " : "", extra ? extra : "");
	redis_open_ok(ri, conf);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void each_bot_has_its_stream_in_order(void **state)
{
	struct redis_server *s = *state;
	static const char *const bots[] = {"bot-a", "bot-b", "bot-c"};
	struct redis_instance ri;
	uint64_t seq = 1;

	open_on(&ri, s, NULL);
	for (int i = 0; i < 20; i++)
		for (int b = 0; b < 3; b++)
			redis_handle_ok(&ri, bots[b], i, seq++);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 20);
	redis_expect_range(s, 0, "recall:bot-b", "bot-b", 0, 20);
	redis_expect_range(s, 0, "recall:bot-c", "bot-c", 0, 20);
}

static void entry_holds_type_seq_key_and_the_body_as_received(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct rtw_error err = {{0}};
	struct test_event te;
	struct stream_entry *e;
	size_t n;

	open_on(&ri, s, NULL);
	test_event_chat(&te, "bot-a", 7, 42);
	assert_int_equal(redis_handle(&ri, &te, &err), RTW_OK);
	e = stream_read(s, 0, "recall:bot-a", &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].event, "participant_events.chat_message");
	assert_string_equal(e[0].bot_id, "bot-a");
	assert_string_equal(e[0].seq, "42");
	assert_string_equal(e[0].key, "id:bot-a-7");
	assert_string_equal(e[0].json, te.body);
	stream_entries_free(e, n);
	test_event_clear(&te);
	redis_close(&ri);
}

/* After a crash the host offers again events the module had finished. */
static void redelivery_after_restart_adds_no_entry(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;

	open_on(&ri, s, NULL);
	for (int i = 0; i < 3; i++)
		redis_handle_ok(&ri, "bot-a", i, (uint64_t)i + 1);
	redis_close(&ri);
	open_on(&ri, s, NULL); /* the daemon's next life */
	for (int i = 1; i < 4; i++)
		redis_handle_ok(&ri, "bot-a", i, (uint64_t)i + 1);
	assert_non_null(strstr(ri.mock.last_log, "not added again"));
	assert_int_equal(ri.mock.nlogs, 2);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 4);
}

/* A sender retry that reached two rtwebhookd instances: other seqs, the
 * same dedup key, one entry. */
static void same_key_from_two_instances_gives_one_entry(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance a, b;

	open_on(&a, s, NULL);
	open_on(&b, s, NULL);
	redis_handle_ok(&a, "bot-a", 0, 10);
	redis_handle_ok(&b, "bot-a", 0, 977);
	redis_close(&a);
	redis_close(&b);
	assert_int_equal(redis_server_xlen(s, "recall:bot-a"), 1);
}

static void guard_key_expires_after_dedup_ttl(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	redisReply *r;

	open_on(&ri, s, "\"dedup_ttl_s\": 120");
	redis_handle_ok(&ri, "bot-a", 0, 1);
	redis_close(&ri);
	r = redis_server_command(s, "TTL %s",
				 "rtw:seen:{recall:bot-a}:id:bot-a-0");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	assert_in_range(r->integer, 100, 120);
	freeReplyObject(r);
}

/* dedup_ttl_s = 0: no guard keys, at-least-once (documented). */
static void without_guard_redelivery_adds_again(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	redisReply *r;

	open_on(&ri, s, "\"dedup_ttl_s\": 0");
	redis_handle_ok(&ri, "bot-a", 0, 1);
	redis_handle_ok(&ri, "bot-a", 0, 1);
	redis_close(&ri);
	assert_int_equal(redis_server_xlen(s, "recall:bot-a"), 2);
	r = redis_server_command(s, "KEYS rtw:seen:*");
	assert_int_equal(r->elements, 0);
	freeReplyObject(r);
}

static void maxlen_trims_the_stream_about_there(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	long long len;

	open_on(&ri, s, "\"maxlen\": 100, \"stream\": \"all\"");
	for (int i = 0; i < 1000; i++)
		redis_handle_ok(&ri, "bot-a", i, (uint64_t)i + 1);
	redis_close(&ri);
	len = redis_server_xlen(s, "all");
	/* "~": whole macro nodes (100 entries by default) are dropped. */
	if (len < 100 || len > 300)
		fail_msg("XLEN %lld after 1000 events with maxlen 100", len);
}

static void database_and_unix_socket_from_the_url(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	char conf[512];

	snprintf(conf, sizeof(conf), "{\"url\": \"unix:%s\", \"database\": 5}",
		 s->socket);
	redis_open_ok(&ri, conf);
	redis_handle_ok(&ri, "bot-a", 0, 1);
	redis_close(&ri);
	snprintf(conf, sizeof(conf), "{\"url\": \"redis://127.0.0.1:%d/6\"}",
		 s->port);
	redis_open_ok(&ri, conf);
	redis_handle_ok(&ri, "bot-a", 1, 2);
	redis_close(&ri);
	redis_expect_range(s, 5, "recall:bot-a", "bot-a", 0, 1);
	redis_expect_range(s, 6, "recall:bot-a", "bot-a", 1, 1);
	assert_int_equal(redis_server_xlen(s, "recall:bot-a"), 0); /* db 0 */
}

static void acl_user_and_password_authenticate(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct rtw_error err = {{0}};
	struct test_event te;
	redisReply *r = redis_server_command(
	    s, "ACL SETUSER rtw on >pw-1 ~recall:* ~rtw:seen:* +@all");

	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	open_on(&ri, s, "\"username\": \"rtw\", \"password\": \"pw-1\"");
	redis_handle_ok(&ri, "bot-a", 0, 1);
	redis_close(&ri);
	/* A wrong password: RETRY (the operator fixes it; nothing is lost),
	 * with a reason that does not hold the password. */
	open_on(&ri, s, "\"username\": \"rtw\", \"password\": \"wrong-pw\"");
	test_event_chat(&te, "bot-a", 1, 2);
	assert_int_equal(redis_handle(&ri, &te, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, "AUTH"));
	assert_null(strstr(err.message, "wrong-pw"));
	test_event_clear(&te);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 1);
}

/* Connection loss: RETRY at once (no long block in handle), reconnect
 * with backoff once the server is back, nothing written twice or lost. */
static void server_down_retries_fast_then_recovers(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct rtw_error err = {{0}};
	struct test_event te;
	enum rtw_result r = RTW_RETRY;
	int64_t t0;

	open_on(&ri, s, NULL);
	redis_handle_ok(&ri, "bot-a", 0, 1);
	redis_server_kill(s, SIGKILL);
	test_event_chat(&te, "bot-a", 1, 2);
	for (int i = 0; i < 5; i++) {
		t0 = now_ms();
		assert_int_equal(redis_handle(&ri, &te, &err), RTW_RETRY);
		if (now_ms() - t0 > 500)
			fail_msg("handle blocked %lld ms with the server down",
				 (long long)(now_ms() - t0));
	}
	assert_int_equal(redis_server_restart(s), 0);
	t0 = now_ms();
	while (r == RTW_RETRY && now_ms() - t0 < 10000) {
		r = redis_handle(&ri, &te, &err);
		if (r == RTW_RETRY) {
			struct timespec ts = {0, 50 * 1000000};

			nanosleep(&ts, NULL);
		}
	}
	assert_int_equal(r, RTW_OK);
	test_event_clear(&te);
	redis_handle_ok(&ri, "bot-a", 2, 3);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 3);
}

static void flushed_script_cache_is_reloaded(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;

	open_on(&ri, s, NULL);
	redis_handle_ok(&ri, "bot-a", 0, 1);
	freeReplyObject(redis_server_command(s, "SCRIPT FLUSH"));
	redis_handle_ok(&ri, "bot-a", 1, 2);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 2);
}

static void key_of_another_type_fails_only_that_bot(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct rtw_error err = {{0}};
	struct test_event te;

	freeReplyObject(redis_server_command(s, "SET recall:bot-x plain"));
	open_on(&ri, s, NULL);
	test_event_chat(&te, "bot-x", 0, 1);
	assert_int_equal(redis_handle(&ri, &te, &err), RTW_FAIL);
	assert_non_null(strstr(err.message, "WRONGTYPE"));
	test_event_clear(&te);
	redis_handle_ok(&ri, "bot-a", 0, 2);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 1);
}

static void hostile_and_absent_bot_ids_get_encoded_names(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	redisReply *r;

	open_on(&ri, s, NULL);
	redis_handle_ok(&ri, "x}:*{y z", 0, 1);
	redis_handle_ok(&ri, NULL, 0, 2);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:x%7D%3A%2A%7By%20z", "x}:*{y z", 0, 1);
	assert_int_equal(redis_server_xlen(s, "recall:%none"), 1);
	r = redis_server_command(s, "KEYS recall:*");
	assert_int_equal(r->elements, 2); /* nothing else was created */
	freeReplyObject(r);
}

/* workers = N: the host calls handle from N threads, each for its own
 * bots. Every bot's stream ends up complete and in order. */
struct worker_arg {
	struct redis_instance *ri;
	char bot[32];
	int failures;
};

static void *worker(void *p)
{
	struct worker_arg *w = p;

	for (int i = 0; i < 200; i++) {
		struct rtw_error err = {{0}};
		struct test_event te;

		test_event_chat(&te, w->bot, i, (uint64_t)i);
		while (redis_handle(w->ri, &te, &err) != RTW_OK)
			w->failures++;
		test_event_clear(&te);
	}
	return NULL;
}

static void workers_share_the_handler_safely(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct worker_arg w[6];
	pthread_t t[6];
	char stream[64];

	open_on(&ri, s, NULL);
	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker_arg){.ri = &ri};
		snprintf(w[i].bot, sizeof(w[i].bot), "bot-%d", i);
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	redis_close(&ri);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(w[i].failures, 0);
		snprintf(stream, sizeof(stream), "recall:%s", w[i].bot);
		redis_expect_range(s, 0, stream, w[i].bot, 0, 200);
	}
}

#define SERVER_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, redis_test_server_setup,           \
					redis_test_server_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SERVER_TEST(each_bot_has_its_stream_in_order),
	    SERVER_TEST(entry_holds_type_seq_key_and_the_body_as_received),
	    SERVER_TEST(redelivery_after_restart_adds_no_entry),
	    SERVER_TEST(same_key_from_two_instances_gives_one_entry),
	    SERVER_TEST(guard_key_expires_after_dedup_ttl),
	    SERVER_TEST(without_guard_redelivery_adds_again),
	    SERVER_TEST(maxlen_trims_the_stream_about_there),
	    SERVER_TEST(database_and_unix_socket_from_the_url),
	    SERVER_TEST(acl_user_and_password_authenticate),
	    SERVER_TEST(server_down_retries_fast_then_recovers),
	    SERVER_TEST(flushed_script_cache_is_reloaded),
	    SERVER_TEST(key_of_another_type_fails_only_that_bot),
	    SERVER_TEST(hostile_and_absent_bot_ids_get_encoded_names),
	    SERVER_TEST(workers_share_the_handler_safely),
	};

	/* As the daemon does (src/main.c): hiredis 0.14 writes with write(),
	 * so a write to a server that just died raises SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
