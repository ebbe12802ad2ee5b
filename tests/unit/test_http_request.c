/* test_http_request.c: the checks the listener makes on a request, without
 * a socket: endpoint lookup, Content-Type and Content-Length rules, the
 * token and the signature of an endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define VECTOR_ID "msg_test_123"
#define VECTOR_TS "1731705121"
#define VECTOR_BODY "{\"event\":\"transcript.data\"}"
#define VECTOR_SIG "v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs="
#define NOW 1731705121

/* ---- Content-Type ---------------------------------------------------- */

struct ctype_case {
	const char *value;
	int json;
};

static void test_content_type_is_json_only_for_json_media_types(void **state)
{
	static const struct ctype_case cases[] = {
		{"application/json", 1},
		{"APPLICATION/JSON", 1},
		{"Application/Json", 1},
		{"application/json; charset=utf-8", 1},
		{"application/json;charset=UTF-8", 1},
		{" application/json ", 1},
		{"\tapplication/json\t; charset=utf-8", 1},
		{"application/cloudevents+json", 1},
		{"application/problem+JSON; charset=utf-8", 1},
		{"text/plain", 0},
		{"text/json", 0},
		{"application/jsonx", 0},
		{"application/json-seq", 0},
		{"application/x-www-form-urlencoded", 0},
		{"multipart/form-data; boundary=x", 0},
		{"", 0},
		{" ", 0},
		{"json", 0},
		{"+json", 0},
		{"application/+json", 0},
		{"text/a+json", 0},
		{"application/json+xml", 0},
		{"; application/json", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (request_content_type_is_json(cases[i].value) !=
		    cases[i].json)
			fail_msg("\"%s\" should %sbe JSON", cases[i].value,
				 cases[i].json ? "" : "not ");
}

/* ---- Content-Length -------------------------------------------------- */

struct clen_case {
	const char *value;
	int rc;
	uint64_t len;
};

static void assert_content_lengths(const struct clen_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t len = 12345;
		int rc = request_parse_content_length(cases[i].value, &len);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, expected %d", cases[i].value,
				 rc, cases[i].rc);
		if (rc == 0 && len != cases[i].len)
			fail_msg("\"%s\": length %llu", cases[i].value,
				 (unsigned long long)len);
	}
}

static void test_content_length_is_a_plain_decimal_number(void **state)
{
	static const struct clen_case cases[] = {
		{"0", 0, 0},
		{"27", 0, 27},
		{"1048576", 0, 1048576},
		{"007", 0, 7},
		{"18446744073709551609", 0, 18446744073709551609ULL},
		{"", -1, 0},
		{"-1", -1, 0},
		{"+1", -1, 0},
		{" 27", -1, 0},
		{"27 ", -1, 0},
		{"2 7", -1, 0},
		{"27,27", -1, 0},
		{"0x1b", -1, 0},
		{"1e3", -1, 0},
		{"18446744073709551616", -1, 0},
		{"99999999999999999999999", -1, 0},
	};

	assert_content_lengths(cases, sizeof(cases) / sizeof(*cases));
}

/* BUG: the overflow guard rejects the six largest values that fit in
 * uint64_t, though the contract promises -1 only for values that are not
 * plain decimal numbers. Harmless in practice (any such length is over
 * max_body_bytes), but the guard is off by one digit position. */
static void test_content_length_accepts_uint64_max(void **state)
{
	static const struct clen_case cases[] = {
		{"18446744073709551610", 0, 18446744073709551610ULL},
		{"18446744073709551615", 0, UINT64_MAX},
	};

	assert_content_lengths(cases, sizeof(cases) / sizeof(*cases));
}

/* ---- endpoints ------------------------------------------------------- */

/* Two endpoints: /tokens with tokens only (ep[0]) and /signed with the
 * vector signing key only and a 10 s tolerance (ep[1]). */
struct fixture {
	struct endpoint_conf ep[2];
	struct token_digest tokens[2];
	struct signing_key key;
	struct config conf;
};

static int endpoints_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[128];

	assert_non_null(f);
	secret_digest("token-a", 7, &f->tokens[0]);
	secret_digest("token-b", 7, &f->tokens[1]);
	assert_int_equal(secret_signing_key_decode(VECTOR_SECRET, &f->key, why,
						   sizeof(why)),
			 0);
	f->ep[0] = (struct endpoint_conf){.path = "/tokens",
					  .tokens = f->tokens,
					  .ntokens = 2,
					  .signature_tolerance_s = 300};
	f->ep[1] = (struct endpoint_conf){.path = "/signed",
					  .signing_keys = &f->key,
					  .nsigning_keys = 1,
					  .signature_tolerance_s = 10};
	f->conf.endpoints = f->ep;
	f->conf.nendpoints = 2;
	*state = f;
	return 0;
}

static int endpoints_teardown(void **state)
{
	struct fixture *f = *state;

	secret_signing_key_free(&f->key);
	free(f);
	return 0;
}

