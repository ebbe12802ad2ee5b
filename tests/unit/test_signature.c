/* test_signature.c: Standard Webhooks signatures, signed and verified, on
 * the test vector of RECALL_EVENTS.md and on every way a request can get
 * them wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"

/* The test vector. */
#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define VECTOR_ID "msg_test_123"
#define VECTOR_TS "1731705121"
#define VECTOR_BODY "{\"event\":\"transcript.data\"}"
#define VECTOR_MAC "/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs="
#define VECTOR_SIG "v1," VECTOR_MAC
#define NOW 1731705121
#define TOLERANCE 300

/* Same length as VECTOR_MAC, valid base64, wrong value. */
#define WRONG_MAC "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

struct keys {
	struct signing_key vector; /* test-recall-secret */
	struct signing_key other;  /* other-key */
};

static int keys_setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	char why[128];

	assert_non_null(k);
	assert_int_equal(secret_signing_key_decode(VECTOR_SECRET, &k->vector,
						   why, sizeof(why)),
			 0);
	assert_int_equal(secret_signing_key_decode("whsec_b3RoZXIta2V5",
						   &k->other, why, sizeof(why)),
			 0);
	*state = k;
	return 0;
}

static int keys_teardown(void **state)
{
	struct keys *k = *state;

	secret_signing_key_free(&k->vector);
	secret_signing_key_free(&k->other);
	free(k);
	return 0;
}

/* Verifies with the vector key at NOW; the reason goes to why. */
static int verify(struct keys *k, const char *id, const char *ts,
		  const char *sig, const char *body, char *why, size_t whylen)
{
	struct signature_headers h = {.id = id, .timestamp = ts,
				      .signature = sig};

	why[0] = '\0';
	return signature_verify(&k->vector, 1, &h, body, strlen(body), NOW,
				TOLERANCE, why, whylen);
}

static int verify_vector_with_signature(struct keys *k, const char *sig)
{
	char why[256];

	return verify(k, VECTOR_ID, VECTOR_TS, sig, VECTOR_BODY, why,
		      sizeof(why));
}

static void test_vector_signs_to_the_documented_signature(void **state)
{
	struct keys *k = *state;
	char out[64];

	assert_int_equal(signature_sign(&k->vector, VECTOR_ID, VECTOR_TS,
					VECTOR_BODY, strlen(VECTOR_BODY), out,
					sizeof(out)),
			 0);
	assert_string_equal(out, VECTOR_SIG);
}

static void test_vector_verifies_at_its_timestamp(void **state)
{
	assert_int_equal(verify_vector_with_signature(*state, VECTOR_SIG), 0);
}

static void test_sign_refuses_an_output_buffer_too_small(void **state)
{
	struct keys *k = *state;
	char out[64];

	assert_int_equal(signature_sign(&k->vector, VECTOR_ID, VECTOR_TS,
					VECTOR_BODY, strlen(VECTOR_BODY), out,
					3 + 44),
			 -1);
	assert_int_equal(signature_sign(&k->vector, VECTOR_ID, VECTOR_TS,
					VECTOR_BODY, strlen(VECTOR_BODY), out,
					3 + 44 + 1),
			 0);
}

struct header_case {
	const char *signature;
	int accepted;
};

/* Accepted when any "v1," entry holds the right MAC; other versions and
 * garbage are skipped, never a crash. */
