/* rtw-send's signing: the exact test vector of RECALL_EVENTS.md, and
 * agreement with the daemon's own verifier (an independent
 * implementation), so a request rtw-send signs is one rtwebhookd accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "secret.h"
#include "sign.h"
#include "signature.h"

#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define VECTOR_ID "msg_test_123"
#define VECTOR_TS "1731705121"
#define VECTOR_BODY "{\"event\":\"transcript.data\"}"
#define VECTOR_SIG "v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs="

static void sign_with(const char *secret, const char *id, const char *ts,
		      const char *body, char out[SIGN_VALUE_LEN])
{
	char why[128];
	struct sign_key *key = sign_key_new(secret, why, sizeof(why));

	assert_non_null(key);
	assert_int_equal(sign_compute(key, id, ts, body, strlen(body), out),
			 0);
	sign_key_free(key);
}

static void test_sign_matches_recall_test_vector(void **state)
{
	char sig[SIGN_VALUE_LEN];

	sign_with(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY, sig);
	assert_string_equal(sig, VECTOR_SIG);
}

static void test_sign_takes_the_key_without_its_prefix(void **state)
{
	char sig[SIGN_VALUE_LEN];

	sign_with("dGVzdC1yZWNhbGwtc2VjcmV0", VECTOR_ID, VECTOR_TS,
		  VECTOR_BODY, sig);
	assert_string_equal(sig, VECTOR_SIG);
}

static void test_sign_covers_id_timestamp_and_body(void **state)
{
	char sig[SIGN_VALUE_LEN];

	sign_with(VECTOR_SECRET, "msg_test_124", VECTOR_TS, VECTOR_BODY, sig);
	assert_string_not_equal(sig, VECTOR_SIG);
	sign_with(VECTOR_SECRET, VECTOR_ID, "1731705122", VECTOR_BODY, sig);
	assert_string_not_equal(sig, VECTOR_SIG);
	sign_with(VECTOR_SECRET, VECTOR_ID, VECTOR_TS,
		  "{\"event\":\"transcript.data\"} ", sig);
	assert_string_not_equal(sig, VECTOR_SIG);
}

/* Verifies with rtwebhookd's signature_verify and the key decoded by the
 * daemon's secret_signing_key_decode. */
static int daemon_verifies(const char *id, const char *ts, const char *sig,
			   const char *body, size_t len)
{
	struct signing_key key;
	struct signature_headers h = {id, ts, sig};
	char why[160];
	int rc;

	assert_int_equal(secret_signing_key_decode(VECTOR_SECRET, &key, why,
						   sizeof(why)),
			 0);
	rc = signature_verify(&key, 1, &h, body, len, (int64_t)time(NULL),
			      300, why, sizeof(why));
	secret_signing_key_free(&key);
	return rc;
}

static void test_sign_is_accepted_by_the_daemon(void **state)
{
	static const char *const bodies[] = {
		"{}",
		"{\"event\":\"participant_events.join\",\"data\":{\"data\":"
		"{\"participant\":{\"name\":\"Zoë Ångström 李雷 🎧\"}}}}",
		"{\"event\":\"x\",\"data\":"
		"{\"text\":\"line\\nbreak \\\"q\\\"\"}}",
	};
	char ts[24], sig[SIGN_VALUE_LEN];

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		sign_with(VECTOR_SECRET, "msg_abc_1_2", ts, bodies[i], sig);
		assert_int_equal(daemon_verifies("msg_abc_1_2", ts, sig,
						 bodies[i], strlen(bodies[i])),
				 0);
		/* And the verifier is not a yes-machine: one byte less. */
		assert_int_equal(daemon_verifies("msg_abc_1_2", ts, sig,
						 bodies[i],
						 strlen(bodies[i]) - 1),
				 -1);
	}
}

static void test_sign_rejects_malformed_secrets(void **state)
{
	static const char *const bad[] = {
		"", "whsec_", "whsec_abc", "whsec_****", "whsec_dGVzdC1y!!!!",
	};
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_null(sign_key_new(bad[i], why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
}

static void test_message_id_is_per_event_and_per_run(void **state)
{
	unsigned char nonce[SIGN_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	unsigned char other[SIGN_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 9};
	char a[SIGN_ID_LEN], b[SIGN_ID_LEN];

	sign_message_id(nonce, 3, 7, a);
	sign_message_id(nonce, 3, 7, b);
	assert_string_equal(a, b);
	assert_true(strncmp(a, "msg_", 4) == 0);
	sign_message_id(nonce, 3, 8, b);
	assert_string_not_equal(a, b);
	sign_message_id(nonce, 4, 7, b);
	assert_string_not_equal(a, b);
	sign_message_id(other, 3, 7, b);
	assert_string_not_equal(a, b);
	/* 31 and 1 vs 3 and 11 must not collide either. */
	sign_message_id(nonce, 31, 1, a);
	sign_message_id(nonce, 3, 11, b);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_matches_recall_test_vector),
		cmocka_unit_test(test_sign_takes_the_key_without_its_prefix),
		cmocka_unit_test(test_sign_covers_id_timestamp_and_body),
		cmocka_unit_test(test_sign_is_accepted_by_the_daemon),
		cmocka_unit_test(test_sign_rejects_malformed_secrets),
		cmocka_unit_test(test_message_id_is_per_event_and_per_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