static void test_endpoint_is_found_by_its_exact_path(void **state)
{
	static const struct {
		const char *path;
		int index;
	} cases[] = {
		{"/tokens", 0},  {"/signed", 1},   {"/", -1},
		{"", -1},        {"/token", -1},   {"/tokens/", -1},
		{"/Tokens", -1}, {"/tokens/x", -1}, {"//tokens", -1},
		{"/healthz", -1},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (request_find_endpoint(&f->conf, cases[i].path) !=
		    cases[i].index)
			fail_msg("\"%s\" should give %d", cases[i].path,
				 cases[i].index);
}

static void test_any_configured_token_passes(void **state)
{
	struct fixture *f = *state;
	char why[128];

	assert_int_equal(request_check_token(&f->ep[0], "token-a", why,
					     sizeof(why)),
			 0);
	assert_int_equal(request_check_token(&f->ep[0], "token-b", why,
					     sizeof(why)),
			 0);
}

static void test_wrong_token_is_refused(void **state)
{
	static const char *const wrong[] = {"token-c", "token-", "token-ab",
					    "", "TOKEN-A"};
	struct fixture *f = *state;
	char why[128];

	for (size_t i = 0; i < sizeof(wrong) / sizeof(*wrong); i++) {
		why[0] = '\0';
		if (request_check_token(&f->ep[0], wrong[i], why,
					sizeof(why)) != -1)
			fail_msg("token \"%s\" passed", wrong[i]);
		assert_non_null(strstr(why, "wrong token"));
	}
}

static void test_missing_token_is_refused_saying_so(void **state)
{
	struct fixture *f = *state;
	char why[128] = "";

	assert_int_equal(request_check_token(&f->ep[0], NULL, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "no token"));
}

static void test_endpoint_without_tokens_passes_the_token_check(void **state)
{
	struct fixture *f = *state;
	char why[128];

	assert_int_equal(request_check_token(&f->ep[1], NULL, why, sizeof(why)),
			 0);
	assert_int_equal(request_check_token(&f->ep[1], "anything", why,
					     sizeof(why)),
			 0);
}

static int check_signature(const struct endpoint_conf *ep,
			   const struct signature_headers *h, int64_t now)
{
	char why[256];

	return request_check_signature(ep, h, VECTOR_BODY, strlen(VECTOR_BODY),
				       now, why, sizeof(why));
}

static void test_endpoint_without_keys_passes_the_signature_check(
	void **state)
{
	static const struct signature_headers none = {NULL, NULL, NULL};
	static const struct signature_headers bad = {"x", "1", "v1,bad"};
	struct fixture *f = *state;

	assert_int_equal(check_signature(&f->ep[0], &none, NOW), 0);
	assert_int_equal(check_signature(&f->ep[0], &bad, NOW), 0);
}

static void test_endpoint_with_keys_requires_a_valid_signature(void **state)
{
	static const struct signature_headers good = {VECTOR_ID, VECTOR_TS,
						      VECTOR_SIG};
	static const struct signature_headers none = {NULL, NULL, NULL};
	static const struct signature_headers other_id = {"msg_other",
							  VECTOR_TS, VECTOR_SIG};
	struct fixture *f = *state;

	assert_int_equal(check_signature(&f->ep[1], &good, NOW), 0);
	assert_int_equal(check_signature(&f->ep[1], &none, NOW), -1);
	assert_int_equal(check_signature(&f->ep[1], &other_id, NOW), -1);
}

static void test_signature_check_uses_the_endpoint_tolerance(void **state)
{
	static const struct signature_headers good = {VECTOR_ID, VECTOR_TS,
						      VECTOR_SIG};
	struct fixture *f = *state;

	assert_int_equal(check_signature(&f->ep[1], &good, NOW + 10), 0);
	assert_int_equal(check_signature(&f->ep[1], &good, NOW + 11), -1);
	assert_int_equal(check_signature(&f->ep[1], &good, NOW - 11), -1);
}

#define EP_TEST(f) \
	cmocka_unit_test_setup_teardown(f, endpoints_setup, endpoints_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_content_type_is_json_only_for_json_media_types),
		cmocka_unit_test(test_content_length_is_a_plain_decimal_number),
		cmocka_unit_test(test_content_length_accepts_uint64_max),
		EP_TEST(test_endpoint_is_found_by_its_exact_path),
		EP_TEST(test_any_configured_token_passes),
		EP_TEST(test_wrong_token_is_refused),
		EP_TEST(test_missing_token_is_refused_saying_so),
		EP_TEST(test_endpoint_without_tokens_passes_the_token_check),
		EP_TEST(test_endpoint_without_keys_passes_the_signature_check),
		EP_TEST(test_endpoint_with_keys_requires_a_valid_signature),
		EP_TEST(test_signature_check_uses_the_endpoint_tolerance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
