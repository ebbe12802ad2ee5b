/* The failed-authentication limit over real HTTP, one client (peer
 * 127.0.0.1, no proxies) and auth_failures_per_minute = 3: wrong tokens
 * and bad signatures are answered 401 until the limit, then 429 until the
 * minute ends, except to a valid token (or, on a signature-only endpoint,
 * a valid signature). Every test also checks (in its
 * teardown) that no token or signing secret reached the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sec_util.h"

#define LIMIT 3
#define CROSSING_WARNING "127.0.0.1 passed 3 failed authentications"

static const char config[] =
	"limits = { auth_failures_per_minute = 3; };\n" SEC_ENDPOINT_OPEN
	"  },\n" SEC_SIGNED_ENDPOINT ");\n" SEC_HANDLERS;

#define JOIN_EVENT                                                             \
	"{\"event\":\"participant_events.join\",\"data\":{\"data\":{}}}"

/* POSTs JOIN_EVENT to /signed, signed with key (the raw HMAC key). */
static long post_signed(const struct daemon *d, const char *key)
{
	static int n;
	char id[64], ts[32], sig[64], h_id[96], h_ts[64], h_sig[96];
	const char *headers[4] = {h_id, h_ts, h_sig, NULL};
	struct http_request req = {.target = "/signed",
				   .content_type = "application/json",
				   .body = JOIN_EVENT,
				   .body_len = strlen(JOIN_EVENT),
				   .headers = headers,
				   .timeout_s = 5};
	struct http_reply rep;
	long status;

	snprintf(id, sizeof(id), "msg_sec_%d_%ld", ++n, (long)getpid());
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	assert_int_equal(harness_sign(key, id, ts, JOIN_EVENT,
				      strlen(JOIN_EVENT), sig),
			 0);
	snprintf(h_id, sizeof(h_id), "webhook-id: %s", id);
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
	http_send(d->port, &req, &rep);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

static long post_badly_signed(const struct daemon *d)
{
	return post_signed(d, "not-the-signing-key");
}

/* LIMIT failures on the token endpoint, each answered 401. */
static void fail_tokens_up_to_the_limit(const struct daemon *d)
{
	for (int i = 1; i <= LIMIT; i++)
		if (sec_post(d, SEC_BAD, NULL) != 401)
			fail_msg("wrong token %d of %d not answered 401", i,
				 LIMIT);
}

static void wrong_tokens_get_401_up_to_the_limit_then_429(void **state)
{
	static const long expected[] = {401, 401, 401, 429, 429};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++) {
		long status = sec_post(d, SEC_BAD, NULL);

		if (status != expected[i])
			fail_msg("wrong token %zu: %ld, expected %ld", i + 1,
				 status, expected[i]);
	}
}

static void a_blocked_client_presenting_the_right_token_gets_200(
	void **state)
{
	struct daemon *d = *state;

	fail_tokens_up_to_the_limit(d);
	assert_int_equal(sec_post(d, SEC_BAD, NULL), 429);
	assert_int_equal(sec_post(d, SEC_GOOD, NULL), 200);
	/* The valid token lifts nothing: wrong ones are still refused. */
	assert_int_equal(sec_post(d, SEC_BAD, NULL), 429);
}

static void a_missing_token_counts_as_a_failure(void **state)
{
	struct daemon *d = *state;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(sec_post(d, SEC_PATH, NULL), 401);
	assert_int_equal(sec_post(d, SEC_PATH, NULL), 429);
}

static void crossing_the_limit_logs_one_warning_naming_the_client(
	void **state)
{
	struct daemon *d = *state;

	assert_int_equal(sec_log_lines(d, "failed authentications"), 0);
	fail_tokens_up_to_the_limit(d);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sec_post(d, SEC_BAD, NULL), 429);
	assert_int_equal(sec_wait_lines_with(d, CROSSING_WARNING, "warning",
					     1, 2000),
			 1);
	/* Once per crossing, not once per refused request. */
	assert_int_equal(sec_log_lines(d, "failed authentications in a"), 1);
}

