/* The envelope rules of event_parse and the event type table: what is
 * accepted (leniently, since a 4xx kills a Recall feed), what is refused,
 * and how the typed view relates to the received bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The 13 documented types, written out here as the specification (not
 * copied from event.c). */
static const struct {
	enum rtw_event_type type;
	const char *name;
	int participant;
} known_types[] = {
    {RTW_EVENT_PARTICIPANT_JOIN, "participant_events.join", 1},
    {RTW_EVENT_PARTICIPANT_LEAVE, "participant_events.leave", 1},
    {RTW_EVENT_PARTICIPANT_UPDATE, "participant_events.update", 1},
    {RTW_EVENT_PARTICIPANT_SPEECH_ON, "participant_events.speech_on", 1},
    {RTW_EVENT_PARTICIPANT_SPEECH_OFF, "participant_events.speech_off", 1},
    {RTW_EVENT_PARTICIPANT_WEBCAM_ON, "participant_events.webcam_on", 1},
    {RTW_EVENT_PARTICIPANT_WEBCAM_OFF, "participant_events.webcam_off", 1},
    {RTW_EVENT_PARTICIPANT_SCREENSHARE_ON, "participant_events.screenshare_on",
     1},
    {RTW_EVENT_PARTICIPANT_SCREENSHARE_OFF,
     "participant_events.screenshare_off", 1},
    {RTW_EVENT_PARTICIPANT_CHAT_MESSAGE, "participant_events.chat_message", 1},
    {RTW_EVENT_TRANSCRIPT_DATA, "transcript.data", 0},
    {RTW_EVENT_TRANSCRIPT_PARTIAL_DATA, "transcript.partial_data", 0},
    {RTW_EVENT_TRANSCRIPT_PROVIDER_DATA, "transcript.provider_data", 0},
};

static void parse_ok(struct event *ev, const char *body)
{
	char why[256] = "";

	if (event_parse(ev, body, strlen(body), why, sizeof(why)) != 0)
		fail_msg("rejected %s: %s", body, why);
}

static void parse_rejected(const char *body)
{
	char why[256] = "";
	struct event ev;

	if (event_parse(&ev, body, strlen(body), why, sizeof(why)) != -1)
		fail_msg("accepted %s", body);
	assert_true(strlen(why) > 0);
}

static void view_body_points_at_the_input_bytes(void **state)
{
	const char *body = "{\"event\":\"transcript.data\",\"data\":{}}";
	struct event ev;

	parse_ok(&ev, body);
	assert_ptr_equal(ev.view.body, body);
	assert_int_equal(ev.view.body_len, strlen(body));
	event_clear(&ev);
}

static void parse_reads_only_len_bytes_of_an_unterminated_buffer(void **state)
{
	static const char envelope[] = "{\"event\":\"x\",\"data\":{}}";
	size_t len = sizeof(envelope) - 1;
	char *buf = malloc(len + 5);
	char why[256] = "";
	struct event ev;

	assert_non_null(buf);
	memcpy(buf, envelope, len);
	memcpy(buf + len, "junk!", 5); /* no NUL anywhere */
	assert_int_equal(event_parse(&ev, buf, len, why, sizeof(why)), 0);
	assert_int_equal(ev.view.body_len, len);
	event_clear(&ev);
	free(buf);
}

static void view_carries_struct_sizes_and_the_parsed_object(void **state)
{
	struct event ev;

	parse_ok(&ev, "{\"event\":\"participant_events.join\",\"data\":{"
		      "\"data\":{\"participant\":{\"id\":1}}}}");
	assert_int_equal(ev.view.size, sizeof(struct rtw_event));
	assert_non_null(ev.view.participant);
	assert_int_equal(ev.view.participant->size,
			 sizeof(struct rtw_participant));
	assert_true(json_is_object(ev.view.json));
	assert_ptr_equal(
	    ev.view.payload,
	    json_object_get(json_object_get(ev.view.json, "data"), "data"));
	event_clear(&ev);
}

static void known_type_names_and_enums_round_trip(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(known_types); i++) {
		const char *name = known_types[i].name;

		if (event_type_of(name) != known_types[i].type)
			fail_msg("event_type_of(%s) is wrong", name);
		if (event_type_name(known_types[i].type) == NULL ||
		    strcmp(event_type_name(known_types[i].type), name) != 0)
			fail_msg("event_type_name(%d) is not %s",
				 (int)known_types[i].type, name);
	}
}

static void parsed_known_type_gets_its_enum(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(known_types); i++) {
		char body[256];
		struct event ev;

		snprintf(body, sizeof(body), "{\"event\":\"%s\",\"data\":{}}",
			 known_types[i].name);
		parse_ok(&ev, body);
		if (ev.view.type != known_types[i].type)
			fail_msg("%s parsed as type %d", known_types[i].name,
				 (int)ev.view.type);
		event_clear(&ev);
	}
}

static void
participant_types_are_exactly_the_ten_participant_events(void **state)
{
	assert_false(event_type_is_participant(RTW_EVENT_UNKNOWN));
	for (size_t i = 0; i < ARRAY_LEN(known_types); i++)
		if (!event_type_is_participant(known_types[i].type) !=
		    !known_types[i].participant)
			fail_msg("%s misclassified", known_types[i].name);
}

