/* The pending entries (see redis_batch.h). */
#include <string.h>

#include "redis_batch.h"

void redis_batch_init(struct redis_batch *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
}

static void free_list(struct xadd *x)
{
	while (x != NULL) {
		struct xadd *next = x->next;

		xadd_free(x);
		x = next;
	}
}

void redis_batch_destroy(struct redis_batch *b)
{
	free_list(b->head);
	pthread_mutex_destroy(&b->lock);
}

void redis_batch_add(struct redis_batch *b, struct xadd *x)
{
	x->next = NULL;
	pthread_mutex_lock(&b->lock);
	if (b->tail != NULL)
		b->tail->next = x;
	else
		b->head = x;
	b->tail = x;
	b->n++;
	pthread_mutex_unlock(&b->lock);
}

struct xadd *redis_batch_take(struct redis_batch *b, size_t *n)
{
	struct xadd *first;

	pthread_mutex_lock(&b->lock);
	first = b->head;
	*n = b->n;
	b->head = b->tail = NULL;
	b->n = 0;
	pthread_mutex_unlock(&b->lock);
	return first;
}

void redis_batch_give_back(struct redis_batch *b, struct xadd *first)
{
	struct xadd *last = first;
	size_t n = 1;

	if (first == NULL)
		return;
	for (; last->next != NULL; n++)
		last = last->next;
	pthread_mutex_lock(&b->lock);
	last->next = b->head;
	b->head = first;
	if (b->tail == NULL)
		b->tail = last;
	b->n += n;
	pthread_mutex_unlock(&b->lock);
}
