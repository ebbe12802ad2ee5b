/* sqlite: stores every event, and the meeting data derived from it
 * (participants, sessions, speech turns, utterances), in an SQLite database
 * in WAL mode. Layout and queries: docs/handlers/sqlite.md.
 *
 * Delivery contract: an event counts as done only once the COMMIT that
 * holds it has returned, so it is in the WAL and survives a crash of the
 * daemon (synchronous = "normal") or also a power cut (synchronous =
 * "full"). With a host that batches (ABI 1.2), handle() writes the event
 * into the open transaction and answers RTW_PENDING, and flush() commits
 * the batch; with an older host every event is committed before handle()
 * answers RTW_OK (sqlite_batch). Re-delivered events are recognized by
 * their seq (sqlite_store). */
#include <stdlib.h>

#include "sqlite_batch.h"
#include "sqlite_checkpoint.h"
#include "sqlite_config.h"
#include "sqlite_store.h"

struct sqlite_handler {
	const struct rtw_host *host;
	struct sqlite_config cfg;
	struct store store;
	struct batch batch;
	struct checkpointer checkpointer;
	int store_open, batch_ready;
	int batching; /* the host takes RTW_PENDING and calls flush */
};

static void sqlite_fini(void *state);

static int sqlite_init(const struct rtw_host *host, const json_t *config,
		       void **state, struct rtw_error *err)
{
	struct sqlite_handler *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	h->host = host;
	h->batching = RTW_HOST_TAKES_PENDING(host);
	if (sqlite_config_parse(config, &h->cfg, err) != 0) {
		free(h);
		return -1;
	}
	if (store_open(&h->store, &h->cfg, err) != 0)
		goto fail;
	h->store_open = 1;
	if (batch_init(&h->batch, &h->store) != 0) {
		rtw_error_set(err, "cannot create the batch lock");
		goto fail;
	}
	h->batch_ready = 1;
	if (checkpointer_start(&h->checkpointer, &h->cfg, h->store.db, host,
			       err) != 0)
		goto fail;
	*state = h;
	return 0;
fail:
	sqlite_fini(h);
	return -1;
}

static enum rtw_result sqlite_handle(void *state, const struct rtw_event *ev,
				     struct rtw_error *err)
{
	struct sqlite_handler *h = state;

	if (h->batching)
		return batch_add(&h->batch, ev, err);
	return batch_write_now(&h->batch, ev, err);
}

static enum rtw_result sqlite_flush(void *state, struct rtw_error *err)
{
	struct sqlite_handler *h = state;

	return batch_flush(&h->batch, err);
}

static void log_uncommitted(const struct sqlite_handler *h, size_t n)
{
	if (n > 0)
		h->host->log(h->host, RTW_LOG_NOTICE,
			     "%zu events not committed (no successful "
			     "flush since): the daemon offers them again",
			     n);
}

static void sqlite_fini(void *state)
{
	struct sqlite_handler *h = state;

	if (h == NULL)
		return;
	if (h->batch.commits > 0)
		h->host->log(h->host, RTW_LOG_INFO,
			     "%lu events stored in %lu commits",
			     h->batch.events, h->batch.commits);
	if (h->store_open)
		checkpointer_unhook(h->store.db);
	checkpointer_stop(&h->checkpointer);
	if (h->batch_ready)
		log_uncommitted(h, batch_destroy(&h->batch));
	/* The last connection to close checkpoints the WAL and removes it. */
	if (h->store_open)
		store_close(&h->store);
	sqlite_config_free(&h->cfg);
	free(h);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "sqlite",
	    .version = "1.1",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = sqlite_init,
	    .handle = sqlite_handle,
	    .fini = sqlite_fini,
	    .flush = sqlite_flush,
	};
	return &handler;
}
