/* sqlite: stores every event, and the meeting data derived from it
 * (participants, sessions, speech turns, utterances), in an SQLite database
 * in WAL mode. Layout and queries: docs/handlers/sqlite.md.
 *
 * Delivery contract: handle() answers RTW_OK only after the COMMIT that
 * holds the event has returned, so an event answered OK is in the WAL and
 * survives a crash of the daemon (synchronous = "normal") or also a power
 * cut (synchronous = "full"). Workers share commits (sqlite_batch), and
 * re-delivered events are recognized by their seq (sqlite_store). */
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

	switch (batch_write(&h->batch, ev, err)) {
	case 0:
		return RTW_OK;
	case STORE_FAIL:
		return RTW_FAIL;
	default:
		return RTW_RETRY;
	}
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
		batch_destroy(&h->batch);
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
	    .version = "1.0",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = sqlite_init,
	    .handle = sqlite_handle,
	    .fini = sqlite_fini,
	};
	return &handler;
}
