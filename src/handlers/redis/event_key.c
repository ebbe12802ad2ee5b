/* The idempotency key of an event (see event_key.h). */
#include <inttypes.h>
#include <stdio.h>

#include "event_key.h"

#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t fnv1a(const char *p, size_t len, uint64_t h)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= FNV_PRIME;
	}
	return h;
}

const char *event_key(const struct rtw_event *ev,
		      char buf[EVENT_KEY_FALLBACK_LEN])
{
	if (RTW_HAS_FIELD(ev, struct rtw_event, dedup_key) &&
	    ev->dedup_key != NULL && ev->dedup_key[0] != '\0')
		return ev->dedup_key;
	snprintf(buf, EVENT_KEY_FALLBACK_LEN, "fnv:%016" PRIx64 "%016" PRIx64,
		 fnv1a(ev->body, ev->body_len, UINT64_C(0xcbf29ce484222325)),
		 fnv1a(ev->body, ev->body_len, UINT64_C(0x84222325cbf29ce4)));
	return buf;
}
