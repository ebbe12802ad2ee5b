/* Runtime: handlers, routing masks and the queue of one configuration. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "log.h"
#include "runtime.h"

void stored_event_free(void *item)
{
	struct stored_event *se = item;

	if (se == NULL)
		return;
	event_clear(&se->ev);
	free(se->body);
	free(se);
}

static uint64_t endpoint_mask(const struct config *conf,
			      const struct endpoint_conf *ep)
{
	uint64_t mask = 0;

	if (ep->handlers.count == 0)
		return conf->nhandlers == 64 ? UINT64_MAX
					     : (UINT64_C(1) << conf->nhandlers) -
						       1;
	for (size_t i = 0; i < ep->handlers.count; i++) {
		int idx = config_handler_index(conf, ep->handlers.items[i]);

		if (idx >= 0)
			mask |= UINT64_C(1) << idx;
	}
	return mask;
}

struct runtime *runtime_open(struct config *conf, struct errlist *errs)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	size_t n = conf->nhandlers;

	if (rt == NULL) {
		config_free(conf);
		return NULL;
	}
	rt->conf = conf;
	rt->handlers = calloc(n ? n : 1, sizeof(*rt->handlers));
	rt->endpoint_targets = calloc(conf->nendpoints ? conf->nendpoints : 1,
				      sizeof(*rt->endpoint_targets));
	rt->queue = queue_new(RUNTIME_QUEUE_CAPACITY, n, stored_event_free);
	if (rt->handlers == NULL || rt->endpoint_targets == NULL ||
	    rt->queue == NULL) {
		errlist_add(errs, conf->file, 0, "out of memory");
		runtime_close(rt);
		return NULL;
	}
	for (size_t i = 0; i < conf->nendpoints; i++)
		rt->endpoint_targets[i] =
			endpoint_mask(conf, &conf->endpoints[i]);
	for (size_t i = 0; i < n; i++) {
		if (handler_open(&rt->handlers[i], &conf->handlers[i], conf, i,
				 errs) != 0) {
			runtime_close(rt);
			return NULL;
		}
		rt->nhandlers++;
	}
	return rt;
}

int runtime_start(struct runtime *rt)
{
	for (size_t i = 0; i < rt->nhandlers; i++) {
		struct handler *h = &rt->handlers[i];

		if (dispatch_start(rt, h) != 0) {
			log_warnx("cannot start the worker of handler '%s'",
				  h->conf->name);
			runtime_stop(rt, 0);
			return -1;
		}
	}
	return 0;
}

static int all_drained(struct runtime *rt)
{
	for (size_t i = 0; i < rt->nhandlers; i++)
		if (queue_backlog(rt->queue, i) != 0)
			return 0;
	return 1;
}

void runtime_stop(struct runtime *rt, int timeout_s)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	long waited_ms = 0;

	queue_stop(rt->queue);
	while (!all_drained(rt) && waited_ms < timeout_s * 1000L) {
		nanosleep(&tick, NULL);
		waited_ms += 20;
	}
	if (!all_drained(rt))
		log_warnx("stopping with events not yet handled (the spool "
			  "will keep them once it exists)");
	queue_abort(rt->queue);
	for (size_t i = 0; i < rt->nhandlers; i++)
		dispatch_join(&rt->handlers[i]);
}

void runtime_close(struct runtime *rt)
{
	if (rt == NULL)
		return;
	/* Workers are joined by now; queued events reference handler
	 * nothing, so the queue can go before or after the handlers. */
	queue_free(rt->queue);
	for (size_t i = 0; i < rt->nhandlers; i++)
		handler_close(&rt->handlers[i]);
	free(rt->handlers);
	free(rt->endpoint_targets);
	config_free(rt->conf);
	free(rt);
}

uint64_t runtime_targets(const struct runtime *rt, size_t endpoint,
			 const char *type_name)
{
	uint64_t candidates = rt->endpoint_targets[endpoint];
	uint64_t targets = 0;

	for (size_t i = 0; i < rt->nhandlers; i++)
		if ((candidates >> i & 1) &&
		    handler_subscribes(&rt->handlers[i], type_name))
			targets |= UINT64_C(1) << i;
	return targets;
}
