/* When the database cannot take an event, the answer is RETRY (the host
 * offers it again later) and nothing of the event is left behind; once
 * the database can take it again, the same event is stored once. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "scratch.h"
#include "sqltest.h"

#define BOT "bot-failures"

struct fixture {
	char *dir;
	char *path;
	struct sql_instance si;
	sqlite3 *db;
};

static int open_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = scratch_dir();
	f->path = scratch_path(f->dir, "x.db");
	sqlt_open_db(&f->si, f->path, ", \"busy_timeout_ms\": 0");
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	*state = f;
	return 0;
}

static int open_teardown(void **state)
{
	struct fixture *f = *state;

	sqlite3_close(f->db);
	sqlt_close(&f->si);
	free(f->path);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

static enum rtw_result handle_speech(struct fixture *f, uint64_t seq,
				     struct rtw_error *err)
{
	char body[2048];
	size_t len = sqlt_participant_body(body, sizeof(body), "speech_on", BOT,
					   7, (double)seq);
	struct test_event te;
	enum rtw_result r;

	tev_from_bytes(&te, body, len, seq);
	r = sqlt_handle(&f->si, &te, err);
	tev_clear(&te);
	return r;
}

static long long count(struct fixture *f, const char *sql)
{
	return sqlt_int(f->db, sql);
}

static void locked_database_answers_retry_then_stores_once(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};

	assert_int_equal(
	    sqlite3_exec(f->db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(handle_speech(f, 1, &err), RTW_RETRY);
	assert_contains(err.message, "locked");
	assert_int_equal(sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	memset(&err, 0, sizeof(err));
	assert_int_equal(handle_speech(f, 1, &err), RTW_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM events"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM speech"), 1);
}

/* A full disk: the file size limit stops the WAL from growing. */
static void full_disk_answers_retry_and_leaves_no_partial_event(void **state)
{
	struct fixture *f = *state;
	struct rlimit saved, lim;
	struct rtw_error err = {{0}};
	uint64_t seq = 1, failed_at = 0;
	enum rtw_result r = RTW_OK;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = saved;
	lim.rlim_cur = 256 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (; seq < 2000 && (r = handle_speech(f, seq, &err)) == RTW_OK; seq++)
		;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(r, RTW_RETRY);
	failed_at = seq;
	assert_true(err.message[0] != '\0');
	/* Everything answered OK is there, nothing of the failed event. */
	assert_int_equal(count(f, "SELECT count(*) FROM events"),
			 (long long)failed_at - 1);
	assert_int_equal(count(f, "SELECT count(*) FROM speech"),
			 (long long)failed_at - 1);
	assert_int_equal(handle_speech(f, failed_at, &err), RTW_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM events"),
			 (long long)failed_at);
	assert_int_equal(count(f, "SELECT max(id) FROM speech"),
			 (long long)failed_at);
}

#define FAILURE_TEST(fn)                                                       \
	cmocka_unit_test_setup_teardown(fn, open_setup, open_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FAILURE_TEST(locked_database_answers_retry_then_stores_once),
	    FAILURE_TEST(full_disk_answers_retry_and_leaves_no_partial_event),
	};

	return cmocka_run_group_tests_name("module_sqlite_failures", tests,
					   NULL, NULL);
}
