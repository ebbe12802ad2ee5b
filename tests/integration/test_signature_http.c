/* Standard Webhooks signatures over HTTP, against the real daemon. The
 * signatures are computed here with libcrypto's HMAC, independently of the
 * daemon's own code, and the signer is first checked against the test
 * vector of RECALL_EVENTS.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define KEY "test-recall-secret" /* the base64 part, decoded */
#define BOTH_TOKEN "token-and-signature"
#define JSON "application/json"

static const char event[] =
	"{\n  \"event\": \"transcript.data\",\n  \"data\": {\"data\": "
	"{\"words\": [{\"text\": \"Hello\", \"start_timestamp\": "
	"{\"relative\": 1.2}}], \"participant\": {\"id\": 1}}}\n}\n";

struct signed_request {
	const char *prefix;    /* "webhook" or "svix" */
	const char *id;        /* NULL: header omitted */
	const char *timestamp; /* NULL: header omitted */
	const char *signature; /* NULL: header omitted */
};

static void sign(const char *id, const char *timestamp, const char *body,
		 size_t len, char out[64])
{
	assert_int_equal(harness_sign(KEY, id, timestamp, body, len, out), 0);
}

static const char *fresh_id(char *buf, size_t len)
{
	static int n;

	snprintf(buf, len, "msg_integration_%d_%ld", ++n, (long)time(NULL));
	return buf;
}

static const char *timestamp_from_now(long delta_s, char *buf, size_t len)
{
	snprintf(buf, len, "%lld", (long long)time(NULL) + delta_s);
	return buf;
}

/* "prefix-name: value"; curl sends "Name;" as a header with an empty
 * value ("Name:" would remove it). */
static void format_header(char *buf, size_t len, const char *prefix,
			  const char *name, const char *value)
{
	if (value[0] == '\0')
		snprintf(buf, len, "%s-%s;", prefix, name);
	else
		snprintf(buf, len, "%s-%s: %s", prefix, name, value);
}

