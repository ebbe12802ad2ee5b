/* The nats module's batching (a host of ABI 1.2): handle() publishes
 * without waiting and answers RTW_PENDING; flush() answers OK only once
 * JetStream acknowledged every event of the batch. A flush that cannot
 * confirm them (server gone, restarted) answers RETRY and sends the batch
 * again; JetStream's dedup by Nats-Msg-Id keeps one message per event.
 * Against a real nats-server with JetStream. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "js_read.h"
#include "nats_modtest.h"
#include "nats_server.h"

#define STREAM "RECALL"

static void open_batching(struct nats_instance *ni,
			  const struct nats_server *s, const char *extra)
{
	char conf[1024];

	snprintf(conf, sizeof(conf),
		 "{\"url\":\"%s\",\"stream\":\"" STREAM "\","
		 "\"create_stream\":true,\"reconnect_wait_ms\":50,"
		 "\"publish_timeout_ms\":1000%s%s}",
		 s->url, extra[0] != '\0' ? "," : "", extra);
	nats_open_batching_ok(ni, conf);
}

/* Hands over bot's event idx (seq): RTW_PENDING expected. */
static void pending(struct nats_instance *ni, const char *bot, int idx,
		    uint64_t seq)
{
	struct rtw_error err = {{0}};
	struct nats_test_event te;
	enum rtw_result r;

	nats_event_chat(&te, bot, idx, seq);
	r = nats_handle(ni, &te, &err);
	nats_event_clear(&te); /* the module must have its own copy */
	if (r != RTW_PENDING)
		fail_msg("handle(%s:%d) answered %d, not RTW_PENDING: %s", bot,
			 idx, (int)r, err.message);
}

static void flush_ok(struct nats_instance *ni)
{
	struct rtw_error err = {{0}};

	if (nats_flush(ni, &err) != RTW_OK)
		fail_msg("flush answered RETRY: %s", err.message);
}

/* A batching instance whose first event (bot-a's 0) is confirmed: the
 * connection and the stream are known to work. */
static void open_with_one_confirmed(struct nats_instance *ni,
				    const struct nats_server *s)
{
	open_batching(ni, s, "");
	pending(ni, "bot-a", 0, 1);
	flush_ok(ni);
}

/* Flushes every 50 ms until a flush confirms the batch (at most 20 s). */
static void flush_until_confirmed(struct nats_instance *ni)
{
	struct rtw_error err = {{0}};
	enum rtw_result r = RTW_RETRY;

	for (int i = 0; i < 400 && r == RTW_RETRY; i++) {
		r = nats_flush(ni, &err);
		if (r == RTW_RETRY)
			nats_sleep_ms(50);
	}
	if (r != RTW_OK)
		fail_msg("the batch was never confirmed: %s", err.message);
}

static void a_flush_confirms_the_whole_batch_in_order(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct js_message *m;
	size_t n;

	open_batching(&ni, s, "");
	for (int i = 0; i < 600; i++)
		pending(&ni, i % 2 ? "bot-b" : "bot-a", i / 2, (uint64_t)i + 1);
	flush_ok(&ni);
	flush_ok(&ni); /* an empty batch */
	nats_close(&ni);
	m = js_read_all(s->url, STREAM, &n);
	assert_int_equal(n, 600);
	nats_check_bot_order(m, n, "bot-a", 300);
	nats_check_bot_order(m, n, "bot-b", 300);
	js_messages_free(m, n);
}

/* The server dies with the batch unconfirmed: RETRY; once it is back
 * (its stream kept on disk), flushes send the batch again until one
 * confirms it, and each event is in the stream once. */
static void an_unconfirmed_batch_is_sent_again(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct rtw_error err = {{0}};
	struct js_message *m;
	size_t n;

	open_with_one_confirmed(&ni, s);
	for (int i = 1; i < 50; i++)
		pending(&ni, "bot-a", i, (uint64_t)i + 1);
	nats_server_kill(s, SIGKILL);
	assert_int_equal(nats_flush(&ni, &err), RTW_RETRY);
	assert_true(err.message[0] != '\0');
	assert_int_equal(nats_server_restart(s), 0);
	flush_until_confirmed(&ni);
	nats_close(&ni);
	m = js_read_all(s->url, STREAM, &n);
	assert_int_equal(n, 50);
	nats_check_bot_order(m, n, "bot-a", 50);
	js_messages_free(m, n);
}

