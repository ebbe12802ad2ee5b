/* redis: adds every event to a Redis stream (XADD), for consumers that
 * scale out on Redis consumer groups.
 *
 *   config = { url = "redis://127.0.0.1:6379/0"; stream = "recall:{bot_id}";
 *              maxlen = 100000; };
 *
 * Each entry holds the fields event, bot_id, seq, key (the idempotency
 * key) and json (the body exactly as received). An event offered again
 * (after a crash, a timeout whose reply was lost, or a sender retry that
 * reached another rtwebhookd instance) adds no second entry: a guard key
 * per event, set in the same script as the XADD (redis_publish.h).
 *
 * Answers: OK once the entry is in (or was already); RETRY on connection
 * loss, timeouts and "not now" errors (LOADING, OOM, READONLY, NOAUTH...),
 * never blocking longer than connect_timeout_ms + timeout_ms; FAIL for an
 * event that can never go in (its key is not a stream, a bot id too long
 * for a stream name). Thread-safe: `workers = N` gives N connections.
 *
 * Batching (a host of ABI 1.2, `batch` not false): handle() prepares the
 * entry and answers PENDING; flush() sends the whole batch in one
 * pipelined round trip and answers OK once every entry is in, else
 * RETRY, keeping the rest in order (redis_batch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_batch.h"
#include "redis_config.h"
#include "redis_pool.h"
#include "redis_publish.h"
#include "rtwebhookd/handler.h"

struct redis_handler {
	const struct rtw_host *host;
	struct redis_config config;
	struct redis_pool pool;
	int batching; /* answer RTW_PENDING, send at flush */
	struct redis_batch batch;
};

static int redis_init(const struct rtw_host *host, const json_t *config,
		      void **state, struct rtw_error *err)
{
	struct redis_handler *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	if (redis_config_read(config, &h->config, err) != 0) {
		free(h);
		return -1;
	}
	h->host = host;
	h->batching = h->config.batch && RTW_HOST_TAKES_PENDING(host);
	redis_batch_init(&h->batch);
	/* No connection yet: the daemon starts (and -t passes) while the
	 * server is down; events wait in the spool until it is up. */
	redis_pool_init(&h->pool, &h->config);
	*state = h;
	return 0;
}

/* A re-delivered event whose guard says it is in (see redis_publish.h). */
static void log_in_already(struct redis_handler *h, uint64_t seq,
			   const char *entry_id)
{
	h->host->log(h->host, RTW_LOG_INFO,
		     "event %llu is in its stream already (entry %s): "
		     "not added again",
		     (unsigned long long)seq, entry_id);
}

static enum rtw_result answer(struct redis_handler *h,
			      const struct rtw_event *ev,
			      enum publish_outcome out, const char *entry_id,
			      const char *why, struct rtw_error *err)
{
	switch (out) {
	case PUBLISH_ADDED:
		return RTW_OK;
	case PUBLISH_DUPLICATE:
		log_in_already(h, ev->seq, entry_id);
		return RTW_OK;
	case PUBLISH_BROKEN:
	case PUBLISH_RETRY:
		rtw_error_set(err, "%s", why);
		return RTW_RETRY;
	case PUBLISH_FAIL:
		break;
	}
	rtw_error_set(err, "%s", why);
	return RTW_FAIL;
}

/* A connection, or NULL with RETRY's reason in err (logged once per
 * outage). */
static struct redis_conn *take_conn(struct redis_handler *h,
				    struct rtw_error *err)
{
	char why[sizeof(err->message)] = "";
	struct redis_conn *rc;
	int first_failure;

	rc = redis_pool_take(&h->pool, why, sizeof(why), &first_failure);
	if (rc == NULL) {
		if (first_failure)
			h->host->log(h->host, RTW_LOG_WARNING,
				     "%s; events wait in the spool", why);
		rtw_error_set(err, "%s", why);
	}
	return rc;
}

static void give_conn(struct redis_handler *h, struct redis_conn *rc,
		      enum publish_outcome out, const char *why)
{
	if (out == PUBLISH_BROKEN)
		h->host->log(h->host, RTW_LOG_WARNING, "%s; reconnecting", why);
	redis_pool_give(&h->pool, rc, out == PUBLISH_BROKEN);
}

