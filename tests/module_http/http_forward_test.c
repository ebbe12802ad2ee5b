/* The http handler through its ABI (mock host) against the test
 * downstream: what it sends, how each answer maps to OK, RETRY or FAIL,
 * Retry-After (the delay asked of a host with retry_after, whom the pause
 * holds, the module-wide hold on an older host), timeouts, connection
 * reuse, signatures and concurrency. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "downstream.h"
#include "http_modtest.h"

/* A downstream with script, and the handler pointed at it with extra
 * config members. */
struct rig {
	struct downstream ds;
	struct http_instance hi;
};

static void rig_start(struct rig *r, const struct ds_script *script,
		      const char *extra)
{
	char url[128];
	char *config;

	ds_start(&r->ds, script);
	config = hi_config(ds_url(&r->ds, url, sizeof(url)), extra);
	hi_open_ok(&r->hi, config);
	free(config);
}

static void rig_stop(struct rig *r)
{
	hi_close(&r->hi);
	ds_free(&r->ds);
}

static enum rtw_result send_chat(struct rig *r, const char *bot, int idx,
				 struct rtw_error *err)
{
	struct test_event te;
	enum rtw_result res;

	tev_chat(&te, bot, idx, (uint64_t)idx + 1);
	res = hi_handle(&r->hi, &te, err);
	tev_clear(&te);
	return res;
}

static void test_body_is_posted_as_received_with_headers(void **state)
{
	struct ds_script script = {0};
	struct rig r;
	struct test_event te;
	struct rtw_error err;

	(void)state;
	rig_start(&r, &script, ", \"headers\": [\"X-Test: forty two\"]");
	tev_chat(&te, "bot-a", 1, 1);
	assert_int_equal(hi_handle(&r.hi, &te, &err), RTW_OK);
	ds_stop(&r.ds);
	assert_int_equal(r.ds.nreq, 1);
	assert_int_equal(r.ds.req[0].len, te.len);
	assert_memory_equal(r.ds.req[0].body, te.body, te.len);
	assert_string_equal(r.ds.req[0].content_type, "application/json");
	assert_string_equal(r.ds.req[0].custom, "forty two");
	assert_string_equal(r.ds.req[0].webhook_signature, ""); /* unsigned */
	tev_clear(&te);
	rig_stop(&r);
}

static void test_answers_map_to_ok_retry_fail(void **state)
{
	static const struct {
		int status;
		enum rtw_result want;
	} cases[] = {
	    {201, RTW_OK},    {204, RTW_OK},	{408, RTW_RETRY},
	    {429, RTW_RETRY}, {500, RTW_RETRY}, {503, RTW_RETRY},
	    {599, RTW_RETRY}, {400, RTW_FAIL},	{401, RTW_FAIL},
	    {404, RTW_FAIL},  {410, RTW_FAIL},	{422, RTW_FAIL},
	    {301, RTW_FAIL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ds_script script = {.fail_count = 1,
					   .fail_status = cases[i].status,
					   .fail_body = "why\nnot"};
		struct rig r;
		struct rtw_error err;
		char want[64];
		enum rtw_result got;

		rig_start(&r, &script, "");
		got = send_chat(&r, "bot-a", 1, &err);
		if (got != cases[i].want)
			fail_msg("HTTP %d gave %d, not %d (%s)",
				 cases[i].status, got, cases[i].want,
				 err.message);
		snprintf(want, sizeof(want), "HTTP %d: why not",
			 cases[i].status);
		if (got != RTW_OK && strstr(err.message, want) == NULL)
			fail_msg("HTTP %d: reason '%s' lacks '%s'",
				 cases[i].status, err.message, want);
		rig_stop(&r);
	}
}

static void test_fail_reason_is_one_valid_utf8_line(void **state)
{
	/* A line break, a control byte, a lone continuation byte and a
	 * 3-byte sequence cut short; "é" survives. */
	struct ds_script script = {.fail_count = 1,
				   .fail_status = 400,
				   .fail_body = "a\r\nb\x01"
						"c\x80"
						"d\xc3\xa9"
						"e\xe2\x82"};
	struct rig r;
	struct rtw_error err;

	(void)state;
	rig_start(&r, &script, "");
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_FAIL);
	assert_non_null(strstr(err.message, "HTTP 400: a  b?c?d\xc3\xa9"
					    "e??"));
	rig_stop(&r);
}

