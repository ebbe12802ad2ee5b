/* One rule per event type (its artifact key and payload kind), and a
 * checker per part of the envelope. Unknown extra keys are reported:
 * the generator should write only what the page documents. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "synth_shape.h"

enum payload_kind { PARTICIPANT, CHAT, TRANSCRIPT };

static const struct type_rule {
	const char *type;
	const char *artifact;
	enum payload_kind kind;
} rules[] = {
	{"participant_events.join", "participant_events", PARTICIPANT},
	{"participant_events.leave", "participant_events", PARTICIPANT},
	{"participant_events.update", "participant_events", PARTICIPANT},
	{"participant_events.speech_on", "participant_events", PARTICIPANT},
	{"participant_events.speech_off", "participant_events", PARTICIPANT},
	{"participant_events.webcam_on", "participant_events", PARTICIPANT},
	{"participant_events.webcam_off", "participant_events", PARTICIPANT},
	{"participant_events.screenshare_on", "participant_events",
	 PARTICIPANT},
	{"participant_events.screenshare_off", "participant_events",
	 PARTICIPANT},
	{"participant_events.chat_message", "participant_events", CHAT},
	{"transcript.data", "transcript", TRANSCRIPT},
	{"transcript.partial_data", "transcript", TRANSCRIPT},
};

#define FAIL(...)                                      \
	do {                                           \
		snprintf(why, whylen, __VA_ARGS__);    \
		return -1;                             \
	} while (0)

/* obj is an object whose keys are exactly those listed (NULL-ended). */
static int exact_keys(const json_t *obj, const char *const *keys,
		      const char *what, char *why, size_t whylen)
{
	size_t n = 0;

	if (!json_is_object(obj))
		FAIL("%s is not an object", what);
	for (; keys[n] != NULL; n++)
		if (json_object_get(obj, keys[n]) == NULL)
			FAIL("%s has no \"%s\"", what, keys[n]);
	if (json_object_size(obj) != n)
		FAIL("%s has %zu keys, expected %zu", what,
		     json_object_size(obj), n);
	return 0;
}

int synth_shape_is_iso8601(const char *t)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (t == NULL || strlen(t) != sizeof(pattern) - 1)
		return 0;
	for (size_t i = 0; pattern[i] != '\0'; i++)
		if (pattern[i] == 'd' ? !isdigit((unsigned char)t[i])
				      : t[i] != pattern[i])
			return 0;
	return 1;
}

/* {"id": "<uuid>", "metadata": {<string>: <string>}} */
static int check_ref(const json_t *ref, const char *what, char *why,
		     size_t whylen)
{
	static const char *const keys[] = {"id", "metadata", NULL};
	const char *id = json_string_value(json_object_get(ref, "id"));
	const char *k;
	json_t *v;

	if (exact_keys(ref, keys, what, why, whylen) != 0)
		return -1;
	if (id == NULL || strlen(id) != 36 || id[8] != '-' || id[14] != '4')
		FAIL("%s.id is not a v4 UUID", what);
	json_object_foreach(json_object_get(ref, "metadata"), k, v)
		if (!json_is_string(v))
			FAIL("%s.metadata.%s is not a string", what, k);
	return 0;
}

static int string_or_null(const json_t *v)
{
	return json_is_string(v) || json_is_null(v);
}

static int check_participant(const json_t *p, char *why, size_t whylen)
{
	static const char *const keys[] = {"id", "name", "is_host",
					   "platform", "extra_data", "email",
					   NULL};

	if (exact_keys(p, keys, "participant", why, whylen) != 0)
		return -1;
	if (!json_is_integer(json_object_get(p, "id")) ||
	    !string_or_null(json_object_get(p, "name")) ||
	    !json_is_boolean(json_object_get(p, "is_host")) ||
	    !string_or_null(json_object_get(p, "platform")) ||
	    !json_is_object(json_object_get(p, "extra_data")) ||
	    !string_or_null(json_object_get(p, "email")))
		FAIL("participant field of the wrong type");
	return 0;
}

/* {"relative": number, "absolute"?: ISO string}; absolute required for
 * participant events' timestamp. */
static int check_time(const json_t *t, int need_absolute, const char *what,
		      char *why, size_t whylen)
{
	const json_t *abs = json_object_get(t, "absolute");

	if (!json_is_object(t) ||
	    !json_is_number(json_object_get(t, "relative")))
		FAIL("%s has no numeric relative", what);
	if ((need_absolute || abs != NULL) &&
	    !synth_shape_is_iso8601(json_string_value(abs)))
		FAIL("%s.absolute is not ISO 8601 UTC", what);
	if (json_object_size(t) != (abs != NULL ? 2u : 1u))
		FAIL("%s has unexpected keys", what);
	return 0;
}

