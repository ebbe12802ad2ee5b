/* subject: the `subject` template ("recall.{event}.{bot_id}") compiled
 * once at init and rendered per event.
 *
 * NATS subjects are tokens separated by '.'; a token cannot be empty nor
 * contain '*', '>' or whitespace (those are wildcards and separators). A
 * substituted value is therefore sanitized: each such byte (and every
 * other control byte) becomes '_', and an absent or empty value becomes
 * "_". So "transcript.data" renders as "transcript_data". The subject only
 * routes: two values that differ only in those bytes share a subject, which
 * never merges or drops events (deduplication uses Nats-Msg-Id). */
#ifndef NATS_HANDLER_SUBJECT_H
#define NATS_HANDLER_SUBJECT_H

#include <stddef.h>

#include "rtwebhookd/handler.h"

/* Longest subject rendered; an event whose subject would be longer is
 * refused (RTW_FAIL), since NATS control lines are bounded. */
#define SUBJECT_MAX 1024

struct subject_template;

/* Compiles text. Placeholders: {event}, {bot_id}, {recording_id}.
 * Returns the template, or NULL with a one-line reason in why. */
struct subject_template *subject_compile(const char *text, char *why,
					 size_t whylen);
void subject_free(struct subject_template *t);

/* Renders the subject of ev into out (NUL-terminated). Returns its length,
 * or -1 when it does not fit in cap. */
long subject_render(const struct subject_template *t,
		    const struct rtw_event *ev, char *out, size_t cap);

/* The subjects filter that covers every subject t can render: its leading
 * tokens without placeholders followed by ">" ("recall.>"), or NULL when
 * the first token already holds a placeholder. */
const char *subject_stream_filter(const struct subject_template *t);

/* Writes value sanitized as one subject token into out (at most cap bytes
 * with the NUL). Returns the length, or -1 when it does not fit. */
long subject_token(const char *value, char *out, size_t cap);

#endif
