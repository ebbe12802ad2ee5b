/* Feeds grow as events are read; the bot -> feed index is a jansson
 * object, a hash table that is already at hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feeds.h"

void feeds_init(struct feed_set *set)
{
	memset(set, 0, sizeof(*set));
	set->botless = -1;
}

void feeds_free(struct feed_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct feed *f = &set->feeds[i];

		for (size_t e = 0; e < f->n; e++)
			free(f->events[e].body);
		free(f->events);
		free(f->bot_id);
	}
	free(set->feeds);
	json_decref(set->by_bot);
	feeds_init(set);
}

static const char *bot_id_of(const json_t *event)
{
	const json_t *bot = json_object_get(json_object_get(event, "data"),
					    "bot");

	return json_string_value(json_object_get(bot, "id"));
}

static struct feed *new_feed(struct feed_set *set, const char *bot_id)
{
	struct feed *f;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct feed *grown = realloc(set->feeds, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		set->feeds = grown;
		set->cap = cap;
	}
	f = &set->feeds[set->n];
	memset(f, 0, sizeof(*f));
	f->index = set->n;
	if (bot_id != NULL && (f->bot_id = strdup(bot_id)) == NULL)
		return NULL;
	if (bot_id != NULL &&
	    json_object_set_new(set->by_bot, bot_id,
				json_integer((json_int_t)set->n)) != 0) {
		free(f->bot_id);
		return NULL;
	}
	if (bot_id == NULL)
		set->botless = (ssize_t)set->n;
	set->n++;
	return f;
}

static struct feed *feed_for(struct feed_set *set, const char *bot_id)
{
	const json_t *index;

	if (set->by_bot == NULL && (set->by_bot = json_object()) == NULL)
		return NULL;
	if (bot_id == NULL)
		return set->botless >= 0 ? &set->feeds[set->botless]
					 : new_feed(set, NULL);
	index = json_object_get(set->by_bot, bot_id);
	if (index != NULL)
		return &set->feeds[json_integer_value(index)];
	return new_feed(set, bot_id);
}

static int append(struct feed *f, char *body, size_t len, double at)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct send_event *grown =
			realloc(f->events, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		f->events = grown;
		f->cap = cap;
	}
	f->events[f->n].body = body;
	f->events[f->n].len = len;
	f->events[f->n].at = at;
	f->n++;
	return 0;
}

int feeds_add(struct feed_set *set, const json_t *event, char *body,
	      size_t len)
{
	struct feed *f = feed_for(set, bot_id_of(event));
	double at = 0.0;
	int timed = feeds_event_time(event, &at) == 0;

	if (f == NULL) {
		free(body);
		return -1;
	}
	/* Replay time never goes back: an event without a time, or one that
	 * describes an earlier moment (a late transcript), is due at once. */
	if (f->n > 0 && (!timed || at < f->events[f->n - 1].at))
		at = f->events[f->n - 1].at;
	else if (!timed)
		at = 0.0;
	if (append(f, body, len, at) != 0) {
		free(body);
		return -1;
	}
	set->nevents++;
	return 0;
}

static int relative_of(const json_t *timestamp, double *at)
{
	const json_t *rel = json_object_get(timestamp, "relative");

	if (!json_is_number(rel) || !isfinite(json_number_value(rel)))
		return -1;
	*at = json_number_value(rel);
	return 0;
}

int feeds_event_time(const json_t *event, double *at)
{
	const json_t *payload = json_object_get(
		json_object_get(event, "data"), "data");
	const json_t *words = json_object_get(payload, "words");
	const json_t *last;

	if (relative_of(json_object_get(payload, "timestamp"), at) == 0)
		return 0;
	last = json_array_get(words, json_array_size(words) - 1);
	if (relative_of(json_object_get(last, "end_timestamp"), at) == 0)
		return 0;
	return relative_of(json_object_get(last, "start_timestamp"), at);
}
