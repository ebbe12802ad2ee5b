/* dispatch.c: the delivery of spooled events to one handler.
 *
 * A reader thread walks the spool in seq order from the handler's saved
 * progress, takes each event from its inbox (see inbox.h) or, when it was
 * not offered there, reads and parses it from disk, skips what the handler
 * does not subscribe to and
 * queues the rest on per-bot lanes. `workers` threads serve the lanes:
 * OK and FAIL (dead-lettered) finish an event; RETRY puts the lane to sleep
 * with capped exponential backoff while other bots go on. Progress is saved
 * at most every 50 ms, and within 50 ms once the handler goes idle. At most
 * DISPATCH_MAX_QUEUED events are held in memory per handler: a stalled
 * handler only grows the spool. */
#ifndef RTW_DISPATCH_H
#define RTW_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#define DISPATCH_MAX_QUEUED 2048

struct runtime;
struct handler;
struct dispatcher;

/* Loads the handler's progress and starts its threads. Returns NULL with
 * the reason logged. */
struct dispatcher *dispatch_start(struct runtime *rt, struct handler *h);
/* Stops taking events; each worker finishes the event in hand. Waits for
 * the threads until deadline_ms (CLOCK_REALTIME), saves progress. Returns
 * 0 when every thread ended, -1 when one is stuck in its handler (its
 * memory is then left alone). */
int dispatch_stop(struct dispatcher *d, int64_t deadline_ms);
void dispatch_free(struct dispatcher *d);

struct stored_event;
/* Offers a just-stored event to the handler (see inbox.h). Called in seq
 * order, under the spool's lock. */
void dispatch_offer(struct dispatcher *d, uint64_t seq,
		    struct stored_event *se);

/* Has dispatch_stop been called (it takes no more events)? */
int dispatch_stopped(struct dispatcher *d);
/* The low watermark last saved to disk: every seq <= it is done. */
uint64_t dispatch_saved_low(struct dispatcher *d);
/* host->retry_after: the delay for the event the calling worker thread is
 * handling (read back when handle returns). */
void dispatch_retry_after(int64_t delay_ms);
/* Events queued in memory and the seq the reader will read next. */
void dispatch_backlog(struct dispatcher *d, size_t *queued,
		      uint64_t *next_seq);

#endif
