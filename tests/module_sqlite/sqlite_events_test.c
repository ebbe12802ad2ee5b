/* Every fixture event is stored as one row holding what it carries, odd
 * ones included (no bot, null participant fields, empty words, unknown
 * types), and a second delivery of a seq adds nothing (also within one
 * batch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_file.h"
#include "scratch.h"
#include "sqltest.h"

/* One fixture (the test's state is its path): stored as seq 42 with its
 * type, ids, time and exact body. */
static void fixture_is_stored_as_one_row(void **state)
{
	const char *fixture = *state;
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	struct sql_instance si;
	struct test_event te;
	char *want = NULL, *got;
	const struct rtw_event *v;
	sqlite3 *db;

	sqlt_open_db(&si, path, "");
	tev_from_fixture(&te, fixture, 42);
	sqlt_handle_ok(&si, &te);
	sqlt_handle_ok(&si, &te); /* re-delivered */
	sqlt_close(&si);
	v = &te.ev.view;
	db = sqlt_db(path);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events"), 1);
	assert_true(asprintf(&want, "42|%s|%s|%s|%s\n", v->type_name,
			     v->bot_id ? v->bot_id : "NULL",
			     v->recording_id ? v->recording_id : "NULL",
			     v->timestamp.absolute ? v->timestamp.absolute
						   : "NULL") > 0);
	got = sqlt_rows(db,
			"SELECT seq, type, bot_id, recording_id, time_at "
			"FROM events",
			NULL);
	assert_string_equal(got, want);
	free(got);
	got = sqlt_rows(db, "SELECT json FROM events", NULL);
	assert_int_equal(strlen(got), te.len + 1);
	assert_memory_equal(got, te.body, te.len);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events WHERE "
				      "json_valid(json)"),
			 1);
	free(got);
	free(want);
	sqlite3_close(db);
	tev_clear(&te);
	free(path);
	scratch_remove(dir);
}

/* Helpers for the table of single-event cases below. */
struct derived_case {
	const char *fixture;
	const char *sql; /* on the database after the event */
	const char *want;
};

static const struct derived_case derived_cases[] = {
    /* No bot: the recording id is the meeting. */
    {"no_bot.json",
     "SELECT bot_id IS NULL, meeting = recording_id "
     "FROM events, participants",
     "1|1\n"},
    {"transcript_empty_words.json",
     "SELECT (SELECT count(*) FROM utterances), type FROM events",
     "0|transcript.data\n"},
    /* The first utterance may have a null participant id. */
    {"transcript_null_end_and_id.json",
     "SELECT participant_id, speaker, length(text) > 0 FROM transcript",
     "NULL|Unknown speaker|1\n"},
    {"speech_on_negative_relative.json",
     "SELECT start_s < 0, end_seq FROM speech", "1|NULL\n"},
    {"unknown_type.json",
     "SELECT count(*) FROM events WHERE type = 'bot.some_future_event'", "1\n"},
    {"participant_null_fields.json",
     "SELECT count(*) FROM events WHERE participant_id IS NOT NULL", "1\n"},
    {"transcript_partial_data.json", "SELECT count(*) FROM utterances", "0\n"},
};

static void single_event_derivations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(derived_cases) / sizeof(*derived_cases);
	     i++) {
		const struct derived_case *c = &derived_cases[i];
		char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
		char *fixture = NULL, *got;
		struct sql_instance si;
		struct test_event te;
		sqlite3 *db;

		assert_true(asprintf(&fixture, "%s/%s", FIXTURE_EVENTS_DIR,
				     c->fixture) > 0);
		sqlt_open_db(&si, path, "");
		tev_from_fixture(&te, fixture, 1);
		sqlt_handle_ok(&si, &te);
		sqlt_close(&si);
		db = sqlt_db(path);
		got = sqlt_rows(db, c->sql, NULL);
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: %s gave %s, expected %s", c->fixture,
				 c->sql, got, c->want);
		free(got);
		sqlite3_close(db);
		tev_clear(&te);
		free(fixture);
		free(path);
		scratch_remove(dir);
	}
}

/* Everything twice: with a host before ABI 1.2 (a commit per OK) and with
 * a batching one (PENDING, then a flush). */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(single_event_derivations),
	};
	int failed = 0;

	sqlt_set_host_minor(0);
	failed += cmocka_run_group_tests_name("module_sqlite_events", tests,
					      NULL, NULL);
	failed += fixture_run_each("module_sqlite_fixtures",
				   FIXTURE_EVENTS_DIR "/*.json",
				   fixture_is_stored_as_one_row, 20);
	sqlt_set_host_minor(2);
	failed += cmocka_run_group_tests_name("module_sqlite_events_batching",
					      tests, NULL, NULL);
	failed += fixture_run_each("module_sqlite_fixtures_batching",
				   FIXTURE_EVENTS_DIR "/*.json",
				   fixture_is_stored_as_one_row, 20);
	return failed;
}
