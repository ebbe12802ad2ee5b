/* handler.c: one configured handler instance: its module, its state, its
 * host interface and its subscriptions. */
#ifndef RTW_HANDLER_H
#define RTW_HANDLER_H

#include <stddef.h>

#include "config.h"
#include "errlist.h"
#include "module.h"
#include "rtwebhookd/handler.h"

struct handler {
	const struct handler_conf *conf; /* borrowed from the config */
	struct module module;
	void *state;
	int initialized;
	struct rtw_host host;
	char *state_dir;
	size_t index; /* its bit in the endpoints' handler masks */
};

/* Loads the module, creates the private state directory
 * <spool_dir>/handlers/<name> and runs the module's init on the handler's
 * config. Returns 0, or -1 with errors (file:line of the handler block) in
 * errs and nothing left loaded. */
int handler_open(struct handler *h, const struct handler_conf *conf,
		 const struct config *config, size_t index,
		 struct errlist *errs);
/* The module's flush callback (ABI 1.2), or NULL when it has none. */
enum rtw_result (*handler_flush_fn(const struct handler *h))(
	void *state, struct rtw_error *err);

/* Runs fini (when init succeeded) and unloads the module. */
void handler_close(struct handler *h);

/* Does the handler subscribe to this event type (exact names and globs)? */
int handler_subscribes(const struct handler *h, const char *type_name);

#endif
