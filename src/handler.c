/* Handler instances: module + state + host interface. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dispatch.h"
#include "handler.h"
#include "log.h"
#include "util.h"

static void host_log(const struct rtw_host *host, enum rtw_log_level level,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void host_log(const struct rtw_host *host, enum rtw_log_level level,
		     const char *fmt, ...)
{
	char prefix[96];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "handler %s", host->name);
	va_start(ap, fmt);
	log_vmsg(level, prefix, fmt, ap);
	va_end(ap);
}

/* Handlers ask for a retry delay on the worker thread that runs them. */
static void host_retry_after(const struct rtw_host *host, int64_t delay_ms)
{
	(void)host;
	dispatch_retry_after(delay_ms);
}

/* Does ep feed the handler named name (an endpoint without a handler
 * list feeds them all)? */
static int endpoint_feeds(const struct endpoint_conf *ep, const char *name)
{
	if (ep->handlers.count == 0)
		return 1;
	for (size_t i = 0; i < ep->handlers.count; i++)
		if (strcmp(ep->handlers.items[i], name) == 0)
			return 1;
	return 0;
}

static int route(struct handler *h, const struct config *config)
{
	h->nendpoints = config->nendpoints;
	h->fed_by = calloc(h->nendpoints ? h->nendpoints : 1, 1);
	if (h->fed_by == NULL)
		return -1;
	for (size_t i = 0; i < h->nendpoints; i++)
		h->fed_by[i] = (unsigned char)endpoint_feeds(
			&config->endpoints[i], h->conf->name);
	return 0;
}

int handler_open(struct handler *h, const struct handler_conf *conf,
		 const struct config *config, struct errlist *errs)
{
	struct rtw_error err = {{0}};
	char why[1024];

	memset(h, 0, sizeof(*h));
	h->conf = conf;
	if (route(h, config) != 0) {
		handler_close(h);
		errlist_add(errs, conf->file, conf->line, "out of memory");
		return -1;
	}
	if (module_open(&h->module, conf->module, why, sizeof(why)) != 0) {
		errlist_add(errs, conf->file, conf->line, "handler '%s': %s",
			    conf->name, why);
		goto fail;
	}
	if (conf->workers > 1 &&
	    !(h->module.desc->flags & RTW_HANDLER_THREAD_SAFE)) {
		errlist_add(errs, conf->file, conf->line,
			    "handler '%s': module %s is not thread-safe, so "
			    "'workers' must be 1",
			    conf->name, conf->module);
		goto fail;
	}
	if (asprintf(&h->state_dir, "%s/handlers/%s", config->spool_dir,
		     conf->name) < 0) {
		h->state_dir = NULL;
		errlist_add(errs, conf->file, conf->line, "out of memory");
		goto fail;
	}
	if (make_dirs(h->state_dir, 0700) != 0) {
		errlist_add(errs, conf->file, conf->line,
			    "handler '%s': cannot create %s: %s", conf->name,
			    h->state_dir, strerror(errno));
		goto fail;
	}
	h->host = (struct rtw_host){
		.size = sizeof(h->host),
		.abi_version = RTW_HANDLER_ABI_VERSION,
		.name = conf->name,
		.state_dir = h->state_dir,
		.log = host_log,
		.host_private = h,
		.abi_minor = RTW_HANDLER_ABI_MINOR,
		.retry_after = host_retry_after,
	};
	if (h->module.desc->init(&h->host, conf->config, &h->state, &err) !=
	    0) {
		errlist_add(errs, conf->file, conf->line,
			    "handler '%s' (module %s): init failed: %s",
			    conf->name, conf->module,
			    err.message[0] ? err.message : "no reason given");
		goto fail;
	}
	h->initialized = 1;
	return 0;
fail:
	handler_close(h);
	return -1;
}

void handler_close(struct handler *h)
{
	if (h->initialized)
		h->module.desc->fini(h->state);
	h->initialized = 0;
	module_close(&h->module);
	free(h->state_dir);
	h->state_dir = NULL;
	free(h->fed_by);
	h->fed_by = NULL;
}

int handler_subscribes(const struct handler *h, const char *type_name)
{
	const struct string_list *events = &h->conf->events;

	for (size_t i = 0; i < events->count; i++)
		if (fnmatch(events->items[i], type_name, 0) == 0)
			return 1;
	return 0;
}

enum rtw_result (*handler_flush_fn(const struct handler *h))(
	void *state, struct rtw_error *err)
{
	const struct rtw_handler *desc = h->module.desc;

	return RTW_HAS_FIELD(desc, struct rtw_handler, flush) ? desc->flush
							       : NULL;
}

int handler_wants(const struct handler *h, const struct stored_event *se)
{
	return (se->endpoint >= h->nendpoints || h->fed_by[se->endpoint]) &&
	       handler_subscribes(h, se->ev.view.type_name);
}

static int same_list(const struct string_list *a, const struct string_list *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return 0;
	return 1;
}

int handler_unchanged(const struct handler *h, const struct handler_conf *conf,
		      const struct config *next)
{
	const struct handler_conf *cur = h->conf;

	if (strcmp(cur->name, conf->name) != 0 ||
	    strcmp(cur->module, conf->module) != 0 ||
	    !same_list(&cur->events, &conf->events) ||
	    !json_equal(cur->config, conf->config) ||
	    cur->workers != conf->workers ||
	    cur->retry_first_ms != conf->retry_first_ms ||
	    cur->retry_max_ms != conf->retry_max_ms ||
	    h->nendpoints != next->nendpoints)
		return 0;
	for (size_t i = 0; i < next->nendpoints; i++)
		if (h->fed_by[i] !=
		    endpoint_feeds(&next->endpoints[i], conf->name))
			return 0;
	return 1;
}
