/* redis_pool: the connections the handler's workers share, and the
 * reconnect backoff.
 *
 * Each handle() call borrows one idle connection (or opens one), uses it
 * alone and gives it back, so `workers = N` keeps up to N commands in
 * flight on N connections. While the server is unreachable, attempts are
 * spaced by a backoff (100 ms doubling to 5 s) shared by all workers: in
 * between, handle() answers RETRY at once instead of waiting on a
 * connect. An I/O error bumps the pool's generation, so the idle
 * connections opened before it (dead too, most likely after a server
 * restart) are closed instead of each failing one event. */
#ifndef REDIS_POOL_H
#define REDIS_POOL_H

#include <pthread.h>
#include <stdint.h>

#include "redis_conn.h"

#define POOL_MAX 64 /* the host runs at most 64 workers */

struct redis_pool {
	pthread_mutex_t lock;
	const struct redis_config *config; /* borrowed */
	struct redis_conn *idle[POOL_MAX];
	size_t nidle;
	unsigned generation;
	int64_t next_attempt_ms; /* monotonic; 0: connect at once */
	long backoff_ms;
	int down; /* the last attempt failed (for one log line per outage) */
};

void redis_pool_init(struct redis_pool *p, const struct redis_config *c);
void redis_pool_destroy(struct redis_pool *p);

/* A connection for the caller alone, or NULL with the reason in why
 * (unreachable, or waiting out the backoff). *first_failure is set when
 * this is the first failure after a working period (log it once). */
struct redis_conn *redis_pool_take(struct redis_pool *p, char *why,
				   size_t why_len, int *first_failure);
/* Gives rc back; broken: it failed with an I/O error and is closed. */
void redis_pool_give(struct redis_pool *p, struct redis_conn *rc, int broken);

#endif
