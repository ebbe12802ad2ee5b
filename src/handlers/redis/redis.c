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
 * for a stream name). Thread-safe: `workers = N` gives N connections. */
#include <stdlib.h>
#include <string.h>

#include "redis_config.h"
#include "redis_pool.h"
#include "redis_publish.h"
#include "rtwebhookd/handler.h"

struct redis_handler {
	const struct rtw_host *host;
	struct redis_config config;
	struct redis_pool pool;
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
	/* No connection yet: the daemon starts (and -t passes) while the
	 * server is down; events wait in the spool until it is up. */
	redis_pool_init(&h->pool, &h->config);
	*state = h;
	return 0;
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
		h->host->log(h->host, RTW_LOG_INFO,
			     "event %llu is in its stream already (entry %s): "
			     "not added again",
			     (unsigned long long)ev->seq, entry_id);
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

static enum rtw_result redis_handle(void *state, const struct rtw_event *ev,
				    struct rtw_error *err)
{
	struct redis_handler *h = state;
	char why[sizeof(err->message)] = "", entry_id[64] = "";
	enum publish_outcome out;
	struct redis_conn *rc;
	int first_failure;

	rc = redis_pool_take(&h->pool, why, sizeof(why), &first_failure);
	if (rc == NULL) {
		if (first_failure)
			h->host->log(h->host, RTW_LOG_WARNING,
				     "%s; events wait in the spool", why);
		rtw_error_set(err, "%s", why);
		return RTW_RETRY;
	}
	out = redis_publish(rc, &h->config, ev, entry_id, why, sizeof(why));
	if (out == PUBLISH_BROKEN)
		h->host->log(h->host, RTW_LOG_WARNING, "%s; reconnecting", why);
	redis_pool_give(&h->pool, rc, out == PUBLISH_BROKEN);
	return answer(h, ev, out, entry_id, why, err);
}

static void redis_fini(void *state)
{
	struct redis_handler *h = state;

	if (h == NULL)
		return;
	redis_pool_destroy(&h->pool);
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
	};
	return &handler;
}
