/* synth.c: synthetic meetings, one per bot, each a plausible sequence of
 * Recall real-time events: joins, email updates, speech with partial and
 * final transcripts, webcam and screenshare toggles, chat, leaves. */
#ifndef RTWSEND_SYNTH_H
#define RTWSEND_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Flags to serialize generated events with: times are whole milliseconds,
 * and 12 significant digits print them without binary noise. */
#define SYNTH_JSON_FLAGS JSON_REAL_PRECISION(12)

struct synth_spec {
	unsigned bots;   /* meetings to generate */
	unsigned events; /* events per meeting */
	uint64_t seed;   /* the same seed gives the same bytes */
};

/* Parses "bots=N,events=M[,seed=S]". Returns 0, or -1 with why. */
int synth_spec_parse(const char *text, struct synth_spec *spec, char *why,
		     size_t whylen);

/* Receives each generated event (borrowed: copy or dump it). Returns 0 to
 * go on, -1 to stop the generation. */
typedef int (*synth_emit_fn)(void *arg, const json_t *event);

/* Generates spec->events events for each of spec->bots bots, bot after
 * bot, each bot's in time order. Returns 0, or -1 when emit failed or
 * memory ran out. */
int synth_generate(const struct synth_spec *spec, synth_emit_fn emit,
		   void *arg);

#endif
