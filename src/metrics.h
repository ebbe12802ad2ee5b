/* metrics.c: counters and histograms for GET /metrics (Prometheus text
 * format 0.0.4). Updates are relaxed atomic adds from any thread, cheap
 * enough for the request path; rendering reads them without locks (a
 * scrape may see one counter a request ahead of another). */
#ifndef RTW_METRICS_H
#define RTW_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rtwebhookd/handler.h"

/* Statuses counted one by one; any other is counted as "other". */
#define METRICS_NSTATUS 13
#define METRICS_NBUCKETS 10
#define METRICS_NTYPES (RTW_EVENT_TRANSCRIPT_PROVIDER_DATA + 1)

struct histogram {
	const double *bounds; /* METRICS_NBUCKETS upper bounds, seconds */
	atomic_uint_fast64_t buckets[METRICS_NBUCKETS]; /* not cumulative */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_us;
};

struct handler_metrics {
	atomic_uint_fast64_t results[3]; /* ok, retry, fail */
	struct histogram duration;      /* time in handle() */
	atomic_uint_fast64_t flushes[2]; /* batching handlers: ok, retry */
};

/* A handler's counters under its name. */
struct named_handler_metrics {
	char *name;
	struct handler_metrics *counters;
};

struct metrics {
	size_t nendpoints;
	/* [endpoint][status]; the last row is "no endpoint" (404, /healthz). */
	atomic_uint_fast64_t (*requests)[METRICS_NSTATUS + 1];
	atomic_uint_fast64_t events[METRICS_NTYPES];
	struct histogram lag; /* arrival minus the event's own timestamp */
	struct named_handler_metrics *handlers; /* every name ever opened */
	size_t nhandlers;
};

struct metrics *metrics_new(size_t nendpoints);
void metrics_free(struct metrics *m);
/* The counters of the handler named name, made at the first call for
 * that name and kept until metrics_free: a reload's new instance of a
 * handler counts on where the old one left off, and both can be shown at
 * once. Main thread (where handlers are opened). NULL when out of
 * memory. */
struct handler_metrics *metrics_handler(struct metrics *m, const char *name);

/* endpoint is the configured index, or -1. */
void metrics_count_request(struct metrics *m, int endpoint, int status);
/* An accepted event; its ISO 8601 `absolute` timestamp (may be NULL) and
 * arrival time give the lag. */
void metrics_count_event(struct metrics *m, enum rtw_event_type type,
			 const char *absolute, int64_t received_ms);
void metrics_count_handled(struct handler_metrics *h, enum rtw_result result,
			   int64_t duration_us);
/* A batching handler's flush and whether it made its batch durable. */
void metrics_count_flush(struct handler_metrics *h, int ok);

/* Milliseconds since the epoch of an ISO 8601 UTC time such as
 * "2026-11-26T16:20:01.480Z" (offsets "+01:00" allowed), or -1. */
int64_t metrics_parse_iso8601_ms(const char *text);

/* A label value for the exposition, with backslashes, double quotes
 * and newlines escaped. */
void metrics_write_label(FILE *f, const char *value);

/* A handler as the exposition shows it. */
struct metrics_handler_entry {
	const char *name;
	const struct handler_metrics *metrics;
};

/* The counters' part of the exposition, appended to f: endpoints[] are
 * the endpoint paths in configuration order (m->nendpoints of them), then
 * the nhandlers running handlers. */
void metrics_write(const struct metrics *m, const char *const *endpoints,
		   const struct metrics_handler_entry *handlers,
		   size_t nhandlers, FILE *f);

#endif
