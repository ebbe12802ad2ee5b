/* event.c: parsing a request body into an event and its typed view.
 * The body is parsed with jansson exactly once; the view points into the
 * parsed tree and the body, so building it copies nothing. */
#ifndef RTW_EVENT_H
#define RTW_EVENT_H

#include <stddef.h>

#include <jansson.h>

#include "rtwebhookd/handler.h"

struct json_arena;

struct event {
	json_t *json; /* owned: in arena, or on the heap when arena is NULL */
	struct json_arena *arena;
	struct rtw_participant participant;
	struct rtw_event view;
};

/* Parses body (len bytes, not necessarily NUL-terminated) and fills ev.
 * The view borrows body: keep it alive as long as ev. Returns 0, or -1 with
 * a one-line reason in why (the body is not a valid envelope: HTTP 400). */
int event_parse(struct event *ev, const char *body, size_t len, char *why,
		size_t whylen);
void event_clear(struct event *ev);

/* The type for an `event` string; RTW_EVENT_UNKNOWN for any other. */
enum rtw_event_type event_type_of(const char *name);
/* The documented name of a known type, or NULL for RTW_EVENT_UNKNOWN. */
const char *event_type_name(enum rtw_event_type type);
/* Is the type a participant event (has data.data.timestamp)? */
int event_type_is_participant(enum rtw_event_type type);

#endif
