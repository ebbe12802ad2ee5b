/* Specification by example: every event fixture parses into the typed view
 * its .expect sidecar describes, every invalid body is refused with a
 * reason, and every hostile body gets its expected status without a crash.
 * See tests/fixtures/events/README.md for the sidecar format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fixture_file.h"

#define NULL_VALUE "(null)"

/* Fails with the fixture and key named unless got matches want, where
 * want "(null)" stands for NULL. */
static void check_string(const char *where, const char *got, const char *want)
{
	if (strcmp(want, NULL_VALUE) == 0) {
		if (got != NULL)
			fail_msg("%s: expected (null), got '%s'", where, got);
		return;
	}
	if (got == NULL)
		fail_msg("%s: expected '%s', got (null)", where, want);
	if (strcmp(got, want) != 0)
		fail_msg("%s: expected '%s', got '%s'", where, want, got);
}

static void check_number(const char *where, long long got, long long want)
{
	if (got != want)
		fail_msg("%s: expected %lld, got %lld", where, want, got);
}

static const struct rtw_participant *participant_of(const struct event *ev)
{
	return ev->view.participant;
}

static const json_t *words_of(const struct event *ev, const char *where)
{
	const json_t *words = json_object_get(ev->view.payload, "words");

	if (!json_is_array(words))
		fail_msg("%s: payload has no words array", where);
	return words;
}

static const char *word_text(const json_t *words, size_t i)
{
	const char *text = json_string_value(
	    json_object_get(json_array_get(words, i), "text"));

	return text != NULL ? text : "";
}

/* words[].text joined with single spaces, malloc'd. */
static char *joined_words(const json_t *words)
{
	size_t n = json_array_size(words), cap = 1;
	char *text;

	for (size_t i = 0; i < n; i++)
		cap += strlen(word_text(words, i)) + 1;
	text = calloc(1, cap);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(text, " ");
		strcat(text, word_text(words, i));
	}
	return text;
}

static void check_type(const struct event *ev, const char *want,
		       const char *where)
{
	check_string(where, ev->view.type_name, want);
}

static void check_known(const struct event *ev, const char *want,
			const char *where)
{
	int known = ev->view.type != RTW_EVENT_UNKNOWN;

	check_number(where, known, strtol(want, NULL, 10));
	if (known)
		check_string(where, event_type_name(ev->view.type),
			     ev->view.type_name);
}

static void check_bot_id(const struct event *ev, const char *want,
			 const char *where)
{
	check_string(where, ev->view.bot_id, want);
}

static void check_recording_id(const struct event *ev, const char *want,
			       const char *where)
{
	check_string(where, ev->view.recording_id, want);
}

static void check_participant_id(const struct event *ev, const char *want,
				 const char *where)
{
	const struct rtw_participant *p = participant_of(ev);

	if (strcmp(want, NULL_VALUE) == 0) {
		if (p != NULL && p->has_id)
			fail_msg("%s: expected (null), got %lld", where,
				 (long long)p->id);
		return;
	}
	if (p == NULL || !p->has_id)
		fail_msg("%s: expected %s, got (null)", where, want);
	check_number(where, p->id, strtoll(want, NULL, 10));
}

static void check_participant_name(const struct event *ev, const char *want,
				   const char *where)
{
	const struct rtw_participant *p = participant_of(ev);

	check_string(where, p != NULL ? p->name : NULL, want);
}

static void check_participant_email(const struct event *ev, const char *want,
				    const char *where)
{
	const struct rtw_participant *p = participant_of(ev);

	check_string(where, p != NULL ? p->email : NULL, want);
}

static void check_participant_is_host(const struct event *ev, const char *want,
				      const char *where)
{
	const struct rtw_participant *p = participant_of(ev);
	int got = p != NULL ? p->is_host : -1;

	check_number(where, got,
		     strcmp(want, NULL_VALUE) == 0 ? -1
						   : strtol(want, NULL, 10));
}

static void check_timestamp_relative(const struct event *ev, const char *want,
				     const char *where)
{
	double expected = strtod(want, NULL);

	if (!ev->view.timestamp.has_relative)
		fail_msg("%s: expected %s, got no relative timestamp", where,
			 want);
	if (ev->view.timestamp.relative != expected)
		fail_msg("%s: expected %s, got %.17g", where, want,
			 ev->view.timestamp.relative);
}

static void check_timestamp_absolute(const struct event *ev, const char *want,
				     const char *where)
{
	check_string(where, ev->view.timestamp.absolute, want);
}

static void check_words(const struct event *ev, const char *want,
			const char *where)
{
	check_number(where, (long long)json_array_size(words_of(ev, where)),
		     strtoll(want, NULL, 10));
}

static void check_text(const struct event *ev, const char *want,
		       const char *where)
{
	char *text = joined_words(words_of(ev, where));

	check_string(where, text, want);
	free(text);
}

static void check_chat_text(const struct event *ev, const char *want,
			    const char *where)
{
	const json_t *chat = json_object_get(ev->view.payload, "data");

	check_string(where, json_string_value(json_object_get(chat, "text")),
		     want);
}

typedef void (*expect_check_fn)(const struct event *ev, const char *want,
				const char *where);