static void test_long_body_is_cut_in_the_reason(void **state)
{
	char body[2000];
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 400, .fail_body = body};
	struct rig r;
	struct rtw_error err;

	(void)state;
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	rig_start(&r, &script, "");
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_FAIL);
	assert_int_equal(strlen(strchr(err.message, 'x')),
			 200); /* HTTP_SNIPPET_BYTES */
	rig_stop(&r);
}

static void test_unreachable_downstream_is_retry(void **state)
{
	struct ds_script script = {0};
	struct rig r;
	struct rtw_error err;

	(void)state;
	rig_start(&r, &script, "");
	ds_stop(&r.ds); /* nothing listens on the port any more */
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, "POST http://127.0.0.1:"));
	assert_non_null(strstr(hi_log(&r.hi), "downstream failing"));
	rig_stop(&r);
}

static void test_timeout_is_retry_then_delivered(void **state)
{
	struct ds_script script = {.delay_count = 1, .delay_ms = 1500};
	struct rig r;
	struct rtw_error err;
	int64_t t0 = ds_now_ms();

	(void)state;
	rig_start(&r, &script, ", \"timeout_ms\": 200");
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
	assert_true(ds_now_ms() - t0 < 1400); /* did not wait for the answer */
	assert_non_null(strstr(err.message, "imed out"));
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_OK);
	assert_non_null(strstr(hi_log(&r.hi), "downstream answers again"));
	rig_stop(&r);
}

/* ---- Retry-After on a host with retry_after (ABI 1.2) ------------------ */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A 429 with retry_after (and config extra) is RETRY, and the host is
 * asked once for a delay, which is returned. */
static int64_t asked_delay(const char *retry_after, const char *extra)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 429, .retry_after = retry_after};
	struct rig r;
	struct rtw_error err;
	int64_t last;

	rig_start(&r, &script, extra);
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, "HTTP 429"));
	assert_int_equal(hi_delays(&r.hi, &last), 1);
	rig_stop(&r);
	return last;
}

static void test_retry_after_seconds_is_the_asked_delay(void **state)
{
	(void)state;
	assert_int_equal(asked_delay("2", ""), 2000);
	assert_int_equal(asked_delay("2", ", \"retry_after_scope\": \"bot\""),
			 2000);
}

static void test_retry_after_http_date_is_the_asked_delay(void **state)
{
	char date[64];
	time_t when = time(NULL) + 3;
	struct tm tm;
	int64_t delay;

	(void)state;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	delay = asked_delay(date, "");
	if (delay < 1000 || delay > 3000)
		fail_msg("Retry-After: %s (in 3 s) asked %lld ms", date,
			 (long long)delay);
}

static void test_asked_delay_is_capped(void **state)
{
	(void)state;
	assert_int_equal(asked_delay("86400", ", \"max_retry_after_s\": 1"),
			 1000);
	assert_int_equal(asked_delay("86400", ", \"max_retry_after_s\": 1, "
					      "\"retry_after_scope\": \"bot\""),
			 1000);
}

/* No Retry-After, Retry-After: 0, or a cap of 0: the host's own (growing)
 * backoff, nothing asked and nothing held. */
static void test_no_delay_asked_without_a_positive_retry_after(void **state)
{
	static const struct {
		const char *retry_after, *extra;
	} cases[] = {
	    {NULL, ""},
	    {"0", ""},
	    {"5", ", \"max_retry_after_s\": 0"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ds_script script = {.fail_count = 1,
					   .fail_status = 503,
					   .retry_after = cases[i].retry_after};
		struct rig r;
		struct rtw_error err;
		int64_t last;

		rig_start(&r, &script, cases[i].extra);
		assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
		assert_int_equal(send_chat(&r, "bot-b", 1, &err), RTW_OK);
		if (hi_delays(&r.hi, &last) != 0)
			fail_msg("case %zu asked for %lld ms", i,
				 (long long)last);
		assert_int_equal(ds_count(&r.ds), 2);
		rig_stop(&r);
	}
}

/* Scope "handler" (the default): another bot's event is not sent during
 * the pause; the host is asked to offer it again when the pause ends. */
static void test_pause_holds_other_bots_until_its_end(void **state)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 429, .retry_after = "2"};
	struct rig r;
	struct rtw_error err;
	int64_t last;

	(void)state;
	rig_start(&r, &script, "");
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
	sleep_ms(300);
	assert_int_equal(send_chat(&r, "bot-b", 1, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, "Retry-After"));
	assert_int_equal(hi_delays(&r.hi, &last), 2);
	if (last < 1000 || last > 1700) /* what is left of the 2 s */
		fail_msg("bot-b asked to come back in %lld ms",
			 (long long)last);
	assert_int_equal(ds_count(&r.ds), 1); /* bot-b's was not sent */
	assert_non_null(strstr(hi_log(&r.hi), "no event of any bot"));
	sleep_ms(last + 50);
	assert_int_equal(send_chat(&r, "bot-b", 1, &err), RTW_OK);
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_OK);
	assert_int_equal(ds_count(&r.ds), 3);
	assert_int_equal(hi_delays(&r.hi, &last), 2);
	rig_stop(&r);
}

