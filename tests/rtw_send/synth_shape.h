/* synth_shape.c: a strict check of one event against the nesting that
 * RECALL_EVENTS.md documents, written from that page independently of the
 * generator it checks. */
#ifndef RTW_SEND_SYNTH_SHAPE_H
#define RTW_SEND_SYNTH_SHAPE_H

#include <stddef.h>

#include <jansson.h>

/* Returns 0 when event has exactly the documented shape for its type, or
 * -1 with the first difference in why. */
int synth_shape_check(const json_t *event, char *why, size_t whylen);

/* Is text "YYYY-MM-DDTHH:MM:SS.mmmZ"? */
int synth_shape_is_iso8601(const char *text);

#endif
