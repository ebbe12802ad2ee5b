/* nats: publishes every event to a NATS JetStream stream and answers OK
 * only once JetStream has acknowledged storing it.
 *
 * Config (docs/handlers/nats.md):
 *   url = "nats://127.0.0.1:4222"; subject = "recall.{event}.{bot_id}";
 *   stream = "RECALL"; create_stream = true; credentials = "user.creds";
 *
 * Exactly once in the stream: every publish carries Nats-Msg-Id = the
 * event's dedup key (msgid.h), so JetStream itself drops a repeat within
 * the stream's duplicate window, whether the repeat is this daemon
 * offering an event again after a crash or another rtwebhookd instance
 * that received the same retried event.
 *
 * Threads: handle may run on several workers at once (`workers = N`):
 * the connection is shared and thread-safe, and the host still hands one
 * bot's events over one at a time, so each bot's events reach the stream
 * in order.
 *
 * Batching (a host of ABI 1.2, `batch` not false): handle publishes
 * without waiting and answers PENDING; flush waits for the
 * acknowledgements of the whole batch (nats_batch.h). */
#include <stdlib.h>

#include "libref.h"
#include "nats_batch.h"
#include "nats_config.h"
#include "nats_conn.h"
#include "publish.h"

struct natsmod {
	const struct rtw_host *host;
	struct natscfg cfg;
	struct natsconn conn;
	int batching;
	struct nats_batch batch;
};

static int natsmod_init(const struct rtw_host *host, const json_t *config,
			void **state, struct rtw_error *err)
{
	struct natsmod *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	m->host = host;
	if (natscfg_read(config, getenv("CREDENTIALS_DIRECTORY"), &m->cfg,
			 err) != 0)
		goto fail;
	if (libref_acquire(err) != 0)
		goto fail_cfg;
	if (natsconn_open(&m->conn, &m->cfg, host, err) != 0)
		goto fail_lib;
	m->batching = m->cfg.batch && RTW_HOST_TAKES_PENDING(host);
	nats_batch_init(&m->batch, &m->conn);
	*state = m;
	return 0;
fail_lib:
	libref_release();
fail_cfg:
	natscfg_clear(&m->cfg);
fail:
	free(m);
	return -1;
}

static enum rtw_result natsmod_handle(void *state, const struct rtw_event *ev,
				      struct rtw_error *err)
{
	struct natsmod *m = state;
	struct nats_item *it;
	enum rtw_result r = nats_item_new(&m->cfg, ev, &it, err);

	if (r != RTW_OK)
		return r;
	if (m->batching) {
		r = nats_batch_add(&m->batch, &m->conn, it, err);
		if (r == RTW_PENDING)
			return r; /* the batch keeps it */
	} else {
		r = publish_item(&m->conn, it, err);
	}
	nats_item_free(it);
	return r;
}

static enum rtw_result natsmod_flush(void *state, struct rtw_error *err)
{
	struct natsmod *m = state;

	return nats_batch_flush(&m->batch, &m->conn, err);
}

static void natsmod_fini(void *state)
{
	struct natsmod *m = state;

	natsconn_close(&m->conn);
	nats_batch_destroy(&m->batch);
	if (libref_release() != 0)
		m->host->log(m->host, RTW_LOG_WARNING,
			     "the NATS library's threads did not stop within "
			     "%d ms",
			     LIBREF_CLOSE_WAIT_MS);
	natscfg_clear(&m->cfg);
	free(m);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "nats",
	    .version = "1.0",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = natsmod_init,
	    .handle = natsmod_handle,
	    .fini = natsmod_fini,
	    .flush = natsmod_flush,
	};
	return &handler;
}
