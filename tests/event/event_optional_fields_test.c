/* "Nothing optional is required": a missing, null or oddly typed optional
 * field leaves its view field empty and the event is still accepted (a 4xx
 * would make Recall retry and then kill the feed). One row per oddity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Envelopes: a join (participant, data.data.timestamp) and a transcript
 * (participant, words[0].start_timestamp); the argument is data.data's
 * members. */
#define JOIN_WITH(payload)                                                     \
	"{\"event\":\"participant_events.join\",\"data\":{\"data\":{" payload  \
	"}}}"
#define TRANSCRIPT_WITH(payload)                                               \
	"{\"event\":\"transcript.data\",\"data\":{\"data\":{" payload "}}}"

static int bot_id_empty(const struct event *ev)
{
	return ev->view.bot_id == NULL;
}

static int recording_id_empty(const struct event *ev)
{
	return ev->view.recording_id == NULL;
}

static int no_participant(const struct event *ev)
{
	return ev->view.participant == NULL;
}

static int participant_id_empty(const struct event *ev)
{
	return ev->view.participant != NULL && !ev->view.participant->has_id;
}

static int participant_name_empty(const struct event *ev)
{
	return ev->view.participant != NULL &&
	       ev->view.participant->name == NULL;
}

static int participant_email_empty(const struct event *ev)
{
	return ev->view.participant != NULL &&
	       ev->view.participant->email == NULL;
}

static int is_host_unknown(const struct event *ev)
{
	return ev->view.participant != NULL &&
	       ev->view.participant->is_host == -1;
}

static int relative_empty(const struct event *ev)
{
	return !ev->view.timestamp.has_relative;
}

static int absolute_empty(const struct event *ev)
{
	return ev->view.timestamp.absolute == NULL;
}

static int timestamp_empty(const struct event *ev)
{
	return relative_empty(ev) && absolute_empty(ev);
}

static int no_payload_fields(const struct event *ev)
{
	return no_participant(ev) && timestamp_empty(ev);
}

static const struct odd_field {
	const char *what;
	const char *body;
	int (*left_empty)(const struct event *ev);
} odd_fields[] = {
    {"bot id is a number", "{\"event\":\"x\",\"data\":{\"bot\":{\"id\":42}}}",
     bot_id_empty},
    {"bot is a string", "{\"event\":\"x\",\"data\":{\"bot\":\"b\"}}",
     bot_id_empty},
    {"bot has no id", "{\"event\":\"x\",\"data\":{\"bot\":{}}}", bot_id_empty},
    {"recording id is null",
     "{\"event\":\"x\",\"data\":{\"recording\":{\"id\":null}}}",
     recording_id_empty},
    {"recording is an array",
     "{\"event\":\"x\",\"data\":{\"recording\":[\"r\"]}}", recording_id_empty},
    {"data.data is a string",
     "{\"event\":\"participant_events.join\",\"data\":{\"data\":\"{}\"}}",
     no_payload_fields},
    {"participant is an array", JOIN_WITH("\"participant\":[1]"),
     no_participant},
    {"participant is null", JOIN_WITH("\"participant\":null"), no_participant},
    {"participant id is a string",
     JOIN_WITH("\"participant\":{\"id\":\"100\"}"), participant_id_empty},
    {"participant id is a fraction", JOIN_WITH("\"participant\":{\"id\":1.5}"),
     participant_id_empty},
    {"participant name is a number", JOIN_WITH("\"participant\":{\"name\":7}"),
     participant_name_empty},
    {"participant email is false",
     JOIN_WITH("\"participant\":{\"email\":false}"), participant_email_empty},
    {"is_host is a string", JOIN_WITH("\"participant\":{\"is_host\":\"true\"}"),
     is_host_unknown},
    {"is_host is a number", JOIN_WITH("\"participant\":{\"is_host\":1}"),
     is_host_unknown},
    {"is_host is missing", JOIN_WITH("\"participant\":{}"), is_host_unknown},
    {"timestamp is a string", JOIN_WITH("\"timestamp\":\"12.5\""),
     timestamp_empty},
    {"relative is a string", JOIN_WITH("\"timestamp\":{\"relative\":\"12.5\"}"),
     relative_empty},
    {"absolute is a number",
     JOIN_WITH("\"timestamp\":{\"relative\":1,\"absolute\":5}"),
     absolute_empty},
    {"words is an object", TRANSCRIPT_WITH("\"words\":{\"text\":\"a\"}"),
     timestamp_empty},
    {"first word has a null start",
     TRANSCRIPT_WITH("\"words\":[{\"start_timestamp\":null}]"),
     timestamp_empty},
    {"first word is a string", TRANSCRIPT_WITH("\"words\":[\"a\"]"),
     timestamp_empty},
};

static void odd_optional_field_is_left_empty_and_accepted(void **state)
{
	const struct odd_field *row = *state;
	const char *body = row->body;
	char why[256] = "";
	struct event ev;

	if (event_parse(&ev, body, strlen(body), why, sizeof(why)) != 0)
		fail_msg("%s: rejected: %s", row->what, why);
	if (!row->left_empty(&ev))
		fail_msg("%s: the view field was not left empty", row->what);
	event_clear(&ev);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_LEN(odd_fields)];

	for (size_t i = 0; i < ARRAY_LEN(odd_fields); i++)
		tests[i] = (struct CMUnitTest){
		    .name = odd_fields[i].what,
		    .test_func = odd_optional_field_is_left_empty_and_accepted,
		    .initial_state = (void *)&odd_fields[i],
		};
	return _cmocka_run_group_tests("event_optional_fields", tests,
				       ARRAY_LEN(tests), NULL, NULL);
}
