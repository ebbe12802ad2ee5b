/* The http handler's internal interfaces, grouped by file. Only this
 * directory includes it. */
#ifndef HTTP_FWD_H
#define HTTP_FWD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "rtwebhookd/handler.h"

#define HTTP_DEFAULT_TIMEOUT_MS	       5000
#define HTTP_DEFAULT_MAX_RETRY_AFTER_S 300
/* How much of a response body is kept for the dead-letter reason. */
#define HTTP_SNIPPET_BYTES 200
/* Longest webhook-id we send (a longer original id is hashed instead). */
#define HTTP_MAX_ID_LEN 128

/* ---- http_config.c: the `config` group, checked once at init ---------- */

/* Whom a downstream's Retry-After pauses (http_pause.c says why). */
enum http_retry_scope {
	HTTP_SCOPE_HANDLER = 0, /* every bot's events (the default) */
	HTTP_SCOPE_BOT,		/* the answered event's bot only */
};

struct http_config {
	char *url;	    /* as configured; may hold credentials */
	char *url_redacted; /* for logs and reasons: no user:pass, no query */
	long timeout_ms;    /* whole request, connection included */
	long max_retry_after_ms; /* cap on a downstream's Retry-After */
	enum http_retry_scope retry_after_scope;
	struct curl_slist *headers; /* fixed request headers, ours included */
	unsigned char *key; /* HMAC key (decoded secret), or NULL: unsigned */
	size_t key_len;
	EVP_MAC *hmac; /* fetched once: a fetch per event costs more
			  than the HMAC itself */
};

/* Reads config into c (zeroed first). -1 with the reason, naming the key,
 * in err; c is then cleared. */
int http_config_read(const json_t *config, struct http_config *c,
		     struct rtw_error *err);
void http_config_clear(struct http_config *c);

/* ---- http_headers.c: operator-given header lines ----------------------- */

/* Checks one "Name: value" line: a token name, a colon, no CR, LF or NUL,
 * and not a header the handler sets itself. -1 with the reason in err
 * (quoting the name only, never the value: it may be a credential). */
int http_header_check(const char *line, struct rtw_error *err);

/* ---- http_url.c: the downstream URL ------------------------------------ */

/* Checks that url is an absolute http:// or https:// URL libcurl accepts
 * and returns a copy safe to log (user and password replaced by "***",
 * the query by "?***"), or NULL with the reason in err. */
char *http_url_check(const char *url, struct rtw_error *err);

/* ---- http_sign.c: Standard Webhooks re-signing -------------------------- */

/* Decodes "whsec_<base64>" into a malloc'd key. -1 when the text is not
 * such a secret (err never quotes it). */
int http_secret_decode(const char *secret, unsigned char **key, size_t *key_len,
		       struct rtw_error *err);
/* "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" into out (room for
 * at least 48 bytes), with hmac = EVP_MAC_fetch(NULL, "HMAC", NULL). -1
 * on a libcrypto failure. */
int http_sign(EVP_MAC *hmac, const unsigned char *key, size_t key_len,
	      const char *id, const char *timestamp, const void *body,
	      size_t body_len, char *out, size_t out_len);
/* The webhook-id for ev: the same for every attempt and redelivery of the
 * event. The original webhook-id when the request carried a short, plain
 * one; "msg_<body digest>" for an unsigned request; "rtw_<seq>" under a
 * host older than ABI 1.1. */
void http_event_id(const struct rtw_event *ev, char *out, size_t out_len);

/* ---- http_pool.c: reused libcurl handles -------------------------------- */

/* Idle easy handles, each keeping its connection alive between events.
 * A worker takes one for a request and puts it back, so the pool grows to
 * the number of workers and no handle is ever used by two threads at
 * once. */
struct http_pool {
	pthread_mutex_t lock;
	CURL **idle;
	size_t nidle, cap;
};

int http_pool_init(struct http_pool *p);
/* An idle handle, or a new one set up for config c. NULL when out of
 * memory. */
CURL *http_pool_take(struct http_pool *p, const struct http_config *c);
/* Returns h to the pool (cleans it up when the pool cannot grow). */
void http_pool_give(struct http_pool *p, CURL *h);
void http_pool_fini(struct http_pool *p);

/* ---- http_post.c: one POST --------------------------------------------- */

struct http_answer {
	CURLcode curl_code; /* CURLE_OK when a response arrived */
	char curl_error[CURL_ERROR_SIZE];
	long status;	     /* HTTP status; 0 without a response */
	long retry_after_ms; /* from Retry-After, or -1 when absent */
	char snippet[HTTP_SNIPPET_BYTES + 1]; /* first bytes of the body */
	size_t snippet_len;
};

/* POSTs body with the request headers `headers` through h and fills a.
 * Returns 0 when a response arrived, -1 otherwise. */
int http_post(CURL *h, const struct curl_slist *headers, const void *body,
	      size_t body_len, struct http_answer *a);

/* ---- http_verdict.c: what an answer means ------------------------------ */

/* Maps an answer to OK, RETRY or FAIL and writes the reason (with the
 * redacted URL) into err for RETRY and FAIL. */
enum rtw_result http_verdict(const struct http_answer *a,
			     const char *url_redacted, struct rtw_error *err);

/* ---- http.c: the instance ----------------------------------------------- */

struct http_fwd {
	const struct rtw_host *host;
	int host_can_delay; /* the host has retry_after (ABI 1.2) */
	struct http_config config;
	struct http_pool pool;
	/* Scope "handler": CLOCK_MONOTONIC ms before which no event is sent,
	 * the latest Retry-After the downstream asked for (0: none). */
	atomic_int_fast64_t pause_until_ms;
	atomic_int failing; /* 1 from the first RETRY until the next OK */
};

/* ---- http_pause.c: honouring Retry-After -------------------------------- */

/* True when the host can be asked for a retry delay: ABI 1.2's
 * host->retry_after, present (by size and abi_minor) and set. */
int http_pause_host_can_delay(const struct rtw_host *host);
/* The answer to the event being handled was RETRY with Retry-After
 * delay_ms (>= 0): caps it, pauses this bot or every bot as configured
 * and, when the host can, asks it to offer the event again then. Call
 * from handle, just before it answers RETRY. */
void http_pause_start(struct http_fwd *f, long delay_ms);
/* Before sending: 1 when a pause of every bot is running (the reason in
 * err; the host, when it can, asked to offer the event again at its end):
 * handle then answers RETRY without sending. 0: send. */
int http_pause_holds(struct http_fwd *f, struct rtw_error *err);

#endif
