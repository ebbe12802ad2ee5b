/* lanes.c: per-bot queues of one handler. Events of one bot wait in its
 * lane in acknowledgement order and are handed out one at a time; a lane
 * whose head event got RETRY sleeps until its backoff ends while other
 * lanes go on. Empty lanes are kept for reuse, a bounded number. Not thread-safe:
 * the dispatcher's lock guards every call. */
#ifndef RTW_LANES_H
#define RTW_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "stored_event.h"

struct lane;
struct lanes;

struct lanes *lanes_new(void);
/* Frees every lane and drops the references of the events they hold. */
void lanes_free(struct lanes *ls);

/* Queues se (taking over the caller's reference) on the lane of its bot;
 * events without a bot share one lane. Returns 0 or -1 (out of memory). */
int lanes_push(struct lanes *ls, struct stored_event *se);

/* Takes the next lane that is ready at now_ms (has events, is not being
 * served, is not backing off) and marks it busy; NULL when none is.
 * *wake_ms is set to when the earliest sleeping lane wakes (or -1). */
struct lane *lanes_take(struct lanes *ls, int64_t now_ms, int64_t *wake_ms);
/* The event at the head of a busy lane (borrowed). */
struct stored_event *lane_head(struct lane *l);

/* The head event is finished (OK or FAIL): drop it, reset the backoff,
 * release the lane. Returns the event, whose reference passes to the
 * caller. */
struct stored_event *lanes_finish(struct lanes *ls, struct lane *l);
/* The head event got RETRY with a delay the handler asked for: release the
 * lane asleep until now_ms + delay_ms; its own backoff is left as it is. */
void lanes_sleep(struct lanes *ls, struct lane *l, int64_t now_ms,
		 long delay_ms);
/* The head event got RETRY: release the lane asleep until now_ms + its
 * backoff, then double the backoff up to max_ms. Returns the delay. */
long lanes_backoff(struct lanes *ls, struct lane *l, int64_t now_ms,
		   long first_ms, long max_ms);

size_t lanes_events(const struct lanes *ls); /* events held in all lanes */

#endif
