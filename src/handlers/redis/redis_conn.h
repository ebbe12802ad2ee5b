/* redis_conn: one connection to the server, ready to publish: connected
 * with a bounded connect time, every command bounded by timeout_ms,
 * authenticated, on the configured database, with the publish script
 * loaded. hiredis contexts are not thread-safe: one thread at a time. */
#ifndef REDIS_CONN_H
#define REDIS_CONN_H

#include <stddef.h>

#include <hiredis.h>

#include "redis_config.h"

struct redis_conn {
	redisContext *ctx;
	char script_sha[41]; /* SHA1 of the publish script on the server */
	unsigned generation; /* the pool generation it was opened in */
};

/* Opens a connection as configured; script is the Lua text to load.
 * NULL with the reason in why (never holding the password). */
struct redis_conn *redis_conn_open(const struct redis_config *c,
				   const char *script, char *why,
				   size_t why_len);
void redis_conn_close(struct redis_conn *rc);
/* Loads script again (after NOSCRIPT: the server restarted or ran
 * SCRIPT FLUSH). 0 or -1 with why. */
int redis_conn_load_script(struct redis_conn *rc, const char *script, char *why,
			   size_t why_len);

#endif
