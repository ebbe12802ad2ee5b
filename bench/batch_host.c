/* The benchmarks' batching host (see batch_host.h). */
#include <stdio.h>

#include "batch_host.h"

void batch_host_init(struct batch_host *b, const struct rtw_handler *desc,
		     void *state)
{
	b->desc = desc;
	b->state = state;
	atomic_init(&b->pending, 0);
	atomic_init(&b->flushes, 0);
	atomic_init(&b->failed, 0);
	pthread_mutex_init(&b->one_at_a_time, NULL);
}

void batch_host_answered(struct batch_host *b, enum rtw_result r)
{
	if (r == RTW_PENDING &&
	    atomic_fetch_add(&b->pending, 1) + 1 >= BATCH_FLUSH_EVENTS)
		batch_host_flush(b, 0);
}

void batch_host_flush(struct batch_host *b, int wait_turn)
{
	struct rtw_error err = {{0}};

	if (b->desc->flush == NULL)
		return;
	if (wait_turn)
		pthread_mutex_lock(&b->one_at_a_time);
	else if (pthread_mutex_trylock(&b->one_at_a_time) != 0)
		return;
	atomic_store(&b->pending, 0);
	while (b->desc->flush(b->state, &err) != RTW_OK)
		if (atomic_fetch_add(&b->failed, 1) == 0)
			fprintf(stderr, "flush failed: %s\n", err.message);
	atomic_fetch_add(&b->flushes, 1);
	pthread_mutex_unlock(&b->one_at_a_time);
}