/* Scope "bot": only the answered event waits (the host keeps it asleep);
 * the module holds nothing, so other bots' events go at once. */
static void test_bot_scope_holds_no_other_bot(void **state)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 429, .retry_after = "2"};
	struct rig r;
	struct rtw_error err;
	int64_t last;

	(void)state;
	rig_start(&r, &script, ", \"retry_after_scope\": \"bot\"");
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
	assert_int_equal(send_chat(&r, "bot-b", 1, &err), RTW_OK);
	assert_int_equal(send_chat(&r, "bot-c", 1, &err), RTW_OK);
	assert_int_equal(ds_count(&r.ds), 3);
	assert_int_equal(hi_delays(&r.hi, &last), 1);
	assert_int_equal(last, 2000);
	assert_null(strstr(hi_log(&r.hi), "no event of any bot"));
	rig_stop(&r);
}

/* ---- Retry-After on an older host: the module-wide hold --------------- */

/* After a 429 with Retry-After, nothing is sent until the time is up, and
 * host->retry_after, which this host lacks, is never called. */
static void check_hold(enum mock_host_kind kind, const char *retry_after,
		       const char *extra, long hold_min_ms, long hold_max_ms)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 429, .retry_after = retry_after};
	struct rig r;
	struct rtw_error err;
	char url[128], *config;
	int64_t t0, last;

	ds_start(&r.ds, &script);
	config = hi_config(ds_url(&r.ds, url, sizeof(url)), extra);
	hi_open_host_ok(&r.hi, config, kind);
	free(config);
	assert_int_equal(send_chat(&r, "bot-a", 1, &err), RTW_RETRY);
	t0 = ds_now_ms();
	while (send_chat(&r, "bot-b", 1, &err) == RTW_RETRY) {
		assert_non_null(strstr(err.message, "Retry-After"));
		if (ds_now_ms() - t0 > hold_max_ms)
			fail_msg("still held after %ld ms", hold_max_ms);
		sleep_ms(20);
	}
	if (ds_now_ms() - t0 < hold_min_ms)
		fail_msg("sent after %lld ms, before Retry-After %s",
			 (long long)(ds_now_ms() - t0), retry_after);
	assert_int_equal(ds_count(&r.ds), 2); /* held attempts never sent */
	if (hi_delays(&r.hi, &last) != 0)
		fail_msg("host without retry_after: called with %lld ms",
			 (long long)last);
	rig_stop(&r);
}

static const enum mock_host_kind old_hosts[] = {MOCK_HOST_1_0,
						MOCK_HOST_NO_RETRY_AFTER};

static void test_old_host_retry_after_seconds_hold_events(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++)
		check_hold(old_hosts[i], "1", "", 900, 3000);
}

static void test_old_host_retry_after_http_date_holds_events(void **state)
{
	char date[64];
	time_t when = time(NULL) + 2;
	struct tm tm;

	(void)state;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	check_hold(MOCK_HOST_1_0, date, "", 500, 4000);
}

static void test_old_host_retry_after_is_capped(void **state)
{
	(void)state;
	check_hold(MOCK_HOST_1_0, "86400", ", \"max_retry_after_s\": 1", 900,
		   3000);
}

static void test_connection_is_reused(void **state)
{
	struct ds_script script = {.fail_count = 3, .fail_status = 503};
	struct rig r;
	struct rtw_error err;

	(void)state;
	rig_start(&r, &script, "");
	for (int i = 0; i < 20; i++)
		(void)send_chat(&r, "bot-a", i, &err);
	ds_stop(&r.ds);
	assert_int_equal(r.ds.nreq, 20);
	assert_int_equal(atomic_load(&r.ds.connections), 1);
	rig_stop(&r);
}

