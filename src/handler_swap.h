/* handler_swap.c: the moment a reload changes the running handlers.
 *
 * The reload (reload.c) has built the next handler set: the handlers it
 * keeps, shared with the running set together with their dispatchers, and
 * new instances, opened aside, without dispatchers. The swap then:
 *  1. stops the dispatchers of the running handlers the next set drops or
 *     replaces; each worker finishes the event in hand and a batching
 *     handler flushes, so their progress on disk is exact;
 *  2. starts the new instances' dispatchers; one that replaces a handler
 *     of the same name goes on from its progress (and its counters, kept
 *     by name: metrics_handler): events stored meanwhile wait in the
 *     spool, none is lost;
 *  3. makes the next set the running one, waits until no thread can still
 *     be using the old one (the request path under the spool's lock, the
 *     scrapes and progress saves under the runtime's handlers_lock) and
 *     frees it;
 *  4. closes the handlers it dropped or replaced (their fini runs).
 *
 * A replaced handler still inside its module at the shutdown deadline
 * cannot be closed: it stays in its slot, stopped (its events wait in the
 * spool; /readyz reports the lag), and its new instance is closed. A new
 * dispatcher that cannot start (no memory, no threads) is replaced by
 * the old instance again when there was one. Both are logged. */
#ifndef RTW_HANDLER_SWAP_H
#define RTW_HANDLER_SWAP_H

#include "handler_set.h"

struct runtime;

/* Makes next the running set, as above, and takes it over: 0. Or -1 when
 * out of memory before anything changed: next is the caller's still. Main
 * thread. */
int runtime_swap_handlers(struct runtime *rt, struct handler_set *next);

#endif
