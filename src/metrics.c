/* Counters and histograms, and their Prometheus text. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

static const int counted_statuses[METRICS_NSTATUS] = {
	200, 400, 401, 403, 404, 405, 413, 415, 429, 431, 500, 503, 408};

/* Handler durations: 100 us to 10 s. */
static const double duration_bounds[METRICS_NBUCKETS] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 10};
/* Recall-to-us lag: 50 ms to 2 min. */
static const double lag_bounds[METRICS_NBUCKETS] = {
	0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120};

static const char *const type_names[METRICS_NTYPES] = {
	"unknown",
	"participant_events.join",
	"participant_events.leave",
	"participant_events.update",
	"participant_events.speech_on",
	"participant_events.speech_off",
	"participant_events.webcam_on",
	"participant_events.webcam_off",
	"participant_events.screenshare_on",
	"participant_events.screenshare_off",
	"participant_events.chat_message",
	"transcript.data",
	"transcript.partial_data",
	"transcript.provider_data",
};

static const char *const result_names[3] = {"ok", "retry", "fail"};

struct metrics *metrics_new(size_t nendpoints)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->nendpoints = nendpoints;
	m->requests = calloc(nendpoints + 1, sizeof(*m->requests));
	if (m->requests == NULL) {
		metrics_free(m);
		return NULL;
	}
	m->lag.bounds = lag_bounds;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nhandlers; i++) {
		free(m->handlers[i].name);
		free(m->handlers[i].counters);
	}
	free(m->handlers);
	free(m->requests);
	free(m);
}

struct handler_metrics *metrics_handler(struct metrics *m, const char *name)
{
	struct named_handler_metrics *grown, *e;

