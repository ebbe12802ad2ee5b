/* sqlite_config: the handler's `config` group, checked key by key. */
#ifndef SQLITE_CONFIG_H
#define SQLITE_CONFIG_H

#include "rtwebhookd/handler.h"

struct sqlite_config {
	char *path;	      /* the database file */
	int synchronous_full; /* 1: "full" (fsync per commit), 0: "normal" */
	int busy_timeout_ms;  /* how long a locked database is waited for */
	int checkpoint_pages; /* WAL size (pages) that wakes the checkpointer */
};

/* Fills cfg from config (defaults for absent keys). Returns 0, or -1 with
 * a reason naming the key in err. */
int sqlite_config_parse(const json_t *config, struct sqlite_config *cfg,
			struct rtw_error *err);
void sqlite_config_free(struct sqlite_config *cfg);

#endif
