/* Runtime: handlers, routing, spool, dedup and dispatchers. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_request.h"
#include "log.h"
#include "util.h"
#include "runtime.h"
#include "spool_reader.h"

static uint64_t endpoint_mask(const struct config *conf,
			      const struct endpoint_conf *ep)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < conf->nhandlers; i++)
		mask |= UINT64_C(1) << i;
	if (ep->handlers.count == 0)
		return mask;
	mask = 0;
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
	rt->dispatchers = calloc(n ? n : 1, sizeof(*rt->dispatchers));
	rt->endpoint_targets = calloc(conf->nendpoints ? conf->nendpoints : 1,
				      sizeof(*rt->endpoint_targets));
	rt->metrics = metrics_new(conf->nendpoints, n);
	rt->active_bots = active_bots_new();
	if (rt->handlers == NULL || rt->endpoint_targets == NULL ||
	    rt->dispatchers == NULL || rt->metrics == NULL ||
	    rt->active_bots == NULL) {
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

/* Spool recovery hands over every record: remember those in the window. */
static void restore_dedup(const struct spool_record *r, void *arg)
{
	struct runtime *rt = arg;
	struct dedup_key key;

	dedup_key_from_text(r->path, r->path_len, r->key, r->key_len, &key);
	dedup_restore(rt->dedup, &key, r->seq, r->received_ms, now_ms());
}

/* The dedup window also serves as replay protection for signed events: a
 * replayed signature is accepted for signature_tolerance_s, so the
 * window is never shorter than that. */
static int64_t dedup_window_ms(const struct config *c)
{
	int64_t window = c->dedup_window_s;

	for (size_t i = 0; i < c->nendpoints; i++)
		if (c->endpoints[i].nsigning_keys > 0 &&
		    c->endpoints[i].signature_tolerance_s > window)
			window = c->endpoints[i].signature_tolerance_s;
	return window * 1000;
}

int runtime_start(struct runtime *rt)
{
	const struct config *c = rt->conf;
	struct spool_options o = {.dir = c->spool_dir,
				  .fsync = c->fsync,
				  .segment_bytes = (uint64_t)c->segment_bytes,
				  .retain_ms = dedup_window_ms(c)};
	char why[512];

	rt->dedup = dedup_new(dedup_window_ms(c), RUNTIME_DEDUP_MAX_ENTRIES);
	if (rt->dedup == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	rt->spool = spool_open(&o, restore_dedup, rt, why, sizeof(why));
	if (rt->spool == NULL) {
		log_warnx("spool: %s", why);
		return -1;
	}
	log_info("spool %s: next event is %llu, %zu remembered for dedup",
		 c->spool_dir,
		 (unsigned long long)spool_committed(rt->spool) + 1,
		 dedup_count(rt->dedup));
	for (size_t i = 0; i < rt->nhandlers; i++) {
		rt->dispatchers[i] = dispatch_start(rt, &rt->handlers[i]);
		if (rt->dispatchers[i] == NULL) {
			runtime_stop(rt, 0);
			return -1;
		}
	}
	runtime_progress_saved(rt);
	return 0;
}

int runtime_stop(struct runtime *rt, int timeout_s)
{
	int64_t deadline = now_ms() + timeout_s * 1000L;
	int rc = 0;

	for (size_t i = 0; i < rt->nhandlers; i++)
		if (rt->dispatchers[i] != NULL &&
		    dispatch_stop(rt->dispatchers[i], deadline) != 0)
			rc = -1;
	if (rc != 0)
		return -1; /* a worker still runs: leave its memory alone */
	for (size_t i = 0; i < rt->nhandlers; i++) {
		dispatch_free(rt->dispatchers[i]);
		rt->dispatchers[i] = NULL;
	}
	spool_close(rt->spool);
	rt->spool = NULL;
	return 0;
}

void runtime_close(struct runtime *rt)
{
	if (rt == NULL)
		return;
	for (size_t i = 0; i < rt->nhandlers; i++)
		handler_close(&rt->handlers[i]);
	dedup_free(rt->dedup);
	metrics_free(rt->metrics);
	active_bots_free(rt->active_bots);
	free(rt->dispatchers);
	free(rt->handlers);
	free(rt->endpoint_targets);
	config_free(rt->conf);
	for (size_t i = 0; i < rt->nretired_confs; i++)
		config_free(rt->retired_confs[i]);
	free(rt->retired_confs);
	free(rt);
}

int runtime_wants(const struct runtime *rt, const struct handler *h,
		  const struct stored_event *se)
{
	/* An endpoint removed from the configuration since the event was
	 * stored feeds every handler that subscribes to the type. */
	uint64_t mask = se->endpoint < rt->conf->nendpoints
				? rt->endpoint_targets[se->endpoint]
				: UINT64_MAX;

	return (mask >> h->index & 1) &&
	       handler_subscribes(h, se->ev.view.type_name);
}

void runtime_bind_event(const struct runtime *rt, struct stored_event *se,
			uint64_t seq, int64_t received_ms)
{
	int idx = se->path != NULL
			  ? request_find_endpoint(rt->conf, se->path)
			  : -1;

	if (se->path != NULL)
		se->endpoint = idx >= 0 ? (size_t)idx : SIZE_MAX;
	se->ev.view.seq = seq;
	se->ev.view.received_at_ms = received_ms;
	se->ev.view.dedup_key = se->dedup_key;
	se->ev.view.endpoint_path =
		se->endpoint < rt->conf->nendpoints
			? rt->conf->endpoints[se->endpoint].path
			: se->path;
}

void runtime_progress_saved(struct runtime *rt)
{
	uint64_t low = UINT64_MAX;

	if (rt->spool == NULL)
		return;
	for (size_t i = 0; i < rt->nhandlers; i++) {
		uint64_t l;

		/* While dispatchers start, the missing ones count as 0. */
		if (rt->dispatchers[i] == NULL)
			return;
		l = dispatch_saved_low(rt->dispatchers[i]);
		if (l < low)
			low = l;
	}
	/* With no handler, nothing waits for the events. */
	spool_set_done(rt->spool,
		       low == UINT64_MAX ? spool_committed(rt->spool) : low);
}

uint64_t runtime_backlog(struct runtime *rt)
{
	uint64_t committed, backlog = 0;

	if (rt->spool == NULL || rt->dispatchers == NULL)
		return 0;
	committed = spool_committed(rt->spool);
	for (size_t i = 0; i < rt->nhandlers; i++) {
		uint64_t low = rt->dispatchers[i] != NULL
				       ? dispatch_saved_low(rt->dispatchers[i])
				       : committed;

		if (committed > low && committed - low > backlog)
			backlog = committed - low;
	}
	return backlog;
}

int64_t runtime_oldest_unhandled_ms(struct runtime *rt, size_t handler)
{
	uint64_t low = dispatch_saved_low(rt->dispatchers[handler]);
	struct spool_reader *rd;
	struct spool_record r;
	int64_t age = 0, now = now_ms();

	if (spool_committed(rt->spool) <= low)
		return 0;
	rd = spool_reader_new(rt->spool);
	if (rd != NULL && spool_reader_read(rd, low + 1, &r) == SPOOL_READ_OK &&
	    now > r.received_ms)
		age = now - r.received_ms;
	spool_reader_free(rd);
	return age;
}
