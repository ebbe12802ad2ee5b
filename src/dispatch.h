/* dispatch.c: the worker thread of a handler: reads the queue at the
 * handler's cursor, offers each targeted event to the module and acts on
 * its answer (OK: next; RETRY: again after a capped backoff; FAIL: log the
 * reason and go on). */
#ifndef RTW_DISPATCH_H
#define RTW_DISPATCH_H

struct runtime;
struct handler;

int dispatch_start(struct runtime *rt, struct handler *h);
void dispatch_join(struct handler *h);

#endif