static enum rtw_result redis_handle(void *state, const struct rtw_event *ev,
				    struct rtw_error *err)
{
	struct redis_handler *h = state;
	char why[sizeof(err->message)] = "", entry_id[64] = "";
	enum publish_outcome out;
	struct redis_conn *rc;
	struct xadd *x;

	switch (xadd_new(&h->config, ev, &x, why, sizeof(why))) {
	case XADD_OK:
		break;
	case XADD_OOM:
		rtw_error_set(err, "%s", why);
		return RTW_RETRY;
	case XADD_REFUSED:
		rtw_error_set(err, "%s", why);
		return RTW_FAIL;
	}
	if (h->batching) {
		redis_batch_add(&h->batch, x);
		return RTW_PENDING;
	}
	rc = take_conn(h, err);
	if (rc == NULL) {
		xadd_free(x);
		return RTW_RETRY;
	}
	out = redis_publish(rc, &h->config, x, entry_id, why, sizeof(why));
	give_conn(h, rc, out, why);
	xadd_free(x);
	return answer(h, ev, out, entry_id, why, err);
}

static void log_duplicate(void *arg, const struct xadd *x,
			  const char *entry_id)
{
	log_in_already(arg, x->seq, entry_id);
}

/* Sends the batch's list (n entries) on a connection and frees the ones
 * that got in; *rest: the first that did not (the rest of the list), or
 * NULL when all are in. */
static void send_batch(struct redis_handler *h, struct xadd *first, size_t n,
		       struct xadd **rest, char *why, size_t why_len)
{
	struct xadd **xs = malloc(n * sizeof(*xs));
	struct batch_result res = {.on_duplicate = log_duplicate, .arg = h};
	enum publish_outcome out;
	struct redis_conn *rc;
	struct rtw_error err;

	*rest = first;
	if (xs == NULL) {
		snprintf(why, why_len, "out of memory");
		return;
	}
	rc = take_conn(h, &err);
	if (rc == NULL) {
		snprintf(why, why_len, "%s", err.message);
		free(xs);
		return;
	}
	for (size_t i = 0; i < n; i++, first = first->next)
		xs[i] = first;
	out = redis_publish_batch(rc, &h->config, xs, n, &res, why, why_len);
	give_conn(h, rc, out, why);
	if (out == PUBLISH_FAIL)
		h->host->log(h->host, RTW_LOG_ERR,
			     "event %llu can never go in (%s); with batching "
			     "the handler waits until the server accepts it "
			     "(batch = false sends such events to the "
			     "dead-letter file instead)",
			     (unsigned long long)res.failed_seq, why);
	*rest = res.done < n ? xs[res.done] : NULL;
	for (size_t i = 0; i < res.done; i++)
		xadd_free(xs[i]);
	free(xs);
}

/* Sends every pending entry in one round trip. OK only when all are in;
 * else RETRY, keeping the ones not in for the next flush. */
static enum rtw_result redis_flush(void *state, struct rtw_error *err)
{
	struct redis_handler *h = state;
	char why[sizeof(err->message)] = "";
	struct xadd *first, *rest;
	size_t n;

	first = redis_batch_take(&h->batch, &n);
	if (first == NULL)
		return RTW_OK;
	send_batch(h, first, n, &rest, why, sizeof(why));
	if (rest == NULL)
		return RTW_OK;
	redis_batch_give_back(&h->batch, rest);
	rtw_error_set(err, "%s", why);
	return RTW_RETRY;
}

static void redis_fini(void *state)
{
	struct redis_handler *h = state;

	if (h == NULL)
		return;
	redis_pool_destroy(&h->pool);
	redis_batch_destroy(&h->batch);
	redis_config_clear(&h->config);
	free(h);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "redis",
	    .version = "1.0",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = redis_init,
	    .handle = redis_handle,
	    .fini = redis_fini,
	    .flush = redis_flush,
	};
	return &handler;
}