static long post_signed(struct daemon *d, const char *target,
			const struct signed_request *s, const char *body,
			size_t len)
{
	const char *names[3] = {"id", "timestamp", "signature"};
	const char *values[3] = {s->id, s->timestamp, s->signature};
	char lines[3][256];
	const char *headers[4] = {NULL};
	size_t n = 0;
	struct http_request req = {.target = target,
				   .content_type = JSON,
				   .body = body,
				   .body_len = len,
				   .headers = headers};
	struct http_reply rep;
	long status;

	for (size_t i = 0; i < 3; i++) {
		if (values[i] == NULL)
			continue;
		format_header(lines[n], sizeof(lines[n]), s->prefix, names[i],
			      values[i]);
		headers[n] = lines[n];
		n++;
	}
	http_send(d->port, &req, &rep);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

/* Posts event to target signed now (shifted by delta_s) with a fresh id;
 * header spelling from prefix. */
static long post_event_signed(struct daemon *d, const char *target,
			      const char *prefix, long delta_s)
{
	char id[64], ts[32], sig[64];
	struct signed_request s = {prefix, fresh_id(id, sizeof(id)),
				   timestamp_from_now(delta_s, ts, sizeof(ts)),
				   sig};

	sign(s.id, s.timestamp, event, strlen(event), sig);
	return post_signed(d, target, &s, event, strlen(event));
}

static int setup(void **state)
{
	return daemon_setup(
		state,
		"endpoints = (\n"
		"  { path = \"/signed\"; signing_secrets = [\"" SECRET "\"]; },\n"
		"  { path = \"/both\"; tokens = [\"" BOTH_TOKEN "\"];\n"
		"    signing_secrets = [\"" SECRET "\"]; }\n"
		");\n"
		"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
		"  config = { path = \"@DIR@/events.jsonl\"; }; } );\n",
		NULL);
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static void test_signer_reproduces_the_recall_test_vector(void **state)
{
	static const char body[] = "{\"event\":\"transcript.data\"}";
	char sig[64];

	sign("msg_test_123", "1731705121", body, strlen(body), sig);
	assert_string_equal(sig, "v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs=");
}

static void correctly_signed_request_is_accepted(void **state)
{
	assert_int_equal(post_event_signed(*state, "/signed", "webhook", 0),
			 200);
}

static void svix_header_spelling_is_accepted(void **state)
{
	assert_int_equal(post_event_signed(*state, "/signed", "svix", 0), 200);
}

static void timestamp_four_minutes_off_is_accepted(void **state)
{
	assert_int_equal(post_event_signed(*state, "/signed", "webhook", -240),
			 200);
	assert_int_equal(post_event_signed(*state, "/signed", "webhook", 240),
			 200);
}

static void timestamp_ten_minutes_off_is_401(void **state)
{
	assert_int_equal(post_event_signed(*state, "/signed", "webhook", -600),
			 401);
	assert_int_equal(post_event_signed(*state, "/signed", "webhook", 600),
			 401);
}

/* While a secret rotates, several entries are sent; one match suffices. */
static void any_matching_entry_among_several_is_accepted(void **state)
{
	char id[64], ts[32], good[64], header[192];
	struct signed_request s = {"webhook", fresh_id(id, sizeof(id)),
				   timestamp_from_now(0, ts, sizeof(ts)),
				   header};

	sign(s.id, s.timestamp, event, strlen(event), good);
	snprintf(header, sizeof(header),
		 "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= %s", good);
	assert_int_equal(post_signed(*state, "/signed", &s, event,
				     strlen(event)),
			 200);
}

static void entries_of_other_versions_are_not_accepted(void **state)
{
	char id[64], ts[32], good[64], header[80];
	struct signed_request s = {"webhook", fresh_id(id, sizeof(id)),
				   timestamp_from_now(0, ts, sizeof(ts)),
				   header};

	sign(s.id, s.timestamp, event, strlen(event), good);
	snprintf(header, sizeof(header), "v2,%s", good + 3);
	assert_int_equal(post_signed(*state, "/signed", &s, event,
				     strlen(event)),
			 401);
}

static void wrong_signature_is_401(void **state)
{
	struct daemon *d = *state;
	char id[64], ts[32], sig[64];
	struct signed_request s = {"webhook", fresh_id(id, sizeof(id)),
				   timestamp_from_now(0, ts, sizeof(ts)), sig};

	/* Signed over other bytes than those sent. */
	sign(s.id, s.timestamp, event, strlen(event) - 1, sig);
	assert_int_equal(post_signed(d, "/signed", &s, event, strlen(event)),
			 401);
	/* Signed for another id. */
	sign("msg_other", s.timestamp, event, strlen(event), sig);
	assert_int_equal(post_signed(d, "/signed", &s, event, strlen(event)),
			 401);
	/* Not base64 at all. */
	s.signature = "v1,not-a-signature";
	assert_int_equal(post_signed(d, "/signed", &s, event, strlen(event)),
			 401);
}

static void missing_signature_headers_are_401(void **state)
{
	struct daemon *d = *state;
	char id[64], ts[32], sig[64];
	const char *full_id = fresh_id(id, sizeof(id));
	const char *full_ts = timestamp_from_now(0, ts, sizeof(ts));
	const struct signed_request cases[] = {
		{"webhook", NULL, NULL, NULL},
		{"webhook", NULL, full_ts, sig},
		{"webhook", full_id, NULL, sig},
		{"webhook", full_id, full_ts, NULL},
		{"webhook", full_id, "", sig},
		{"webhook", full_id, full_ts, ""},
	};

	sign(full_id, full_ts, event, strlen(event), sig);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long status = post_signed(d, "/signed", &cases[i], event,
					  strlen(event));

		if (status != 401)
			fail_msg("case %zu (id %s, timestamp %s, signature "
				 "%s): got %ld, want 401",
				 i, cases[i].id ? "set" : "missing",
				 cases[i].timestamp ? "set" : "missing",
				 cases[i].signature ? "set" : "missing",
				 status);
	}
}

static void token_and_signature_endpoint_needs_both(void **state)
{
	struct daemon *d = *state;
	char id[64], ts[32], good[64];
	struct signed_request s = {"webhook", fresh_id(id, sizeof(id)),
				   timestamp_from_now(0, ts, sizeof(ts)), good};
	struct signed_request bad = s, none = {"webhook", NULL, NULL, NULL};

	bad.signature = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	sign(s.id, s.timestamp, event, strlen(event), good);
	assert_int_equal(post_signed(d, "/both?token=" BOTH_TOKEN, &bad, event,
				     strlen(event)),
			 401);
	assert_int_equal(post_signed(d, "/both?token=wrong", &s, event,
				     strlen(event)),
			 401);
	assert_int_equal(post_signed(d, "/both", &s, event, strlen(event)),
			 401);
	assert_int_equal(post_signed(d, "/both?token=" BOTH_TOKEN, &none, event,
				     strlen(event)),
			 401);
	/* Both right: accepted. */
	assert_int_equal(post_signed(d, "/both?token=" BOTH_TOKEN, &s, event,
				     strlen(event)),
			 200);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signer_reproduces_the_recall_test_vector),
		T(correctly_signed_request_is_accepted),
		T(svix_header_spelling_is_accepted),
		T(timestamp_four_minutes_off_is_accepted),
		T(timestamp_ten_minutes_off_is_401),
		T(any_matching_entry_among_several_is_accepted),
		T(entries_of_other_versions_are_not_accepted),
		T(wrong_signature_is_401),
		T(missing_signature_headers_are_401),
		T(token_and_signature_endpoint_needs_both),
	};

	return cmocka_run_group_tests_name("integration_signature_http", tests,
					   NULL, NULL);
}
