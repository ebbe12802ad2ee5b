/* The expected transcript files of a meeting, from its event bodies. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "oracle.h"

#define ORACLE_BOTS  8
#define ORACLE_NAMES 64

struct oracle_bot {
	char *id;
	json_int_t name_ids[ORACLE_NAMES];
	char *names[ORACLE_NAMES];
	int nnames;
	char *txt;
	char *vtt;
};

struct oracle {
	struct oracle_bot bots[ORACLE_BOTS];
	int nbots;
};

struct oracle *oracle_new(void)
{
	struct oracle *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	return o;
}

void oracle_free(struct oracle *o)
{
	for (int i = 0; i < o->nbots; i++) {
		struct oracle_bot *b = &o->bots[i];

		for (int n = 0; n < b->nnames; n++)
			free(b->names[n]);
		free(b->id);
		free(b->txt);
		free(b->vtt);
	}
	free(o);
}

static struct oracle_bot *oracle_bot(struct oracle *o, const char *id)
{
	for (int i = 0; i < o->nbots; i++)
		if (strcmp(o->bots[i].id, id) == 0)
			return &o->bots[i];
	assert_true(o->nbots < ORACLE_BOTS);
	o->bots[o->nbots].id = strdup(id);
	o->bots[o->nbots].txt = strdup("");
	o->bots[o->nbots].vtt = strdup("WEBVTT\n\n");
	return &o->bots[o->nbots++];
}

static void append(char **acc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append(char **acc, const char *fmt, ...)
{
	char *more = NULL, *joined = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&more, fmt, ap) >= 0);
	va_end(ap);
	assert_true(asprintf(&joined, "%s%s", *acc, more) >= 0);
	free(*acc);
	free(more);
	*acc = joined;
}

static const char *known_name(const struct oracle_bot *b, json_int_t id)
{
	for (int n = b->nnames - 1; n >= 0; n--) /* the latest wins */
		if (b->name_ids[n] == id)
			return b->names[n];
	return NULL;
}

static void remember_name(struct oracle_bot *b, const json_t *participant)
{
	const json_t *id = json_object_get(participant, "id");
	const char *name =
	    json_string_value(json_object_get(participant, "name"));

	if (!json_is_integer(id) || name == NULL || name[0] == '\0')
		return;
	assert_true(b->nnames < ORACLE_NAMES);
	b->name_ids[b->nnames] = json_integer_value(id);
	b->names[b->nnames++] = strdup(name);
}

static void speaker_of(const struct oracle_bot *b, const json_t *participant,
		       char *buf, size_t len)
{
	const json_t *id = json_object_get(participant, "id");
	const char *name =
	    json_string_value(json_object_get(participant, "name"));

	if (name != NULL && name[0] != '\0')
		snprintf(buf, len, "%s", name);
	else if (json_is_integer(id) &&
		 known_name(b, json_integer_value(id)) != NULL)
		snprintf(buf, len, "%s", known_name(b, json_integer_value(id)));
	else if (json_is_integer(id))
		snprintf(buf, len, "participant %lld",
			 (long long)json_integer_value(id));
	else
		snprintf(buf, len, "unknown speaker");
}

static double relative_of(const json_t *word, const char *which)
{
	return json_number_value(
	    json_object_get(json_object_get(word, which), "relative"));
}

static void vtt_time(double t, char *out)
{
	long ms = lround(t * 1000);

	snprintf(out, 32, "%02ld:%02ld:%02ld.%03ld", ms / 3600000,
		 ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

static void add_utterance(struct oracle_bot *b, const json_t *inner)
{
	const json_t *words = json_object_get(inner, "words");
	size_t n = json_array_size(words), i;
	char speaker[512], from[32], to[32];
	char *text = strdup("");
	double start;
	long s;
	json_t *w;

	if (n == 0) {
		free(text);
		return;
	}
	json_array_foreach(words, i, w)
	    append(&text, "%s%s", i ? " " : "",
		   json_string_value(json_object_get(w, "text")));
	start = relative_of(json_array_get(words, 0), "start_timestamp");
	speaker_of(b, json_object_get(inner, "participant"), speaker,
		   sizeof(speaker));
	s = (long)floor(start);
	append(&b->txt, "[%02ld:%02ld:%02ld] %s: %s\n", s / 3600, s / 60 % 60,
	       s % 60, speaker, text);
	vtt_time(start, from);
	vtt_time(relative_of(json_array_get(words, n - 1), "end_timestamp"),
		 to);
	append(&b->vtt, "%s --> %s\n<v %s>%s\n\n", from, to, speaker, text);
	free(text);
}

void oracle_feed(struct oracle *o, const char *body)
{
	json_t *root = json_loads(body, 0, NULL);
	const char *type = json_string_value(json_object_get(root, "event"));
	const json_t *data = json_object_get(root, "data");
	const char *bot = json_string_value(
	    json_object_get(json_object_get(data, "bot"), "id"));
	const json_t *inner = json_object_get(data, "data");
	struct oracle_bot *b;

	assert_non_null(type);
	assert_non_null(bot);
	b = oracle_bot(o, bot);
	if (strcmp(type, "participant_events.join") == 0 ||
	    strcmp(type, "participant_events.update") == 0)
		remember_name(b, json_object_get(inner, "participant"));
	else if (strcmp(type, "transcript.data") == 0)
		add_utterance(b, inner);
	json_decref(root);
}

const char *oracle_txt(struct oracle *o, const char *bot)
{
	return oracle_bot(o, bot)->txt;
}

const char *oracle_vtt(struct oracle *o, const char *bot)
{
	return oracle_bot(o, bot)->vtt;
}
