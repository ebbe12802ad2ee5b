/* The nats handler's pure parts: subject templates and their sanitizing,
 * the Nats-Msg-Id and header escaping, and the publish-error table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "msgid.h"
#include "nats_url.h"
#include "subject.h"
#include "verdict.h"

static struct rtw_event event_of(const char *type, const char *bot,
				 const char *recording)
{
	return (struct rtw_event){.size = sizeof(struct rtw_event),
				  .type_name = type,
				  .bot_id = bot,
				  .recording_id = recording,
				  .body = "{}",
				  .body_len = 2};
}

static void render(const char *template, const struct rtw_event *ev,
		   const char *expect)
{
	char why[256] = "", out[SUBJECT_MAX];
	struct subject_template *t =
	    subject_compile(template, why, sizeof(why));

	if (t == NULL)
		fail_msg("'%s' refused: %s", template, why);
	assert_true(subject_render(t, ev, out, sizeof(out)) >= 0);
	assert_string_equal(out, expect);
	subject_free(t);
}

static void test_default_template_renders_event_and_bot(void **state)
{
	struct rtw_event ev = event_of("transcript.data", "5b1e-2f4c", "r1");

	(void)state;
	render("recall.{event}.{bot_id}", &ev,
	       "recall.transcript_data.5b1e-2f4c");
	render("rec.{recording_id}.x", &ev, "rec.r1.x");
	render("fixed.subject", &ev, "fixed.subject");
	render("a.bot-{bot_id}-{event}", &ev,
	       "a.bot-5b1e-2f4c-transcript_data");
}

static void test_values_are_sanitized_into_one_token(void **state)
{
	struct rtw_event ev = event_of("a.b*c>d e\tf", "x.y", NULL);

	(void)state;
	render("recall.{event}.{bot_id}", &ev, "recall.a_b_c_d_e_f.x_y");
	/* absent or empty: "_", so the subject keeps all its tokens */
	render("recall.{recording_id}.{bot_id}", &ev, "recall._.x_y");
	ev.bot_id = "";
	render("recall.{bot_id}", &ev, "recall._");
}

static void test_non_ascii_is_kept(void **state)
{
	struct rtw_event ev = event_of("x", "caf\xc3\xa9", NULL);

	(void)state;
	render("r.{bot_id}", &ev, "r.caf\xc3\xa9");
}

static const struct bad_template {
	const char *text;
	const char *why;
} bad_templates[] = {
    {"", "empty token"},
    {".recall", "empty token"},
    {"recall.", "empty token"},
    {"recall..{bot_id}", "empty token"},
    {"recall.*", "wildcard"},
    {"recall.>", "wildcard"},
    {"recall. x", "wildcard, space"},
    {"recall.{bot}", "unknown placeholder"},
    {"recall.{bot_id", "unknown placeholder"},
    {"recall.bot_id}", "'}' without '{'"},
};

static void test_bad_templates_are_refused_with_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_templates) / sizeof(*bad_templates);
	     i++) {
		char why[256] = "";
		struct subject_template *t =
		    subject_compile(bad_templates[i].text, why, sizeof(why));

		if (t != NULL)
			fail_msg("'%s' accepted", bad_templates[i].text);
		if (strstr(why, bad_templates[i].why) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'",
				 bad_templates[i].text, why,
				 bad_templates[i].why);
	}
}

static void test_stream_filter_is_the_fixed_prefix(void **state)
{
	static const struct {
		const char *text, *filter;
	} cases[] = {
	    {"recall.{event}.{bot_id}", "recall.>"},
	    {"a.b.{bot_id}", "a.b.>"},
	    {"a.b-{bot_id}.c", "a.>"},
	    {"fixed.one", "fixed.one"},
	    {"{event}.x", NULL},
	    {"x{event}.y", NULL},
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct subject_template *t =
		    subject_compile(cases[i].text, why, sizeof(why));
		const char *f;

		assert_non_null(t);
		f = subject_stream_filter(t);
		if (cases[i].filter == NULL)
			assert_null(f);
		else
			assert_string_equal(f, cases[i].filter);
		subject_free(t);
	}
}

static void test_render_refuses_what_does_not_fit(void **state)
{
	struct rtw_event ev = event_of("t", "0123456789", NULL);
	char why[64], out[16];
	struct subject_template *t = subject_compile("r.{bot_id}", why, 64);

	(void)state;
	assert_int_equal(subject_render(t, &ev, out, 12), -1);
	assert_int_equal(subject_render(t, &ev, out, 13), 12);
	assert_string_equal(out, "r.0123456789");
	subject_free(t);
}

static void test_msgid_is_the_host_dedup_key(void **state)
{
	struct rtw_event ev = event_of("t", "b", NULL);
	char id[MSGID_MAX];

	(void)state;
	ev.dedup_key = "id:msg_2abc";
	msgid_make(&ev, id);
	assert_string_equal(id, "id:msg_2abc");
	ev.dedup_key = "id:a b\r\nX-Evil: 1%";
	msgid_make(&ev, id);
	assert_string_equal(id, "id:a%20b%0D%0AX-Evil:%201%25");
}

