/* reload.c: SIGHUP. The configuration file is read and checked again
 * while the daemon keeps serving. If it is valid, changes only what can
 * change in place and every handler it adds or changes opens (module
 * loaded, init run), it becomes the running configuration; else the
 * daemon keeps the old one whole and the log says why.
 *
 * What a reload changes:
 *  - each endpoint's tokens, signing secrets and allow_from;
 *    trusted_proxies; metrics.allow_from; limits.ready_max_handler_lag_s:
 *    swapped in with one atomic pointer store (a request sees the old or
 *    the new configuration, never a mix). Rotating a token is: add the new
 *    one, reload, move the sender over, remove the old one, reload; no
 *    request fails.
 *  - the handlers: added, removed, or changed (any key, or which
 *    endpoints feed them). A handler whose keys and feeding endpoints are
 *    the same keeps running untouched, with its state and backlog. A
 *    changed one is opened aside as a new instance and replaces the old
 *    at the point the old one's progress was saved (handler_swap.h); a
 *    removed one stops after the event in hand. A reload does what a
 *    restart with the same file would do, without the gap: an added
 *    handler starts from its saved progress if it ran here before, else
 *    from the oldest event still in the spool.
 *
 * What needs a restart (a reload that changes it is refused, naming the
 * key): listen, every other limit, spool, dedup, log, and the list of
 * endpoints (paths, order, signature_tolerance_s).
 *
 * A configuration replaced by a reload is kept (not freed) until the
 * daemon exits: requests and handlers may still point into it, and
 * reloads are rare. Its endpoints' secrets (token digests, signing keys)
 * are scrambled once no request can be reading them: request_timeout_s
 * (the longest a request can take to be authenticated) plus a margin
 * after the reload. */
#ifndef RTW_RELOAD_H
#define RTW_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "errlist.h"

struct runtime;

/* 0 when next differs from cur only in what a reload may change; else
 * -1 with the first difference in why ("listen.port changed ..."). */
int reload_compatible(const struct config *cur, const struct config *next,
		      char *why, size_t len);

/* Reads file and, if it is valid, compatible and its new handlers open,
 * makes it the running configuration with its handlers. 0, or -1 with the
 * configuration or handler errors in errs and the reason in why (the
 * running configuration and handlers are unchanged). Main thread. */
int runtime_reload(struct runtime *rt, const char *file, struct errlist *errs,
		   char *why, size_t len);

#define RETIRED_SECRETS_MARGIN_MS 10000
/* Scrambles the endpoint secrets of the configurations replaced long
 * enough before now_ms (mono_ms). Main thread, between signals. */
void reload_scramble_retired(struct runtime *rt, int64_t now_ms);

#endif
