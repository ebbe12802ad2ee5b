/* summary.c: what a run did: counters, latencies of acknowledged
 * requests, and the report printed at the end (text or one JSON object). */
#ifndef RTWSEND_SUMMARY_H
#define RTWSEND_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct summary {
	uint64_t events;      /* events read or generated */
	uint64_t sent;        /* events attempted at least once */
	uint64_t acked;       /* events answered 2xx */
	uint64_t attempts;    /* requests started, retries included */
	uint64_t retries;     /* attempts after an event's first */
	uint64_t unsent;      /* events never sent: their bot failed */
	size_t bots;          /* feeds (the events without a bot are one) */
	size_t bots_failed;   /* feeds given up after the last retry */
	int interrupted;      /* stopped by a signal */
	int64_t start_us, end_us;
	uint32_t *latency_us; /* one per acknowledged request */
	size_t nlatency, cap;
};

void summary_init(struct summary *s);
void summary_free(struct summary *s);

/* Records the latency of one acknowledged request. Returns 0 or -1. */
int summary_add_latency(struct summary *s, int64_t us);

/* Prints the report (sorts the latencies). Returns 0 or -1. */
int summary_print_text(struct summary *s, FILE *out);
int summary_print_json(struct summary *s, FILE *out);

#endif
