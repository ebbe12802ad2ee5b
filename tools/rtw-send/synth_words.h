/* synth_words.c: the vocabulary of synthetic meetings: people, words, chat
 * lines, titles. Unicode on purpose (accents, CJK, RTL, emoji, quotes and
 * backslashes), since receivers tend to break on exactly those. */
#ifndef RTWSEND_SYNTH_WORDS_H
#define RTWSEND_SYNTH_WORDS_H

#include <stddef.h>

#include "rng.h"

struct synth_table {
	const char *const *items;
	size_t n;
};

struct synth_name {
	const char *name;        /* display name */
	const char *email_local; /* the part before "@" */
};

extern const struct synth_name synth_names[];
extern const size_t synth_nnames;

extern const struct synth_table synth_vocabulary; /* transcript words */
extern const struct synth_table synth_chat_lines;
extern const struct synth_table synth_platforms;  /* entries may be NULL */
extern const struct synth_table synth_titles;
extern const struct synth_table synth_tenants;
extern const struct synth_table synth_email_domains;

/* A uniformly chosen entry of table. */
const char *synth_pick(struct rng *r, const struct synth_table *table);

#endif
