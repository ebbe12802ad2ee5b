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

#include "redis_config.h"
#include "redis_conn.h"

extern const char redis_publish_script[];

enum publish_outcome {
	PUBLISH_ADDED,	   /* a new entry */
	PUBLISH_DUPLICATE, /* the guard says it is there already */
	PUBLISH_BROKEN,	   /* I/O error or timeout: drop the connection */
	PUBLISH_RETRY,	   /* the server refused for now (LOADING, OOM...) */
	PUBLISH_FAIL,	   /* never going to work for this event */
};

/* Publishes ev on rc. entry_id (64 bytes) gets the stream entry id for
 * ADDED and DUPLICATE; why the reason for the others. */
enum publish_outcome redis_publish(struct redis_conn *rc,
				   const struct redis_config *c,
				   const struct rtw_event *ev, char *entry_id,
				   char *why, size_t why_len);

#endif
