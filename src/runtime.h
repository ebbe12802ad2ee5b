/* runtime.c: everything a configuration brings to life: handler
 * instances and, once started, the spool, the dedup memory and one
 * dispatcher per handler. runtime_open builds the handlers whole or not at
 * all, so that -t can build them and throw them away without touching the
 * spool; a reload builds the handlers it changes aside and puts them in
 * place (handler_swap.h). */
#ifndef RTW_RUNTIME_H
#define RTW_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dedup.h"
#include "dispatch.h"
#include "handler.h"
#include "handler_set.h"
#include "active_bots.h"
#include "metrics.h"
#include "spool.h"
#include "stored_event.h"

/* Past this many remembered events the dedup window shortens instead of
 * memory growing (about 40 MB). */
#define RUNTIME_DEDUP_MAX_ENTRIES (1u << 20)

struct runtime_stats {
	atomic_uint_fast64_t accepted;
	atomic_uint_fast64_t duplicates;   /* sender retries answered 200 */
	atomic_uint_fast64_t unknown_type; /* accepted, type not documented */
	atomic_uint_fast64_t handled_ok;
	atomic_uint_fast64_t handled_retry;
	atomic_uint_fast64_t handled_fail;
	atomic_uint_fast64_t reread; /* events a handler read from disk */
};

/* A configuration a reload replaced: kept (handlers it opened may still
 * run on it) until the daemon exits; its endpoints' secrets are scrambled
 * once no request can be reading them (reload_scramble_retired). */
struct retired_conf {
	struct config *conf;
	int64_t retired_ms; /* mono_ms() of the reload */
	int scrambled;
};

struct runtime {
	/* Replaced whole by a reload (reload.h); read it once per use. A
	 * handler's own entry (handler->conf) is that of the configuration
	 * it was opened with. */
	struct config *_Atomic conf;
	struct retired_conf *retired_confs; /* replaced ones, freed at close */
	size_t nretired_confs;
	/* The running handlers, replaced whole by a reload. The request path
	 * reads it under the spool's lock (see ingest.c); everyone else who
	 * walks its dispatchers holds handlers_lock for reading
	 * (runtime_handlers_acquire), so that a reload can free the
	 * dispatchers it replaced once it has taken the lock for writing. */
	struct handler_set *_Atomic handlers;
	pthread_rwlock_t handlers_lock;
	struct spool *spool;        /* NULL until runtime_start */
	struct dedup *dedup;
	struct runtime_stats stats;
	struct metrics *metrics;    /* for GET /metrics */
	struct active_bots *active_bots;
};

/* Takes conf (freed with the runtime, or on failure) and opens every
 * handler; on any failure closes those already open and returns NULL with
 * the reasons in errs. */
struct runtime *runtime_open(struct config *conf, struct errlist *errs);
/* Opens and recovers the spool, rebuilds the dedup memory from it and
 * starts every handler's dispatcher. Returns 0 or -1 (logged). */
int runtime_start(struct runtime *rt);
/* Stops the dispatchers (each finishes the event in hand) within
 * timeout_s and closes the spool. Returns 0, or -1 when a handler was
 * still busy at the deadline (then runtime_close must not be called). */
int runtime_stop(struct runtime *rt, int timeout_s);
/* Runs every handler's fini and frees everything. */
void runtime_close(struct runtime *rt);

/* A handler instance for hc of conf: handler_open, with the counters of
 * its name. NULL with the reasons in errs. Main thread. */
struct handler *runtime_new_handler(struct runtime *rt,
				    const struct handler_conf *hc,
				    const struct config *conf,
				    struct errlist *errs);
/* handler_close, and frees h. */
void runtime_free_handler(struct handler *h);

/* The running handlers, for reading their dispatchers off the request
 * path; the set stays valid until runtime_handlers_release. Never call
 * it under the spool's lock. */
const struct handler_set *runtime_handlers_acquire(struct runtime *rt);
void runtime_handlers_release(struct runtime *rt);

/* Fills the delivery fields of se's view: seq, arrival time, endpoint. */
void runtime_bind_event(const struct runtime *rt, struct stored_event *se,
			uint64_t seq, int64_t received_ms);
/* A dispatcher saved its progress: let the spool drop what all are done
 * with. */
void runtime_progress_saved(struct runtime *rt);
/* Events stored and not yet done by the slowest handler (as of its last
 * saved progress). 0 before runtime_start. */
uint64_t runtime_backlog(struct runtime *rt);
/* How long ago the oldest event the dispatcher's handler has not done
 * (as of its last saved progress) arrived, in ms; 0 when it has none.
 * Reads the spool. */
int64_t runtime_oldest_unhandled_ms(struct runtime *rt, struct dispatcher *d);
/* Is a handler's oldest unhandled event older than max_ms? 1 with
 * "handler X is N s behind (limit M s)" in why, else 0. */
int runtime_lagging_handler(struct runtime *rt, int64_t max_ms, char *why,
			    size_t len);

#endif