static void every_refusal_is_logged_with_its_status_and_client(void **state)
{
	struct daemon *d = *state;

	fail_tokens_up_to_the_limit(d);
	assert_int_equal(sec_post(d, SEC_BAD, NULL), 429);
	assert_int_equal(sec_wait_lines_with(d, "rejected 401 POST " SEC_PATH
						" from 127.0.0.1",
					     NULL, LIMIT, 2000),
			 LIMIT);
	assert_int_equal(sec_wait_lines_with(d, "rejected 429 POST " SEC_PATH
						" from 127.0.0.1",
					     "too many failed", 1, 2000),
			 1);
}

static void bad_signatures_count_towards_the_limit(void **state)
{
	static const long expected[] = {401, 401, 401, 429};
	struct daemon *d = *state;

	/* The signer is right: a correctly signed event is accepted. */
	assert_int_equal(post_signed(d, SEC_SIGNING_KEY), 200);
	for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++) {
		long status = post_badly_signed(d);

		if (status != expected[i])
			fail_msg("bad signature %zu: %ld, expected %ld", i + 1,
				 status, expected[i]);
	}
}

/* The body is never sent: a server that read it before answering would
 * leave this request unanswered. */
static void a_blocked_client_gets_429_before_its_body_is_read(void **state)
{
	static const char head[] =
		"POST /signed HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Type: application/json\r\nContent-Length: 50000\r\n"
		"webhook-id: msg_never_sent\r\nwebhook-timestamp: 1\r\n"
		"webhook-signature: v1,AAAA\r\n\r\n";
	struct daemon *d = *state;
	char reply[4096];
	int fd;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(post_badly_signed(d), 401);
	fd = raw_connect(d->port);
	assert_true(fd >= 0);
	assert_int_equal(raw_send(fd, head, strlen(head)), 0);
	raw_read_reply(fd, reply, sizeof(reply), 3000);
	close(fd);
	assert_int_equal(raw_status(reply), 429);
}

/* On a signature-only endpoint a valid signature lifts the block: Recall
 * sends from shared addresses, so the failures of someone sharing them
 * must not get Recall's signed events refused (its feed dies after a
 * minute of refusals). A blocked client's bad signature is still 429. */
static void a_blocked_client_with_a_valid_signature_gets_200(void **state)
{
	struct daemon *d = *state;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(post_badly_signed(d), 401);
	assert_int_equal(post_signed(d, SEC_SIGNING_KEY), 200);
	assert_int_equal(post_badly_signed(d), 429);
	assert_int_equal(post_signed(d, SEC_SIGNING_KEY), 200);
}

static void failures_on_one_endpoint_block_the_client_on_every_endpoint(
	void **state)
{
	struct daemon *d = *state;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(post_badly_signed(d), 401);
	assert_int_equal(sec_post(d, SEC_BAD, NULL), 429);
}

int main(void)
{
#define T(f)                                                                   \
	cmocka_unit_test_prestate_setup_teardown(f, sec_setup, sec_teardown,   \
						 (void *)config)
	const struct CMUnitTest tests[] = {
		T(wrong_tokens_get_401_up_to_the_limit_then_429),
		T(a_blocked_client_presenting_the_right_token_gets_200),
		T(a_missing_token_counts_as_a_failure),
		T(crossing_the_limit_logs_one_warning_naming_the_client),
		T(every_refusal_is_logged_with_its_status_and_client),
		T(bad_signatures_count_towards_the_limit),
		T(a_blocked_client_gets_429_before_its_body_is_read),
		T(a_blocked_client_with_a_valid_signature_gets_200),
		T(failures_on_one_endpoint_block_the_client_on_every_endpoint),
	};
#undef T

	return cmocka_run_group_tests_name("security_auth_limit_http", tests,
					   NULL, NULL);
}
