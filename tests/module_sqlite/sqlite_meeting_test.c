/* The derived data of a scripted meeting (meeting.jsonl: two participants,
 * a rejoin, an email sent in an update, speech turns, a partial and three
 * final transcripts, a chat message), read back through the queries that
 * docs/handlers/sqlite.md documents, and re-delivery of the whole meeting
 * changing nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scratch.h"
#include "sqltest.h"

struct fixture {
	char *dir;
	char *db_path;
	sqlite3 *db;
};

static int stored_meeting_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sql_instance si;

	f->dir = scratch_dir();
	f->db_path = scratch_path(f->dir, "events.db");
	sqlt_open_db(&si, f->db_path, "");
	sqlt_handle_meeting(&si, 1);
	sqlt_close(&si);
	f->db = sqlt_db(f->db_path);
	*state = f;
	return 0;
}

static int stored_meeting_teardown(void **state)
{
	struct fixture *f = *state;

	sqlite3_close(f->db);
	free(f->db_path);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

/* Runs the doc's query `name` on the meeting and compares every row. */
static void expect_doc_query(struct fixture *f, const char *name,
			     const char *want)
{
	char *sql = sqlt_doc_query(name);
	char *got = sqlt_rows(f->db, sql, SQLTEST_MEETING_BOT);

	if (strcmp(got, want) != 0)
		fail_msg("query %s:\n%s\ngave:\n%s\nexpected:\n%s", name, sql,
			 got, want);
	free(got);
	free(sql);
}

static void every_event_is_a_row_with_its_fields(void **state)
{
	struct fixture *f = *state;
	char *got;

	assert_int_equal(sqlt_int(f->db, "SELECT count(*) FROM events"),
			 SQLTEST_MEETING_EVENTS);
	got = sqlt_rows(f->db,
			"SELECT seq, type, bot_id, recording_id, "
			"participant_id, time_s, time_at, received_at_ms "
			"FROM events WHERE seq IN (3, 7)",
			NULL);
	assert_string_equal(got,
			    "3|participant_events.update|" SQLTEST_MEETING_BOT
			    "|r0000000-0000-4000-8000-00000000000a|100|3.0|"
			    "2026-11-26T16:20:03.000Z|1764174001480\n"
			    "7|transcript.data|" SQLTEST_MEETING_BOT
			    "|r0000000-0000-4000-8000-00000000000a|100|10.1|"
			    "2026-11-26T16:20:10.100Z|1764174001480\n");
	free(got);
}

static void raw_json_is_the_received_body(void **state)
{
	struct fixture *f = *state;
	size_t n;
	char **lines = sqlt_meeting_lines(&n);
	char *got =
	    sqlt_rows(f->db, "SELECT json FROM events ORDER BY seq", NULL);
	char *want = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&want, &len);

	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s\n", lines[i]);
	fclose(m);
	assert_string_equal(got, want);
	free(want);
	free(got);
	sqlt_free_lines(lines);
}

static void who_spoke_how_long(void **state)
{
	expect_doc_query(*state, "who-spoke-how-long",
			 "Ada Lovelace|8.0|2\n"
			 "Grace Hopper|5.5|2\n");
}

/* Grace's utterance came with a null name: the view takes it from her
 * join. The last one has no end time: its last word's start is used. */
static void full_transcript(void **state)
{
	expect_doc_query(*state, "full-transcript",
			 "[00:00:10] Ada Lovelace: Let's review the roadmap.\n"
			 "[00:00:16] Grace Hopper: Sounds good.\n"
			 "[00:00:21] Ada Lovelace: Done.\n");
}

static void utterance_times_and_partials(void **state)
{
	struct fixture *f = *state;
	char *got = sqlt_rows(f->db,
			      "SELECT seq, start_s, end_s, start_at, end_at, "
			      "speaker_name FROM utterances ORDER BY seq",
			      NULL);

	/* seq 5, the partial, is no utterance. */
	assert_string_equal(got, "7|10.1|15.4|2026-11-26T16:20:10.100Z|NULL|"
				 "Ada Lovelace\n"
				 "10|16.2|19.8|2026-11-26T16:20:16.200Z|NULL|"
				 "NULL\n"
				 "14|21.1|21.1|2026-11-26T16:20:21.100Z|"
				 "2026-11-26T16:20:21.100Z|Ada Lovelace\n");
	free(got);
}

/* Ada's email came in an update after her join; Grace left and rejoined:
 * two sessions, each with the speech that started in it. */
static void participant_sessions(void **state)
{
	expect_doc_query(*state, "sessions",
			 "100|Ada Lovelace|ada@example.com|1.0|51.0|8.0\n"
			 "200|Grace Hopper||2.0|30.0|4.0\n"
			 "200|Grace Hopper||40.0|50.0|1.5\n");
}

static void chat_through_the_raw_json(void **state)
{
	expect_doc_query(
	    *state, "chat",
	    "22.0|Grace Hopper|link: https://example.com/roadmap\n");
}

static void meetings_overview(void **state)
{
	expect_doc_query(*state, "meetings",
			 SQLTEST_MEETING_BOT
			 "|Roadmap review|20|"
			 "2026-11-26T16:20:01.000Z|2026-11-26T16:20:51.000Z\n");
}

/* After a crash the host offers events again: the same seqs change
 * nothing, not even the derived rows (sessions, turns, utterances). */
static void redelivered_meeting_changes_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const tables[] = {
	    "events", "participants", "sessions", "speech", "utterances"};
	char *before[5], *after, *sql = NULL;
	struct sql_instance si;

	for (int i = 0; i < 5; i++) {
		assert_true(asprintf(&sql, "SELECT * FROM %s", tables[i]) > 0);
		before[i] = sqlt_rows(f->db, sql, NULL);
		free(sql);
	}
	sqlt_open_db(&si, f->db_path, "");
	sqlt_handle_meeting(&si, 1);
	sqlt_close(&si);
	for (int i = 0; i < 5; i++) {
		assert_true(asprintf(&sql, "SELECT * FROM %s", tables[i]) > 0);
		after = sqlt_rows(f->db, sql, NULL);
		assert_string_equal(after, before[i]);
		free(after);
		free(before[i]);
		free(sql);
	}
}

#define MEETING_TEST(fn)                                                       \
	cmocka_unit_test_setup_teardown(fn, stored_meeting_setup,              \
					stored_meeting_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    MEETING_TEST(every_event_is_a_row_with_its_fields),
	    MEETING_TEST(raw_json_is_the_received_body),
	    MEETING_TEST(who_spoke_how_long),
	    MEETING_TEST(full_transcript),
	    MEETING_TEST(utterance_times_and_partials),
	    MEETING_TEST(participant_sessions),
	    MEETING_TEST(chat_through_the_raw_json),
	    MEETING_TEST(meetings_overview),
	    MEETING_TEST(redelivered_meeting_changes_nothing),
	};

	int failed;

	/* Twice: a commit per OK (a host before ABI 1.2), then batched. */
	sqlt_set_host_minor(0);
	failed = cmocka_run_group_tests_name("module_sqlite_meeting", tests,
					     NULL, NULL);
	sqlt_set_host_minor(2);
	failed += cmocka_run_group_tests_name("module_sqlite_meeting_batching",
					      tests, NULL, NULL);
	return failed;
}
