/* authlimit.c: counts failed authentications per client address in
 * one-minute windows. A client past the limit is answered 429 (before its
 * body is read) until its window ends, unless it presents a valid token:
 * a correct sender behind the same address is never locked out. The table
 * is bounded: when full, the oldest windows are forgotten. Thread-safe. */
#ifndef RTW_AUTHLIMIT_H
#define RTW_AUTHLIMIT_H

#include <stdint.h>

#include "netaddr.h"

struct authlimit;

/* limit: failures allowed per client per minute; 0 disables. */
struct authlimit *authlimit_new(unsigned limit);
void authlimit_free(struct authlimit *al);

/* Is the client over its limit at now_ms? */
int authlimit_blocked(struct authlimit *al, const struct netaddr *client,
		      int64_t now_ms);
/* Counts one failure. Returns 1 when this failure crossed the limit. */
int authlimit_fail(struct authlimit *al, const struct netaddr *client,
		   int64_t now_ms);

#endif
