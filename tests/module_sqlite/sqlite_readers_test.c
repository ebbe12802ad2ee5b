/* Another process reading the database while the handler writes, opening
 * and closing its connection again and again (the sqlite3 shell, a script
 * polling): every event stays stored and the database intact. A regression
 * test: the module once closed a descriptor of the database file after
 * its writer connection was open, which dropped the writer's POSIX locks,
 * so such a reader, believing itself the last connection, checkpointed
 * and deleted the WAL under the writer (lost rows, a corrupt file). */
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "scratch.h"
#include "sqltest.h"

/* Events are written until the reader is done (at least MIN_EVENTS). */
#define MIN_EVENTS 1000
#define MAX_EVENTS 400000

extern char **environ;

/* The sqlite3 shell, run 150 times in a row on path, each a new
 * read-write connection (the shell's default) that is closed again;
 * exits 1 at the first query that fails ("database disk image is
 * malformed"). */
static pid_t start_polling_reader(const char *path)
{
	char script[1024];
	char *argv[] = {"sh", "-c", script, NULL};
	pid_t pid;

	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt 150 ]; do i=$((i + 1)); "
		 "sqlite3 '%s' 'SELECT count(*) FROM events' >/dev/null "
		 "|| exit 1; done",
		 path);
	assert_int_equal(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv,
				     environ),
			 0);
	return pid;
}

/* What the sqlite3 shell prints for sql on path (malloc'd). */
static char *shell_query(const char *path, const char *sql)
{
	char *cmd = NULL, *out = NULL;
	size_t len = 0;
	FILE *p, *m = open_memstream(&out, &len);
	int c;

	assert_true(asprintf(&cmd, "sqlite3 '%s' '%s'", path, sql) > 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF)
		fputc(c, m);
	assert_int_equal(pclose(p), 0);
	fclose(m);
	free(cmd);
	return out;
}

static void handle_speech(struct sql_instance *si, uint64_t seq)
{
	char body[2048];
	size_t len = sqlt_participant_body(body, sizeof(body),
					   seq % 2 ? "speech_on" : "speech_off",
					   "bot-readers", 3, (double)seq);
	struct test_event te;

	tev_from_bytes(&te, body, len, seq);
	sqlt_handle_ok(si, &te);
	tev_clear(&te);
}

static void events_survive_a_reader_that_opens_and_closes(void **state)
{
	unsigned minor = *(unsigned *)*state;
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db"), *check;
	char *want = NULL;
	struct sql_instance si;
	pid_t reader;
	uint64_t seq = 0;
	int status, reading = 1;

	sqlt_set_host_minor(minor);
	sqlt_open_db(&si, path, ", \"checkpoint_pages\": 100");
	reader = start_polling_reader(path);
	while (seq < MAX_EVENTS && (reading || seq < MIN_EVENTS)) {
		handle_speech(&si, ++seq);
		if (reading && seq % 64 == 0)
			reading = waitpid(reader, &status, WNOHANG) == 0;
	}
	if (reading)
		assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	sqlt_close(&si);
	/* Read from another process too: one in this process would share
	 * the module's view of the WAL (SQLite keeps one per file and
	 * process) and could miss a WAL deleted under it. */
	check = shell_query(path, "SELECT count(*) FROM events;"
				  "SELECT count(*) FROM speech;"
				  "PRAGMA integrity_check;");
	assert_true(asprintf(&want, "%llu\n%llu\nok\n", (unsigned long long)seq,
			     (unsigned long long)(seq + 1) / 2) > 0);
	assert_string_equal(check, want);
	free(check);
	free(want);
	free(path);
	scratch_remove(dir);
}

int main(void)
{
	static unsigned per_event = 0, batching = 2;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(
		events_survive_a_reader_that_opens_and_closes, &per_event),
	    cmocka_unit_test_prestate(
		events_survive_a_reader_that_opens_and_closes, &batching),
	};

	return cmocka_run_group_tests_name("module_sqlite_readers", tests,
					   NULL, NULL);
}
