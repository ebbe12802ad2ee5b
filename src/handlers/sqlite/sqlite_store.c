/* Writing events: one prepared statement per kind of write, each event in
 * its own savepoint inside the batch transaction that sqlite_batch
 * commits. INSERT OR IGNORE on the seq primary key makes a re-delivered
 * event a no-op, and its derived rows are only written with a new row, so
 * re-delivery never doubles a session, a speech turn or an utterance. */
#include <string.h>

#include "sqlite_derive.h"
#include "sqlite_schema.h"
#include "sqlite_store.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT event",
    [ST_RELEASE] = "RELEASE event",
    [ST_ROLLBACK_TO] = "ROLLBACK TO event",
    [ST_INSERT_EVENT] =
	"INSERT OR IGNORE INTO events (seq, type, bot_id, recording_id,"
	" participant_id, time_s, time_at, received_at_ms, json)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_UPSERT_PARTICIPANT] =
	"INSERT INTO participants (meeting, participant_id, name, email,"
	" platform, is_host) VALUES (?1, ?2, ?3, nullif(?4, ''), ?5, ?6)"
	" ON CONFLICT (meeting, participant_id) DO UPDATE SET"
	" name = coalesce(excluded.name, name),"
	" email = coalesce(excluded.email, email),"
	" platform = coalesce(excluded.platform, platform),"
	" is_host = coalesce(excluded.is_host, is_host)",
    /* ?1 seq, ?2 meeting, ?3 participant id, ?4 time_s, ?5 time_at */
    [ST_OPEN_SESSION] =
	"INSERT INTO sessions (id, meeting, participant_id, join_seq,"
	" joined_s, joined_at) VALUES (?1, ?2, ?3, ?1, ?4, ?5)",
    [ST_CLOSE_SESSION] =
	"UPDATE sessions SET leave_seq = ?1, left_s = ?4, left_at = ?5"
	" WHERE id = (SELECT max(id) FROM sessions WHERE meeting = ?2"
	" AND participant_id = ?3 AND leave_seq IS NULL)",
    [ST_LONE_LEAVE] =
	"INSERT INTO sessions (id, meeting, participant_id, leave_seq,"
	" left_s, left_at) VALUES (?1, ?2, ?3, ?1, ?4, ?5)",
    [ST_START_SPEECH] =
	"INSERT INTO speech (id, meeting, participant_id, start_s, start_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_END_SPEECH] =
	"UPDATE speech SET end_seq = ?1, end_s = ?4, end_at = ?5"
	" WHERE id = (SELECT max(id) FROM speech WHERE meeting = ?2"
	" AND participant_id = ?3 AND end_seq IS NULL)",
    [ST_INSERT_UTTERANCE] =
	"INSERT INTO utterances (seq, meeting, participant_id, speaker_name,"
	" start_s, end_s, start_at, end_at, text)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

static int prepare_all(struct store *s, struct rtw_error *err)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK) {
			rtw_error_set(err, "%s: cannot prepare '%s': %s",
				      s->path, stmt_sql[i],
				      sqlite3_errmsg(s->db));
			return -1;
		}
	return 0;
}

int store_open(struct store *s, const struct sqlite_config *cfg,
	       struct rtw_error *err)
{
	memset(s, 0, sizeof(*s));
	s->path = cfg->path;
	s->db = sqlite_schema_open(cfg, err);
	if (s->db == NULL)
		return -1;
	if (sqlite_schema_ensure(s->db, cfg->path, err) != 0 ||
	    prepare_all(s, err) != 0) {
		store_close(s);
		return -1;
	}
	return 0;
}

void store_close(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	text_buf_free(&s->text);
	memset(s, 0, sizeof(*s));
}

