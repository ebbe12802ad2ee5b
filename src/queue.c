/* A bounded ring of items with one cursor per consumer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "queue.h"

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t readable;
	void **ring;
	size_t capacity;
	uint64_t head;    /* sequence number of the next item appended - 1 */
	uint64_t tail;    /* items before this one are freed */
	uint64_t *cursor; /* per consumer: next item to read */
	size_t nconsumers;
	queue_free_fn free_item;
	int stopped;
	atomic_int aborted;
};

struct queue *queue_new(size_t capacity, size_t nconsumers,
			queue_free_fn free_item)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->ring = calloc(capacity, sizeof(*q->ring));
	q->cursor = calloc(nconsumers ? nconsumers : 1, sizeof(*q->cursor));
	if (q->ring == NULL || q->cursor == NULL) {
		free(q->ring);
		free(q->cursor);
		free(q);
		return NULL;
	}
	q->capacity = capacity;
	q->nconsumers = nconsumers;
	q->free_item = free_item;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->readable, NULL);
	return q;
}

void queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	for (uint64_t i = q->tail; i < q->head; i++)
		q->free_item(q->ring[i % q->capacity]);
	pthread_cond_destroy(&q->readable);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q->cursor);
	free(q);
}

/* With no consumers, items are freed as soon as they are appended. */
static uint64_t slowest_cursor(const struct queue *q)
{
	uint64_t min = q->head;

	for (size_t i = 0; i < q->nconsumers; i++)
		if (q->cursor[i] < min)
			min = q->cursor[i];
	return min;
}

static void release_passed(struct queue *q)
{
	uint64_t slowest = slowest_cursor(q);

	for (; q->tail < slowest; q->tail++) {
		q->free_item(q->ring[q->tail % q->capacity]);
		q->ring[q->tail % q->capacity] = NULL;
	}
}

int queue_push(struct queue *q, void *item,
	       void (*assign)(void *item, uint64_t seq))
{
	int rc = -1;

	pthread_mutex_lock(&q->lock);
	if (!q->stopped && q->head - q->tail < q->capacity) {
		assign(item, q->head + 1);
		q->ring[q->head % q->capacity] = item;
		q->head++;
		release_passed(q);
		pthread_cond_broadcast(&q->readable);
		rc = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void *queue_next(struct queue *q, size_t consumer)
{
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (!atomic_load(&q->aborted) && !q->stopped &&
	       q->cursor[consumer] == q->head)
		pthread_cond_wait(&q->readable, &q->lock);
	if (!atomic_load(&q->aborted) && q->cursor[consumer] < q->head)
		item = q->ring[q->cursor[consumer] % q->capacity];
	pthread_mutex_unlock(&q->lock);
	return item;
}

void queue_done(struct queue *q, size_t consumer)
{
	pthread_mutex_lock(&q->lock);
	if (q->cursor[consumer] < q->head)
		q->cursor[consumer]++;
	release_passed(q);
	pthread_mutex_unlock(&q->lock);
}

void queue_stop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopped = 1;
	pthread_cond_broadcast(&q->readable);
	pthread_mutex_unlock(&q->lock);
}

void queue_abort(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	atomic_store(&q->aborted, 1);
	pthread_cond_broadcast(&q->readable);
	pthread_mutex_unlock(&q->lock);
}

int queue_aborted(struct queue *q)
{
	return atomic_load(&q->aborted);
}

size_t queue_backlog(struct queue *q, size_t consumer)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = (size_t)(q->head - q->cursor[consumer]);
	pthread_mutex_unlock(&q->lock);
	return n;
}
