/* queue.c: the in-memory event log between the HTTP threads and the
 * handler workers. Producers append; each consumer (one per handler) reads
 * the log at its own cursor, so every handler sees every event in
 * acknowledgement order and a slow handler never slows another. An event is
 * freed once every consumer has passed it. Capacity is bounded: when the
 * slowest consumer is `capacity` events behind, appends fail (HTTP 503).
 *
 * This is the shape of the durable spool: the spool replaces the ring
 * with segment files and the cursors with persisted offsets. */
#ifndef RTW_QUEUE_H
#define RTW_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/* Frees one appended item once every consumer is done with it. */
typedef void (*queue_free_fn)(void *item);

struct queue *queue_new(size_t capacity, size_t nconsumers,
			queue_free_fn free_item);
/* Frees the queue and every item still in it. No thread may use it. */
void queue_free(struct queue *q);

/* Appends item, numbering it with the next sequence number (from 1); the
 * number is passed to assign under the queue's lock, so sequence order is
 * log order. Returns 0, or -1 when full or stopped (the item stays the
 * caller's). */
int queue_push(struct queue *q, void *item,
	       void (*assign)(void *item, uint64_t seq));

/* Blocks until consumer has an item to read and returns it (borrowed until
 * queue_done). Returns NULL once the queue is stopped and the consumer has
 * read everything, or at once after queue_abort. */
void *queue_next(struct queue *q, size_t consumer);
/* Marks the consumer's current item done and moves its cursor on. */
void queue_done(struct queue *q, size_t consumer);

/* No more appends; consumers drain what is there, then get NULL. */
void queue_stop(struct queue *q);
/* Consumers get NULL at their next call; queue_aborted turns true, so a
 * handler retrying an event can give up. */
void queue_abort(struct queue *q);
int queue_aborted(struct queue *q);

/* Items appended but not yet done by this consumer. */
size_t queue_backlog(struct queue *q, size_t consumer);

#endif
