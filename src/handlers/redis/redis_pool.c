/* Shared connections and reconnect backoff (see redis_pool.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "redis_pool.h"
#include "redis_publish.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS	 5000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void redis_pool_init(struct redis_pool *p, const struct redis_config *c)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->config = c;
}

void redis_pool_destroy(struct redis_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++)
		redis_conn_close(p->idle[i]);
	p->nidle = 0;
	pthread_mutex_destroy(&p->lock);
}

/* An idle connection of the current generation, or NULL. Lock held. */
static struct redis_conn *take_idle(struct redis_pool *p)
{
	while (p->nidle > 0) {
		struct redis_conn *rc = p->idle[--p->nidle];

		if (rc->generation == p->generation)
			return rc;
		redis_conn_close(rc);
	}
	return NULL;
}

/* Records the outcome of a connect attempt. Lock held. */
static void note_attempt(struct redis_pool *p, int ok, int *first_failure)
{
	if (ok) {
		p->backoff_ms = 0;
		p->next_attempt_ms = 0;
		p->down = 0;
		return;
	}
	p->backoff_ms =
	    p->backoff_ms == 0 ? BACKOFF_FIRST_MS : p->backoff_ms * 2;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	p->next_attempt_ms = mono_ms() + p->backoff_ms;
	*first_failure = !p->down;
	p->down = 1;
}

struct redis_conn *redis_pool_take(struct redis_pool *p, char *why,
				   size_t why_len, int *first_failure)
{
	struct redis_conn *rc;
	int64_t now = mono_ms();

	*first_failure = 0;
	pthread_mutex_lock(&p->lock);
	rc = take_idle(p);
	if (rc == NULL && p->next_attempt_ms > now) {
		snprintf(why, why_len,
			 "redis unreachable, next connect attempt in %lld ms",
			 (long long)(p->next_attempt_ms - now));
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (rc != NULL)
		return rc;
	/* Connect outside the lock: other workers keep their own. */
	rc = redis_conn_open(p->config, redis_publish_script, why, why_len);
	pthread_mutex_lock(&p->lock);
	note_attempt(p, rc != NULL, first_failure);
	if (rc != NULL)
		rc->generation = p->generation;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void redis_pool_give(struct redis_pool *p, struct redis_conn *rc, int broken)
{
	pthread_mutex_lock(&p->lock);
	if (broken) {
		if (rc->generation == p->generation)
			p->generation++;
		redis_conn_close(rc);
	} else if (rc->generation != p->generation || p->nidle == POOL_MAX) {
		redis_conn_close(rc);
	} else {
		p->idle[p->nidle++] = rc;
	}
	pthread_mutex_unlock(&p->lock);
}
