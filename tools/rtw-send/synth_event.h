/* synth_event.c: building events in exactly the shapes RECALL_EVENTS.md
 * documents, for one synthetic meeting (one bot). */
#ifndef RTWSEND_SYNTH_EVENT_H
#define RTWSEND_SYNTH_EVENT_H

#include <stdint.h>

#include <jansson.h>

#include "rng.h"

#define SYNTH_EMAIL_LEN 96

struct synth_person {
	json_int_t id;    /* unique within the meeting only, as on Zoom */
	const char *name; /* from synth_names, never freed */
	char email[SYNTH_EMAIL_LEN];
	int email_known;  /* 0 until an update event has brought it */
	int is_host;
	const char *platform; /* may be NULL (sent as null) */
	json_t *extra_data;   /* owned */
	int webcam;           /* 1 while the webcam is on */
};

struct synth_meeting {
	char bot_id[RNG_UUID_LEN];
	char recording_id[RNG_UUID_LEN];
	char endpoint_id[RNG_UUID_LEN];
	char participant_events_id[RNG_UUID_LEN];
	char transcript_id[RNG_UUID_LEN];
	json_t *bot_meta, *recording_meta, *endpoint_meta; /* owned */
	json_t *participant_events_meta, *transcript_meta; /* owned */
	int64_t start_ms; /* Unix ms at recording start: absolute - relative */
};

/* Draws ids, metadata and the start time of one meeting from r.
 * Returns 0 or -1 (out of memory); synthev_meeting_clear is safe after
 * either. */
int synthev_meeting_init(struct synth_meeting *m, struct rng *r);
void synthev_meeting_clear(struct synth_meeting *m);

/* A participant_events.* event at relative time rel. chat is the
 * data.data.data object of a chat message (stolen), NULL for null.
 * Returns a new reference, or NULL. */
json_t *synthev_participant_event(const struct synth_meeting *m,
				  const char *type,
				  const struct synth_person *p, double rel,
				  json_t *chat);

/* A transcript.data or transcript.partial_data event; words (an array of
 * synthev_word results) is stolen. Returns a new reference, or NULL. */
json_t *synthev_transcript_event(const struct synth_meeting *m,
				 const char *type,
				 const struct synth_person *p, json_t *words);

/* One word. end < start means an end_timestamp of null; with_absolute adds
 * the optional absolute times. Returns a new reference, or NULL. */
json_t *synthev_word(const struct synth_meeting *m, const char *text,
		     double start, double end, int with_absolute);

/* Seconds rounded to milliseconds, as Recall's timestamps are. */
double synthev_round_ms(double seconds);

#endif
