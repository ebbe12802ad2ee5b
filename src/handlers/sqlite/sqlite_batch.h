/* sqlite_batch: group commit. Several workers (workers = N) hand events
 * over at once; each writes its event into the one open transaction and
 * waits; one of them (the leader) commits once every worker that has
 * arrived has written, and wakes them all with the commit's outcome. So an
 * event is answered only after the COMMIT that covers it has returned,
 * and N events in flight share one commit (one fsync with synchronous =
 * "full"). With one worker every event is its own commit. */
#ifndef SQLITE_BATCH_H
#define SQLITE_BATCH_H

#include <pthread.h>
#include <stdatomic.h>

#include "rtwebhookd/handler.h"
#include "sqlite_store.h"

struct batch_waiter;

struct batch {
	struct store *store;
	pthread_mutex_t lock;
	pthread_cond_t wrote;	      /* an arriving worker has written */
	pthread_cond_t committed;     /* a batch's outcome is known */
	atomic_uint arriving;	      /* workers in handle() not yet written */
	int leader;		      /* a worker is gathering or committing */
	struct batch_waiter *waiters; /* written, waiting for the commit */
	unsigned nwaiters;
	/* How many workers have lately been busy at once: a leader waits
	 * (briefly) for that many events before it commits. */
	unsigned busy_workers;
	unsigned long commits, events; /* for the average batch size */
};

int batch_init(struct batch *b, struct store *store);
void batch_destroy(struct batch *b);

/* Writes ev and returns once its transaction is committed: 0 when it is,
 * -1 with err when it is not (the caller answers RETRY). Thread-safe. */
int batch_write(struct batch *b, const struct rtw_event *ev,
		struct rtw_error *err);

#endif
