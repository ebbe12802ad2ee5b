/* reload.c: SIGHUP. The configuration file is read and checked again
 * while the daemon keeps serving; if it is valid and changes only what
 * can change in place, it replaces the running configuration at once
 * (one atomic pointer store: a request sees the old or the new one,
 * never a mix of both within one check), else the daemon keeps the old
 * one and the log says why.
 *
 * What a reload changes: each endpoint's tokens, signing secrets and
 * allow_from; trusted_proxies; metrics.allow_from;
 * limits.ready_max_handler_lag_s. Rotating a token or secret is: add the
 * new one, reload, move the sender over, remove the old one, reload; no
 * request fails.
 *
 * What needs a restart (a reload that changes it is refused, naming the
 * key): listen, every other limit, spool, dedup, log, the list of
 * endpoints (paths, order, handler subsets, signature_tolerance_s) and
 * the handlers (any key). So handlers keep running untouched through a
 * reload, with their state and backlog.
 *
 * A configuration replaced by a reload is kept (not freed) until the
 * daemon exits: requests and handler threads may still hold pointers
 * into it, and reloads are rare. */
#ifndef RTW_RELOAD_H
#define RTW_RELOAD_H

#include <stddef.h>

#include "config.h"
#include "errlist.h"

struct runtime;

/* 0 when next differs from cur only in what a reload may change; else
 * -1 with the first difference in why ("listen.port changed ..."). */
int reload_compatible(const struct config *cur, const struct config *next,
		      char *why, size_t len);

/* Reads file and, if it is valid and compatible, makes it the running
 * configuration. 0, or -1 with the configuration errors in errs or the
 * reason in why (the running configuration is unchanged). Main thread. */
int runtime_reload(struct runtime *rt, const char *file, struct errlist *errs,
		   char *why, size_t len);

#endif
