/* transfer.c: one HTTP attempt of one event: a libcurl easy handle set up
 * with the body, the Content-Type and, with a secret, the Standard Webhooks
 * (or Svix) headers; and reading its outcome. */
#ifndef RTWSEND_TRANSFER_H
#define RTWSEND_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "feeds.h"
#include "sign.h"

struct transfer_config {
	const char *url;
	long timeout_ms;
	const struct sign_key *key; /* NULL: requests are not signed */
	int svix;                   /* svix-* header names */
	unsigned char nonce[SIGN_NONCE_LEN]; /* makes webhook-ids unique */
};

struct transfer {
	CURL *easy;
	struct curl_slist *headers;
	struct feed *feed; /* the feed whose event is in flight, or NULL */
	const char *body;  /* borrowed from the feed */
	size_t len, off;
	char error[CURL_ERROR_SIZE];
};

/* Creates the easy handle with the options every attempt shares.
 * Returns 0 or -1. */
int transfer_init(struct transfer *t, const struct transfer_config *cfg);
void transfer_cleanup(struct transfer *t);

/* Sets t up to send f's current event (headers signed now). Returns 0 or
 * -1. */
int transfer_prepare(struct transfer *t, const struct transfer_config *cfg,
		     struct feed *f);

/* After libcurl finished t with rc: 1 when the answer was 2xx (latency
 * set), else 0 with the reason in t->error. Frees the attempt's headers
 * and detaches the feed. */
int transfer_finish(struct transfer *t, CURLcode rc, int64_t *latency_us);

#endif
