/* The layout. Every table is written in the same transaction as the event
 * it derives from, so after a crash either the event and everything derived
 * from it are there, or none of it is. `meeting` is the bot id, or the
 * recording id for an event without a bot (Recall's Desktop SDK). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_schema.h"

static const char schema_sql[] =
    "CREATE TABLE events ("
    " seq INTEGER PRIMARY KEY," /* the spool's sequence number */
    " type TEXT NOT NULL,"	/* the `event` string as received */
    " bot_id TEXT,"
    " recording_id TEXT,"
    " participant_id INTEGER,"
    " time_s REAL,"  /* seconds since the recording started */
    " time_at TEXT," /* ISO 8601 UTC */
    " received_at_ms INTEGER NOT NULL,"
    " json TEXT NOT NULL);" /* the request body exactly as received */
    "CREATE INDEX events_by_bot ON events(bot_id);"

    "CREATE TABLE participants ("
    " meeting TEXT NOT NULL,"
    " participant_id INTEGER NOT NULL,"
    " name TEXT, email TEXT, platform TEXT, is_host INTEGER,"
    " PRIMARY KEY (meeting, participant_id)) WITHOUT ROWID;"

    "CREATE TABLE sessions ("
    " id INTEGER PRIMARY KEY," /* seq of the join (or of a lone leave) */
    " meeting TEXT NOT NULL,"
    " participant_id INTEGER NOT NULL,"
    " join_seq INTEGER, joined_s REAL, joined_at TEXT,"
    " leave_seq INTEGER, left_s REAL, left_at TEXT);"
    "CREATE INDEX sessions_by_participant"
    " ON sessions(meeting, participant_id);"

    "CREATE TABLE speech ("
    " id INTEGER PRIMARY KEY," /* seq of the speech_on */
    " meeting TEXT NOT NULL,"
    " participant_id INTEGER NOT NULL,"
    " start_s REAL, start_at TEXT,"
    " end_seq INTEGER, end_s REAL, end_at TEXT);"
    "CREATE INDEX speech_by_participant ON speech(meeting, participant_id);"

    "CREATE TABLE utterances ("
    " seq INTEGER PRIMARY KEY," /* of the transcript.data event */
    " meeting TEXT NOT NULL,"
    " participant_id INTEGER,"
    " speaker_name TEXT," /* as the event named it (may be NULL) */
    " start_s REAL, end_s REAL, start_at TEXT, end_at TEXT,"
    " text TEXT NOT NULL);"
    "CREATE INDEX utterances_by_meeting ON utterances(meeting);"

    /* A speech turn's length: from relative times, else absolute ones. */
    "CREATE VIEW speech_turns AS"
    " SELECT s.*, CASE WHEN s.end_s IS NOT NULL AND s.start_s IS NOT NULL"
    "  THEN s.end_s - s.start_s"
    "  ELSE (julianday(s.end_at) - julianday(s.start_at)) * 86400.0"
    "  END AS duration_s"
    " FROM speech s WHERE s.end_seq IS NOT NULL;"

    "CREATE VIEW speaking_time AS"
    " SELECT t.meeting, t.participant_id, p.name, p.email,"
    "  count(*) AS turns, total(t.duration_s) AS speaking_s"
    " FROM speech_turns t LEFT JOIN participants p"
    "  ON p.meeting = t.meeting AND p.participant_id = t.participant_id"
    " GROUP BY t.meeting, t.participant_id;"

    "CREATE VIEW participant_sessions AS"
    " SELECT s.meeting, s.participant_id, p.name, p.email, p.is_host,"
    "  s.join_seq, s.joined_s, s.joined_at,"
    "  s.leave_seq, s.left_s, s.left_at,"
    "  (SELECT total(t.duration_s) FROM speech_turns t"
    "   WHERE t.meeting = s.meeting AND t.participant_id = s.participant_id"
    "   AND t.id > coalesce(s.join_seq, 0)"
    "   AND t.id < coalesce(s.leave_seq, 9223372036854775807))"
    "  AS speaking_s"
    " FROM sessions s LEFT JOIN participants p"
    "  ON p.meeting = s.meeting AND p.participant_id = s.participant_id;"

    "CREATE VIEW transcript AS"
    " SELECT u.meeting, u.seq, u.participant_id,"
    "  coalesce(u.speaker_name, p.name,"
    "   'Participant ' || u.participant_id, 'Unknown speaker') AS speaker,"
    "  u.start_s, u.end_s, u.start_at, u.end_at, u.text"
    " FROM utterances u LEFT JOIN participants p"
    "  ON p.meeting = u.meeting AND p.participant_id = u.participant_id;";

