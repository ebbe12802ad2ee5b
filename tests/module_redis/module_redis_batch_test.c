/* The redis module's batching (a host of ABI 1.2): handle() answers
 * RTW_PENDING and writes nothing; flush() sends the batch in one
 * pipelined round trip and answers OK only once every entry is in. A
 * flush that fails keeps what did not get in, in order, for the next
 * one; nothing is lost or doubled. Against a real redis-server. */
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

static void open_batching(struct redis_instance *ri,
			  const struct redis_server *s, const char *extra)
{
	char conf[1024];

	snprintf(conf, sizeof(conf), "{\"url\": \"redis://127.0.0.1:%d\"%s%s}",
		 s->port, extra ? ", " : "", extra ? extra : "");
	redis_open_batching_ok(ri, conf);
}

/* Hands over bot's event idx (seq), which must be taken into the batch. */
static void pending(struct redis_instance *ri, const char *bot, int idx,
		    uint64_t seq)
{
	struct rtw_error err = {{0}};
	struct test_event te;
	enum rtw_result r;

	test_event_chat(&te, bot, idx, seq);
	r = redis_handle(ri, &te, &err);
	test_event_clear(&te); /* the module must have its own copy */
	if (r != RTW_PENDING)
		fail_msg("handle(%s:%d) answered %d, not RTW_PENDING: %s", bot,
			 idx, (int)r, err.message);
}

static void flush_ok(struct redis_instance *ri)
{
	struct rtw_error err = {{0}};

	if (redis_flush(ri, &err) != RTW_OK)
		fail_msg("flush answered RETRY: %s", err.message);
}

static void nothing_is_written_before_the_flush_then_all_in_order(
	void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;

	open_batching(&ri, s, NULL);
	for (int i = 0; i < 300; i++)
		pending(&ri, i % 2 ? "bot-b" : "bot-a", i / 2, (uint64_t)i + 1);
	assert_int_equal(redis_server_xlen(s, "recall:bot-a"), 0);
	flush_ok(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 150);
	redis_expect_range(s, 0, "recall:bot-b", "bot-b", 0, 150);
	flush_ok(&ri); /* an empty batch */
	redis_close(&ri);
}

/* The server is gone at the flush: RETRY, the batch is kept; once the
 * server is back a later flush puts it in, once. */
static void a_failed_flush_keeps_the_batch(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct rtw_error err = {{0}};
	enum rtw_result r = RTW_RETRY;

	open_batching(&ri, s, NULL);
	pending(&ri, "bot-a", 0, 1);
	flush_ok(&ri);
	pending(&ri, "bot-a", 1, 2);
	pending(&ri, "bot-a", 2, 3);
	redis_server_kill(s, SIGKILL);
	assert_int_equal(redis_flush(&ri, &err), RTW_RETRY);
	assert_true(err.message[0] != '\0');
	pending(&ri, "bot-a", 3, 4); /* added while the batch waits */
	assert_int_equal(redis_server_restart(s), 0);
	for (int i = 0; i < 200 && r == RTW_RETRY; i++) {
		struct timespec pause = {0, 50 * 1000000};

		r = redis_flush(&ri, &err);
		if (r == RTW_RETRY)
			nanosleep(&pause, NULL);
	}
	assert_int_equal(r, RTW_OK);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 4);
}

/* One entry Redis refuses for good (its key holds a string): the flush
 * answers RETRY naming it. The pipelined entries around it went in (each
 * bot's stream stays in order); once the key is fixed the refused one
 * goes in, and the resent others add nothing (their guards). */
static void a_refused_entry_holds_the_batch_until_fixed(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct rtw_error err = {{0}};

	freeReplyObject(redis_server_command(s, "SET recall:bot-x plain"));
	open_batching(&ri, s, NULL);
	pending(&ri, "bot-a", 0, 1);
	pending(&ri, "bot-x", 0, 2);
	pending(&ri, "bot-a", 1, 3);
	assert_int_equal(redis_flush(&ri, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, "WRONGTYPE"));
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 2);
	assert_int_equal(redis_flush(&ri, &err), RTW_RETRY);
	freeReplyObject(redis_server_command(s, "DEL recall:bot-x"));
	flush_ok(&ri);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 2);
	redis_expect_range(s, 0, "recall:bot-x", "bot-x", 0, 1);
}

static void a_lost_script_cache_is_reloaded_within_the_flush(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;

	open_batching(&ri, s, NULL);
	pending(&ri, "bot-a", 0, 1);
	flush_ok(&ri);
	freeReplyObject(redis_server_command(s, "SCRIPT FLUSH"));
	pending(&ri, "bot-a", 1, 2);
	pending(&ri, "bot-a", 2, 3);
	flush_ok(&ri);
	redis_close(&ri);
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 3);
}

/* A batch sent twice (a crash after the flush, before the host saved its
 * progress) adds nothing the second time: the guard keys. */
static void a_batch_offered_again_adds_no_entry(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;

	for (int round = 0; round < 2; round++) {
		open_batching(&ri, s, NULL);
		for (int i = 0; i < 5; i++)
			pending(&ri, "bot-a", i, (uint64_t)i + 1);
		flush_ok(&ri);
		redis_close(&ri);
	}
	redis_expect_range(s, 0, "recall:bot-a", "bot-a", 0, 5);
}

static void batch_false_answers_each_event_at_once(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;

	open_batching(&ri, s, "\"batch\": false");
	redis_handle_ok(&ri, "bot-a", 0, 1);
	assert_int_equal(redis_server_xlen(s, "recall:bot-a"), 1);
	redis_close(&ri);
}

/* workers = N: handle() adds from several threads while flushes run. */
struct adder {
	struct redis_instance *ri;
	char bot[32];
};

static void *add_events(void *p)
{
	struct adder *a = p;

	for (int i = 0; i < 500; i++)
		pending(a->ri, a->bot, i, (uint64_t)i + 1);
	return NULL;
}

static void workers_add_while_flushes_run(void **state)
{
	struct redis_server *s = *state;
	struct redis_instance ri;
	struct adder a[4];
	pthread_t t[4];
	char stream[64];

	open_batching(&ri, s, NULL);
	for (int i = 0; i < 4; i++) {
		a[i] = (struct adder){.ri = &ri};
		snprintf(a[i].bot, sizeof(a[i].bot), "bot-%d", i);
		assert_int_equal(pthread_create(&t[i], NULL, add_events, &a[i]),
				 0);
	}
	for (int i = 0; i < 20; i++)
		flush_ok(&ri);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	flush_ok(&ri);
	redis_close(&ri);
	for (int i = 0; i < 4; i++) {
		snprintf(stream, sizeof(stream), "recall:%s", a[i].bot);
		redis_expect_range(s, 0, stream, a[i].bot, 0, 500);
	}
}

#define SERVER_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, redis_test_server_setup,           \
					redis_test_server_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SERVER_TEST(nothing_is_written_before_the_flush_then_all_in_order),
	    SERVER_TEST(a_failed_flush_keeps_the_batch),
	    SERVER_TEST(a_refused_entry_holds_the_batch_until_fixed),
	    SERVER_TEST(a_lost_script_cache_is_reloaded_within_the_flush),
	    SERVER_TEST(a_batch_offered_again_adds_no_entry),
	    SERVER_TEST(batch_false_answers_each_event_at_once),
	    SERVER_TEST(workers_add_while_flushes_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
