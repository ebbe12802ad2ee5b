/* Reloading the configuration in place (see reload.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reload.h"
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

static int same_list(const struct string_list *a,
		     const struct string_list *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return 0;
	return 1;
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

/* The endpoints' list, paths, handler subsets and signature tolerance
 * (the replay window is sized from it at start). */
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
		if (!same_list(&x->handlers, &y->handlers))
			return differs(why, len, "endpoint %s's handlers",
				       x->path);
		if (x->signature_tolerance_s != y->signature_tolerance_s)
			return differs(why, len,
				       "endpoint %s's signature_tolerance_s",
				       x->path);
	}
	return 0;
}

/* Every key of every handler: a reload never touches a running handler. */
static int same_handlers(const struct config *a, const struct config *b,
			 char *why, size_t len)
{
	if (a->nhandlers != b->nhandlers)
		return differs(why, len, "the number of handlers");
	for (size_t i = 0; i < a->nhandlers; i++) {
		const struct handler_conf *x = &a->handlers[i];
		const struct handler_conf *y = &b->handlers[i];

		if (strcmp(x->name, y->name) != 0)
			return differs(why, len, "handler %zu's name (%s)",
				       i + 1, x->name);
		if (strcmp(x->module, y->module) != 0 ||
		    !same_list(&x->events, &y->events) ||
		    !json_equal(x->config, y->config) ||
		    x->workers != y->workers ||
		    x->retry_first_ms != y->retry_first_ms ||
		    x->retry_max_ms != y->retry_max_ms)
			return differs(why, len, "handler %s", x->name);
	}
	return 0;
}

int reload_compatible(const struct config *cur, const struct config *next,
		      char *why, size_t len)
{
	if (same_settings(cur, next, why, len) != 0 ||
	    same_endpoints(cur, next, why, len) != 0 ||
	    same_handlers(cur, next, why, len) != 0)
		return -1;
	return 0;
}

/* Keeps a replaced configuration until the runtime closes. */
static int retire(struct runtime *rt, struct config *old)
{
	struct config **list = realloc(rt->retired_confs,
				       (rt->nretired_confs + 1) *
					       sizeof(*list));

	if (list == NULL)
		return -1;
	list[rt->nretired_confs++] = old;
	rt->retired_confs = list;
	return 0;
}

int runtime_reload(struct runtime *rt, const char *file, struct errlist *errs,
		   char *why, size_t len)
{
	struct config *next = config_load(file, errs);
	struct config *cur = rt->conf;

	why[0] = '\0';
	if (next == NULL)
		return -1;
	if (reload_compatible(cur, next, why, len) != 0 ||
	    retire(rt, cur) != 0) {
		if (why[0] == '\0')
			snprintf(why, len, "out of memory");
		config_free(next);
		return -1;
	}
	atomic_store(&rt->conf, next);
	return 0;
}