static void test_signed_requests_verify_and_keep_their_id(void **state)
{
	struct ds_script script = {
	    .fail_count = 1, .fail_status = 503, .verify_key = VECTOR_KEY};
	struct rig r;
	struct test_event te;
	struct rtw_error err;
	long long ts;

	(void)state;
	rig_start(&r, &script, ", \"signing_secret\": \"" VECTOR_SECRET "\"");
	tev_make(&te, "{\"event\":\"transcript.data\",\"data\":{}}", 9,
		 "id:msg_test_123");
	assert_int_equal(hi_handle(&r.hi, &te, &err), RTW_RETRY);
	assert_int_equal(hi_handle(&r.hi, &te, &err), RTW_OK);
	ds_stop(&r.ds);
	assert_int_equal(r.ds.nreq, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_true(r.ds.req[i].signature_ok);
		assert_string_equal(r.ds.req[i].webhook_id, "msg_test_123");
		ts = strtoll(r.ds.req[i].webhook_timestamp, NULL, 10);
		assert_true(ts > (long long)time(NULL) - 60 &&
			    ts <= (long long)time(NULL));
	}
	tev_clear(&te);
	rig_stop(&r);
}

static void test_credentials_are_sent_but_never_shown(void **state)
{
	struct ds_script script = {.fail_count = 2, .fail_status = 500};
	struct http_instance hi;
	struct downstream ds;
	struct test_event te;
	struct rtw_error err;
	char config[256];

	(void)state;
	ds_start(&ds, &script);
	snprintf(config, sizeof(config),
		 "{\"url\": \"http://alice:pa55word@127.0.0.1:%d/h?k=v\"}",
		 ds.port);
	hi_open_ok(&hi, config);
	tev_chat(&te, "bot-a", 1, 1);
	assert_int_equal(hi_handle(&hi, &te, &err), RTW_RETRY);
	assert_null(strstr(err.message, "pa55word"));
	assert_non_null(strstr(err.message, "http://***:***@127.0.0.1"));
	ds_stop(&ds);
	assert_int_equal(hi_handle(&hi, &te, &err), RTW_RETRY);
	assert_null(strstr(err.message, "pa55word"));
	assert_null(strstr(hi_log(&hi), "pa55word"));
	/* libcurl sent them as Basic auth: alice:pa55word */
	assert_string_equal(ds.req[0].authorization,
			    "Basic YWxpY2U6cGE1NXdvcmQ=");
	tev_clear(&te);
	hi_close(&hi);
	ds_free(&ds);
}

struct worker_arg {
	struct rig *r;
	char bot[16];
	int ok;
};

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	struct rtw_error err;

	for (int i = 0; i < 25; i++)
		w->ok += send_chat(w->r, w->bot, i, &err) == RTW_OK;
	return NULL;
}

static void test_concurrent_handles_share_a_bounded_pool(void **state)
{
	struct ds_script script = {.every_delay_ms = 2};
	struct worker_arg w[4];
	pthread_t t[4];
	struct rig r;

	(void)state;
	rig_start(&r, &script, "");
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker_arg){.r = &r};
		snprintf(w[i].bot, sizeof(w[i].bot), "bot-%d", i);
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 25);
	}
	ds_stop(&r.ds);
	assert_int_equal(r.ds.nreq, 100);
	assert_true(atomic_load(&r.ds.max_in_flight) >= 2);
	assert_true(atomic_load(&r.ds.connections) <= 4);
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_body_is_posted_as_received_with_headers),
	    cmocka_unit_test(test_answers_map_to_ok_retry_fail),
	    cmocka_unit_test(test_fail_reason_is_one_valid_utf8_line),
	    cmocka_unit_test(test_long_body_is_cut_in_the_reason),
	    cmocka_unit_test(test_unreachable_downstream_is_retry),
	    cmocka_unit_test(test_timeout_is_retry_then_delivered),
	    cmocka_unit_test(test_retry_after_seconds_is_the_asked_delay),
	    cmocka_unit_test(test_retry_after_http_date_is_the_asked_delay),
	    cmocka_unit_test(test_asked_delay_is_capped),
	    cmocka_unit_test(
		test_no_delay_asked_without_a_positive_retry_after),
	    cmocka_unit_test(test_pause_holds_other_bots_until_its_end),
	    cmocka_unit_test(test_bot_scope_holds_no_other_bot),
	    cmocka_unit_test(test_old_host_retry_after_seconds_hold_events),
	    cmocka_unit_test(test_old_host_retry_after_http_date_holds_events),
	    cmocka_unit_test(test_old_host_retry_after_is_capped),
	    cmocka_unit_test(test_connection_is_reused),
	    cmocka_unit_test(test_signed_requests_verify_and_keep_their_id),
	    cmocka_unit_test(test_credentials_are_sent_but_never_shown),
	    cmocka_unit_test(test_concurrent_handles_share_a_bounded_pool),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
