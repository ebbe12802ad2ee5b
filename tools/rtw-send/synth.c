/* A meeting is written as a script: joins, then activities drawn from a
 * weighted table until the event budget is spent, then leaves. The clock
 * only moves forward, so every bot's timestamps are non-decreasing both
 * by the daemon's reading (first word's start) and by replay time (last
 * word's end): speech_on, partials, the final transcript and speech_off
 * of one utterance come in that order and in that time. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"
#include "synth_event.h"
#include "synth_words.h"

#define MAX_PEOPLE 5
#define MAX_WORDS 14
#define MAX_PARTIALS 3

struct meeting {
	struct rng rng;
	struct synth_meeting m;
	struct synth_person people[MAX_PEOPLE];
	unsigned npeople;
	int sharer;      /* who shares the screen, or -1 */
	double clock;    /* relative seconds */
	unsigned budget; /* events left for the activities */
	synth_emit_fn emit;
	void *arg;
};

/* Hands event (a new reference, NULL on failure) to the consumer. */
static int emit(struct meeting *mt, json_t *event)
{
	int rc = event != NULL ? mt->emit(mt->arg, event) : -1;

	json_decref(event);
	return rc;
}

static int participant_event(struct meeting *mt, const char *type,
			     const struct synth_person *p, json_t *chat)
{
	return emit(mt, synthev_participant_event(&mt->m, type, p, mt->clock,
						  chat));
}

static struct synth_person *anyone(struct meeting *mt)
{
	return &mt->people[rng_below(&mt->rng, mt->npeople)];
}

static void pause_for(struct meeting *mt, double lo, double hi)
{
	mt->clock += rng_range(&mt->rng, lo, hi);
}

/* The words of one utterance, spoken from t on. */
struct utterance {
	const char *text[MAX_WORDS];
	double start[MAX_WORDS], end[MAX_WORDS];
	unsigned n;
};

static void utterance_draw(struct meeting *mt, struct utterance *u)
{
	double t = mt->clock + rng_range(&mt->rng, 0.05, 0.3);

	u->n = 2 + rng_below(&mt->rng, MAX_WORDS - 1);
	for (unsigned i = 0; i < u->n; i++) {
		u->text[i] = synth_pick(&mt->rng, &synth_vocabulary);
		u->start[i] = t;
		u->end[i] = t + rng_range(&mt->rng, 0.12, 0.55);
		t = u->end[i] + rng_range(&mt->rng, 0.0, 0.12);
	}
}

/* The first n words. Partials carry relative times only; the final one
 * has absolute times on some words and a null end on some (never the
 * last, whose end is when the utterance ends). */
static json_t *utterance_words(struct meeting *mt, const struct utterance *u,
			       unsigned n, int final)
{
	json_t *words = json_array();

	for (unsigned i = 0; words != NULL && i < n; i++) {
		int null_end = final && i + 1 < n &&
			       rng_chance(&mt->rng, 0.1);
		int absolute = final && rng_chance(&mt->rng, 0.6);

		if (json_array_append_new(
			    words, synthev_word(&mt->m, u->text[i],
						u->start[i],
						null_end ? -1.0 : u->end[i],
						absolute)) != 0) {
			json_decref(words);
			return NULL;
		}
	}
	return words;
}

static int act_utterance(struct meeting *mt)
{
	struct synth_person *p = anyone(mt);
	unsigned most = mt->budget - 3 < MAX_PARTIALS ? mt->budget - 3
						       : MAX_PARTIALS;
	unsigned partials = rng_below(&mt->rng, most + 1);
	struct utterance u;

	utterance_draw(mt, &u);
	if (participant_event(mt, "participant_events.speech_on", p, NULL))
		return -1;
	for (unsigned k = 1; k <= partials; k++) {
		unsigned n = u.n * k / (partials + 1);

		if (emit(mt, synthev_transcript_event(
				     &mt->m, "transcript.partial_data", p,
				     utterance_words(mt, &u, n ? n : 1, 0))))
			return -1;
	}
	if (emit(mt, synthev_transcript_event(&mt->m, "transcript.data", p,
					      utterance_words(mt, &u, u.n,
							      1))))
		return -1;
	mt->clock = u.end[u.n - 1] + rng_range(&mt->rng, 0.1, 0.6);
	mt->budget -= 3 + partials;
	return participant_event(mt, "participant_events.speech_off", p,
				 NULL);
}

static int act_update_email(struct meeting *mt)
{
	unsigned from = rng_below(&mt->rng, mt->npeople);

	for (unsigned i = 0; i < mt->npeople; i++) {
		struct synth_person *p =
			&mt->people[(from + i) % mt->npeople];

		if (!p->email_known) {
			p->email_known = 1;
			mt->budget--;
			return participant_event(
				mt, "participant_events.update", p, NULL);
		}
	}
	return -1; /* unreachable: someone_lacks_email said otherwise */
}

