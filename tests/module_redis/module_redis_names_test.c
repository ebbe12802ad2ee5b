/* The redis handler's stream-name template and url parser, table-driven:
 * what a template expands to (hostile values percent-encoded, absent ones
 * "%none"), which templates and urls are refused and with what reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redis_url.h"
#include "stream_name.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct expansion {
	const char *template, *bot, *recording, *event, *want;
} expansions[] = {
    {"recall:{bot_id}", "0b6c8f5e-1c2d", "r", "transcript.data",
     "recall:0b6c8f5e-1c2d"},
    {"recall", "b", "r", "e", "recall"},
    {"rec:{recording_id}:{event}", "b", "rec-1", "participant_events.join",
     "rec:rec-1:participant_events.join"},
    {"recall:{bot_id}", NULL, "r", "e", "recall:%none"},
    /* A hostile bot id adds no key segment, hash tag, glob or space. */
    {"recall:{bot_id}", "x:y", "r", "e", "recall:x%3Ay"},
    {"recall:{bot_id}", "{tag}*?[a] b", "r", "e",
     "recall:%7Btag%7D%2A%3F%5Ba%5D%20b"},
    {"recall:{bot_id}", "a%3A", "r", "e", "recall:a%253A"},
    {"recall:{bot_id}", "\n\r\x01", "r", "e", "recall:%0A%0D%01"},
    {"recall:{bot_id}", "\xc3\xa9t\xc3\xa9", "r", "e", "recall:%C3%A9t%C3%A9"},
    {"{bot_id}{bot_id}", "ab", "r", "e", "abab"},
};

static void templates_expand_with_values_encoded(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(expansions); i++) {
		const struct expansion *x = &expansions[i];
		struct rtw_event ev = {.size = sizeof(ev),
				       .type_name = x->event,
				       .bot_id = x->bot,
				       .recording_id = x->recording};
		char why[256] = "";
		struct stream_name *sn =
		    stream_name_compile(x->template, why, sizeof(why));
		char *got;
		int oom;

		if (sn == NULL)
			fail_msg("%s refused: %s", x->template, why);
		got = stream_name_expand(sn, &ev, &oom, why, sizeof(why));
		if (got == NULL || strcmp(got, x->want) != 0)
			fail_msg("%s with bot %s gave %s, want %s", x->template,
				 x->bot ? x->bot : "NULL", got ? got : why,
				 x->want);
		free(got);
		stream_name_free(sn);
	}
}

static void fixed_template_is_told_apart(void **state)
{
	char why[256];
	struct stream_name *fixed = stream_name_compile("recall", why, 256);
	struct stream_name *per_bot =
	    stream_name_compile("recall:{bot_id}", why, 256);

	(void)state;
	assert_true(stream_name_is_fixed(fixed));
	assert_false(stream_name_is_fixed(per_bot));
	stream_name_free(fixed);
	stream_name_free(per_bot);
}

static void too_long_value_is_refused_not_cut(void **state)
{
	char bot[STREAM_VALUE_MAX + 2], why[256] = "";
	struct rtw_event ev = {
	    .size = sizeof(ev), .type_name = "e", .bot_id = bot};
	struct stream_name *sn = stream_name_compile("s:{bot_id}", why, 256);
	int oom = 1;

	(void)state;
	memset(bot, 'a', sizeof(bot) - 1);
	bot[sizeof(bot) - 1] = '\0';
	assert_null(stream_name_expand(sn, &ev, &oom, why, sizeof(why)));
	assert_false(oom);
	assert_non_null(strstr(why, "bot id is too long"));
	bot[STREAM_VALUE_MAX] = '\0'; /* exactly the limit: accepted */
	free(stream_name_expand(sn, &ev, &oom, why, sizeof(why)));
	stream_name_free(sn);
}

static const struct refusal {
	const char *text, *reason;
} bad_templates[] = {
    {"", "must not be empty"},
    {"recall:{bot}", "unknown placeholder"},
    {"recall:{bot_id", "unknown placeholder"},
    {"recall:}", "stray brace"},
    {"recall {bot_id}", "space"},
    {"recall:\x01", "control"},
};

static void bad_templates_are_refused_naming_stream(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_templates); i++) {
		char why[256] = "";

		if (stream_name_compile(bad_templates[i].text, why,
					sizeof(why)) != NULL)
			fail_msg("\"%s\" accepted", bad_templates[i].text);
		if (strncmp(why, "stream: ", 8) != 0 ||
		    strstr(why, bad_templates[i].reason) == NULL)
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"",
				 bad_templates[i].text, why,
				 bad_templates[i].reason);
	}
}

static const struct url_case {
	const char *text, *host, *unix_path;
	int port, database, tls;
} good_urls[] = {
    {"redis://127.0.0.1", "127.0.0.1", NULL, 6379, -1, 0},
    {"redis://localhost:6380/3", "localhost", NULL, 6380, 3, 0},
    {"redis://[::1]:7000/0", "::1", NULL, 7000, 0, 0},
    {"redis://h/", "h", NULL, 6379, -1, 0},
    {"rediss://h:6390", "h", NULL, 6390, -1, 1},
    {"unix:/run/redis/redis.sock", NULL, "/run/redis/redis.sock", 0, -1, 0},
    {"unix:///run/r.sock", NULL, "///run/r.sock", 0, -1, 0},
};

static void good_urls_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good_urls); i++) {
		const struct url_case *c = &good_urls[i];
		struct redis_url u;
		char why[256] = "";

		if (redis_url_parse(c->text, &u, why, sizeof(why)) != 0)
			fail_msg("%s refused: %s", c->text, why);
		if (c->host != NULL)
			assert_string_equal(u.host, c->host);
		else
			assert_null(u.host);
		if (c->unix_path != NULL)
			assert_string_equal(u.unix_path, c->unix_path);
		assert_int_equal(u.port, c->port);
		assert_int_equal(u.database, c->database);
		assert_int_equal(u.tls, c->tls);
		redis_url_clear(&u);
	}
}

static const struct refusal bad_urls[] = {
    {"http://h", "must start with"},
    {"127.0.0.1:6379", "must start with"},
    {"redis://", "not redis://HOST"},
    {"redis://h:0", "not redis://HOST"},
    {"redis://h:65536", "not redis://HOST"},
    {"redis://h:12ab", "not redis://HOST"},
    {"redis://h/x", "database"},
    {"redis://h/-1", "database"},
    {"redis://user:secret@h", "credentials"},
    {"redis://:secret@h:6379/0", "credentials"},
    {"unix:relative.sock", "absolute"},
    {"redis://[::1", "not redis://HOST"},
};

static void bad_urls_are_refused_without_echoing_secrets(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_urls); i++) {
		struct redis_url u;
		char why[256] = "";

		if (redis_url_parse(bad_urls[i].text, &u, why, sizeof(why)) ==
		    0)
			fail_msg("%s accepted", bad_urls[i].text);
		if (strncmp(why, "url: ", 5) != 0 ||
		    strstr(why, bad_urls[i].reason) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"",
				 bad_urls[i].text, why, bad_urls[i].reason);
		assert_null(strstr(why, "secret"));
		redis_url_clear(&u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(templates_expand_with_values_encoded),
	    cmocka_unit_test(fixed_template_is_told_apart),
	    cmocka_unit_test(too_long_value_is_refused_not_cut),
	    cmocka_unit_test(bad_templates_are_refused_naming_stream),
	    cmocka_unit_test(good_urls_parse),
	    cmocka_unit_test(bad_urls_are_refused_without_echoing_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
