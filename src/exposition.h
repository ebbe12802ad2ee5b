/* exposition.c: the text of GET /metrics: the counters of metrics.c and
 * the gauges read from the runtime at scrape time (spool size, each
 * handler's backlog and the age of its oldest unhandled event). */
#ifndef RTW_EXPOSITION_H
#define RTW_EXPOSITION_H

#include <stddef.h>

struct runtime;

/* A malloc'd Prometheus text exposition (*len bytes), or NULL. Any
 * thread; reads the spool (one record per handler with a backlog). */
char *exposition_render(struct runtime *rt, size_t *len);

#endif
