/* The batch transaction (see sqlite_batch.h). Invariant, under the lock:
 * when `stale` is 0, the open transaction holds exactly the events in
 * `redo` (no transaction when redo is empty); when it is 1, the
 * transaction is rolled back and written again from redo before any
 * other use. Events are replayed in the order they were first written,
 * into the database as it was before the batch, so the derived rows
 * (open sessions, open speech turns) come out the same. */
#include <string.h>

#include "sqlite_batch.h"

/* The host flushes every 256 events; should it not (an older or a busy
 * host), a batch this large is committed by the next batch_add, so the
 * copies never hold more than this. */
#define BATCH_MAX_EVENTS 1024
#define BATCH_MAX_BYTES	 ((size_t)32 << 20)

int batch_init(struct batch *b, struct store *store)
{
	memset(b, 0, sizeof(*b));
	b->store = store;
	return pthread_mutex_init(&b->lock, NULL) == 0 ? 0 : -1;
}

size_t batch_destroy(struct batch *b)
{
	size_t uncommitted = b->redo.count;

	store_rollback(b->store);
	redo_free(&b->redo);
	pthread_mutex_destroy(&b->lock);
	return uncommitted;
}

/* One event of a replay. It was written once already, so a failure now
 * is the database's state (locked, full, I/O): the replay fails and is
 * tried again later. */
static int replay_one(void *arg, const struct rtw_event *ev,
		      struct rtw_error *err)
{
	int lost;

	return store_write(arg, ev, &lost, err) == 0 ? 0 : -1;
}

/* Makes the transaction hold the kept events again. Lock held. */
static int rebuild(struct batch *b, struct rtw_error *err)
{
	struct rtw_error why = {{0}};

	if (!b->stale)
		return 0;
	store_rollback(b->store);
	if (redo_replay(&b->redo, replay_one, b->store, &why) != 0) {
		store_rollback(b->store);
		rtw_error_set(err, "cannot write the batch of %zu events "
				   "again: %s",
			      b->redo.count, why.message);
		return -1;
	}
	b->stale = 0;
	return 0;
}

/* Commits the batch; on failure keeps its copies for a rebuild. Lock
 * held. */
static int commit(struct batch *b, struct rtw_error *err)
{
	if (rebuild(b, err) != 0)
		return -1;
	if (store_commit(b->store, err) != 0) {
		b->stale = 1; /* store_commit rolled back what was left */
		return -1;
	}
	if (b->redo.count > 0) {
		b->commits++;
		b->events += b->redo.count;
	}
	redo_clear(&b->redo);
	return 0;
}

static int batch_full(const struct batch *b)
{
	return b->redo.count >= BATCH_MAX_EVENTS ||
	       b->redo.bytes >= BATCH_MAX_BYTES;
}

/* Lock held. */
static enum rtw_result add_locked(struct batch *b, const struct rtw_event *ev,
				  struct rtw_error *err)
{
	int lost = 0, rc;

	if (batch_full(b) && commit(b, err) != 0)
		return RTW_RETRY;
	if (rebuild(b, err) != 0)
		return RTW_RETRY;
	/* The copy first: once the event's rows are in, they could not be
	 * taken out again alone if the copy failed. */
	if (redo_keep(&b->redo, ev) != 0) {
		rtw_error_set(err, "out of memory keeping event %llu",
			      (unsigned long long)ev->seq);
		return RTW_RETRY;
	}
	rc = store_write(b->store, ev, &lost, err);
	if (rc == 0)
		return RTW_PENDING;
	redo_drop_last(&b->redo);
	if (lost)
		b->stale = 1; /* SQLite rolled back the others' rows too */
	return rc == STORE_FAIL ? RTW_FAIL : RTW_RETRY;
}

enum rtw_result batch_add(struct batch *b, const struct rtw_event *ev,
			  struct rtw_error *err)
{
	enum rtw_result r;

	pthread_mutex_lock(&b->lock);
	r = add_locked(b, ev, err);
	pthread_mutex_unlock(&b->lock);
	return r;
}

enum rtw_result batch_flush(struct batch *b, struct rtw_error *err)
{
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = commit(b, err);
	pthread_mutex_unlock(&b->lock);
	return rc == 0 ? RTW_OK : RTW_RETRY;
}

enum rtw_result batch_write_now(struct batch *b, const struct rtw_event *ev,
				struct rtw_error *err)
{
	enum rtw_result r = RTW_OK;
	int lost, rc;

	pthread_mutex_lock(&b->lock);
	rc = store_write(b->store, ev, &lost, err);
	if (rc == 0 && store_commit(b->store, err) != 0)
		rc = STORE_RETRY;
	if (rc == 0) {
		b->commits++;
		b->events++;
	} else {
		store_rollback(b->store); /* it held this event alone */
		r = rc == STORE_FAIL ? RTW_FAIL : RTW_RETRY;
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}
