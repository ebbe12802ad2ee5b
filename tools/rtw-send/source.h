/* source.c: where the events come from: files, or synthetic meetings held
 * in memory for sending or written out as JSON Lines. */
#ifndef RTWSEND_SOURCE_H
#define RTWSEND_SOURCE_H

#include "feeds.h"
#include "opts.h"

/* Fills set from o's files or o's synth spec. Returns 0, or -1 after
 * printing the error. */
int source_load(const struct options *o, struct feed_set *set);

/* Writes the meetings of spec to path ("-" for standard output), one
 * compact event per line, bot after bot. Returns 0, or -1 after printing
 * the error. */
int source_write_synth(const struct synth_spec *spec, const char *path);

#endif
