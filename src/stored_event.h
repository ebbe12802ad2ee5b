/* stored_event.c: an accepted event in memory: its body, its parse and
 * where its record ends in the spool. Shared by reference between the
 * handlers' inboxes and lanes; freed with the last
 * reference. The view is read-only once published, so handlers on several
 * threads may read it at once. */
#ifndef RTW_STORED_EVENT_H
#define RTW_STORED_EVENT_H

#include <stdatomic.h>
#include <stddef.h>

#include "event.h"
#include "spool.h"

struct stored_event {
	atomic_int refs;
	struct event ev;  /* the view borrows body and path */
	char *body;
	char *path;       /* the endpoint path it arrived on */
	char *dedup_key;  /* the dedup key's text (see struct rtw_event) */
	size_t endpoint;  /* its index in the configuration */
	struct spool_position end;
};

/* Takes body (malloc'd) and parses it. Returns the event with one
 * reference, or NULL with the reason in why (body freed either way on
 * failure). */
struct stored_event *stored_event_new(char *body, size_t len, char *why,
				      size_t whylen);
struct stored_event *stored_event_ref(struct stored_event *se);
void stored_event_unref(struct stored_event *se);

#endif
