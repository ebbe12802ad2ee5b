/* ingest.c: from a received body to a stored event: parse, dedup, append
 * to the spool, offer to the handlers' inboxes. Protocol-free, so the
 * request path can be tested and fuzzed without sockets. */
#ifndef RTW_INGEST_H
#define RTW_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct runtime;

struct verdict {
	int status;       /* HTTP status to answer */
	uint64_t wait_for; /* when status is 200: answer only once this seq
			      is durable (0: answer now) */
	char reason[256]; /* for the log and the 4xx/5xx body; no secrets */
};

/* Takes ownership of body (malloc'd, len bytes) whatever the outcome.
 * delivery_id is the webhook-id / svix-id header, or NULL. */
void ingest_body(struct runtime *rt, size_t endpoint, char *body, size_t len,
		 const char *delivery_id, int64_t received_ms,
		 struct verdict *v);

#endif