/* A batch sent twice (a crash after the flush, before the host saved its
 * progress) leaves one message per event: Nats-Msg-Id. */
static void a_batch_offered_again_adds_no_message(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct js_message *m;
	size_t n;

	for (int round = 0; round < 2; round++) {
		open_batching(&ni, s, "");
		for (int i = 0; i < 20; i++)
			pending(&ni, "bot-a", i, (uint64_t)i + 1);
		flush_ok(&ni);
		nats_close(&ni);
	}
	m = js_read_all(s->url, STREAM, &n);
	assert_int_equal(n, 20);
	nats_check_bot_order(m, n, "bot-a", 20);
	js_messages_free(m, n);
}

/* With the server down at handle(), nothing is taken: RETRY at once. */
static void no_connection_is_a_retry_not_a_pending(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct rtw_error err = {{0}};
	struct nats_test_event te;

	open_with_one_confirmed(&ni, s);
	nats_server_kill(s, SIGKILL);
	nats_sleep_ms(200);
	nats_event_chat(&te, "bot-a", 1, 2);
	assert_int_equal(nats_handle(&ni, &te, &err), RTW_RETRY);
	nats_event_clear(&te);
	assert_int_equal(nats_flush(&ni, &err), RTW_OK); /* nothing pending */
	nats_close(&ni);
}

static void batch_false_answers_each_event_at_once(void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;

	open_batching(&ni, s, "\"batch\":false");
	nats_handle_ok(&ni, "bot-a", 0, 1);
	nats_close(&ni);
	assert_int_equal(js_stream_count(s->url, STREAM), 1);
}

/* Hands over bot-a's event idx until the module takes it (PENDING), for
 * at most 10 s: RETRY while it has no connection. */
static void pending_once_connected(struct nats_instance *ni, int idx)
{
	struct rtw_error err = {{0}};
	struct nats_test_event te;
	enum rtw_result r = RTW_RETRY;

	nats_event_chat(&te, "bot-a", idx, (uint64_t)idx + 1);
	for (int i = 0; i < 500 && r == RTW_RETRY; i++) {
		r = nats_handle(ni, &te, &err);
		if (r == RTW_RETRY)
			nats_sleep_ms(20);
	}
	nats_event_clear(&te);
	if (r != RTW_PENDING)
		fail_msg("handle(bot-a:%d) answered %d: %s", idx, (int)r,
			 err.message);
}

/* A batch lost with its connection: the server (stopped, so that it
 * reads nothing more) dies with the batch unread in its socket. The flush
 * cannot even reach it; once the server is back, the host hands over the
 * next event before it flushes again (allowed: another worker may). That
 * event must not reach the stream before the lost ones: the module sends
 * the batch again on the new connection first. Before, the next event
 * went out at once, and the lost ones landed after it. */
static void a_batch_lost_with_its_connection_stays_before_the_next_event(
    void **state)
{
	struct nats_server *s = *state;
	struct nats_instance ni;
	struct rtw_error err = {{0}};
	struct js_message *m;
	size_t n;

	open_with_one_confirmed(&ni, s);
	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	for (int i = 1; i < 10; i++)
		pending(&ni, "bot-a", i, (uint64_t)i + 1);
	nats_sleep_ms(100); /* libnats' flusher has written them out */
	nats_server_kill(s, SIGKILL);
	nats_sleep_ms(200); /* the module has seen the connection drop */
	assert_int_equal(nats_flush(&ni, &err), RTW_RETRY);
	assert_int_equal(nats_server_restart(s), 0);
	pending_once_connected(&ni, 10);
	flush_until_confirmed(&ni);
	nats_close(&ni);
	m = js_read_all(s->url, STREAM, &n);
	nats_check_bot_order(m, n, "bot-a", 11);
	assert_int_equal(n, 11);
	js_messages_free(m, n);
}

#define SERVER_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, nats_test_server_setup,            \
					nats_test_server_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SERVER_TEST(a_flush_confirms_the_whole_batch_in_order),
	    SERVER_TEST(an_unconfirmed_batch_is_sent_again),
	    SERVER_TEST(a_batch_offered_again_adds_no_message),
	    SERVER_TEST(no_connection_is_a_retry_not_a_pending),
	    SERVER_TEST(batch_false_answers_each_event_at_once),
	    SERVER_TEST(
		a_batch_lost_with_its_connection_stays_before_the_next_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
