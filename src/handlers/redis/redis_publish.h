/* redis_publish: adds one event to its stream, at most once per
 * idempotency key, in one atomic server-side script:
 *
 *   if the guard key rtw:seen:{<stream>}:<event key> exists: duplicate,
 *   else XADD <stream> [MAXLEN ~ n] * event .. bot_id .. seq .. key .. json ..
 *        and SET the guard to the new entry id with EX dedup_ttl_s.
 *
 * Both keys share the hash slot of the stream (the stream name never
 * holds a brace), so the script also runs on a Redis Cluster node. */
#ifndef REDIS_PUBLISH_H
#define REDIS_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "redis_config.h"
#include "redis_conn.h"
#include "redis_xadd.h"

extern const char redis_publish_script[];

enum publish_outcome {
	PUBLISH_ADDED,	   /* a new entry */
	PUBLISH_DUPLICATE, /* the guard says it is there already */
	PUBLISH_BROKEN,	   /* I/O error or timeout: drop the connection */
	PUBLISH_RETRY,	   /* the server refused for now (LOADING, OOM...) */
	PUBLISH_FAIL,	   /* never going to work for this event */
};

/* Publishes x on rc and waits for the reply. entry_id (64 bytes) gets
 * the stream entry id for ADDED and DUPLICATE; why the reason for the
 * others. */
enum publish_outcome redis_publish(struct redis_conn *rc,
				   const struct redis_config *c,
				   const struct xadd *x, char *entry_id,
				   char *why, size_t why_len);

struct batch_result {
	size_t done;	     /* from the start, how many are in */
	uint64_t failed_seq; /* the first one not in, when one was refused */
	/* Called for each entry that was in its stream already. */
	void (*on_duplicate)(void *arg, const struct xadd *x,
			     const char *entry_id);
	void *arg;
};

/* Publishes xs[0..n) on rc in one pipelined round trip, in order. The
 * outcome is PUBLISH_ADDED when all are in, else that of the first one
 * that is not (why says why); res (its callback set by the caller) says
 * how far it got. */
enum publish_outcome redis_publish_batch(struct redis_conn *rc,
					 const struct redis_config *c,
					 struct xadd *const *xs, size_t n,
					 struct batch_result *res, char *why,
					 size_t why_len);

#endif