	for (size_t i = 0; i < m->nhandlers; i++)
		if (strcmp(m->handlers[i].name, name) == 0)
			return m->handlers[i].counters;
	grown = realloc(m->handlers, (m->nhandlers + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	m->handlers = grown;
	e = &grown[m->nhandlers];
	e->name = strdup(name);
	e->counters = calloc(1, sizeof(*e->counters));
	if (e->name == NULL || e->counters == NULL) {
		free(e->name);
		free(e->counters);
		return NULL;
	}
	e->counters->duration.bounds = duration_bounds;
	m->nhandlers++;
	return e->counters;
}

static void add(atomic_uint_fast64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static uint64_t get(const atomic_uint_fast64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

static void observe(struct histogram *h, int64_t us)
{
	size_t i = 0;

	if (us < 0)
		us = 0;
	while (i < METRICS_NBUCKETS && (double)us > h->bounds[i] * 1e6)
		i++;
	if (i < METRICS_NBUCKETS)
		add(&h->buckets[i], 1);
	add(&h->count, 1);
	add(&h->sum_us, (uint64_t)us);
}

void metrics_count_request(struct metrics *m, int endpoint, int status)
{
	size_t row = endpoint >= 0 && (size_t)endpoint < m->nendpoints
			     ? (size_t)endpoint
			     : m->nendpoints;
	size_t col = 0;

	while (col < METRICS_NSTATUS && counted_statuses[col] != status)
		col++;
	add(&m->requests[row][col], 1);
}

int64_t metrics_parse_iso8601_ms(const char *text)
{
	struct tm tm = {0};
	const char *p;
	char *end;
	int64_t ms = 0, offset_s = 0;

	if (text == NULL)
		return -1;
	p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {
		long frac = strtol(p + 1, &end, 10);
		size_t digits = (size_t)(end - (p + 1));

		if (digits == 0)
			return -1;
		while (digits > 3) {
			frac /= 10;
			digits--;
		}
		while (digits < 3) {
			frac *= 10;
			digits++;
		}
		ms = frac;
		p = end;
	}
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		offset_s = (atoi(p + 1) * 3600 + atoi(p + 4) * 60) *
			   (*p == '+' ? 1 : -1);
	} else if (strcmp(p, "Z") != 0) {
		return -1;
	}
	return ((int64_t)timegm(&tm) - offset_s) * 1000 + ms;
}

void metrics_count_event(struct metrics *m, enum rtw_event_type type,
			 const char *absolute, int64_t received_ms)
{
	int64_t at = metrics_parse_iso8601_ms(absolute);

	add(&m->events[(unsigned)type < METRICS_NTYPES ? type : 0], 1);
	if (at >= 0)
		observe(&m->lag, (received_ms - at) * 1000);
}

void metrics_count_handled(struct handler_metrics *h, enum rtw_result result,
			   int64_t duration_us)
{
	/* PENDING counts as ok: the handler took the event. */
	add(&h->results[result == RTW_OK || result == RTW_PENDING ? 0
			: result == RTW_RETRY			  ? 1
								  : 2],
	    1);
	observe(&h->duration, duration_us);
}

void metrics_count_flush(struct handler_metrics *h, int ok)
{
	add(&h->flushes[ok ? 0 : 1], 1);
}

/* ---- exposition -------------------------------------------------------- */

/* Label values are configuration strings: escape \, " and newlines. */
void metrics_write_label(FILE *f, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
}

static void write_histogram(FILE *f, const char *name, const char *label,
			    const char *value, const struct histogram *h)
{
	uint64_t cumulative = 0;

	for (size_t i = 0; i < METRICS_NBUCKETS; i++) {
		cumulative += get(&h->buckets[i]);
		fprintf(f, "%s_bucket{", name);
		if (label != NULL) {
			fprintf(f, "%s=\"", label);
			metrics_write_label(f, value);
			fputs("\",", f);
		}
		fprintf(f, "le=\"%g\"} %llu\n", h->bounds[i],
			(unsigned long long)cumulative);
	}
	fprintf(f, "%s_bucket{", name);
	if (label != NULL) {
		fprintf(f, "%s=\"", label);
		metrics_write_label(f, value);
		fputs("\",", f);
	}
	fprintf(f, "le=\"+Inf\"} %llu\n", (unsigned long long)get(&h->count));
	if (label != NULL) {
		fprintf(f, "%s_sum{%s=\"", name, label);
		metrics_write_label(f, value);
		fprintf(f, "\"} %.6f\n%s_count{%s=\"", (double)get(&h->sum_us) / 1e6,
			name, label);
		metrics_write_label(f, value);
		fprintf(f, "\"} %llu\n", (unsigned long long)get(&h->count));
	} else {
		fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name,
			(double)get(&h->sum_us) / 1e6, name,
			(unsigned long long)get(&h->count));
	}
}

static void write_requests(const struct metrics *m,
			   const char *const *endpoints, FILE *f)
{
	fputs("# HELP rtwebhookd_requests_total HTTP requests answered, by "
	      "endpoint path and status.\n"
	      "# TYPE rtwebhookd_requests_total counter\n",
	      f);
	for (size_t row = 0; row <= m->nendpoints; row++) {
		for (size_t col = 0; col <= METRICS_NSTATUS; col++) {
			uint64_t n = get(&m->requests[row][col]);

			if (n == 0)
				continue;
			fputs("rtwebhookd_requests_total{endpoint=\"", f);
			metrics_write_label(f, row < m->nendpoints ? endpoints[row]
							   : "");
			if (col < METRICS_NSTATUS)
				fprintf(f, "\",status=\"%d\"} %llu\n",
					counted_statuses[col],
					(unsigned long long)n);
			else
				fprintf(f, "\",status=\"other\"} %llu\n",
					(unsigned long long)n);
		}
	}
}

static void write_events(const struct metrics *m, FILE *f)
{
	fputs("# HELP rtwebhookd_events_total Events accepted (stored), by "
	      "type.\n# TYPE rtwebhookd_events_total counter\n",
	      f);
	for (size_t t = 0; t < METRICS_NTYPES; t++)
		fprintf(f, "rtwebhookd_events_total{type=\"%s\"} %llu\n",
			type_names[t], (unsigned long long)get(&m->events[t]));
	fputs("# HELP rtwebhookd_event_lag_seconds Arrival time minus the "
	      "event's own absolute timestamp.\n"
	      "# TYPE rtwebhookd_event_lag_seconds histogram\n",
	      f);
	write_histogram(f, "rtwebhookd_event_lag_seconds", NULL, NULL, &m->lag);
}

static const atomic_uint_fast64_t *results_of(const struct handler_metrics *h)
{
	return h->results;
}

static const atomic_uint_fast64_t *flushes_of(const struct handler_metrics *h)
{
	return h->flushes;
}

/* A counter family by handler and result: the first nresults values of
 * values(handler), named after result_names. */
static void write_handler_counter(
	const struct metrics_handler_entry *handlers, size_t nhandlers,
	const char *name, const char *help, size_t nresults,
	const atomic_uint_fast64_t *(*values)(const struct handler_metrics *),
	FILE *f)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < nhandlers; i++)
		for (size_t r = 0; r < nresults; r++) {
			fprintf(f, "%s{handler=\"", name);
			metrics_write_label(f, handlers[i].name);
			fprintf(f, "\",result=\"%s\"} %llu\n", result_names[r],
				(unsigned long long)get(
					&values(handlers[i].metrics)[r]));
		}
}

static void write_handlers(const struct metrics_handler_entry *handlers,
			   size_t nhandlers, FILE *f)
{
	write_handler_counter(handlers, nhandlers,
			      "rtwebhookd_handler_results_total",
			      "Handler answers, by handler and result.", 3,
			      results_of, f);
	fputs("# HELP rtwebhookd_handler_duration_seconds Time spent in a "
	      "handler's handle().\n"
	      "# TYPE rtwebhookd_handler_duration_seconds histogram\n",
	      f);
	for (size_t i = 0; i < nhandlers; i++)
		write_histogram(f, "rtwebhookd_handler_duration_seconds",
				"handler", handlers[i].name,
				&handlers[i].metrics->duration);
	write_handler_counter(handlers, nhandlers,
			      "rtwebhookd_handler_flushes_total",
			      "Flushes of batching handlers: ok (the batch is "
			      "durable) or retry.",
			      2, flushes_of, f);
}

void metrics_write(const struct metrics *m, const char *const *endpoints,
		   const struct metrics_handler_entry *handlers,
		   size_t nhandlers, FILE *f)
{
	write_requests(m, endpoints, f);
	write_events(m, f);
	write_handlers(handlers, nhandlers, f);
}
