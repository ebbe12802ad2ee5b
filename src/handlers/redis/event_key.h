/* event_key: the idempotency key of an event, the same for every
 * delivery of one event, also at another rtwebhookd instance.
 *
 * Hosts of ABI 1.1 give it (struct rtw_event.dedup_key: "id:<webhook-id>"
 * or "body:<XXH3-128 of the body>"). With an older host the module makes
 * "fnv:<32 hex>" from the raw body (two 64-bit FNV-1a hashes): stable
 * across restarts and instances, but not collision-resistant. */
#ifndef REDIS_EVENT_KEY_H
#define REDIS_EVENT_KEY_H

#include <stddef.h>

#include "rtwebhookd/handler.h"

#define EVENT_KEY_FALLBACK_LEN 40 /* "fnv:" + 32 hex + NUL, rounded up */

/* The key of ev: the host's dedup_key, or a fallback written into buf. */
const char *event_key(const struct rtw_event *ev,
		      char buf[EVENT_KEY_FALLBACK_LEN]);

#endif