int store_step(struct store *s, enum store_stmt id)
{
	sqlite3_stmt *st = s->st[id];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

int store_in_batch(const struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

/* The events row. Sets *inserted to 1 when it is new. */
static int insert_event(struct store *s, const struct rtw_event *ev,
			int *inserted)
{
	sqlite3_stmt *st = s->st[ST_INSERT_EVENT];
	const struct rtw_participant *p = ev->participant;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(st, 2, ev->type_name ? ev->type_name : "", -1,
			  SQLITE_STATIC);
	bind_text(st, 3, ev->bot_id);
	bind_text(st, 4, ev->recording_id);
	if (p != NULL && p->has_id)
		sqlite3_bind_int64(st, 5, p->id);
	if (ev->timestamp.has_relative)
		sqlite3_bind_double(st, 6, ev->timestamp.relative);
	bind_text(st, 7, ev->timestamp.absolute);
	sqlite3_bind_int64(st, 8, ev->received_at_ms);
	/* The received bytes, unchanged (the host checked they are JSON). */
	sqlite3_bind_text64(st, 9, ev->body ? ev->body : "",
			    ev->body ? ev->body_len : 0, SQLITE_STATIC,
			    SQLITE_UTF8);
	rc = store_step(s, ST_INSERT_EVENT);
	*inserted = rc == SQLITE_DONE && sqlite3_changes(s->db) > 0;
	return rc;
}

static void describe(struct store *s, int rc, const struct rtw_event *ev,
		     struct rtw_error *err)
{
	rtw_error_set(err, "%s: cannot store event %llu (%s): %s", s->path,
		      (unsigned long long)ev->seq, sqlite3_errstr(rc),
		      sqlite3_errmsg(s->db));
}

/* Errors that come from the event itself, so a retry would fail again;
 * everything else is the database's state (locked, full, I/O) and passes. */
static int failure_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return STORE_FAIL;
	default:
		return STORE_RETRY;
	}
}

/* Undoes this event's rows after a failure, keeping the batch's. */
static void undo_event(struct store *s, int *batch_lost)
{
	if (!store_in_batch(s)) {
		*batch_lost = 1; /* SQLite rolled back the whole batch */
		return;
	}
	if (store_step(s, ST_ROLLBACK_TO) != SQLITE_DONE ||
	    store_step(s, ST_RELEASE) != SQLITE_DONE) {
		store_step(s, ST_ROLLBACK);
		*batch_lost = 1;
	}
}

int store_write(struct store *s, const struct rtw_event *ev, int *batch_lost,
		struct rtw_error *err)
{
	int had_batch = store_in_batch(s), inserted = 0, rc;

	*batch_lost = 0;
	if (!store_in_batch(s) && (rc = store_step(s, ST_BEGIN)) != SQLITE_DONE)
		goto fail_outside;
	if ((rc = store_step(s, ST_SAVEPOINT)) != SQLITE_DONE)
		goto fail_outside;
	rc = insert_event(s, ev, &inserted);
	if (rc == SQLITE_DONE && inserted)
		rc = derive_rows(s, ev);
	if (rc == SQLITE_DONE)
		rc = store_step(s, ST_RELEASE);
	if (rc == SQLITE_DONE)
		return 0;
	describe(s, rc, ev, err);
	undo_event(s, batch_lost);
	return failure_class(rc);
fail_outside:
	describe(s, rc, ev, err);
	/* Nothing of this event was written; the batch stands unless SQLite
	 * ended it. */
	*batch_lost = had_batch && !store_in_batch(s);
	return STORE_RETRY;
}

void store_rollback(struct store *s)
{
	if (store_in_batch(s))
		store_step(s, ST_ROLLBACK);
}

int store_commit(struct store *s, struct rtw_error *err)
{
	int rc;

	if (!store_in_batch(s))
		return 0;
	rc = store_step(s, ST_COMMIT);
	if (rc == SQLITE_DONE)
		return 0;
	rtw_error_set(err, "%s: commit failed (%s): %s", s->path,
		      sqlite3_errstr(rc), sqlite3_errmsg(s->db));
	store_rollback(s);
	return -1;
}