static int act_webcam(struct meeting *mt)
{
	struct synth_person *p = anyone(mt);

	p->webcam = !p->webcam;
	mt->budget--;
	return participant_event(mt,
				 p->webcam ? "participant_events.webcam_on"
					   : "participant_events.webcam_off",
				 p, NULL);
}

static int act_screenshare(struct meeting *mt)
{
	/* One screen at a time, as meeting platforms allow. */
	int on = mt->sharer < 0;
	struct synth_person *p = on ? anyone(mt) : &mt->people[mt->sharer];

	mt->sharer = on ? (int)(p - mt->people) : -1;
	mt->budget--;
	return participant_event(mt,
				 on ? "participant_events.screenshare_on"
				    : "participant_events.screenshare_off",
				 p, NULL);
}

static int act_chat(struct meeting *mt)
{
	const char *to = rng_chance(&mt->rng, 0.9) ? "everyone" : "only_bot";
	json_t *chat = json_pack("{s:s, s:s}", "text",
				 synth_pick(&mt->rng, &synth_chat_lines),
				 "to", to);

	mt->budget--;
	return participant_event(mt, "participant_events.chat_message",
				 anyone(mt), chat);
}

static int always(const struct meeting *mt)
{
	return 1;
}

static int someone_lacks_email(const struct meeting *mt)
{
	for (unsigned i = 0; i < mt->npeople; i++)
		if (!mt->people[i].email_known)
			return 1;
	return 0;
}

static const struct activity {
	unsigned weight;
	unsigned min_events; /* of the budget */
	int (*fits)(const struct meeting *mt);
	int (*run)(struct meeting *mt);
} activities[] = {
	/* An utterance is 3-6 events, the others one: these weights give
	 * roughly two thirds of the events to speech and transcripts. */
	{36, 3, always, act_utterance},
	{12, 1, someone_lacks_email, act_update_email},
	{14, 1, always, act_webcam},
	{8, 1, always, act_screenshare},
	{14, 1, always, act_chat},
};

#define NACTIVITIES (sizeof(activities) / sizeof(activities[0]))

static const struct activity *activity_draw(struct meeting *mt)
{
	unsigned total = 0, pick;

	for (size_t i = 0; i < NACTIVITIES; i++)
		if (activities[i].min_events <= mt->budget &&
		    activities[i].fits(mt))
			total += activities[i].weight;
	pick = rng_below(&mt->rng, total);
	for (size_t i = 0; i < NACTIVITIES; i++) {
		if (activities[i].min_events > mt->budget ||
		    !activities[i].fits(mt))
			continue;
		if (pick < activities[i].weight)
			return &activities[i];
		pick -= activities[i].weight;
	}
	return NULL;
}

/* Zoom's desktop client reports its ids in extra_data; others send {}. */
static json_t *extra_data(const char *platform, unsigned guid)
{
	char id[16];

	if (platform == NULL || strcmp(platform, "desktop") != 0)
		return json_object();
	snprintf(id, sizeof(id), "%u", guid);
	return json_pack("{s:{s:s, s:s}}", "zoom", "user_guid", id,
			 "conf_user_id", id);
}

static void people_draw(struct meeting *mt, unsigned n)
{
	unsigned first = rng_below(&mt->rng, (uint32_t)synth_nnames);
	const char *domain = synth_pick(&mt->rng, &synth_email_domains);

	mt->npeople = n;
	for (unsigned i = 0; i < n; i++) {
		struct synth_person *p = &mt->people[i];
		/* A step prime to the table size: n distinct names. */
		const struct synth_name *who =
			&synth_names[(first + i * 7) % synth_nnames];

		p->id = 100 * (json_int_t)(i + 1);
		p->name = who->name;
		snprintf(p->email, sizeof(p->email), "%s@%s",
			 who->email_local, domain);
		p->is_host = i == 0;
		p->platform = synth_pick(&mt->rng, &synth_platforms);
		p->extra_data = extra_data(
			p->platform, 16778240 + rng_below(&mt->rng, 100000));
	}
}

static void meeting_clear(struct meeting *mt)
{
	for (unsigned i = 0; i < mt->npeople; i++)
		json_decref(mt->people[i].extra_data);
	synthev_meeting_clear(&mt->m);
}

/* Everyone joins (the host may already be in before recording starts,
 * hence a negative relative time); emails are unknown until an update. */
