/* Event parsing: envelope checks and the typed view of RECALL_EVENTS.md.
 * Nothing optional is required: a missing, null or oddly typed optional
 * field leaves its view field empty instead of rejecting the event. */
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "json_arena.h"

static const struct {
	enum rtw_event_type type;
	const char *name;
} event_types[] = {
	{RTW_EVENT_PARTICIPANT_JOIN, "participant_events.join"},
	{RTW_EVENT_PARTICIPANT_LEAVE, "participant_events.leave"},
	{RTW_EVENT_PARTICIPANT_UPDATE, "participant_events.update"},
	{RTW_EVENT_PARTICIPANT_SPEECH_ON, "participant_events.speech_on"},
	{RTW_EVENT_PARTICIPANT_SPEECH_OFF, "participant_events.speech_off"},
	{RTW_EVENT_PARTICIPANT_WEBCAM_ON, "participant_events.webcam_on"},
	{RTW_EVENT_PARTICIPANT_WEBCAM_OFF, "participant_events.webcam_off"},
	{RTW_EVENT_PARTICIPANT_SCREENSHARE_ON,
	 "participant_events.screenshare_on"},
	{RTW_EVENT_PARTICIPANT_SCREENSHARE_OFF,
	 "participant_events.screenshare_off"},
	{RTW_EVENT_PARTICIPANT_CHAT_MESSAGE, "participant_events.chat_message"},
	{RTW_EVENT_TRANSCRIPT_DATA, "transcript.data"},
	{RTW_EVENT_TRANSCRIPT_PARTIAL_DATA, "transcript.partial_data"},
	{RTW_EVENT_TRANSCRIPT_PROVIDER_DATA, "transcript.provider_data"},
};

#define EVENT_TYPE_COUNT (sizeof(event_types) / sizeof(event_types[0]))

enum rtw_event_type event_type_of(const char *name)
{
	for (size_t i = 0; i < EVENT_TYPE_COUNT; i++)
		if (strcmp(event_types[i].name, name) == 0)
			return event_types[i].type;
	return RTW_EVENT_UNKNOWN;
}

const char *event_type_name(enum rtw_event_type type)
{
	for (size_t i = 0; i < EVENT_TYPE_COUNT; i++)
		if (event_types[i].type == type)
			return event_types[i].name;
	return NULL;
}

int event_type_is_participant(enum rtw_event_type type)
{
	return type >= RTW_EVENT_PARTICIPANT_JOIN &&
	       type <= RTW_EVENT_PARTICIPANT_CHAT_MESSAGE;
}

static int event_type_is_transcript_words(enum rtw_event_type type)
{
	return type == RTW_EVENT_TRANSCRIPT_DATA ||
	       type == RTW_EVENT_TRANSCRIPT_PARTIAL_DATA;
}

/* A string member, or NULL when absent, null or not a string. */
static const char *string_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The "id" of the object at data.<key>, e.g. data.bot.id. */
static const char *id_of(const json_t *data, const char *key)
{
	return string_at(json_object_get(data, key), "id");
}

static void read_timestamp(const json_t *ts, struct rtw_timestamp *out)
{
	const json_t *rel = json_object_get(ts, "relative");

	if (json_is_number(rel)) {
		out->has_relative = 1;
		out->relative = json_number_value(rel);
	}
	out->absolute = string_at(ts, "absolute");
}

static void read_participant(const json_t *p, struct event *ev)
{
	struct rtw_participant *out = &ev->participant;
	const json_t *id = json_object_get(p, "id");
	const json_t *host = json_object_get(p, "is_host");

	if (!json_is_object(p))
		return;
	out->size = sizeof(*out);
	out->json = p;
	if (json_is_integer(id)) {
		out->has_id = 1;
		out->id = json_integer_value(id);
	}
	out->name = string_at(p, "name");
	out->email = string_at(p, "email");
	out->platform = string_at(p, "platform");
	out->is_host = json_is_boolean(host) ? json_is_true(host) : -1;
	ev->view.participant = out;
}

/* Fills the event-specific part of the view from data.data. */
static void read_payload(struct event *ev, const json_t *payload)
{
	enum rtw_event_type type = ev->view.type;

	if (!json_is_object(payload))
		return;
	read_participant(json_object_get(payload, "participant"), ev);
	if (event_type_is_participant(type)) {
		read_timestamp(json_object_get(payload, "timestamp"),
			       &ev->view.timestamp);
	} else if (event_type_is_transcript_words(type)) {
		const json_t *first =
			json_array_get(json_object_get(payload, "words"), 0);

		read_timestamp(json_object_get(first, "start_timestamp"),
			       &ev->view.timestamp);
	}
}

int event_parse(struct event *ev, const char *body, size_t len, char *why,
		size_t whylen)
{
	const json_t *type, *data;
	json_error_t jerr;

	memset(ev, 0, sizeof(*ev));
	/* Lenient on purpose: a 4xx makes Recall retry for a minute and then
	 * kill the feed, so well-formed JSON is accepted as it is (duplicate
	 * keys keep the last value, \u0000 is allowed in strings). */
	ev->arena = json_arena_new(len); /* NULL: parsed on the heap */
	json_arena_begin(ev->arena);
	ev->json = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	json_arena_end();
	if (ev->json == NULL) {
		json_arena_free(ev->arena);
		ev->arena = NULL;
		snprintf(why, whylen, "not JSON: %s at line %d column %d",
			 jerr.text, jerr.line, jerr.column);
		return -1;
	}
	type = json_object_get(ev->json, "event");
	data = json_object_get(ev->json, "data");
	if (!json_is_object(ev->json))
		snprintf(why, whylen, "body is not a JSON object");
	else if (!json_is_string(type))
		snprintf(why, whylen, "no string 'event'");
	else if (strlen(json_string_value(type)) != json_string_length(type))
		snprintf(why, whylen, "'event' holds a NUL character");
	else if (!json_is_object(data))
		snprintf(why, whylen, "'data' is not an object");
	else
		goto valid;
	event_clear(ev);
	return -1;

valid:
	ev->view.size = sizeof(ev->view);
	ev->view.type_name = json_string_value(type);
	ev->view.type = event_type_of(ev->view.type_name);
	ev->view.bot_id = id_of(data, "bot");
	ev->view.recording_id = id_of(data, "recording");
	ev->view.body = body;
	ev->view.body_len = len;
	ev->view.json = ev->json;
	ev->view.payload = json_object_get(data, "data");
	if (json_is_null(ev->view.payload))
		ev->view.payload = NULL;
	read_payload(ev, ev->view.payload);
	return 0;
}

void event_clear(struct event *ev)
{
	if (ev->arena != NULL)
		json_arena_free(ev->arena);
	else
		json_decref(ev->json);
	memset(ev, 0, sizeof(*ev));
}
