/* What each request carries: Content-Type, Standard Webhooks (or Svix)
 * headers that rtwebhookd's own verifier accepts, a webhook-id that stays
 * the same across the retries of one event and differs between events,
 * and a body that is the event's bytes (a jsonl sink's "_rtwebhookd"
 * member removed, nothing else touched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "secret.h"
#include "send_fixture.h"
#include "signature.h"

#define SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"

static void run_ok(struct send_fixture *fx, const char *const *args)
{
	struct send_result r;

	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	if (r.status != 0)
		fail_msg("rtw-send exited %d: %s", r.status, r.err);
	send_result_free(&r);
}

/* Checks req's signature with the daemon's verifier; h names the three
 * headers to use (webhook-* or svix-*). */
static void assert_verifies(const struct server_request *req,
			    enum server_header first)
{
	struct signature_headers h = {req->header[first],
				      req->header[first + 1],
				      req->header[first + 2]};
	struct signing_key key;
	char why[160];
	long long ts;

	assert_non_null(h.id);
	assert_non_null(h.timestamp);
	assert_non_null(h.signature);
	ts = atoll(h.timestamp);
	assert_true(llabs(ts - (long long)time(NULL)) <= 10);
	assert_int_equal(secret_signing_key_decode(SECRET, &key, why,
						   sizeof(why)),
			 0);
	if (signature_verify(&key, 1, &h, req->body, req->len,
			     (int64_t)time(NULL), 300, why, sizeof(why)) != 0)
		fail_msg("the daemon rejects the signature: %s", why);
	secret_signing_key_free(&key);
}

static void test_signed_requests_verify_with_the_daemon(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--secret", SECRET,
			      "--retry-interval-ms", "100", fx->events, NULL};

	assert_int_equal(write_events(fx->events, 2, 3, 1), 0);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 6);
	for (size_t i = 0; i < fx->server.n; i++) {
		const struct server_request *req = &fx->server.reqs[i];

		assert_verifies(req, HDR_WEBHOOK_ID);
		assert_null(req->header[HDR_SVIX_ID]);
		assert_string_equal(req->header[HDR_CONTENT_TYPE],
				    "application/json");
	}
}

static void test_webhook_id_is_stable_across_retries(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--secret", SECRET,
			      "--retry-interval-ms", "100", fx->events, NULL};
	json_t *ids = json_object();
	size_t idx[3];
	char marker[32];

	assert_int_equal(write_events(fx->events, 2, 3, 1), 0);
	test_marker(0, 1, marker);
	server_fail(&fx->server, marker, 2, FAIL_500);
	run_ok(fx, args);
	assert_int_equal(server_find(&fx->server, marker, idx, 3), 3);
	for (size_t i = 1; i < 3; i++)
		assert_string_equal(
			fx->server.reqs[idx[i]].header[HDR_WEBHOOK_ID],
			fx->server.reqs[idx[0]].header[HDR_WEBHOOK_ID]);
	/* Every attempt verifies, each with its own timestamp. */
	for (size_t i = 0; i < fx->server.n; i++) {
		assert_verifies(&fx->server.reqs[i], HDR_WEBHOOK_ID);
		json_object_set_new(
			ids, fx->server.reqs[i].header[HDR_WEBHOOK_ID],
			json_true());
	}
	/* 8 requests, 6 events, 6 distinct ids. */
	assert_int_equal(fx->server.n, 8);
	assert_int_equal(json_object_size(ids), 6);
	json_decref(ids);
}

static void test_svix_option_uses_svix_header_names(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--secret", SECRET,
			      "--svix", fx->events, NULL};

	assert_int_equal(write_events(fx->events, 1, 2, 1), 0);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 2);
	for (size_t i = 0; i < fx->server.n; i++) {
		assert_verifies(&fx->server.reqs[i], HDR_SVIX_ID);
		assert_null(fx->server.reqs[i].header[HDR_WEBHOOK_ID]);
		assert_null(fx->server.reqs[i].header[HDR_WEBHOOK_SIGNATURE]);
	}
}

static void test_unsigned_requests_carry_no_signature(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};

	assert_int_equal(write_events(fx->events, 1, 2, 1), 0);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 2);
	for (size_t i = 0; i < fx->server.n; i++) {
		for (int h = HDR_WEBHOOK_ID; h <= HDR_SVIX_SIGNATURE; h++)
			assert_null(fx->server.reqs[i].header[h]);
		assert_string_equal(fx->server.reqs[i].header[HDR_CONTENT_TYPE],
				    "application/json");
	}
}

/* Events as written, with spacing and escapes a re-serializer would
 * change, and one with the bot first. */
static const char *const originals[] = {
	"{\"event\": \"participant_events.chat_message\", \"data\": "
	"{\"data\": {\"data\": {\"text\": \"caf\\u00e9 [x0]\"}}, "
	"\"bot\": {\"id\": \"b-1\", \"metadata\": {}}}}",
	"{\"data\":{\"bot\":{\"id\":\"b-1\",\"metadata\":{}},\"data\":{"
	"\"data\":{\"text\":\"Zoë 🎧 \\\"q\\\" [x1]\"}}},\"event\":"
	"\"participant_events.chat_message\"}",
	"{\"event\":\"transcript.data\",\"data\":{\"data\":{\"words\":[],"
	"\"note\":\"[x2]\"},\"bot\":null}}",
};

static void test_sink_lines_are_sent_as_the_original_bytes(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};
	FILE *f = fopen(fx->events, "w");
	size_t n = sizeof(originals) / sizeof(originals[0]);

	/* What a jsonl sink writes: the metadata member first. */
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"{\"_rtwebhookd\":{\"seq\":%zu,\"received_at_ms\":"
			"1795712288737},%s\n",
			i + 1, originals[i] + 1);
	fclose(f);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, n);
	for (size_t i = 0; i < n; i++) {
		char marker[8];
		size_t idx[1];

		snprintf(marker, sizeof(marker), "[x%zu]", i);
		assert_int_equal(server_find(&fx->server, marker, idx, 1), 1);
		assert_string_equal(fx->server.reqs[idx[0]].body,
				    originals[i]);
		assert_null(strstr(fx->server.reqs[idx[0]].body,
				   "_rtwebhookd"));
	}
}

static void test_plain_lines_are_sent_byte_for_byte(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};
	FILE *f = fopen(fx->events, "w");
	size_t n = sizeof(originals) / sizeof(originals[0]);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\r\n", originals[i]); /* CRLF is not body */
	fclose(f);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, n);
	for (size_t i = 0; i < n; i++) {
		char marker[8];
		size_t idx[1];

		snprintf(marker, sizeof(marker), "[x%zu]", i);
		assert_int_equal(server_find(&fx->server, marker, idx, 1), 1);
		assert_string_equal(fx->server.reqs[idx[0]].body,
				    originals[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_signed_requests_verify_with_the_daemon,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_webhook_id_is_stable_across_retries,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_svix_option_uses_svix_header_names,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_unsigned_requests_carry_no_signature,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_sink_lines_are_sent_as_the_original_bytes,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_plain_lines_are_sent_byte_for_byte,
			send_fixture_setup, send_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
