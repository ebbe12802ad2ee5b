/* sqlite_batch: the one writing connection, shared by every worker, in
 * one of two ways.
 *
 *  - Batching (the host has ABI 1.2): batch_add writes the event into the
 *    open transaction and keeps a copy of it (sqlite_redo); the host's
 *    flush calls batch_flush, which COMMITs. When a COMMIT fails, SQLite
 *    may have rolled the transaction back, so the batch is rebuilt from
 *    the copies (BEGIN, each event again, in order) before the next
 *    event is written or the next COMMIT is tried. The copies are
 *    dropped only after a successful COMMIT.
 *  - One commit per event (an older host, which would count an event done
 *    when handle returns): batch_write_now writes and commits it.
 *
 * One lock serializes every use of the connection. */
#ifndef SQLITE_BATCH_H
#define SQLITE_BATCH_H

#include <pthread.h>

#include "rtwebhookd/handler.h"
#include "sqlite_redo.h"
#include "sqlite_store.h"

struct batch {
	struct store *store;
	pthread_mutex_t lock;
	struct redo_log redo; /* the events of the open transaction */
	/* The open transaction may no longer hold every event in redo (a
	 * COMMIT or a write failed): rebuild it before using it. */
	int stale;
	unsigned long commits, events; /* for the average batch size */
};

int batch_init(struct batch *b, struct store *store);
/* Rolls back what was never committed (the host offers those events
 * again) and frees the copies. Returns how many events that was. */
size_t batch_destroy(struct batch *b);

/* Batching: writes ev into the open transaction. RTW_PENDING, or with
 * err: RTW_RETRY (the database cannot take it now; nothing of it is kept)
 * or RTW_FAIL (the event can never be stored). Thread-safe. */
enum rtw_result batch_add(struct batch *b, const struct rtw_event *ev,
			  struct rtw_error *err);
/* Batching: commits every event batch_add has answered PENDING for.
 * RTW_OK, or RTW_RETRY with err (the events are kept for the next
 * try). Thread-safe. */
enum rtw_result batch_flush(struct batch *b, struct rtw_error *err);

/* One commit per event: RTW_OK once ev is committed, else RTW_RETRY or
 * RTW_FAIL with err. Thread-safe. */
enum rtw_result batch_write_now(struct batch *b, const struct rtw_event *ev,
				struct rtw_error *err);

#endif
