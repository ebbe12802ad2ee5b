/* The checkpointer thread. With synchronous = "normal" a checkpoint is also
 * when SQLite syncs the WAL and the database file; doing it here keeps
 * those fsyncs off the handler's workers. */
#include <string.h>

#include "sqlite_checkpoint.h"
#include "sqlite_schema.h"

/* The WAL starts over from its beginning only after a checkpoint has
 * copied all of it; under sustained load the writer appends while the
 * thread copies, so no checkpoint ever finishes and the WAL grows without
 * bound (1 GB for 300,000 events in a benchmark). Past this many times
 * checkpoint_pages the writer checkpoints itself, between two
 * transactions, which finishes: the next transaction starts the WAL over
 * (and journal_size_limit trims the file). */
#define WRITER_CHECKPOINT_FACTOR 8

/* sqlite3_wal_hook callback: runs in the writer's thread after each
 * commit, with the WAL's size in pages. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *c = arg;

	if (pages >= c->threshold * WRITER_CHECKPOINT_FACTOR) {
		/* BUSY (the thread is at it) is fine: the next commit
		 * tries again. */
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
		return SQLITE_OK;
	}
	if (pages >= c->threshold) {
		pthread_mutex_lock(&c->lock);
		c->due = 1;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
	}
	return SQLITE_OK;
}

static void checkpoint_once(struct checkpointer *c)
{
	int rc = sqlite3_wal_checkpoint_v2(
	    c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* BUSY: another checkpoint runs (a reader's sqlite3 CLI): fine. */
	if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
		if (c->failing)
			c->host->log(c->host, RTW_LOG_INFO,
				     "WAL checkpoints work again");
		c->failing = 0;
		return;
	}
	if (!c->failing)
		c->host->log(c->host, RTW_LOG_WARNING,
			     "WAL checkpoint failed (%s): %s; the WAL grows "
			     "until one succeeds",
			     sqlite3_errstr(rc), sqlite3_errmsg(c->db));
	c->failing = 1;
}

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->due && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stop)
			break;
		c->due = 0;
		pthread_mutex_unlock(&c->lock);
		checkpoint_once(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int checkpointer_start(struct checkpointer *c, const struct sqlite_config *cfg,
		       sqlite3 *writer, const struct rtw_host *host,
		       struct rtw_error *err)
{
	memset(c, 0, sizeof(*c));
	c->host = host;
	c->threshold = cfg->checkpoint_pages;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&c->wake, NULL) != 0)
		goto fail_lock;
	c->db = sqlite_schema_open(cfg, err);
	if (c->db == NULL)
		goto fail_cond;
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		sqlite3_close(c->db);
		goto fail_cond;
	}
	c->started = 1;
	sqlite3_wal_hook(writer, on_commit, c);
	return 0;
fail_cond:
	pthread_cond_destroy(&c->wake);
fail_lock:
	pthread_mutex_destroy(&c->lock);
fail:
	if (err != NULL && err->message[0] == '\0')
		rtw_error_set(err, "cannot start the checkpoint thread");
	return -1;
}

void checkpointer_unhook(sqlite3 *writer)
{
	sqlite3_wal_hook(writer, NULL, NULL);
}

void checkpointer_stop(struct checkpointer *c)
{
	if (!c->started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	c->started = 0;
}
