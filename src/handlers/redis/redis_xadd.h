/* redis_xadd: one event made ready for its stream: the stream name, the
 * guard key, the idempotency key and the entry's fields, copied out of
 * the host's event so that it can wait in a batch after handle()
 * returned (the host's event is borrowed for one call only). */
#ifndef REDIS_XADD_H
#define REDIS_XADD_H

#include <stddef.h>
#include <stdint.h>

#include "redis_config.h"
#include "rtwebhookd/handler.h"

struct xadd {
	char *stream;
	char *guard; /* rtw:seen:{<stream>}:<key>, or NULL: no guard */
	char *key;   /* the event's idempotency key (event_key.h) */
	char *type;  /* the event type as received */
	char *bot_id; /* "" when the event has no bot */
	uint64_t seq;
	char *body;
	size_t body_len;
	struct xadd *next; /* redis_batch's list */
};

enum xadd_error {
	XADD_OK,
	XADD_OOM,     /* out of memory: try again later */
	XADD_REFUSED, /* never going to work (a stream name too long) */
};

/* Fills *out with ev's entry (one allocation, freed by xadd_free);
 * otherwise the reason in why. */
enum xadd_error xadd_new(const struct redis_config *c,
			 const struct rtw_event *ev, struct xadd **out,
			 char *why, size_t why_len);
void xadd_free(struct xadd *x);

#endif
