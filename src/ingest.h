/* ingest.c: from a received body to an accepted event: parse, route to the
 * subscribed handlers, append to the queue. Protocol-free, so the request
 * path can be tested and fuzzed without sockets. */
#ifndef RTW_INGEST_H
#define RTW_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct runtime;

struct verdict {
	int status;       /* HTTP status to answer */
	char reason[256]; /* for the log and the 4xx/5xx body; no secrets */
};

/* Takes ownership of body (malloc'd, len bytes) whatever the outcome. */
void ingest_body(struct runtime *rt, size_t endpoint, char *body, size_t len,
		 int64_t received_ms, struct verdict *v);

#endif