static void test_msgid_without_key_digests_the_body(void **state)
{
	struct rtw_event a = event_of("t", "b", NULL), b = a;
	char ida[MSGID_MAX], idb[MSGID_MAX];

	(void)state;
	/* a host older than ABI 1.1: the struct ends before dedup_key */
	a.size = b.size = offsetof(struct rtw_event, dedup_key);
	a.dedup_key = b.dedup_key = "id:ignored";
	b.body = "{ }";
	b.body_len = 3;
	msgid_make(&a, ida);
	msgid_make(&b, idb);
	assert_int_equal(strncmp(ida, "fnv:", 4), 0);
	assert_int_equal(strlen(ida), 4 + 32);
	assert_string_not_equal(ida, idb);
	msgid_make(&a, idb);
	assert_string_equal(ida, idb); /* stable */
}

static void test_overlong_key_is_digested(void **state)
{
	struct rtw_event ev = event_of("t", "b", NULL);
	char key[600], id[MSGID_MAX], again[MSGID_MAX];

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	ev.dedup_key = key;
	msgid_make(&ev, id);
	assert_int_equal(strncmp(id, "fnv:", 4), 0);
	key[10] = 'j';
	msgid_make(&ev, again);
	assert_string_not_equal(id, again);
}

static void test_fnv_digest_matches_the_reference(void **state)
{
	char id[MSGID_MAX];

	(void)state;
	/* FNV-1a 128 of "" is the offset basis; of "a" per the reference
	 * implementation. */
	msgid_digest("", 0, id);
	assert_string_equal(id, "fnv:6c62272e07bb014262b821756295c58d");
	msgid_digest("a", 1, id);
	assert_string_equal(id, "fnv:d228cb696f1a8caf78912b704e4a8964");
}

static void test_verdicts(void **state)
{
	static const struct {
		natsStatus s;
		jsErrCode jerr;
		enum rtw_result r;
		int stream_missing;
	} cases[] = {
	    {NATS_OK, 0, RTW_OK, 0},
	    {NATS_TIMEOUT, 0, RTW_RETRY, 0},
	    {NATS_CONNECTION_CLOSED, 0, RTW_RETRY, 0},
	    {NATS_CONNECTION_DISCONNECTED, 0, RTW_RETRY, 0},
	    {NATS_NO_RESPONDERS, 0, RTW_RETRY, 1},
	    {NATS_NOT_FOUND, JSStreamNotFoundErr, RTW_RETRY, 1},
	    {NATS_ERR, JSStreamNotMatchErr, RTW_RETRY, 0},
	    {NATS_NOT_PERMITTED, 0, RTW_RETRY, 0},
	    {NATS_MAX_PAYLOAD, 0, RTW_FAIL, 0},
	    {NATS_ERR, JSStreamMessageExceedsMaximumErr, RTW_FAIL, 0},
	    {NATS_INVALID_SUBJECT, 0, RTW_FAIL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct verdict v = verdict_of(cases[i].s, cases[i].jerr);

		if (v.result != cases[i].r ||
		    v.stream_missing != cases[i].stream_missing)
			fail_msg("case %zu (status %d, jerr %d): %d/%d", i,
				 (int)cases[i].s, (int)cases[i].jerr,
				 (int)v.result, v.stream_missing);
	}
}

static void test_urls_are_checked(void **state)
{
	static const char *const good[] = {
	    "nats://127.0.0.1:4222",  "nats://localhost",
	    "tls://h.example:1",      "nats://u:p@h:4222",
	    "nats://a:1, nats://b:2", "nats://[::1]:4222",
	};
	static const char *const bad[] = {
	    "127.0.0.1:4222", "http://h:1",  "nats://",
	    "nats://:4222",   "nats://h:0",  "nats://h:65536",
	    "nats://h:x",     "nats://a:1,", "nats://h/path",
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (natsurl_check(good[i], why, sizeof(why)) != 0)
			fail_msg("'%s' refused: %s", good[i], why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (natsurl_check(bad[i], why, sizeof(why)) == 0)
			fail_msg("'%s' accepted", bad[i]);
	/* the reason never shows a password */
	assert_int_not_equal(
	    natsurl_check("nats://u:s3cret@h:x", why, sizeof(why)), 0);
	assert_null(strstr(why, "s3cret"));
	assert_non_null(strstr(why, "nats://h:x"));
}

static void test_redacted_url_has_no_user_information(void **state)
{
	char out[128];

	(void)state;
	natsurl_redact("nats://u:pw@host:4222", out, sizeof(out));
	assert_string_equal(out, "nats://host:4222");
	natsurl_redact("nats://host:4222", out, sizeof(out));
	assert_string_equal(out, "nats://host:4222");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_template_renders_event_and_bot),
	    cmocka_unit_test(test_values_are_sanitized_into_one_token),
	    cmocka_unit_test(test_non_ascii_is_kept),
	    cmocka_unit_test(test_bad_templates_are_refused_with_reason),
	    cmocka_unit_test(test_stream_filter_is_the_fixed_prefix),
	    cmocka_unit_test(test_render_refuses_what_does_not_fit),
	    cmocka_unit_test(test_msgid_is_the_host_dedup_key),
	    cmocka_unit_test(test_msgid_without_key_digests_the_body),
	    cmocka_unit_test(test_overlong_key_is_digested),
	    cmocka_unit_test(test_fnv_digest_matches_the_reference),
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_urls_are_checked),
	    cmocka_unit_test(test_redacted_url_has_no_user_information),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
