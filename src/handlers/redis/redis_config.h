/* redis_config: the handler's `config` group, checked and read once at
 * init. Every error names its key. */
#ifndef REDIS_CONFIG_H
#define REDIS_CONFIG_H

#include <stddef.h>

#include "redis_url.h"
#include "stream_name.h"
#include "rtwebhookd/handler.h"

#define REDIS_DEFAULT_URL	  "redis://127.0.0.1:6379"
#define REDIS_DEFAULT_STREAM	  "recall:{bot_id}"
#define REDIS_DEFAULT_DEDUP_TTL_S 3600
#define REDIS_DEFAULT_TIMEOUT_MS  2000
#define REDIS_DEFAULT_CONNECT_MS  1000

struct redis_config {
	struct redis_url url; /* url.database: url's /DB or `database` */
	struct stream_name *stream;
	long long maxlen;      /* MAXLEN ~ bound; 0: no trimming */
	long long dedup_ttl_s; /* guard key lifetime; 0: no guard */
	char *username;	       /* ACL user, or NULL (default user) */
	char *password;	       /* or NULL; never logged */
	int timeout_ms;	       /* per command round trip */
	int connect_timeout_ms;
	int batch; /* pipeline the events of a flush (default on) */
};

/* Reads config into c (zeroed first). -1 with the reason in err; c is
 * then already cleared. */
int redis_config_read(const json_t *config, struct redis_config *c,
		      struct rtw_error *err);
void redis_config_clear(struct redis_config *c);

#endif
