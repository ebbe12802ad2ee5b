/* http: forwards every event to a downstream URL (docs/handlers/http.md).
 *
 * The body is POSTed exactly as received, with Content-Type
 * application/json, the operator's extra headers and, with a
 * signing_secret, our own Standard Webhooks signature. 2xx is OK; 408,
 * 429, 5xx and network errors are RETRY; other answers FAIL with the
 * status and the start of the response body.
 *
 * Thread-safe (workers = N): the configuration is read-only after init,
 * libcurl handles come from a locked pool, the Retry-After pause and the
 * failing flag are atomics.
 *
 * Retry-After pauses every bot, or with retry_after_scope = "bot" only the
 * answered one; a host with ABI 1.2 is asked for the exact delay, an older
 * one is answered RETRY until the pause is over (http_pause.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_fwd.h"

/* Settings that depend on what the host offers. */
static int check_host(const struct http_fwd *f, struct rtw_error *err)
{
	if (f->config.retry_after_scope == HTTP_SCOPE_BOT &&
	    !f->host_can_delay) {
		rtw_error_set(err, "retry_after_scope: \"bot\" needs a daemon "
				   "with handler ABI 1.2 (host->retry_after); "
				   "this one is older, use \"handler\"");
		return -1;
	}
	return 0;
}

static int http_init(const struct rtw_host *host, const json_t *config,
		     void **state, struct rtw_error *err)
{
	struct http_fwd *f;

	/* Main thread, never concurrent with handle(): the one safe place
	 * for libcurl's global setup (reference-counted, undone in fini). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rtw_error_set(err, "libcurl global initialisation failed");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL || http_pool_init(&f->pool) != 0) {
		rtw_error_set(err, "out of memory");
		free(f);
		curl_global_cleanup();
		return -1;
	}
	f->host = host;
	f->host_can_delay = http_pause_host_can_delay(host);
	if (http_config_read(config, &f->config, err) != 0)
		goto fail;
	if (check_host(f, err) != 0) {
		http_config_clear(&f->config);
		goto fail;
	}
	host->log(host, RTW_LOG_INFO,
		  "forwarding to %s (%s, timeout %ld ms, Retry-After pauses "
		  "%s)",
		  f->config.url_redacted,
		  f->config.key != NULL ? "signed" : "unsigned",
		  f->config.timeout_ms,
		  f->config.retry_after_scope == HTTP_SCOPE_BOT ? "one bot"
								: "every bot");
	*state = f;
	return 0;
fail:
	http_pool_fini(&f->pool);
	free(f);
	curl_global_cleanup();
	return -1;
}

/* Appends a copy of line to *list; -1 (the list untouched) when out of
 * memory. */
static int append_line(struct curl_slist **list, const char *line)
{
	struct curl_slist *grown = curl_slist_append(*list, line);

	if (grown == NULL)
		return -1;
	*list = grown;
	return 0;
}

/* The fixed headers plus webhook-id, webhook-timestamp and
 * webhook-signature for this attempt. The timestamp is the time of the
 * attempt, not of the event: verifiers refuse timestamps more than five
 * minutes off, and a retried event may be older than that. NULL when out
 * of memory or libcrypto fails. */
static struct curl_slist *signed_headers(const struct http_fwd *f,
					 const struct rtw_event *ev)
{
	char id[HTTP_MAX_ID_LEN + 8], ts[24], sig[64];
	char id_line[sizeof(id) + 16], ts_line[sizeof(ts) + 24],
	    sig_line[sizeof(sig) + 24];
	struct curl_slist *list = NULL;
	int failed = 0;

	http_event_id(ev, id, sizeof(id));
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (http_sign(f->config.hmac, f->config.key, f->config.key_len, id, ts,
		      ev->body, ev->body_len, sig, sizeof(sig)) != 0)
		return NULL;
	snprintf(id_line, sizeof(id_line), "webhook-id: %s", id);
	snprintf(ts_line, sizeof(ts_line), "webhook-timestamp: %s", ts);
	snprintf(sig_line, sizeof(sig_line), "webhook-signature: %s", sig);
	for (const struct curl_slist *h = f->config.headers; h && !failed;
	     h = h->next)
		failed = append_line(&list, h->data);
	if (failed || append_line(&list, id_line) != 0 ||
	    append_line(&list, ts_line) != 0 ||
	    append_line(&list, sig_line) != 0) {
		curl_slist_free_all(list);
		return NULL;
	}
	return list;
}

/* Logs the change when the downstream starts failing or comes back, not
 * every retry (the host logs those at debug level). */
static void note_health(struct http_fwd *f, enum rtw_result r,
			const struct rtw_error *err)
{
	int was = atomic_exchange(&f->failing, r == RTW_RETRY);

	if (r == RTW_RETRY && !was)
		f->host->log(f->host, RTW_LOG_WARNING,
			     "downstream failing, events wait and are "
			     "retried: %s",
			     err->message);
	else if (r != RTW_RETRY && was)
		f->host->log(f->host, RTW_LOG_NOTICE,
			     "downstream answers "
			     "again");
}

static enum rtw_result send_event(struct http_fwd *f,
				  const struct rtw_event *ev,
				  const struct curl_slist *headers,
				  struct rtw_error *err)
{
	struct http_answer a;
	CURL *h = http_pool_take(&f->pool, &f->config);
	enum rtw_result r;

	if (h == NULL) {
		rtw_error_set(err, "cannot set up a libcurl handle (out of "
				   "memory?)");
		return RTW_RETRY;
	}
	http_post(h, headers, ev->body, ev->body_len, &a);
	http_pool_give(&f->pool, h);
	r = http_verdict(&a, f->config.url_redacted, err);
	if (r == RTW_RETRY && a.retry_after_ms >= 0)
		http_pause_start(f, a.retry_after_ms);
	note_health(f, r, err);
	return r;
}

static enum rtw_result http_handle(void *state, const struct rtw_event *ev,
				   struct rtw_error *err)
{
	struct http_fwd *f = state;
	struct curl_slist *headers = NULL;
	enum rtw_result r;

	if (http_pause_holds(f, err))
		return RTW_RETRY;
	if (f->config.key != NULL &&
	    (headers = signed_headers(f, ev)) == NULL) {
		rtw_error_set(err,
			      "cannot sign event %" PRIu64
			      " (out of memory or libcrypto failure)",
			      ev->seq);
		return RTW_RETRY;
	}
	r = send_event(f, ev, headers != NULL ? headers : f->config.headers,
		       err);
	curl_slist_free_all(headers);
	return r;
}

static void http_fini(void *state)
{
	struct http_fwd *f = state;

	http_pool_fini(&f->pool);
	http_config_clear(&f->config);
	free(f);
	curl_global_cleanup();
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler h = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "http",
	    .version = "1.0",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = http_init,
	    .handle = http_handle,
	    .fini = http_fini,
	};
	return &h;
}
