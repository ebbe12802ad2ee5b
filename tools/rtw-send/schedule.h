/* schedule.c: which feed sends next. Feeds that may send now wait in a FIFO
 * (so bots take turns when --concurrency is below their number); feeds
 * waiting for a moment (a retry interval, --speed replay time) wait in a
 * min-heap ordered by that moment. */
#ifndef RTWSEND_SCHEDULE_H
#define RTWSEND_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "feeds.h"

struct schedule {
	struct feed **heap; /* ordered by due_us */
	size_t nheap;
	struct feed **ring; /* ready feeds, oldest at head */
	size_t head, nready;
	size_t cap; /* both hold every feed at most once */
};

int schedule_init(struct schedule *s, size_t nfeeds);
void schedule_free(struct schedule *s);

/* Queues f to send at f->due_us: ready at once when that is not after
 * now, else in the heap. */
void schedule_add(struct schedule *s, struct feed *f, int64_t now_us);
/* Moves every feed that is due by now to the ready queue. */
void schedule_promote(struct schedule *s, int64_t now_us);
/* The oldest ready feed (left queued), or NULL. */
struct feed *schedule_peek_ready(const struct schedule *s);
void schedule_pop_ready(struct schedule *s);
/* The earliest due time in the heap, or INT64_MAX when it is empty. */
int64_t schedule_next_due(const struct schedule *s);
int schedule_empty(const struct schedule *s);

#endif
