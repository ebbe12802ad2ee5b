/* Reference-counted accepted events. */
#include <stdio.h>
#include <stdlib.h>

#include "stored_event.h"

struct stored_event *stored_event_new(char *body, size_t len, char *why,
				      size_t whylen)
{
	struct stored_event *se = calloc(1, sizeof(*se));

	if (se == NULL) {
		free(body);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	atomic_init(&se->refs, 1);
	se->body = body;
	if (event_parse(&se->ev, body, len, why, whylen) != 0) {
		free(body);
		free(se);
		return NULL;
	}
	return se;
}

struct stored_event *stored_event_ref(struct stored_event *se)
{
	atomic_fetch_add_explicit(&se->refs, 1, memory_order_relaxed);
	return se;
}

void stored_event_unref(struct stored_event *se)
{
	if (se == NULL ||
	    atomic_fetch_sub_explicit(&se->refs, 1, memory_order_acq_rel) != 1)
		return;
	event_clear(&se->ev);
	free(se->body);
	free(se->path);
	free(se->dedup_key);
	free(se);
}