static int joins(struct meeting *mt)
{
	mt->clock = rng_range(&mt->rng, -2.0, 1.5);
	for (unsigned i = 0; i < mt->npeople; i++) {
		if (participant_event(mt, "participant_events.join",
				      &mt->people[i], NULL) != 0)
			return -1;
		pause_for(mt, 0.3, 6.0);
	}
	return 0;
}

static int leaves(struct meeting *mt, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		pause_for(mt, 0.5, 4.0);
		if (participant_event(mt, "participant_events.leave",
				      &mt->people[(i + 1) % mt->npeople],
				      NULL) != 0)
			return -1;
	}
	return 0;
}

static int activities_run(struct meeting *mt)
{
	while (mt->budget > 0) {
		const struct activity *a = activity_draw(mt);

		if (a == NULL || a->run(mt) != 0)
			return -1;
		pause_for(mt, 0.2, 4.0);
	}
	return 0;
}

/* One bot's meeting of exactly `events` events: at most two per person go
 * to joins and leaves, the rest to activities. */
static int synth_bot(const struct synth_spec *spec, unsigned bot,
		     synth_emit_fn emit_fn, void *arg)
{
	struct meeting mt;
	unsigned people, nleaves;
	int rc = -1;

	memset(&mt, 0, sizeof(mt));
	mt.emit = emit_fn;
	mt.arg = arg;
	mt.sharer = -1;
	rng_seed(&mt.rng, spec->seed, bot);
	if (synthev_meeting_init(&mt.m, &mt.rng) != 0)
		goto done;
	people = 2 + rng_below(&mt.rng, MAX_PEOPLE - 1);
	if (people > spec->events / 2)
		people = spec->events / 2 > 0 ? spec->events / 2 : 1;
	nleaves = spec->events - people < people ? spec->events - people
						 : people;
	mt.budget = spec->events - people - nleaves;
	people_draw(&mt, people);
	if (joins(&mt) == 0 && activities_run(&mt) == 0 &&
	    leaves(&mt, nleaves) == 0)
		rc = 0;
done:
	meeting_clear(&mt);
	return rc;
}

int synth_generate(const struct synth_spec *spec, synth_emit_fn emit_fn,
		   void *arg)
{
	for (unsigned bot = 0; bot < spec->bots; bot++)
		if (synth_bot(spec, bot, emit_fn, arg) != 0)
			return -1;
	return 0;
}

static const struct spec_key {
	const char *name;
	uint64_t min, max;
	int required;
} spec_keys[] = {
	{"bots", 1, 1000000, 1},
	{"events", 1, 10000000, 1},
	{"seed", 0, UINT64_MAX, 0},
};

#define NSPEC_KEYS (sizeof(spec_keys) / sizeof(spec_keys[0]))

/* Parses one "key=value" into values[]; seen[] catches repeats. */
static int spec_item(const char *item, uint64_t *values, int *seen,
		     char *why, size_t whylen)
{
	const char *eq = strchr(item, '=');
	char *end;

	for (size_t k = 0; eq != NULL && k < NSPEC_KEYS; k++) {
		if (strlen(spec_keys[k].name) != (size_t)(eq - item) ||
		    strncmp(item, spec_keys[k].name, (size_t)(eq - item)))
			continue;
		errno = 0;
		values[k] = strtoull(eq + 1, &end, 10);
		if (eq[1] < '0' || eq[1] > '9' || *end != '\0' ||
		    errno != 0 || values[k] < spec_keys[k].min ||
		    values[k] > spec_keys[k].max || seen[k]++) {
			snprintf(why, whylen,
				 "%s wants one integer from %" PRIu64
				 " to %" PRIu64,
				 spec_keys[k].name, spec_keys[k].min,
				 spec_keys[k].max);
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "unknown item '%s' (expected bots=N,events=M"
			      "[,seed=S])", item);
	return -1;
}

int synth_spec_parse(const char *text, struct synth_spec *spec, char *why,
		     size_t whylen)
{
	uint64_t values[NSPEC_KEYS] = {0, 0, 1};
	int seen[NSPEC_KEYS] = {0};
	char *copy = strdup(text), *save = NULL, *item;
	int rc = 0;

	if (copy == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}

	for (item = strtok_r(copy, ",", &save);
	     rc == 0 && item != NULL; item = strtok_r(NULL, ",", &save))
		rc = spec_item(item, values, seen, why, whylen);
	free(copy);
	for (size_t k = 0; rc == 0 && k < NSPEC_KEYS; k++) {
		if (spec_keys[k].required && !seen[k]) {
			snprintf(why, whylen, "%s= is required",
				 spec_keys[k].name);
			rc = -1;
		}
	}
	if (rc != 0)
		return -1;
	spec->bots = (unsigned)values[0];
	spec->events = (unsigned)values[1];
	spec->seed = values[2];
	return 0;
}
