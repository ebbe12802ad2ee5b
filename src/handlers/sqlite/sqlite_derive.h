/* sqlite_derive: the rows derived from one event (participants, sessions,
 * speech turns, utterances), written right after its row in the events
 * table and only when that row was new. */
#ifndef SQLITE_DERIVE_H
#define SQLITE_DERIVE_H

#include "rtwebhookd/handler.h"
#include "sqlite_store.h"

/* The meeting key of derived rows: the bot id, else the recording id (an
 * event not made by a bot), else "". */
const char *derive_meeting(const struct rtw_event *ev);

/* Writes what ev implies. Returns SQLITE_DONE, or the failing SQLite
 * result code (SQLITE_NOMEM when out of memory). */
int derive_rows(struct store *s, const struct rtw_event *ev);

#endif