static void test_signature_header_entries(void **state)
{
	static const struct header_case cases[] = {
		{"v1," VECTOR_MAC, 1},
		{"v1," WRONG_MAC " v1," VECTOR_MAC, 1},
		{"v1," VECTOR_MAC " v1," WRONG_MAC, 1},
		{"v1," WRONG_MAC "   v1," VECTOR_MAC, 1},
		{"v2," VECTOR_MAC, 0},
		{"v2,anything v1," VECTOR_MAC, 1},
		{"v1a," VECTOR_MAC, 0},
		{"V1," VECTOR_MAC, 0},
		{VECTOR_MAC, 0},
		{"v1," WRONG_MAC, 0},
		{"v1," VECTOR_MAC "x", 0},
		{"v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs", 0},
		{"v1,/tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs=", 0},
		{"v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFt=", 0},
		{"v1, " VECTOR_MAC, 0},
		{"v1,", 0},
		{"v1,short", 0},
		{"v1", 0},
		{"", 0},
		{" ", 0},
		{",,,, v1,,v1", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc = verify_vector_with_signature(*state,
						      cases[i].signature);

		if ((rc == 0) != cases[i].accepted)
			fail_msg("\"%s\" should be %s", cases[i].signature,
				 cases[i].accepted ? "accepted" : "rejected");
	}
}

static void test_huge_garbage_header_is_rejected(void **state)
{
	size_t len = 64 * 1024;
	char *sig = malloc(len + 1);

	assert_non_null(sig);
	for (size_t i = 0; i < len; i++)
		sig[i] = "v1, "[i % 4];
	sig[len] = '\0';
	assert_int_equal(verify_vector_with_signature(*state, sig), -1);
	free(sig);
}

static int verify_with_keys(const struct signing_key *keys, size_t nkeys)
{
	struct signature_headers h = {VECTOR_ID, VECTOR_TS, VECTOR_SIG};
	char why[128];

	return signature_verify(keys, nkeys, &h, VECTOR_BODY,
				strlen(VECTOR_BODY), NOW, TOLERANCE, why,
				sizeof(why));
}

static void test_any_configured_key_may_have_signed(void **state)
{
	struct keys *k = *state;
	struct signing_key second_signed[2] = {k->other, k->vector};
	struct signing_key first_signed[2] = {k->vector, k->other};

	assert_int_equal(verify_with_keys(second_signed, 2), 0);
	assert_int_equal(verify_with_keys(first_signed, 2), 0);
}

static void test_signature_by_no_configured_key_is_rejected(void **state)
{
	struct keys *k = *state;

	assert_int_equal(verify_with_keys(&k->other, 1), -1);
	assert_int_equal(verify_with_keys(NULL, 0), -1);
}

struct tamper_case {
	const char *what, *id, *timestamp, *body;
};

static void test_any_change_to_id_timestamp_or_body_is_rejected(void **state)
{
	static const struct tamper_case cases[] = {
		{"body", VECTOR_ID, VECTOR_TS, "{\"event\":\"transcript.datA\"}"},
		{"body re-serialized", VECTOR_ID, VECTOR_TS,
		 "{\"event\": \"transcript.data\"}"},
		{"body with newline", VECTOR_ID, VECTOR_TS, VECTOR_BODY "\n"},
		{"empty body", VECTOR_ID, VECTOR_TS, ""},
		{"id", "msg_test_124", VECTOR_TS, VECTOR_BODY},
		{"timestamp", VECTOR_ID, "1731705122", VECTOR_BODY},
	};
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (verify(*state, cases[i].id, cases[i].timestamp, VECTOR_SIG,
			   cases[i].body, why, sizeof(why)) != -1)
			fail_msg("tampered %s accepted", cases[i].what);
}

static void test_only_body_len_bytes_are_verified(void **state)
{
	struct keys *k = *state;
	struct signature_headers h = {VECTOR_ID, VECTOR_TS, VECTOR_SIG};
	const char *body = VECTOR_BODY "trailing bytes";
	size_t n = strlen(VECTOR_BODY);
	char why[128];

	assert_int_equal(signature_verify(&k->vector, 1, &h, body, n, NOW,
					  TOLERANCE, why, sizeof(why)),
			 0);
	assert_int_equal(signature_verify(&k->vector, 1, &h, body, n - 1, NOW,
					  TOLERANCE, why, sizeof(why)),
			 -1);
}

/* Signs VECTOR_BODY for timestamp text ts and verifies it at NOW. */
static int verify_freshly_signed(struct keys *k, const char *ts,
				 int64_t tolerance, char *why, size_t whylen)
{
	struct signature_headers h = {VECTOR_ID, ts, NULL};
	char sig[64];

	assert_int_equal(signature_sign(&k->vector, VECTOR_ID, ts, VECTOR_BODY,
					strlen(VECTOR_BODY), sig, sizeof(sig)),
			 0);
	h.signature = sig;
	return signature_verify(&k->vector, 1, &h, VECTOR_BODY,
				strlen(VECTOR_BODY), NOW, tolerance, why,
				whylen);
}

struct window_case {
	int64_t offset, tolerance;
	int accepted;
};

static void test_timestamp_must_be_within_tolerance_either_way(void **state)
{
	static const struct window_case cases[] = {
		{0, 300, 1},      {-300, 300, 1},   {300, 300, 1},
		{-301, 300, 0},   {301, 300, 0},    {-86400, 300, 0},
		{86400, 300, 0},  {-10, 10, 1},     {11, 10, 0},
		{-NOW, 300, 0},
	};
	char ts[32], why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc;

		snprintf(ts, sizeof(ts), "%" PRId64, NOW + cases[i].offset);
		rc = verify_freshly_signed(*state, ts, cases[i].tolerance, why,
					   sizeof(why));
		if ((rc == 0) != cases[i].accepted)
			fail_msg("offset %+" PRId64 "s, tolerance %" PRId64
				 "s: %s (%s)",
				 cases[i].offset, cases[i].tolerance,
				 rc == 0 ? "accepted" : "rejected", why);
		if (rc != 0)
			assert_non_null(strstr(why, "tolerance"));
	}
}

