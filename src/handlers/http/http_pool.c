/* A pool of libcurl easy handles. Each handle keeps its own connection
 * cache, so a handle that goes back to the pool keeps its keep-alive
 * connection for the next event; with `workers = N` at most N handles
 * exist, one per worker busy at a time. A pool (rather than thread-local
 * handles) leaves nothing behind in the host's threads: fini frees every
 * handle on the main thread after the last handle() returned. */
#include <stdlib.h>
#include <string.h>

#include "http_fwd.h"

#define USER_AGENT "rtwebhookd-http/1.0"

int http_pool_init(struct http_pool *p)
{
	memset(p, 0, sizeof(*p));
	return pthread_mutex_init(&p->lock, NULL) == 0 ? 0 : -1;
}

/* Options that stay the same for every request of this instance. */
static int setup_handle(CURL *h, const struct http_config *c)
{
	/* NOSIGNAL: libcurl must not use SIGALRM for timeouts in a
	 * multithreaded daemon (the threaded resolver needs no signal). */
	return curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms) !=
			   CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
					"http,https") != CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) !=
			   CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) !=
			   CURLE_OK ||
		       curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT) !=
			   CURLE_OK
		   ? -1
		   : 0;
}

CURL *http_pool_take(struct http_pool *p, const struct http_config *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nidle > 0)
		h = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	if (h != NULL)
		return h;
	h = curl_easy_init();
	if (h != NULL && setup_handle(h, c) != 0) {
		curl_easy_cleanup(h);
		h = NULL;
	}
	return h;
}

void http_pool_give(struct http_pool *p, CURL *h)
{
	pthread_mutex_lock(&p->lock);
	if (p->nidle == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		CURL **grown = realloc(p->idle, cap * sizeof(*grown));

		if (grown == NULL) {
			pthread_mutex_unlock(&p->lock);
			curl_easy_cleanup(h); /* only the connection is lost */
			return;
		}
		p->idle = grown;
		p->cap = cap;
	}
	p->idle[p->nidle++] = h;
	pthread_mutex_unlock(&p->lock);
}

void http_pool_fini(struct http_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++)
		curl_easy_cleanup(p->idle[i]);
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
	memset(p, 0, sizeof(*p));
}
