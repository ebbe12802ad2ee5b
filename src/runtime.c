/* Runtime: handlers, routing, spool, dedup and dispatchers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_request.h"
#include "log.h"
#include "util.h"
#include "runtime.h"
#include "spool_reader.h"

struct handler *runtime_new_handler(struct runtime *rt,
				    const struct handler_conf *hc,
				    const struct config *conf,
				    struct errlist *errs)
{
	struct handler *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		errlist_add(errs, conf->file, hc->line, "out of memory");
		return NULL;
	}
	if (handler_open(h, hc, conf, errs) != 0) {
		free(h);
		return NULL;
	}
	h->metrics = metrics_handler(rt->metrics, hc->name);
	if (h->metrics == NULL) {
		errlist_add(errs, conf->file, hc->line, "out of memory");
		runtime_free_handler(h);
		return NULL;
	}
	return h;
}

void runtime_free_handler(struct handler *h)
{
	handler_close(h);
	free(h);
}

/* Opens conf's handlers into set; on failure closes those opened. */
static int open_handlers(struct runtime *rt, struct handler_set *set,
			 const struct config *conf, struct errlist *errs)
{
	for (size_t i = 0; i < set->n; i++) {
		set->handlers[i] =
			runtime_new_handler(rt, &conf->handlers[i], conf, errs);
		if (set->handlers[i] == NULL) {
			for (size_t j = 0; j < i; j++) {
				runtime_free_handler(set->handlers[j]);
				set->handlers[j] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

struct runtime *runtime_open(struct config *conf, struct errlist *errs)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	struct handler_set *set;

	if (rt == NULL) {
		config_free(conf);
		return NULL;
	}
	rt->conf = conf;
	pthread_rwlock_init(&rt->handlers_lock, NULL);
	set = handler_set_new(conf->nhandlers);
	rt->metrics = metrics_new(conf->nendpoints);
	rt->active_bots = active_bots_new();
	if (set == NULL || rt->metrics == NULL || rt->active_bots == NULL) {
		errlist_add(errs, conf->file, 0, "out of memory");
		handler_set_free(set);
		runtime_close(rt);
		return NULL;
	}
	if (open_handlers(rt, set, conf, errs) != 0) {
		handler_set_free(set);
		runtime_close(rt);
		return NULL;
	}
	rt->handlers = set;
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
				  .retain_ms = dedup_window_ms(c),
				  .prewrite = 1};
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
	for (size_t i = 0; i < rt->handlers->n; i++) {
		rt->handlers->dispatchers[i] =
			dispatch_start(rt, rt->handlers->handlers[i]);
		if (rt->handlers->dispatchers[i] == NULL) {
			runtime_stop(rt, 0);
			return -1;
		}
	}
	runtime_progress_saved(rt);
	return 0;
}

int runtime_stop(struct runtime *rt, int timeout_s)
{
	struct handler_set *set = rt->handlers;
	int64_t deadline = now_ms() + timeout_s * 1000L;
	int rc = 0;

	for (size_t i = 0; i < set->n; i++)
		if (set->dispatchers[i] != NULL &&
		    dispatch_stop(set->dispatchers[i], deadline) != 0)
			rc = -1;
	if (rc != 0)
		return -1; /* a worker still runs: leave its memory alone */
	for (size_t i = 0; i < set->n; i++) {
		dispatch_free(set->dispatchers[i]);
		set->dispatchers[i] = NULL;
	}
	spool_close(rt->spool);
	rt->spool = NULL;
	return 0;
}

void runtime_close(struct runtime *rt)
{
	struct handler_set *set;

	if (rt == NULL)
		return;
	set = rt->handlers;
	for (size_t i = 0; set != NULL && i < set->n; i++)
		runtime_free_handler(set->handlers[i]);
	handler_set_free(set);
	pthread_rwlock_destroy(&rt->handlers_lock);
	dedup_free(rt->dedup);
	metrics_free(rt->metrics);
	active_bots_free(rt->active_bots);
	config_free(rt->conf);
	for (size_t i = 0; i < rt->nretired_confs; i++)
		config_free(rt->retired_confs[i].conf);
	free(rt->retired_confs);
	free(rt);
}

const struct handler_set *runtime_handlers_acquire(struct runtime *rt)
{
	pthread_rwlock_rdlock(&rt->handlers_lock);
	return atomic_load(&rt->handlers);
}

void runtime_handlers_release(struct runtime *rt)
{
	pthread_rwlock_unlock(&rt->handlers_lock);
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

/* The lowest saved progress of the set, or UINT64_MAX with no handler;
 * 0 while a dispatcher is missing (starting). */
static uint64_t lowest_saved(const struct handler_set *set)
{
	uint64_t low = UINT64_MAX;

	for (size_t i = 0; i < set->n; i++) {
		uint64_t l;

		if (set->dispatchers[i] == NULL)
			return 0;
		l = dispatch_saved_low(set->dispatchers[i]);
		if (l < low)
			low = l;
	}
	return low;
}

void runtime_progress_saved(struct runtime *rt)
{
	uint64_t low;

	if (rt->spool == NULL)
		return;
	low = lowest_saved(runtime_handlers_acquire(rt));
	/* With no handler, nothing waits for the events. */
	spool_set_done(rt->spool,
		       low == UINT64_MAX ? spool_committed(rt->spool) : low);
	runtime_handlers_release(rt);
}

uint64_t runtime_backlog(struct runtime *rt)
{
	uint64_t committed, low;

	if (rt->spool == NULL)
		return 0;
	committed = spool_committed(rt->spool);
	low = lowest_saved(runtime_handlers_acquire(rt));
	runtime_handlers_release(rt);
	return committed > low ? committed - low : 0;
}

int64_t runtime_oldest_unhandled_ms(struct runtime *rt, struct dispatcher *d)
{
	uint64_t low = dispatch_saved_low(d);
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

int runtime_lagging_handler(struct runtime *rt, int64_t max_ms, char *why,
			    size_t len)
{
	const struct handler_set *set = runtime_handlers_acquire(rt);
	int lagging = 0;

	for (size_t i = 0; !lagging && i < set->n; i++) {
		int64_t age = runtime_oldest_unhandled_ms(rt,
							  set->dispatchers[i]);

		if (age <= max_ms)
			continue;
		snprintf(why, len, "handler %s is %lld s behind (limit %lld s)",
			 set->handlers[i]->conf->name, (long long)(age / 1000),
			 (long long)(max_ms / 1000));
		lagging = 1;
	}
	runtime_handlers_release(rt);
	return lagging;
}