/* Each timestamp is signed correctly and the tolerance is wide enough to
 * take any number a lenient parser might read from it, so only its form
 * can reject it. */
static void test_malformed_timestamps_are_rejected(void **state)
{
	static const char *const bad[] = {
		"abc", "-5", "12x", "", " 1731705121", "1731705121 ",
		"+1731705121", "1731705121.0", "1731705121x", "0x67373a21",
		"99999999999999999999999",
	};
	const int64_t any_time = INT64_MAX - NOW; /* now + it: no overflow */
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why[0] = '\0';
		if (verify_freshly_signed(*state, bad[i], any_time, why,
					  sizeof(why)) != -1)
			fail_msg("timestamp \"%s\" accepted", bad[i]);
		assert_true(why[0] != '\0');
	}
}

static void test_missing_or_empty_headers_are_rejected(void **state)
{
	static const struct signature_headers cases[] = {
		{NULL, VECTOR_TS, VECTOR_SIG},
		{VECTOR_ID, NULL, VECTOR_SIG},
		{VECTOR_ID, VECTOR_TS, NULL},
		{NULL, NULL, NULL},
		{"", VECTOR_TS, VECTOR_SIG},
	};
	struct keys *k = *state;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		why[0] = '\0';
		if (signature_verify(&k->vector, 1, &cases[i], VECTOR_BODY,
				     strlen(VECTOR_BODY), NOW, TOLERANCE, why,
				     sizeof(why)) != -1)
			fail_msg("headers case %zu accepted", i);
		assert_true(why[0] != '\0');
	}
}

static void test_empty_webhook_id_is_rejected_even_when_signed(void **state)
{
	struct keys *k = *state;
	struct signature_headers h = {"", VECTOR_TS, NULL};
	char sig[64], why[256] = "";

	assert_int_equal(signature_sign(&k->vector, "", VECTOR_TS, VECTOR_BODY,
					strlen(VECTOR_BODY), sig, sizeof(sig)),
			 0);
	h.signature = sig;
	assert_int_equal(signature_verify(&k->vector, 1, &h, VECTOR_BODY,
					  strlen(VECTOR_BODY), NOW, TOLERANCE,
					  why, sizeof(why)),
			 -1);
	assert_true(why[0] != '\0');
}

static void test_rejection_reason_reveals_neither_key_nor_expected_mac(
	void **state)
{
	char why[512];

	assert_int_equal(verify(*state, VECTOR_ID, VECTOR_TS, "v1," WRONG_MAC,
				VECTOR_BODY, why, sizeof(why)),
			 -1);
	assert_null(strstr(why, VECTOR_MAC));
	assert_null(strstr(why, "dGVzdC1yZWNhbGwtc2VjcmV0"));
	assert_null(strstr(why, "test-recall-secret"));
}

#define KEYS_TEST(f) cmocka_unit_test_setup_teardown(f, keys_setup, keys_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		KEYS_TEST(test_vector_signs_to_the_documented_signature),
		KEYS_TEST(test_vector_verifies_at_its_timestamp),
		KEYS_TEST(test_sign_refuses_an_output_buffer_too_small),
		KEYS_TEST(test_signature_header_entries),
		KEYS_TEST(test_huge_garbage_header_is_rejected),
		KEYS_TEST(test_any_configured_key_may_have_signed),
		KEYS_TEST(test_signature_by_no_configured_key_is_rejected),
		KEYS_TEST(test_any_change_to_id_timestamp_or_body_is_rejected),
		KEYS_TEST(test_only_body_len_bytes_are_verified),
		KEYS_TEST(test_timestamp_must_be_within_tolerance_either_way),
		KEYS_TEST(test_malformed_timestamps_are_rejected),
		KEYS_TEST(test_missing_or_empty_headers_are_rejected),
		KEYS_TEST(test_empty_webhook_id_is_rejected_even_when_signed),
		KEYS_TEST(
			test_rejection_reason_reveals_neither_key_nor_expected_mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