static void unknown_type_has_no_documented_name(void **state)
{
	assert_null(event_type_name(RTW_EVENT_UNKNOWN));
	assert_null(event_type_name((enum rtw_event_type)999));
}

static void type_names_match_exactly_and_case_sensitively(void **state)
{
	static const char *near_misses[] = {
	    "participant_events.JOIN", "Transcript.data", "transcript.data ",
	    " transcript.data",	       "transcript.",	  "participant_events.",
	    "transcript.data.extra",   "transcript_data", "",
	};

	for (size_t i = 0; i < ARRAY_LEN(near_misses); i++)
		if (event_type_of(near_misses[i]) != RTW_EVENT_UNKNOWN)
			fail_msg("'%s' taken for a known type", near_misses[i]);
}

static void unknown_event_type_is_accepted_with_its_name_kept(void **state)
{
	struct event ev;

	parse_ok(&ev, "{\"event\":\"bot.some_future_event\",\"data\":{}}");
	assert_int_equal(ev.view.type, RTW_EVENT_UNKNOWN);
	assert_string_equal(ev.view.type_name, "bot.some_future_event");
	event_clear(&ev);
}

static void event_string_with_escaped_nul_is_rejected(void **state)
{
	static const char *bodies[] = {
	    "{\"event\":\"\\u0000\",\"data\":{}}",
	    "{\"event\":\"transcript.data\\u0000\",\"data\":{}}",
	    "{\"event\":\"\\u0000transcript.data\",\"data\":{}}",
	    "{\"event\":\"transcript.data\\u0000x\",\"data\":{}}",
	};

	for (size_t i = 0; i < ARRAY_LEN(bodies); i++)
		parse_rejected(bodies[i]);
}

static void escaped_nul_outside_the_event_string_is_accepted(void **state)
{
	struct event ev;

	parse_ok(&ev, "{\"event\":\"participant_events.join\",\"data\":{"
		      "\"data\":{\"participant\":{\"name\":\"A\\u0000B\"}}}}");
	assert_int_equal(ev.view.type, RTW_EVENT_PARTICIPANT_JOIN);
	event_clear(&ev);
}

static void duplicated_keys_are_accepted_and_the_last_value_wins(void **state)
{
	struct event ev;

	parse_ok(&ev, "{\"event\":\"participant_events.join\","
		      "\"data\":{\"bot\":{\"id\":\"first\"},"
		      "\"bot\":{\"id\":\"second\"}},"
		      "\"event\":\"transcript.data\"}");
	assert_int_equal(ev.view.type, RTW_EVENT_TRANSCRIPT_DATA);
	assert_string_equal(ev.view.bot_id, "second");
	event_clear(&ev);
}

static void whitespace_around_the_object_is_accepted(void **state)
{
	struct event ev;

	parse_ok(&ev, " \r\n\t{\"event\":\"x\",\"data\":{}} \r\n");
	assert_string_equal(ev.view.type_name, "x");
	event_clear(&ev);
}

static void null_payload_gives_no_payload_and_no_participant(void **state)
{
	struct event ev;

	parse_ok(&ev, "{\"event\":\"participant_events.join\","
		      "\"data\":{\"data\":null}}");
	assert_null(ev.view.payload);
	assert_null(ev.view.participant);
	assert_false(ev.view.timestamp.has_relative);
	event_clear(&ev);
}

static void transcript_without_words_has_no_timestamp(void **state)
{
	struct event ev;

	parse_ok(&ev, "{\"event\":\"transcript.data\",\"data\":{\"data\":{"
		      "\"words\":[],\"participant\":{\"id\":7}}}}");
	assert_false(ev.view.timestamp.has_relative);
	assert_null(ev.view.timestamp.absolute);
	assert_int_equal(ev.view.participant->id, 7);
	event_clear(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(view_body_points_at_the_input_bytes),
	    cmocka_unit_test(
		parse_reads_only_len_bytes_of_an_unterminated_buffer),
	    cmocka_unit_test(view_carries_struct_sizes_and_the_parsed_object),
	    cmocka_unit_test(known_type_names_and_enums_round_trip),
	    cmocka_unit_test(parsed_known_type_gets_its_enum),
	    cmocka_unit_test(
		participant_types_are_exactly_the_ten_participant_events),
	    cmocka_unit_test(unknown_type_has_no_documented_name),
	    cmocka_unit_test(type_names_match_exactly_and_case_sensitively),
	    cmocka_unit_test(unknown_event_type_is_accepted_with_its_name_kept),
	    cmocka_unit_test(event_string_with_escaped_nul_is_rejected),
	    cmocka_unit_test(escaped_nul_outside_the_event_string_is_accepted),
	    cmocka_unit_test(
		duplicated_keys_are_accepted_and_the_last_value_wins),
	    cmocka_unit_test(whitespace_around_the_object_is_accepted),
	    cmocka_unit_test(null_payload_gives_no_payload_and_no_participant),
	    cmocka_unit_test(transcript_without_words_has_no_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
