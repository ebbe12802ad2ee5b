/* The sqlite handler's config: what init accepts, and that every refusal
 * names the key or the file at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "scratch.h"
#include "sqltest.h"

/* Runs init on config (with @DIR@ replaced by a scratch directory) and
 * expects it to fail with a reason holding needle. */
static void expect_refused(const char *config, const char *needle)
{
	char *dir = scratch_dir(), *text = NULL;
	const char *at = strstr(config, "@DIR@");
	struct rtw_error err = {{0}};
	struct sql_instance si;

	if (at != NULL)
		assert_true(asprintf(&text, "%.*s%s%s", (int)(at - config),
				     config, dir, at + 5) > 0);
	else
		text = strdup(config);
	if (sqlt_open(&si, text, &err) == 0)
		fail_msg("init accepted %s", text);
	assert_contains(err.message, needle);
	sqlt_close(&si);
	free(text);
	scratch_remove(dir);
}

static const struct {
	const char *config;
	const char *reason;
} refusals[] = {
    {"{}", "config needs path"},
    {"{\"path\": \"\"}", "'path'"},
    {"{\"path\": 5}", "'path'"},
    {"{\"path\": \"@DIR@/x.db\", \"sync\": \"full\"}", "unknown key 'sync'"},
    {"{\"path\": \"@DIR@/x.db\", \"synchronous\": \"off\"}", "'synchronous'"},
    {"{\"path\": \"@DIR@/x.db\", \"synchronous\": 1}", "'synchronous'"},
    {"{\"path\": \"@DIR@/x.db\", \"busy_timeout_ms\": \"5\"}",
     "'busy_timeout_ms'"},
    {"{\"path\": \"@DIR@/x.db\", \"busy_timeout_ms\": -1}",
     "'busy_timeout_ms'"},
    {"{\"path\": \"@DIR@/x.db\", \"checkpoint_pages\": 10}",
     "'checkpoint_pages'"},
    {"{\"path\": \"@DIR@/no/such/dir/x.db\"}", "/no/such/dir/x.db"},
};

static void bad_configs_are_refused_naming_the_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		expect_refused(refusals[i].config, refusals[i].reason);
}

static void every_key_is_accepted_and_the_database_created(void **state)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	struct sql_instance si;
	sqlite3 *db;

	(void)state;
	sqlt_open_db(&si, path,
		     ", \"synchronous\": \"full\", \"busy_timeout_ms\": 0, "
		     "\"checkpoint_pages\": 100");
	db = sqlt_db(path);
	assert_int_equal(sqlt_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM sqlite_schema "
				      "WHERE type = 'view'"),
			 4);
	sqlite3_close(db);
	sqlt_close(&si);
	free(path);
	scratch_remove(dir);
}

static void database_is_in_wal_mode_and_private(void **state)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	struct sql_instance si;
	struct stat st;
	char *mode;
	sqlite3 *db;

	(void)state;
	sqlt_open_db(&si, path, "");
	db = sqlt_db(path);
	mode = sqlt_rows(db, "PRAGMA journal_mode", NULL);
	assert_string_equal(mode, "wal\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0007, 0);
	free(mode);
	sqlite3_close(db);
	sqlt_close(&si);
	free(path);
	scratch_remove(dir);
}

static void database_of_another_schema_version_is_refused(void **state)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	char *config = NULL;
	sqlite3 *db = NULL;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_true(asprintf(&config, "{\"path\": \"%s\"}", path) > 0);
	expect_refused(config, "schema version 7");
	free(config);
	free(path);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_configs_are_refused_naming_the_key),
	    cmocka_unit_test(every_key_is_accepted_and_the_database_created),
	    cmocka_unit_test(database_is_in_wal_mode_and_private),
	    cmocka_unit_test(database_of_another_schema_version_is_refused),
	};

	return cmocka_run_group_tests_name("module_sqlite_config", tests, NULL,
					   NULL);
}
