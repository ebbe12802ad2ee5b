/* input.c: reading events from JSON Lines files into feeds. */
#ifndef RTWSEND_INPUT_H
#define RTWSEND_INPUT_H

#include "feeds.h"

/* The member a jsonl sink line carries besides the original event. */
#define INPUT_SINK_MEMBER "_rtwebhookd"

/* Reads path ("-" for standard input): one event per line, blank lines
 * skipped, a sink's "_rtwebhookd" member removed so the body is the event
 * as Recall sent it. Returns 0, or -1 after printing "path:line: reason"
 * on standard error for the first line that is not a JSON object with a
 * string "event". */
int input_read_file(const char *path, struct feed_set *set);

#endif
