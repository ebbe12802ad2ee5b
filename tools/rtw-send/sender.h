/* sender.c: sending the feeds as Recall does: each bot's events one at a
 * time and in order, bots concurrently (libcurl's multi interface in one
 * thread), a failed attempt retried after an interval, a bot given up
 * after its last retry. */
#ifndef RTWSEND_SENDER_H
#define RTWSEND_SENDER_H

#include <signal.h>
#include <stdio.h>

#include "feeds.h"
#include "summary.h"
#include "transfer.h"

struct sender_config {
	struct transfer_config transfer;
	unsigned concurrency;    /* most bots with a request in flight */
	long retry_interval_ms;  /* from a failed attempt to the next */
	unsigned max_retries;    /* attempts after the first, per event */
	double rate;             /* requests started per second; 0: no cap */
	double speed;            /* replay speed-up; 0: no replay timing */
	FILE *progress;          /* the progress line (if a terminal) */
	volatile sig_atomic_t *stop; /* set to end the run early */
};

/* Sends every feed to the end or to its failure, filling sum. Returns 0
 * (also when bots failed: see sum->bots_failed), or -1 when the run could
 * not be carried out (libcurl or memory failed). */
int sender_run(const struct sender_config *cfg, struct feed_set *feeds,
	       struct summary *sum);

#endif
