/* The bound on commands running at once for one handler instance. The
 * host runs `workers` threads calling handle (the module is thread-safe),
 * each running one command at a time, so at most min(workers,
 * max_concurrency) commands run: a worker beyond the bound waits here
 * for a free slot rather than forking. */
#include "exec.h"

void exec_slots_init(struct exec_slots *s, long limit)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	s->running = 0;
	s->limit = limit;
}

void exec_slots_destroy(struct exec_slots *s)
{
	pthread_cond_destroy(&s->freed);
	pthread_mutex_destroy(&s->lock);
}

void exec_slots_take(struct exec_slots *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->running >= s->limit)
		pthread_cond_wait(&s->freed, &s->lock);
	s->running++;
	pthread_mutex_unlock(&s->lock);
}

void exec_slots_give(struct exec_slots *s)
{
	pthread_mutex_lock(&s->lock);
	s->running--;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}
