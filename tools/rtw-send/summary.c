/* Latencies are kept whole (4 bytes each) and sorted once at the end:
 * exact percentiles for any run that fits the events in memory anyway. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "summary.h"

#define PERCENTILES 4

static const struct percentile {
	const char *name;
	double rank; /* 0..1 */
} percentiles[PERCENTILES] = {
	{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"max", 1.00},
};

void summary_init(struct summary *s)
{
	memset(s, 0, sizeof(*s));
}

void summary_free(struct summary *s)
{
	free(s->latency_us);
	summary_init(s);
}

int summary_add_latency(struct summary *s, int64_t us)
{
	if (s->nlatency == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint32_t *grown = realloc(s->latency_us, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		s->latency_us = grown;
		s->cap = cap;
	}
	s->latency_us[s->nlatency++] =
		us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentiles in milliseconds; all 0 without latencies. */
static void latency_ms(struct summary *s, double out[PERCENTILES])
{
	if (s->nlatency > 0) /* qsort may not be given NULL */
		qsort(s->latency_us, s->nlatency, sizeof(*s->latency_us),
		      by_value);
	for (size_t i = 0; i < PERCENTILES; i++) {
		size_t rank = (size_t)ceil(percentiles[i].rank *
					   (double)s->nlatency);

		out[i] = s->nlatency == 0
				 ? 0.0
				 : s->latency_us[rank > 0 ? rank - 1 : 0] /
					   1000.0;
	}
}

static double elapsed_s(const struct summary *s)
{
	return s->end_us > s->start_us ? (s->end_us - s->start_us) / 1e6
				       : 0.0;
}

static double events_per_s(const struct summary *s)
{
	double t = elapsed_s(s);

	return t > 0 ? (double)s->acked / t : 0.0;
}

int summary_print_text(struct summary *s, FILE *out)
{
	double ms[PERCENTILES];

	latency_ms(s, ms);
	fprintf(out,
		"events        %llu\n"
		"sent          %llu\n"
		"acknowledged  %llu\n"
		"attempts      %llu\n"
		"retries       %llu\n"
		"unsent        %llu\n"
		"bots          %zu\n"
		"bots failed   %zu\n",
		(unsigned long long)s->events, (unsigned long long)s->sent,
		(unsigned long long)s->acked, (unsigned long long)s->attempts,
		(unsigned long long)s->retries,
		(unsigned long long)s->unsent, s->bots, s->bots_failed);
	fprintf(out, "latency ms   ");
	for (size_t i = 0; i < PERCENTILES; i++)
		fprintf(out, " %s %.3f", percentiles[i].name, ms[i]);
	fprintf(out, "\nevents/s      %.1f (%.3f s)\n", events_per_s(s),
		elapsed_s(s));
	if (s->interrupted)
		fprintf(out, "interrupted\n");
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int summary_print_json(struct summary *s, FILE *out)
{
	double ms[PERCENTILES];
	json_t *latency = json_object(), *o;
	int rc;

	latency_ms(s, ms);
	for (size_t i = 0; latency != NULL && i < PERCENTILES; i++)
		json_object_set_new(latency, percentiles[i].name,
				    json_real(ms[i]));
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:f,"
		      " s:f, s:b}",
		      "events", (json_int_t)s->events, "sent",
		      (json_int_t)s->sent, "acknowledged",
		      (json_int_t)s->acked, "attempts",
		      (json_int_t)s->attempts, "retries",
		      (json_int_t)s->retries, "unsent",
		      (json_int_t)s->unsent, "bots", (json_int_t)s->bots,
		      "bots_failed", (json_int_t)s->bots_failed,
		      "latency_ms", latency, "elapsed_s", elapsed_s(s),
		      "events_per_s", events_per_s(s), "interrupted",
		      s->interrupted);
	/* Ten digits: microseconds and rates without binary noise. */
	rc = o != NULL &&
			     json_dumpf(o, out,
					JSON_COMPACT |
						JSON_REAL_PRECISION(10)) == 0 &&
			     fputc('\n', out) != EOF && fflush(out) == 0
		     ? 0
		     : -1;
	json_decref(o);
	return rc;
}
