/* stream_name: the `stream` template of the redis handler, e.g.
 * "recall:{bot_id}", compiled once at init and expanded per event.
 *
 * Placeholders are {bot_id}, {recording_id} and {event}. A substituted
 * value keeps the bytes A-Z a-z 0-9 . _ - as they are and writes every
 * other byte as %XX (upper-case hex), so a hostile bot id can add no ':'
 * segment, no '{...}' cluster hash tag, no glob character and no space or
 * control byte to the key, and two different values never give one name.
 * An absent value (an event not made by a bot) becomes "%none", which no
 * real value can produce. */
#ifndef REDIS_STREAM_NAME_H
#define REDIS_STREAM_NAME_H

#include <stddef.h>

#include "rtwebhookd/handler.h"

/* Longest value a placeholder may take once encoded; a Recall id is a
 * 36-byte UUID. Longer values make the event FAIL (dead letter). */
#define STREAM_VALUE_MAX 256

struct stream_name;

/* Compiles template. NULL with the reason in why (naming the key
 * `stream`) when it is empty, has an unknown placeholder or a stray
 * brace, or when out of memory. */
struct stream_name *stream_name_compile(const char *template, char *why,
					size_t why_len);
void stream_name_free(struct stream_name *sn);
/* 1 when the template has no placeholder (one fixed stream). */
int stream_name_is_fixed(const struct stream_name *sn);

/* Expands the template for ev into a malloc'ed NUL-terminated string.
 * NULL with the reason in why when a value is longer than
 * STREAM_VALUE_MAX once encoded, or when out of memory (*oom set). */
char *stream_name_expand(const struct stream_name *sn,
			 const struct rtw_event *ev, int *oom, char *why,
			 size_t why_len);

/* Encodes value as a placeholder would (see above) into out (room for
 * len bytes including the NUL). Returns the encoded length, or -1 when
 * it does not fit. Exposed for tests. */
long stream_name_encode(const char *value, char *out, size_t len);

#endif