static int exec_sql(sqlite3 *db, const char *sql, const char *what,
		    struct rtw_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rtw_error_set(err, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

sqlite3 *sqlite_schema_open(const struct sqlite_config *cfg,
			    struct rtw_error *err)
{
	char pragmas[256];
	sqlite3 *db = NULL;
	int rc;

	/* Transcripts are private: a new database (and so its -wal and -shm
	 * files, which SQLite gives the database's mode) is not world-readable.
	 * O_EXCL: only a file nobody has open yet is opened and closed here.
	 * Closing any descriptor of a file drops every POSIX lock this process
	 * holds on it, including the shared lock by which our other
	 * connections (the writer, when the checkpointer's is opened) tell
	 * other processes the WAL is in use: a reader closing its connection
	 * would then checkpoint and delete the WAL under the writer, and
	 * corrupt the database (seen with a Python reader polling). */
	rc = open(cfg->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (rc >= 0)
		close(rc);
	rc = sqlite3_open_v2(cfg->path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);

	if (rc != SQLITE_OK) {
		rtw_error_set(err, "cannot open %s: %s", cfg->path,
			      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(db, cfg->busy_timeout_ms);
	/* page_size (a new database only): every commit appends each page it
	 * changed to the WAL, so with one event per commit (a host without
	 * batching) small pages halve the bytes written (10,000 -> 15,000+
	 * events/s with one worker); with 256 events per commit 1 and 4 KiB
	 * measured the same.
	 * journal_size_limit: a WAL that grew during a burst is cut back to
	 * 64 MiB once it has been checkpointed. */
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA page_size = 1024;"
		 "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = %s;"
		 "PRAGMA wal_autocheckpoint = 0;"
		 "PRAGMA journal_size_limit = 67108864;"
		 "PRAGMA foreign_keys = OFF;",
		 cfg->synchronous_full ? "FULL" : "NORMAL");
	if (exec_sql(db, pragmas, cfg->path, err) != 0)
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

static int user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int create_layout(sqlite3 *db, const char *path, struct rtw_error *err)
{
	char version_sql[64];

	snprintf(version_sql, sizeof(version_sql), "PRAGMA user_version = %d;",
		 SQLITE_SCHEMA_VERSION);
	if (exec_sql(db, schema_sql, path, err) != 0 ||
	    exec_sql(db, version_sql, path, err) != 0 ||
	    exec_sql(db, "COMMIT", path, err) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int sqlite_schema_ensure(sqlite3 *db, const char *path, struct rtw_error *err)
{
	int version = -1;

	/* IMMEDIATE: two handlers starting on one file cannot both create. */
	if (exec_sql(db, "BEGIN IMMEDIATE", path, err) != 0)
		return -1;
	if (user_version(db, &version) != 0) {
		rtw_error_set(err, "%s: cannot read the schema version: %s",
			      path, sqlite3_errmsg(db));
		goto fail;
	}
	if (version == 0)
		return create_layout(db, path, err);
	if (version != SQLITE_SCHEMA_VERSION) {
		rtw_error_set(err,
			      "%s has schema version %d; this module writes "
			      "version %d (use another path or migrate it)",
			      path, version, SQLITE_SCHEMA_VERSION);
		goto fail;
	}
	return exec_sql(db, "COMMIT", path, err);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
