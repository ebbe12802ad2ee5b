/* runtime.c: everything a loaded configuration brings to life: handler
 * instances, which endpoint feeds which handler, the event queue and the
 * counters. Built whole or not at all, so that -t and a future reload can
 * create one aside and throw it away. */
#ifndef RTW_RUNTIME_H
#define RTW_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "handler.h"
#include "queue.h"

#define RUNTIME_QUEUE_CAPACITY 8192

/* An accepted event on its way through the queue. */
struct stored_event {
	struct event ev;  /* the view borrows body */
	char *body;       /* owned */
	uint64_t targets; /* bit i: handler i gets this event */
};

struct runtime_stats {
	atomic_uint_fast64_t accepted;
	atomic_uint_fast64_t unknown_type; /* accepted, type not documented */
	atomic_uint_fast64_t unrouted;     /* accepted, no handler wants it */
	atomic_uint_fast64_t handled_ok;
	atomic_uint_fast64_t handled_retry;
	atomic_uint_fast64_t handled_fail;
};

struct runtime {
	struct config *conf;
	struct handler *handlers;
	size_t nhandlers;
	uint64_t *endpoint_targets; /* per endpoint: the handlers it feeds */
	struct queue *queue;
	struct runtime_stats stats;
};

/* Takes conf (freed with the runtime, or on failure) and opens every
 * handler; on any failure closes those already open and returns NULL with
 * the reasons in errs. */
struct runtime *runtime_open(struct config *conf, struct errlist *errs);
/* Starts one worker thread per handler. Returns 0 or -1. */
int runtime_start(struct runtime *rt);
/* Stops taking events, lets workers finish the queue for up to timeout_s,
 * then abandons what is left and joins them. */
void runtime_stop(struct runtime *rt, int timeout_s);
/* Runs every handler's fini and frees everything. */
void runtime_close(struct runtime *rt);

/* Which handlers an event of this type arriving on this endpoint reaches. */
uint64_t runtime_targets(const struct runtime *rt, size_t endpoint,
			 const char *type_name);

void stored_event_free(void *item);

#endif
