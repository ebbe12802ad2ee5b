/* sqlite_redo: copies of the events written into the open batch
 * transaction, in the order they were written, so the batch can be
 * written again when SQLite loses the transaction (a COMMIT that fails
 * with a full disk or an I/O error rolls it back). The host's event is
 * borrowed for one handle() call; the copy lives until the batch is
 * committed. */
#ifndef SQLITE_REDO_H
#define SQLITE_REDO_H

#include <stddef.h>

#include "rtwebhookd/handler.h"

struct redo_event;

struct redo_log {
	struct redo_event **events;
	size_t count, cap;
	size_t bytes; /* the copies' size, to bound the batch */
};

/* Appends a copy of what the store reads of ev (its fields and body; the
 * parsed payload is read again from the body when replayed). 0, or -1
 * when out of memory (the log is unchanged). */
int redo_keep(struct redo_log *log, const struct rtw_event *ev);
/* Removes the last copy (its event could not be written after all). */
void redo_drop_last(struct redo_log *log);
/* Empties the log (the batch is committed), keeping its array. */
void redo_clear(struct redo_log *log);
void redo_free(struct redo_log *log);

/* Calls write on every kept event in order, as an rtw_event view that
 * lives for the call, and stops at the first non-zero answer, which it
 * returns. -1 (with err) when a body cannot be parsed again. */
int redo_replay(const struct redo_log *log,
		int (*write)(void *arg, const struct rtw_event *ev,
			     struct rtw_error *err),
		void *arg, struct rtw_error *err);

#endif
