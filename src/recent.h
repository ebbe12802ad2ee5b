/* recent.c: the most recent accepted events, parsed, by seq. A handler
 * that keeps up takes its events from here and never rereads or reparses
 * them; one that falls behind reads the spool instead. A fixed ring: a new
 * event evicts the one RECENT_CAPACITY seqs older. Thread-safe. */
#ifndef RTW_RECENT_H
#define RTW_RECENT_H

#include <stdint.h>

#include "stored_event.h"

#define RECENT_CAPACITY 4096

struct recent;

struct recent *recent_new(void);
void recent_free(struct recent *r);

/* Publishes se under its seq (taking a new reference). */
void recent_put(struct recent *r, uint64_t seq, struct stored_event *se);
/* Returns a new reference to event seq, or NULL when not held. */
struct stored_event *recent_get(struct recent *r, uint64_t seq);

#endif
