/* config.c: reading and validating the configuration file (libconfig).
 * This is the only file that includes libconfig; everything else sees the
 * plain structs below. Every key has a default except endpoints, and every
 * problem is reported as file:line. */
#ifndef RTW_CONFIG_H
#define RTW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errlist.h"
#include "netaddr.h"
#include "secret.h"

#define CONFIG_MAX_HANDLERS 64 /* handler sets are 64-bit masks */

enum fsync_mode { FSYNC_ALWAYS, FSYNC_BATCH, FSYNC_OFF };

struct string_list {
	char **items;
	size_t count;
};

struct endpoint_conf {
	char *path;
	struct token_digest *tokens;
	size_t ntokens;
	struct signing_key *signing_keys;
	size_t nsigning_keys;
	int64_t signature_tolerance_s;
	/* Names of the handlers this endpoint feeds; count 0 means all. */
	struct string_list handlers;
	struct cidr *allow_from; /* count 0: any client */
	size_t nallow_from;
	char *file; /* where it is defined (an @include may differ) */
	int line;
};

struct handler_conf {
	char *name;
	char *module;
	struct string_list events; /* exact names and globs; default "*" */
	json_t *config;            /* the `config` group; {} when absent */
	int64_t workers;           /* threads serving its lanes */
	int64_t retry_first_ms;    /* first RETRY backoff, doubling ... */
	int64_t retry_max_ms;      /* ... up to this */
	char *file;                /* where it is defined */
	int line;
};

struct config {
	char *file;
	char *listen_address;
	int64_t listen_port;
	int64_t max_body_bytes;
	int64_t max_connections;
	int64_t max_connections_per_client;
	int64_t max_header_bytes;
	int64_t timeout_s;
	int64_t request_timeout_s;
	int64_t auth_failures_per_minute;
	int64_t shutdown_timeout_s;
	int64_t ready_max_handler_lag_s; /* /readyz: 0 = no check */
	char *spool_dir;
	enum fsync_mode fsync;
	int64_t segment_bytes;
	int64_t dedup_window_s;
	struct cidr *trusted_proxies;
	size_t ntrusted_proxies;
	/* Who may GET /metrics (the client as trusted_proxies tell it);
	 * empty: /metrics is off (404). */
	struct cidr *metrics_allow_from;
	size_t nmetrics_allow_from;
	int log_json; /* log.format = "json" */
	struct endpoint_conf *endpoints;
	size_t nendpoints;
	struct handler_conf *handlers;
	size_t nhandlers;
};

/* Reads and validates file. Returns the configuration, or NULL with every
 * problem found appended to errs. */
struct config *config_load(const char *file, struct errlist *errs);
void config_free(struct config *conf);
/* Destroys the endpoints' secrets of a configuration a reload replaced,
 * once no request can still read it: token digests and signing keys are
 * overwritten with random bytes (nothing matches them, nobody knows
 * them). The handlers' configs stay: kept handlers still use theirs. */
void config_scramble_endpoint_secrets(struct config *conf);

/* Returns the handler's index in conf->handlers, or -1. */
int config_handler_index(const struct config *conf, const char *name);

#endif
