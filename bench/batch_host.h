/* bench/batch_host: the daemon's side of batching (ABI 1.2), for the
 * handler benchmarks that drive a module through its ABI: handle answers
 * RTW_PENDING, and the worker whose answer makes 256 pending events calls
 * flush (one flush at a time; a worker that finds another flushing goes
 * on), as the daemon does under load (src/pending.c). A last flush with
 * wait_turn set, as before the daemon stops. */
#ifndef BENCH_BATCH_HOST_H
#define BENCH_BATCH_HOST_H

#include <pthread.h>
#include <stdatomic.h>

#include "rtwebhookd/handler.h"

#define BATCH_FLUSH_EVENTS 256 /* the daemon's FLUSH_MAX_EVENTS */

struct batch_host {
	const struct rtw_handler *desc;
	void *state;
	atomic_long pending; /* answered PENDING, not yet flushed */
	pthread_mutex_t one_at_a_time;
	atomic_long flushes, failed;
};

void batch_host_init(struct batch_host *b, const struct rtw_handler *desc,
		     void *state);
/* Counts handle's answer r; flushes when it makes BATCH_FLUSH_EVENTS. */
void batch_host_answered(struct batch_host *b, enum rtw_result r);
/* Flushes, retrying until it works (as the host does); with wait_turn 0
 * a no-op while another worker flushes. */
void batch_host_flush(struct batch_host *b, int wait_turn);

#endif
