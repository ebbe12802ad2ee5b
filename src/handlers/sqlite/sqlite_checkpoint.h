/* sqlite_checkpoint: a thread with its own connection that copies the WAL
 * back into the database (PASSIVE checkpoints) once the writer's WAL has
 * grown past checkpoint_pages, so a COMMIT does not pay for a checkpoint
 * (SQLite's automatic checkpoint runs inside COMMIT). Only when the WAL
 * passes 8 times that, which sustained writing does (the thread's
 * checkpoints never catch up with a writer that keeps appending), does
 * the writer checkpoint itself after its COMMIT, to keep the WAL bounded. */
#ifndef SQLITE_CHECKPOINT_H
#define SQLITE_CHECKPOINT_H

#include <pthread.h>
#include <sqlite3.h>

#include "rtwebhookd/handler.h"
#include "sqlite_config.h"

struct checkpointer {
	const struct rtw_host *host;
	sqlite3 *db;
	int threshold; /* WAL pages */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int due, stop, started;
	int failing; /* the last checkpoint failed (warned once) */
};

/* Opens the checkpointer's connection, hooks the writer's commits and
 * starts the thread. 0, or -1 with err (nothing left running). */
int checkpointer_start(struct checkpointer *c, const struct sqlite_config *cfg,
		       sqlite3 *writer, const struct rtw_host *host,
		       struct rtw_error *err);
/* Stops the thread and closes its connection (a no-op when not started).
 * The writer's hook must be gone first: call with the writer closed or
 * unhooked (checkpointer_unhook). */
void checkpointer_stop(struct checkpointer *c);
void checkpointer_unhook(sqlite3 *writer);

#endif
