/* Reloading the configuration in place (see reload.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_swap.h"
#include "log.h"
#include "reload.h"
#include "util.h"
#include "runtime.h"

__attribute__((format(printf, 3, 4))) static int
differs(char *why, size_t len, const char *fmt, ...)
{
	char key[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	snprintf(why, len, "%s changed, which only a restart applies", key);
	return -1;
}

static int same_text(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* listen, limits (but ready_max_handler_lag_s), spool, dedup, log. */
static int same_settings(const struct config *a, const struct config *b,
			 char *why, size_t len)
{
	static const struct {
		const char *key;
		size_t offset;
	} ints[] = {
#define INT_KEY(key, field) {key, offsetof(struct config, field)}
		INT_KEY("listen.port", listen_port),
		INT_KEY("limits.max_body_bytes", max_body_bytes),
		INT_KEY("limits.max_connections", max_connections),
		INT_KEY("limits.max_connections_per_client",
			max_connections_per_client),
		INT_KEY("limits.max_header_bytes", max_header_bytes),
		INT_KEY("limits.timeout_s", timeout_s),
		INT_KEY("limits.request_timeout_s", request_timeout_s),
		INT_KEY("limits.auth_failures_per_minute",
			auth_failures_per_minute),
		INT_KEY("limits.shutdown_timeout_s", shutdown_timeout_s),
		INT_KEY("spool.segment_bytes", segment_bytes),
		INT_KEY("dedup.window_s", dedup_window_s),
#undef INT_KEY
	};

	for (size_t i = 0; i < sizeof(ints) / sizeof(*ints); i++)
		if (*(const int64_t *)(const void *)((const char *)a +
						     ints[i].offset) !=
		    *(const int64_t *)(const void *)((const char *)b +
						     ints[i].offset))
			return differs(why, len, "%s", ints[i].key);
	if (!same_text(a->listen_address, b->listen_address))
		return differs(why, len, "listen.address");
	if (!same_text(a->spool_dir, b->spool_dir))
		return differs(why, len, "spool.dir");
	if (a->fsync != b->fsync)
		return differs(why, len, "spool.fsync");
	if (a->log_json != b->log_json)
		return differs(why, len, "log.format");
	return 0;
}

/* The endpoints' list, paths and signature tolerance (the replay window
 * is sized from it at start). */
static int same_endpoints(const struct config *a, const struct config *b,
			  char *why, size_t len)
{
	if (a->nendpoints != b->nendpoints)
		return differs(why, len, "the number of endpoints");
	for (size_t i = 0; i < a->nendpoints; i++) {
		const struct endpoint_conf *x = &a->endpoints[i];
		const struct endpoint_conf *y = &b->endpoints[i];

		if (strcmp(x->path, y->path) != 0)
			return differs(why, len, "endpoint %zu's path (%s)",
				       i + 1, x->path);
		if (x->signature_tolerance_s != y->signature_tolerance_s)
			return differs(why, len,
				       "endpoint %s's signature_tolerance_s",
				       x->path);
	}
	return 0;
}

int reload_compatible(const struct config *cur, const struct config *next,
		      char *why, size_t len)
{
	if (same_settings(cur, next, why, len) != 0 ||
	    same_endpoints(cur, next, why, len) != 0)
		return -1;
	return 0;
}

/* Room to keep one more replaced configuration until the runtime
 * closes, made before anything changes. */
static int reserve_retired(struct runtime *rt)
{
	struct retired_conf *list = realloc(rt->retired_confs,
					    (rt->nretired_confs + 1) *
						    sizeof(*list));

	if (list == NULL)
		return -1;
	rt->retired_confs = list;
	return 0;
}

/* Closes the new instances of a set build_next made (not the kept ones,
 * which have dispatchers) and frees it. */
static void discard_next(struct handler_set *set)
{
	for (size_t k = 0; k < set->n; k++)
		if (set->dispatchers[k] == NULL)
			runtime_free_handler(set->handlers[k]);
	handler_set_free(set);
}

/* The handler set next runs: the running handlers it does not change,
 * with their dispatchers, and new instances of the others, opened now
 * (module loaded, init run). NULL with the reasons in errs when one
 * cannot open; then nothing is left open. Main thread. */
static struct handler_set *build_next(struct runtime *rt,
				      const struct config *next,
				      struct errlist *errs)
{
	const struct handler_set *cur = atomic_load(&rt->handlers);
	struct handler_set *set = handler_set_new(next->nhandlers);
	size_t i;

	if (set == NULL) {
		errlist_add(errs, next->file, 0, "out of memory");
		return NULL;
	}
	for (i = 0; i < next->nhandlers; i++) {
		const struct handler_conf *hc = &next->handlers[i];
		int j = handler_set_find_name(cur, hc->name);

		/* A stopped one (stuck in its module at an earlier reload)
		 * is never kept: a new instance replaces it. */
		if (j >= 0 && !dispatch_stopped(cur->dispatchers[j]) &&
		    handler_unchanged(cur->handlers[j], hc, next)) {
			set->handlers[i] = cur->handlers[j];
			set->dispatchers[i] = cur->dispatchers[j];
			continue;
		}
		set->handlers[i] = runtime_new_handler(rt, hc, next, errs);
		if (set->handlers[i] == NULL)
			break;
	}
	if (i == next->nhandlers)
		return set;
	set->n = i; /* the slots filled so far */
	discard_next(set);
	return NULL;
}

int runtime_reload(struct runtime *rt, const char *file, struct errlist *errs,
		   char *why, size_t len)
{
	struct config *next = config_load(file, errs);
	struct config *cur = rt->conf;
	struct handler_set *set = NULL;

	why[0] = '\0';
	if (next == NULL)
		return -1;
	if (reload_compatible(cur, next, why, len) != 0)
		goto fail;
	if (reserve_retired(rt) != 0)
		goto out_of_memory;
	set = build_next(rt, next, errs);
	if (set == NULL) {
		snprintf(why, len, "a handler of the new configuration "
				   "cannot start");
		goto fail;
	}
	if (runtime_swap_handlers(rt, set) != 0) {
		discard_next(set);
		goto out_of_memory;
	}
	/* Requests and the kept handlers may still point into cur. */
	rt->retired_confs[rt->nretired_confs++] =
	    (struct retired_conf){.conf = cur, .retired_ms = mono_ms()};
	atomic_store(&rt->conf, next);
	return 0;
out_of_memory:
	snprintf(why, len, "out of memory");
fail:
	config_free(next);
	return -1;
}

void reload_scramble_retired(struct runtime *rt, int64_t now_ms)
{
	for (size_t i = 0; i < rt->nretired_confs; i++) {
		struct retired_conf *r = &rt->retired_confs[i];
		int64_t grace = r->conf->request_timeout_s * 1000 +
				RETIRED_SECRETS_MARGIN_MS;

		if (r->scrambled || now_ms - r->retired_ms < grace)
			continue;
		config_scramble_endpoint_secrets(r->conf);
		r->scrambled = 1;
	}
}
