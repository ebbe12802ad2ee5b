/* The http handler's pure parts, compiled in: Standard Webhooks signing
 * (the test vector of RECALL_EVENTS.md), secret decoding, the webhook-id
 * of an event, header-line checks and URL redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_fwd.h"

#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define VECTOR_BODY   "{\"event\":\"transcript.data\"}"
#define VECTOR_SIG    "v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs="

static void test_signature_matches_the_documented_vector(void **state)
{
	unsigned char *key = NULL;
	size_t key_len = 0;
	struct rtw_error err = {{0}};
	char sig[64];
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	(void)state;
	assert_non_null(hmac);
	assert_int_equal(
	    http_secret_decode(VECTOR_SECRET, &key, &key_len, &err), 0);
	assert_int_equal(key_len, strlen("test-recall-secret"));
	assert_memory_equal(key, "test-recall-secret", key_len);
	assert_int_equal(http_sign(hmac, key, key_len, "msg_test_123",
				   "1731705121", VECTOR_BODY,
				   strlen(VECTOR_BODY), sig, sizeof(sig)),
			 0);
	assert_string_equal(sig, VECTOR_SIG);
	/* One byte more in the body is another signature. */
	assert_int_equal(http_sign(hmac, key, key_len, "msg_test_123",
				   "1731705121", VECTOR_BODY " ",
				   strlen(VECTOR_BODY) + 1, sig, sizeof(sig)),
			 0);
	assert_string_not_equal(sig, VECTOR_SIG);
	free(key);
	EVP_MAC_free(hmac);
}

static void test_signature_needs_room(void **state)
{
	char sig[47];
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	(void)state;
	assert_int_equal(http_sign(hmac, (const unsigned char *)"k", 1, "i",
				   "1", "b", 1, sig, sizeof(sig)),
			 -1);
	EVP_MAC_free(hmac);
}

static void test_bad_secrets_are_refused_without_showing_them(void **state)
{
	static const char *const bad[] = {
	    "dGVzdC1yZWNhbGwtc2VjcmV0",	      /* no whsec_ */
	    "whsec_",			      /* nothing after it */
	    "whsec_dGVzd",		      /* not a multiple of 4 */
	    "whsec_dGV*dC1yZWNhbGwtc2VjcmV0", /* not base64 */
	    "whsec_====",		      /* only padding: empty key */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		unsigned char *key = NULL;
		size_t key_len = 0;
		struct rtw_error err = {{0}};

		if (http_secret_decode(bad[i], &key, &key_len, &err) != -1)
			fail_msg("secret %zu accepted", i);
		assert_null(key);
		assert_true(err.message[0] != '\0');
		if (strlen(bad[i]) > 7 && strstr(err.message, bad[i] + 6))
			fail_msg("reason shows the secret: %s", err.message);
	}
}

static void id_of(const char *dedup_key, uint64_t seq, char *out, size_t len)
{
	struct rtw_event ev = {
	    .size = sizeof(ev), .seq = seq, .dedup_key = dedup_key};

	if (dedup_key == NULL) /* a host older than ABI 1.1 */
		ev.size = offsetof(struct rtw_event, dedup_key);
	http_event_id(&ev, out, len);
}

static void test_event_id_is_stable_per_event(void **state)
{
	char a[160], b[160];

	(void)state;
	id_of("id:msg_2Lx9", 7, a, sizeof(a));
	assert_string_equal(a, "msg_2Lx9"); /* the original, passed on */
	id_of("body:0123456789abcdef0123456789abcdef", 7, a, sizeof(a));
	assert_string_equal(a, "msg_0123456789abcdef0123456789abcdef");
	id_of(NULL, 42, a, sizeof(a));
	assert_string_equal(a, "rtw_42");
	/* An id with a space is not passed on but hashed, stably. */
	id_of("id:two words", 1, a, sizeof(a));
	id_of("id:two words", 2, b, sizeof(b));
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 4 + 32);
	assert_memory_equal(a, "msg_", 4);
	id_of("id:two  words", 1, b, sizeof(b));
	assert_string_not_equal(a, b);
}

static void test_header_lines(void **state)
{
	static const struct {
		const char *line;
		int ok;
		const char *reason; /* a part of it, for refusals */
	} cases[] = {
	    {"Authorization: Bearer abc", 1, NULL},
	    {"X-Empty:", 1, NULL},
	    {"X-A!#$%&'*+-.^_`|~: v", 1, NULL},
	    {"X-Evil: a\r\nX-Injected: b", 0, "CR or LF"},
	    {"X-Evil: a\nb", 0, "CR or LF"},
	    {"X-Evil: a\r", 0, "CR or LF"},
	    {"No colon", 0, "Name: value"},
	    {": value", 0, "Name: value"},
	    {"Bad Name: v", 0, "Name: value"},
	    {"content-type: text/plain", 0, "set by the handler"},
	    {"Content-Length: 1", 0, "set by the handler"},
	    {"HOST: x", 0, "set by the handler"},
	    {"Webhook-Signature: v1,x", 0, "set by the handler"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct rtw_error err = {{0}};
		int rc = http_header_check(cases[i].line, &err);

		if ((rc == 0) != cases[i].ok)
			fail_msg("header %zu: got %d (%s)", i, rc, err.message);
		if (!cases[i].ok &&
		    strstr(err.message, cases[i].reason) == NULL)
			fail_msg("header %zu: reason '%s' lacks '%s'", i,
				 err.message, cases[i].reason);
	}
}

static void test_header_refusal_never_shows_the_value(void **state)
{
	struct rtw_error err = {{0}};

	(void)state;
	assert_int_equal(http_header_check("X-Api-Key: s3cret\r\nX: y", &err),
			 -1);
	assert_non_null(strstr(err.message, "X-Api-Key"));
	assert_null(strstr(err.message, "s3cret"));
}

static void test_url_redaction(void **state)
{
	static const struct {
		const char *url;
		const char *safe; /* NULL: refused */
	} cases[] = {
	    {"http://127.0.0.1:9000/events", "http://127.0.0.1:9000/events"},
	    {"https://user:pa55@example.com/x",
	     "https://***:***@example.com/x"},
	    {"http://user@example.com/x", "http://***@example.com/x"},
	    {"http://example.com/x?token=abc#frag", "http://example.com/x?***"},
	    {"ftp://example.com/x", NULL},
	    {"/relative/path", NULL},
	    {"not a url", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct rtw_error err = {{0}};
		char *safe = http_url_check(cases[i].url, &err);

		if (cases[i].safe == NULL) {
			if (safe != NULL)
				fail_msg("url %zu accepted as %s", i, safe);
			assert_true(err.message[0] != '\0');
			continue;
		}
		if (safe == NULL)
			fail_msg("url %zu refused: %s", i, err.message);
		assert_string_equal(safe, cases[i].safe);
		free(safe);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signature_matches_the_documented_vector),
	    cmocka_unit_test(test_signature_needs_room),
	    cmocka_unit_test(test_bad_secrets_are_refused_without_showing_them),
	    cmocka_unit_test(test_event_id_is_stable_per_event),
	    cmocka_unit_test(test_header_lines),
	    cmocka_unit_test(test_header_refusal_never_shows_the_value),
	    cmocka_unit_test(test_url_redaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
