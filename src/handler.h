/* handler.c: one configured handler instance: its module, its state, its
 * host interface and its subscriptions. */
#ifndef RTW_HANDLER_H
#define RTW_HANDLER_H

#include <stddef.h>

#include "config.h"
#include "errlist.h"
#include "metrics.h"
#include "module.h"
#include "stored_event.h"
#include "rtwebhookd/handler.h"

struct handler {
	const struct handler_conf *conf; /* borrowed from the config */
	struct module module;
	void *state;
	int initialized;
	struct rtw_host host;
	char *state_dir;
	/* Routing: fed_by[i] when endpoint i of the configuration it was
	 * opened with feeds it (the endpoint list only changes on restart). */
	unsigned char *fed_by;
	size_t nendpoints;
	/* Its counters for /metrics, shared by every instance of the same
	 * name (metrics_handler); set by the runtime after handler_open. */
	struct handler_metrics *metrics;
};

/* Loads the module, creates the private state directory
 * <spool_dir>/handlers/<name> and runs the module's init on the handler's
 * config. Returns 0, or -1 with errors (file:line of the handler block) in
 * errs and nothing left loaded. */
int handler_open(struct handler *h, const struct handler_conf *conf,
		 const struct config *config, struct errlist *errs);
/* The module's flush callback (ABI 1.2), or NULL when it has none. */
enum rtw_result (*handler_flush_fn(const struct handler *h))(
	void *state, struct rtw_error *err);

/* Runs fini (when init succeeded), unloads the module and frees what
 * handler_open allocated (not h itself). */
void handler_close(struct handler *h);

/* Does the handler subscribe to this event type (exact names and globs)? */
int handler_subscribes(const struct handler *h, const char *type_name);
/* Does it want se: its endpoint feeds the handler, which subscribes to
 * the type? An endpoint no longer configured (the event was stored
 * before a restart that removed it) feeds every handler. */
int handler_wants(const struct handler *h, const struct stored_event *se);
/* Would conf, in next, run exactly as h does: same module, events,
 * config, workers, retry delays and the same endpoints feeding it? A
 * reload keeps such a handler running, with its state and backlog. */
int handler_unchanged(const struct handler *h, const struct handler_conf *conf,
		      const struct config *next);

#endif
