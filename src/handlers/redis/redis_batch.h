/* redis_batch: the entries handle() answered RTW_PENDING for, waiting for
 * the next flush to send them in one pipelined round trip. handle() may
 * add on several workers while a flush sends what it took. A list, so
 * that giving entries back after a failed flush never needs memory. */
#ifndef REDIS_BATCH_H
#define REDIS_BATCH_H

#include <pthread.h>
#include <stddef.h>

#include "redis_xadd.h"

struct redis_batch {
	pthread_mutex_t lock;
	struct xadd *head, *tail; /* in the order handle() got them */
	size_t n;
};

void redis_batch_init(struct redis_batch *b);
/* Frees what is still waiting (the daemon stops after a failed flush;
 * the events are in its spool and come back at the next start). */
void redis_batch_destroy(struct redis_batch *b);
/* Appends x, which the batch then owns. */
void redis_batch_add(struct redis_batch *b, struct xadd *x);
/* Takes every waiting entry: the list (linked by next) and its length. */
struct xadd *redis_batch_take(struct redis_batch *b, size_t *n);
/* Gives back the list `first` of a flush that did not get them in,
 * ahead of anything added meanwhile, so the order stays. */
void redis_batch_give_back(struct redis_batch *b, struct xadd *first);

#endif
