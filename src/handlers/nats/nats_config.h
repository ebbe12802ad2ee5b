/* nats_config: the nats handler's `config` group, checked and read once
 * at init. Every error names its key. */
#ifndef NATS_HANDLER_CONFIG_H
#define NATS_HANDLER_CONFIG_H

#include "rtwebhookd/handler.h"
#include "subject.h"

#define NATSCFG_DEFAULT_SUBJECT	     "recall.{event}.{bot_id}"
#define NATSCFG_DEFAULT_STREAM	     "RECALL"
#define NATSCFG_DEFAULT_CONNECT_MS   2000
#define NATSCFG_DEFAULT_PUBLISH_MS   2000
#define NATSCFG_DEFAULT_RECONNECT_MS 250
#define NATSCFG_DEFAULT_DUPLICATES_S 120

struct natscfg {
	char *url; /* one or more, comma-separated */
	struct subject_template *subject;
	char *stream;		      /* the stream publishes must land in */
	int create_stream;	      /* create it (subjects: prefix + ">") */
	long long duplicate_window_s; /* Duplicates of a stream we create */
	char *credentials; /* .creds file (JWT + NKey seed), or NULL */
	char *token;	   /* or NULL; never logged */
	char *user;	   /* or NULL */
	char *password;	   /* or NULL; never logged */
	int connect_timeout_ms;
	int publish_timeout_ms; /* wait for the JetStream ack at most this */
	int reconnect_wait_ms;
	int batch; /* publish asynchronously, confirm at flush (default) */
};

/* Reads config into c (zeroed first). Returns 0, or -1 with the reason in
 * err (c is then already cleared). A relative `credentials` path is taken
 * relative to credentials_dir when that is not NULL (systemd's
 * $CREDENTIALS_DIRECTORY). */
int natscfg_read(const json_t *config, const char *credentials_dir,
		 struct natscfg *c, struct rtw_error *err);
void natscfg_clear(struct natscfg *c);

#endif
