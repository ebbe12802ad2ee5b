/* Swapping the running handler set (see handler_swap.h). */
#include <stdlib.h>

#include "handler_swap.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

static int runs_dispatcher(const struct handler_set *s,
			   const struct dispatcher *d)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->dispatchers[i] == d)
			return 1;
	return 0;
}

/* Step 1: stops the dispatchers of the running handlers next does not
 * keep. stopped[i]: slot i of cur has no thread left (kept ones: 0). */
static void stop_dropped(struct runtime *rt, const struct handler_set *cur,
			 const struct handler_set *next, int *stopped)
{
	int64_t deadline = now_ms() + rt->conf->shutdown_timeout_s * 1000;

	for (size_t i = 0; i < cur->n; i++)
		stopped[i] = handler_set_find(next, cur->handlers[i]) < 0 &&
			     (cur->dispatchers[i] == NULL ||
			      dispatch_stop(cur->dispatchers[i], deadline) == 0);
}

/* Puts the running instance old (slot j of cur) back in slot i of next
 * instead of the new one, which is closed. */
static void keep_old(struct handler_set *next, size_t i,
		     const struct handler_set *cur, size_t j)
{
	runtime_free_handler(next->handlers[i]);
	next->handlers[i] = cur->handlers[j];
	next->dispatchers[i] = cur->dispatchers[j];
}

/* Step 2 for slot i of next, a new instance: returns 0, or -1 when the
 * slot was removed (nothing can run there). */
static int start_instance(struct runtime *rt, struct handler_set *next,
			  size_t i, const struct handler_set *cur,
			  const int *stopped)
{
	struct handler *h = next->handlers[i];
	const char *name = h->conf->name;
	int j = handler_set_find_name(cur, name);

	if (j >= 0 && !stopped[j]) {
		log_warnx("handler %s: the previous instance is still busy in "
			  "its module, so it keeps its place, stopped, and the "
			  "new configuration of this handler waits for a "
			  "restart",
			  name);
		keep_old(next, i, cur, (size_t)j);
		return 0;
	}
	next->dispatchers[i] = dispatch_start(rt, h);
	if (next->dispatchers[i] != NULL) {
		log_info("handler %s: %s (module %s)", name,
			 j >= 0 ? "replaced" : "started", h->conf->module);
		return 0;
	}
	if (j >= 0) {
		keep_old(next, i, cur, (size_t)j);
		next->dispatchers[i] = dispatch_start(rt, next->handlers[i]);
		if (next->dispatchers[i] != NULL) {
			log_warnx("handler %s: the new instance could not start; "
				  "the previous one goes on",
				  name);
			return 0;
		}
	} else {
		runtime_free_handler(h);
	}
	log_warnx("handler %s: cannot start; it does not run until the next "
		  "reload or restart, which resumes it from its saved "
		  "progress (what the other handlers finished meanwhile "
		  "leaves the spool after dedup.window_s)",
		  name);
	handler_set_remove(next, i);
	return -1;
}

/* A dropped handler still inside its module cannot be closed: it stays
 * in next, stopped, until a restart (which frees it once it returns). */
static void keep_stuck(struct handler_set *next, struct handler *h,
		       struct dispatcher *d)
{
	log_warnx("handler %s: still busy in its module, so it stays, "
		  "stopped, until a restart",
		  h->conf->name);
	/* Cannot fail: runtime_swap_handlers reserved the room. */
	(void)handler_set_append(next, h, d);
}

/* Step 3: frees what only cur used: its stopped dispatchers, the
 * handlers next dropped (fini runs) and the set. */
static void release_old(struct handler_set *cur, const struct handler_set *next,
			const int *stopped)
{
	for (size_t i = 0; i < cur->n; i++) {
		struct handler *h = cur->handlers[i];

		if (!stopped[i])
			continue; /* kept, or stuck and kept */
		if (!runs_dispatcher(next, cur->dispatchers[i]))
			dispatch_free(cur->dispatchers[i]);
		if (handler_set_find(next, h) >= 0)
			continue; /* its new dispatcher failed: it runs again */
		if (handler_set_find_name(next, h->conf->name) < 0)
			log_info("handler %s: stopped (no longer configured)",
				 h->conf->name);
		runtime_free_handler(h);
	}
	handler_set_free(cur);
}

int runtime_swap_handlers(struct runtime *rt, struct handler_set *next)
{
	struct handler_set *cur = atomic_load(&rt->handlers);
	int *stopped = calloc(cur->n ? cur->n : 1, sizeof(*stopped));

	/* Everything that could fail for want of memory, before any change:
	 * room for every handler of cur that may stay stuck. */
	if (stopped == NULL || handler_set_reserve(next, cur->n) != 0) {
		free(stopped);
		return -1;
	}
	/* Until the new dispatchers count in the spool's done mark. */
	spool_hold_removal(rt->spool, 1);
	stop_dropped(rt, cur, next, stopped);
	for (size_t i = 0; i < next->n;)
		if (next->dispatchers[i] != NULL ||
		    start_instance(rt, next, i, cur, stopped) == 0)
			i++; /* else slot i was removed: the next one moved in */
	for (size_t i = 0; i < cur->n; i++)
		if (!stopped[i] && handler_set_find(next, cur->handlers[i]) < 0)
			keep_stuck(next, cur->handlers[i], cur->dispatchers[i]);
	atomic_store(&rt->handlers, next);
	/* Wait out every thread that may still walk cur: scrapes and
	 * progress saves hold the lock, the request path the spool's. */
	pthread_rwlock_wrlock(&rt->handlers_lock);
	pthread_rwlock_unlock(&rt->handlers_lock);
	spool_barrier(rt->spool);
	runtime_progress_saved(rt);
	spool_hold_removal(rt->spool, 0);
	release_old(cur, next, stopped);
	free(stopped);
	return 0;
}