static const struct {
	const char *key;
	expect_check_fn check;
} expect_keys[] = {
    {"type", check_type},
    {"known", check_known},
    {"bot_id", check_bot_id},
    {"recording_id", check_recording_id},
    {"participant_id", check_participant_id},
    {"participant_name", check_participant_name},
    {"participant_email", check_participant_email},
    {"participant_is_host", check_participant_is_host},
    {"timestamp_relative", check_timestamp_relative},
    {"timestamp_absolute", check_timestamp_absolute},
    {"words", check_words},
    {"text", check_text},
    {"chat_text", check_chat_text},
};

static expect_check_fn expect_check_for(const char *key, const char *fixture)
{
	for (size_t i = 0; i < sizeof(expect_keys) / sizeof(expect_keys[0]);
	     i++)
		if (strcmp(expect_keys[i].key, key) == 0)
			return expect_keys[i].check;
	fail_msg("%s: unknown key '%s' in .expect sidecar", fixture, key);
	return NULL;
}

/* Checks one "key=value" line against the view. */
static void check_expect_line(const struct event *ev, char *line,
			      const char *fixture)
{
	char *eq = strchr(line, '=');
	char where[256];

	if (eq == NULL)
		fail_msg("%s: .expect line without '=': %s", fixture, line);
	*eq = '\0';
	snprintf(where, sizeof(where), "%s: %s", fixture, line);
	expect_check_for(line, fixture)(ev, eq + 1, where);
}

/* Checks every line of the sidecar; the type and known keys are required
 * so that an empty sidecar cannot pass without checking anything. */
static void check_expect_text(const struct event *ev, char *text,
			      const char *fixture)
{
	int saw_type =
	    strstr(text, "type=") == text || strstr(text, "\ntype=") != NULL;
	int saw_known = strstr(text, "\nknown=") != NULL;
	char *save = NULL;

	if (!saw_type || !saw_known)
		fail_msg("%s: .expect sidecar lacks type= or known=", fixture);
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		check_expect_line(ev, line, fixture);
}

static void parsed_view_matches_expect_sidecar(void **state)
{
	const char *path = *state;
	size_t len, expect_len;
	char *body = fixture_read(path, &len);
	char *expect = fixture_read_sibling(path, ".expect", &expect_len);
	char why[256] = "";
	struct event ev;

	if (expect == NULL)
		fail_msg("%s has no .expect sidecar", fixture_base(path));
	if (event_parse(&ev, body, len, why, sizeof(why)) != 0)
		fail_msg("%s: rejected: %s", fixture_base(path), why);
	check_expect_text(&ev, expect, fixture_base(path));
	event_clear(&ev);
	free(expect);
	free(body);
}

static void expect_sidecar_has_its_json_fixture(void **state)
{
	const char *path = *state;
	size_t len;
	char *json = fixture_read_sibling(path, ".json", &len);

	if (json == NULL)
		fail_msg("%s has no .json fixture: its checks never run",
			 fixture_base(path));
	free(json);
}

static void invalid_body_is_rejected_with_one_line_reason(void **state)
{
	const char *path = *state;
	size_t len;
	char *body = fixture_read(path, &len);
	char why[256] = "";
	struct event ev;

	if (event_parse(&ev, body, len, why, sizeof(why)) != -1)
		fail_msg("%s: accepted, expected a rejection",
			 fixture_base(path));
	assert_true(strlen(why) > 0);
	assert_null(strchr(why, '\n'));
	assert_null(ev.json);
	free(body);
}

/* The hostile sidecar holds "status=200" (parses) or "status=400". */
static int hostile_expected_status(const char *path)
{
	size_t len;
	char *expect = fixture_read_sibling(path, ".expect", &len);
	int status = 0;

	if (expect == NULL || sscanf(expect, "status=%d", &status) != 1)
		fail_msg("%s: missing or unreadable .expect",
			 fixture_base(path));
	free(expect);
	return status;
}

static void hostile_body_gets_expected_status(void **state)
{
	const char *path = *state;
	int want = hostile_expected_status(path);
	size_t len;
	char *body = fixture_read(path, &len);
	char why[256] = "";
	struct event ev;
	int rc = event_parse(&ev, body, len, why, sizeof(why));

	if (rc != (want == 200 ? 0 : -1))
		fail_msg("%s: expected status %d, parse returned %d (%s)",
			 fixture_base(path), want, rc, why);
	if (rc == 0)
		event_clear(&ev);
	else
		assert_true(strlen(why) > 0);
	free(body);
}

int main(void)
{
	int failed = 0;

	failed += fixture_run_each("event_fixture_views",
				   FIXTURE_EVENTS_DIR "/*.json",
				   parsed_view_matches_expect_sidecar, 25);
	failed += fixture_run_each("event_fixture_sidecars",
				   FIXTURE_EVENTS_DIR "/*.expect",
				   expect_sidecar_has_its_json_fixture, 25);
	failed += fixture_run_each(
	    "event_fixture_invalid", FIXTURE_EVENTS_DIR "/invalid/*.body",
	    invalid_body_is_rejected_with_one_line_reason, 16);
	failed += fixture_run_each("event_fixture_hostile",
				   FIXTURE_EVENTS_DIR "/hostile/*.body",
				   hostile_body_gets_expected_status, 6);
	return failed;
}
