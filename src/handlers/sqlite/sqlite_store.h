/* sqlite_store: one writing connection, its prepared statements, and
 * writing one event (its row and the rows derived from it) into the open
 * batch transaction. Not thread-safe: the caller serializes (sqlite_batch
 * holds its lock around every call). */
#ifndef SQLITE_STORE_H
#define SQLITE_STORE_H

#include <sqlite3.h>

#include "rtwebhookd/handler.h"
#include "sqlite_config.h"
#include "sqlite_words.h"

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_INSERT_EVENT,
	ST_UPSERT_PARTICIPANT,
	ST_OPEN_SESSION,
	ST_CLOSE_SESSION,
	ST_LONE_LEAVE,
	ST_START_SPEECH,
	ST_END_SPEECH,
	ST_INSERT_UTTERANCE,
	ST_COUNT
};

struct store {
	sqlite3 *db;
	const char *path; /* borrowed from the config */
	sqlite3_stmt *st[ST_COUNT];
	struct text_buf text; /* the utterance being built */
};

/* Opens cfg->path, creates or checks the layout, prepares the statements.
 * 0, or -1 with err (nothing left open). */
int store_open(struct store *s, const struct sqlite_config *cfg,
	       struct rtw_error *err);
void store_close(struct store *s);

/* Writes ev into the batch transaction (begun here when none is open) as
 * one savepoint: all of its rows or none. An event whose seq is already
 * stored is left as it is (a re-delivery after a crash). Returns 0, or
 * with err set: STORE_RETRY (the database cannot take it now: locked,
 * disk full, I/O error) or STORE_FAIL (this event can never be stored:
 * too big for SQLite). On failure *batch_lost is 1 when SQLite rolled back
 * the whole batch transaction, taking the other events of the batch with
 * it. */
#define STORE_RETRY (-1)
#define STORE_FAIL  (-2)
int store_write(struct store *s, const struct rtw_event *ev, int *batch_lost,
		struct rtw_error *err);
/* Commits the batch transaction, if one is open. 0, or -1 with err after
 * rolling the batch back. */
int store_commit(struct store *s, struct rtw_error *err);
/* Rolls the batch transaction back, if one is open. */
void store_rollback(struct store *s);
/* 1 while a batch transaction is open. */
int store_in_batch(const struct store *s);

/* Runs statement id, whose parameters the caller has bound, to completion
 * and resets it (clearing its bindings). Returns an SQLite result code:
 * SQLITE_DONE on success. */
int store_step(struct store *s, enum store_stmt id);

#endif