static int check_chat(const json_t *chat, char *why, size_t whylen)
{
	static const char *const keys[] = {"text", "to", NULL};
	const char *to = json_string_value(json_object_get(chat, "to"));

	if (exact_keys(chat, keys, "data.data.data", why, whylen) != 0)
		return -1;
	if (!json_is_string(json_object_get(chat, "text")) || to == NULL ||
	    (strcmp(to, "everyone") != 0 && strcmp(to, "only_bot") != 0))
		FAIL("chat data has wrong text or to");
	return 0;
}

static int check_participant_payload(const json_t *d, enum payload_kind kind,
				     char *why, size_t whylen)
{
	static const char *const keys[] = {"participant", "timestamp", "data",
					   NULL};
	const json_t *data = json_object_get(d, "data");

	if (exact_keys(d, keys, "data.data", why, whylen) != 0 ||
	    check_participant(json_object_get(d, "participant"), why,
			      whylen) != 0 ||
	    check_time(json_object_get(d, "timestamp"), 1, "timestamp", why,
		       whylen) != 0)
		return -1;
	if (kind == CHAT)
		return check_chat(data, why, whylen);
	if (!json_is_null(data))
		FAIL("data.data.data is not null outside chat messages");
	return 0;
}

static int check_word(const json_t *w, char *why, size_t whylen)
{
	static const char *const keys[] = {"text", "start_timestamp",
					   "end_timestamp", NULL};
	const json_t *end = json_object_get(w, "end_timestamp");

	if (exact_keys(w, keys, "word", why, whylen) != 0 ||
	    check_time(json_object_get(w, "start_timestamp"), 0,
		       "start_timestamp", why, whylen) != 0)
		return -1;
	if (!json_is_string(json_object_get(w, "text")))
		FAIL("word text is not a string");
	return json_is_null(end) ? 0
				 : check_time(end, 0, "end_timestamp", why,
					      whylen);
}

static int check_transcript_payload(const json_t *d, char *why,
				    size_t whylen)
{
	static const char *const keys[] = {"words", "participant", NULL};
	const json_t *words = json_object_get(d, "words");
	size_t i;
	json_t *w;

	if (exact_keys(d, keys, "data.data", why, whylen) != 0 ||
	    check_participant(json_object_get(d, "participant"), why,
			      whylen) != 0)
		return -1;
	if (!json_is_array(words) || json_array_size(words) == 0)
		FAIL("words is not a non-empty array");
	json_array_foreach(words, i, w)
		if (check_word(w, why, whylen) != 0)
			return -1;
	return 0;
}

static const struct type_rule *rule_for(const char *type)
{
	for (size_t i = 0; type != NULL && i < sizeof(rules) / sizeof(rules[0]);
	     i++)
		if (strcmp(rules[i].type, type) == 0)
			return &rules[i];
	return NULL;
}

int synth_shape_check(const json_t *event, char *why, size_t whylen)
{
	static const char *const top[] = {"event", "data", NULL};
	const struct type_rule *rule =
		rule_for(json_string_value(json_object_get(event, "event")));
	const json_t *data = json_object_get(event, "data");
	const char *envelope[] = {"data", "realtime_endpoint", NULL,
				  "recording", "bot", NULL};

	if (exact_keys(event, top, "event", why, whylen) != 0)
		return -1;
	if (rule == NULL)
		FAIL("unknown event type");
	envelope[2] = rule->artifact;
	if (exact_keys(data, envelope, "data", why, whylen) != 0 ||
	    check_ref(json_object_get(data, "realtime_endpoint"),
		      "realtime_endpoint", why, whylen) != 0 ||
	    check_ref(json_object_get(data, rule->artifact), rule->artifact,
		      why, whylen) != 0 ||
	    check_ref(json_object_get(data, "recording"), "recording", why,
		      whylen) != 0 ||
	    check_ref(json_object_get(data, "bot"), "bot", why, whylen) != 0)
		return -1;
	if (rule->kind == TRANSCRIPT)
		return check_transcript_payload(json_object_get(data, "data"),
						why, whylen);
	return check_participant_payload(json_object_get(data, "data"),
					 rule->kind, why, whylen);
}
