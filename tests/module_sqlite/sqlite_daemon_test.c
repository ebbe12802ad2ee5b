/* Through the real daemon: the scripted meeting (meeting.jsonl) posted
 * over HTTP to an endpoint whose handler is sqlite, then the database
 * queried with libsqlite3 while the daemon runs: every event a row, the
 * transcript and the speaking time right. A restart then re-offers
 * nothing twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "scratch.h"
#include "sqltest.h"

#define TARGET "/recall/events?token=" HARNESS_TOKEN
#define SQLITE_BODY                                                            \
	"endpoints = ( { path = \"/recall/events\";\n"                         \
	"                tokens = [\"" HARNESS_TOKEN "\"]; } );\n"             \
	"handlers = ( { name = \"store\"; module = \"sqlite\"; workers = 2;\n" \
	"               config = { path = \"@DIR@/events.db\"; }; } );\n"

static int sqlite_daemon_setup(void **state)
{
	return daemon_setup(state, SQLITE_BODY, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits up to timeout_ms for the events table to hold n rows; returns the
 * count then. */
static long long wait_rows(const char *db_path, long long n, long timeout_ms)
{
	long long have = -1;

	for (long waited = 0; waited <= timeout_ms; waited += 20) {
		sqlite3 *db = sqlt_db(db_path);

		have = sqlt_int(db, "SELECT count(*) FROM events");
		sqlite3_close(db);
		if (have >= n)
			break;
		sleep_ms(20);
	}
	return have;
}

static void post_meeting(struct daemon *d)
{
	size_t n;
	char **lines = sqlt_meeting_lines(&n);

	for (size_t i = 0; i < n; i++)
		assert_int_equal(http_post(d->port, TARGET, "application/json",
					   lines[i], strlen(lines[i])),
				 200);
	sqlt_free_lines(lines);
}

static void expect_query(sqlite3 *db, const char *name, const char *want)
{
	char *sql = sqlt_doc_query(name);
	char *got = sqlt_rows(db, sql, SQLTEST_MEETING_BOT);

	if (strcmp(got, want) != 0)
		fail_msg("query %s gave:\n%s\nexpected:\n%s", name, got, want);
	free(got);
	free(sql);
}

static void posted_meeting_is_queryable_while_the_daemon_runs(void **state)
{
	struct daemon *d = *state;
	char db_path[400];
	sqlite3 *db;

	daemon_path(d, "events.db", db_path, sizeof(db_path));
	post_meeting(d);
	assert_int_equal(wait_rows(db_path, SQLTEST_MEETING_EVENTS, 10000),
			 SQLTEST_MEETING_EVENTS);
	db = sqlt_db(db_path);
	/* The spool numbers events 1, 2, ... in acknowledgement order. */
	assert_int_equal(sqlt_int(db,
				  "SELECT count(DISTINCT seq) FROM events "
				  "WHERE bot_id = '" SQLTEST_MEETING_BOT "'"),
			 SQLTEST_MEETING_EVENTS);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events e WHERE "
				      "json_extract(e.json, '$.event') = "
				      "e.type"),
			 SQLTEST_MEETING_EVENTS);
	expect_query(db, "who-spoke-how-long",
		     "Ada Lovelace|8.0|2\nGrace Hopper|5.5|2\n");
	expect_query(db, "full-transcript",
		     "[00:00:10] Ada Lovelace: Let's review the roadmap.\n"
		     "[00:00:16] Grace Hopper: Sounds good.\n"
		     "[00:00:21] Ada Lovelace: Done.\n");
	expect_query(db, "sessions",
		     "100|Ada Lovelace|ada@example.com|1.0|51.0|8.0\n"
		     "200|Grace Hopper||2.0|30.0|4.0\n"
		     "200|Grace Hopper||40.0|50.0|1.5\n");
	sqlite3_close(db);
	assert_int_equal(daemon_stop(d), 0);
}

/* Stopped and started again, the daemon offers nothing twice; a sender's
 * retry of an accepted event (same body) is not stored again either. */
static void restart_and_sender_retries_store_nothing_twice(void **state)
{
	struct daemon *d = *state;
	char db_path[400];
	size_t n;
	char **lines;
	sqlite3 *db;

	daemon_path(d, "events.db", db_path, sizeof(db_path));
	post_meeting(d);
	assert_int_equal(wait_rows(db_path, SQLTEST_MEETING_EVENTS, 10000),
			 SQLTEST_MEETING_EVENTS);
	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	lines = sqlt_meeting_lines(&n);
	assert_int_equal(http_post(d->port, TARGET, "application/json",
				   lines[3], strlen(lines[3])),
			 200);
	sqlt_free_lines(lines);
	sleep_ms(500);
	db = sqlt_db(db_path);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events"),
			 SQLTEST_MEETING_EVENTS);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM speech"), 4);
	sqlite3_close(db);
	assert_int_equal(daemon_stop(d), 0);
}

#define DAEMON_TEST(fn)                                                        \
	cmocka_unit_test_setup_teardown(fn, sqlite_daemon_setup,               \
					daemon_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    DAEMON_TEST(posted_meeting_is_queryable_while_the_daemon_runs),
	    DAEMON_TEST(restart_and_sender_retries_store_nothing_twice),
	};

	return cmocka_run_group_tests_name("module_sqlite_daemon", tests, NULL,
					   NULL);
}
