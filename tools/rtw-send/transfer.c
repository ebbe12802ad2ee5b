/* The body is handed to libcurl through a read callback that cannot
 * rewind, on purpose: when a reused connection dies without an answer,
 * libcurl silently re-sends a rewindable body on a new connection, so the
 * receiver would see two requests for one attempt with no interval
 * between them, which Recall never does. Without a rewind libcurl reports
 * the error instead, and the retry waits --retry-interval-ms like any
 * other. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "transfer.h"

#define HEADER_LEN 256

static const struct header_names {
	const char *id, *timestamp, *signature;
} header_names[] = {
	{"webhook-id", "webhook-timestamp", "webhook-signature"},
	{"svix-id", "svix-timestamp", "svix-signature"},
};

static size_t read_body(char *buf, size_t size, size_t nitems, void *arg)
{
	struct transfer *t = arg;
	size_t n = t->len - t->off;

	if (n > size * nitems)
		n = size * nitems;
	memcpy(buf, t->body + t->off, n);
	t->off += n;
	return n;
}

static size_t discard(char *buf, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

int transfer_init(struct transfer *t, const struct transfer_config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->easy = curl_easy_init();
	if (t->easy == NULL)
		return -1;
	/* Options libcurl rejects only when out of memory or too old; any
	 * non-zero CURLcode is a failure. */
	if (curl_easy_setopt(t->easy, CURLOPT_URL, cfg->url) ||
	    curl_easy_setopt(t->easy, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, read_body) ||
	    curl_easy_setopt(t->easy, CURLOPT_READDATA, t) ||
	    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, discard) ||
	    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, cfg->timeout_ms) ||
	    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error) ||
	    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t)) {
		transfer_cleanup(t);
		return -1;
	}
	return 0;
}

void transfer_cleanup(struct transfer *t)
{
	curl_slist_free_all(t->headers);
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	memset(t, 0, sizeof(*t));
}

static int add_header(struct curl_slist **list, const char *name,
		      const char *value)
{
	char line[HEADER_LEN];
	struct curl_slist *grown;

	if (snprintf(line, sizeof(line), "%s: %s", name, value) >=
	    (int)sizeof(line))
		return -1;
	grown = curl_slist_append(*list, line);
	if (grown == NULL)
		return -1;
	*list = grown;
	return 0;
}

/* The three signature headers; the timestamp is the time of this attempt,
 * the id the same for every attempt of the event. */
static int add_signature(struct transfer *t, const struct transfer_config *cfg,
			 const struct feed *f)
{
	const struct header_names *names = &header_names[cfg->svix ? 1 : 0];
	char id[SIGN_ID_LEN], ts[24], sig[SIGN_VALUE_LEN];

	sign_message_id(cfg->nonce, f->index, f->next, id);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (sign_compute(cfg->key, id, ts, t->body, t->len, sig) != 0)
		return -1;
	return add_header(&t->headers, names->id, id) ||
			       add_header(&t->headers, names->timestamp, ts) ||
			       add_header(&t->headers, names->signature, sig)
		       ? -1
		       : 0;
}

int transfer_prepare(struct transfer *t, const struct transfer_config *cfg,
		     struct feed *f)
{
	const struct send_event *ev = &f->events[f->next];

	t->feed = f;
	t->body = ev->body;
	t->len = ev->len;
	t->off = 0;
	t->error[0] = '\0';
	/* No "Expect: 100-continue": Recall sends the body at once. */
	if (add_header(&t->headers, "Content-Type", "application/json") ||
	    add_header(&t->headers, "Expect", "") ||
	    (cfg->key != NULL && add_signature(t, cfg, f) != 0))
		return -1;
	return curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers) ||
			       curl_easy_setopt(t->easy,
						CURLOPT_POSTFIELDSIZE_LARGE,
						(curl_off_t)t->len)
		       ? -1
		       : 0;
}

int transfer_finish(struct transfer *t, CURLcode rc, int64_t *latency_us)
{
	long status = 0;
	curl_off_t total = 0;
	int acked = 0;

	if (rc != CURLE_OK) {
		if (t->error[0] == '\0')
			snprintf(t->error, sizeof(t->error), "%s",
				 curl_easy_strerror(rc));
	} else if (curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
				     &status) != CURLE_OK ||
		   status < 200 || status > 299) {
		snprintf(t->error, sizeof(t->error), "HTTP status %ld",
			 status);
	} else {
		acked = 1;
		curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total);
		*latency_us = (int64_t)total;
	}
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	t->feed = NULL;
	return acked;
}
