/* Batching (ABI 1.2) against a mock host: handle answers PENDING only to a
 * host that takes it; a pending event is in the database only after the
 * flush; a flush that fails (full disk, locked database) keeps the batch,
 * and the flush that works stores it once, with the same rows as events
 * committed one at a time; a batch the host does not flush is rolled back
 * and taken again at the next start; and memory stays bounded when the
 * host does not flush. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "scratch.h"
#include "sqltest.h"

#define BOT "bot-batch"
/* No checkpoint during a test: only commits write to the files. */
#define CONFIG_EXTRA                                                           \
	", \"busy_timeout_ms\": 0, \"checkpoint_pages\": 1000000"
#define MODULE_CAP 1024 /* sqlite_batch.c: BATCH_MAX_EVENTS */

struct fixture {
	char *dir;
	char *path;
	struct sql_instance si;
};

static int batch_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = scratch_dir();
	f->path = scratch_path(f->dir, "x.db");
	sqlt_set_host_minor(2);
	sqlt_open_db(&f->si, f->path, CONFIG_EXTRA);
	*state = f;
	return 0;
}

static int batch_teardown(void **state)
{
	struct fixture *f = *state;

	sqlt_close(&f->si);
	free(f->path);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

static enum rtw_result handle_body(struct sql_instance *si, const char *body,
				   uint64_t seq, struct rtw_error *err)
{
	struct test_event te;
	enum rtw_result r;

	tev_from_bytes(&te, body, strlen(body), seq);
	r = sqlt_handle(si, &te, err);
	tev_clear(&te);
	return r;
}

static enum rtw_result handle_speech(struct sql_instance *si, uint64_t seq,
				     struct rtw_error *err)
{
	char body[2048];

	sqlt_participant_body(body, sizeof(body),
			      seq % 2 ? "speech_on" : "speech_off", BOT, 7,
			      (double)seq);
	return handle_body(si, body, seq, err);
}

/* The meeting as seqs 1..20, each answered PENDING (no flush). */
static void handle_meeting_pending(struct sql_instance *si)
{
	size_t n;
	char **lines = sqlt_meeting_lines(&n);

	for (size_t i = 0; i < n; i++) {
		struct rtw_error err = {{0}};

		if (handle_body(si, lines[i], i + 1, &err) != RTW_PENDING)
			fail_msg("meeting event %zu not PENDING: %s", i + 1,
				 err.message);
	}
	sqlt_free_lines(lines);
}

static long long count_events(const char *path)
{
	sqlite3 *db = sqlt_db(path);
	long long n = sqlt_int(db, "SELECT count(*) FROM events");

	sqlite3_close(db);
	return n;
}

/* Every row of every table, to compare two databases. */
static char *dump(const char *path)
{
	static const char *const queries[] = {
	    "SELECT * FROM events ORDER BY seq",
	    "SELECT * FROM participants ORDER BY meeting, participant_id",
	    "SELECT * FROM sessions ORDER BY id",
	    "SELECT * FROM speech ORDER BY id",
	    "SELECT * FROM utterances ORDER BY seq"};
	sqlite3 *db = sqlt_db(path);
	char *all = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&all, &len);

	for (size_t i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
		char *rows = sqlt_rows(db, queries[i], NULL);

		fprintf(m, "%s:\n%s", queries[i], rows);
		free(rows);
	}
	fclose(m);
	sqlite3_close(db);
	return all;
}

/* The database the meeting plus speech events extra_from..extra_to give
 * when every event is committed alone (a host without batching). */
static char *reference_dump(uint64_t extra_from, uint64_t extra_to)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "ref.db"), *all;
	struct sql_instance si;

	sqlt_set_host_minor(0);
	sqlt_open_db(&si, path, "");
	sqlt_handle_meeting(&si, 1);
	for (uint64_t seq = extra_from; seq <= extra_to; seq++) {
		struct rtw_error err = {{0}};

		assert_int_equal(handle_speech(&si, seq, &err), RTW_OK);
	}
	sqlt_close(&si);
	sqlt_set_host_minor(2);
	all = dump(path);
	free(path);
	scratch_remove(dir);
	return all;
}

static void expect_same_as_reference(const char *path, uint64_t extra_from,
				     uint64_t extra_to)
{
	char *want = reference_dump(extra_from, extra_to);
	char *got = dump(path);

	assert_string_equal(got, want);
	free(got);
	free(want);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Lets the files grow by at most `room` bytes past the WAL's size: the
 * next COMMIT of a batch fails (SQLITE_FULL). Returns the old limit. */
static struct rlimit limit_file_size(const char *db_path, off_t room)
{
	char wal[512];
	struct rlimit saved, lim;

	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = saved;
	lim.rlim_cur = (rlim_t)(file_size(wal) + room);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	return saved;
}

static void restore_file_size(const struct rlimit *saved)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, saved), 0);
}

/* The meeting answered PENDING, then a flush failed by the file size
 * limit; returns with the limit lifted. */
static void meeting_with_a_failed_flush(struct fixture *f)
{
	struct rtw_error err = {{0}};
	struct rlimit saved;

	handle_meeting_pending(&f->si);
	saved = limit_file_size(f->path, 2048);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_RETRY);
	restore_file_size(&saved);
	assert_contains(err.message, "commit failed");
	assert_int_equal(count_events(f->path), 0);
}

__attribute__((format(printf, 3, 4))) static void
quiet_log(const struct rtw_host *host, enum rtw_log_level level,
	  const char *fmt, ...)
{
	(void)host;
	(void)level;
	(void)fmt;
}

/* Only a host with ABI 1.2 gets PENDING: older ones (abi_minor 0 or 1,
 * or a struct rtw_host too short to have the field) get OK after a
 * commit. */
static enum rtw_result first_answer(size_t host_size, unsigned minor)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	char why[512] = "", *config = NULL;
	struct rtw_host host = {.size = host_size,
				.abi_version = RTW_HANDLER_ABI_VERSION,
				.name = "old",
				.state_dir = dir,
				.log = quiet_log,
				.abi_minor = minor};
	struct rtw_error err = {{0}};
	struct module m;
	struct test_event te;
	enum rtw_result r;
	json_t *cfg;
	void *state;

	assert_true(asprintf(&config, "{\"path\": \"%s\"}", path) > 0);
	cfg = json_loads(config, 0, NULL);
	if (module_open(&m, SQLTEST_MODULE, why, sizeof(why)) != 0)
		fail_msg("cannot load sqlite.so: %s", why);
	assert_int_equal(m.desc->init(&host, cfg, &state, &err), 0);
	tev_from_fixture(&te, SQLTEST_FIXTURE("transcript_data.json"), 1);
	r = m.desc->handle(state, &te.ev.view, &err);
	tev_clear(&te);
	if (r == RTW_PENDING)
		assert_int_equal(m.desc->flush(state, &err), RTW_OK);
	assert_int_equal(count_events(path), 1);
	m.desc->fini(state);
	module_close(&m);
	json_decref(cfg);
	free(config);
	free(path);
	scratch_remove(dir);
	return r;
}

static void pending_only_for_a_host_that_takes_it(void **state)
{
	(void)state;
	assert_int_equal(first_answer(sizeof(struct rtw_host), 0), RTW_OK);
	assert_int_equal(first_answer(sizeof(struct rtw_host), 1), RTW_OK);
	assert_int_equal(
	    first_answer(offsetof(struct rtw_host, abi_minor), 2), RTW_OK);
	assert_int_equal(first_answer(sizeof(struct rtw_host), 2),
			 RTW_PENDING);
}

static void pending_events_are_stored_by_the_flush(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};

	handle_meeting_pending(&f->si);
	/* Uncommitted: a reader sees none of it yet. */
	assert_int_equal(count_events(f->path), 0);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	assert_int_equal(count_events(f->path), SQLTEST_MEETING_EVENTS);
	/* A flush with nothing pending is fine too. */
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	expect_same_as_reference(f->path, 1, 0);
}

/* The full disk case: the failed COMMIT rolled the batch back; the next
 * flush writes it again from the module's copies. An event handed over
 * between the two (another worker) joins the batch. */
static void failed_flush_is_redone_by_the_next(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};
	struct rlimit saved;

	meeting_with_a_failed_flush(f);
	/* Still failing: the batch is written again in memory, the new
	 * event with it, and the COMMIT fails again. */
	saved = limit_file_size(f->path, 2048);
	assert_int_equal(handle_speech(&f->si, 21, &err), RTW_PENDING);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_RETRY);
	restore_file_size(&saved);
	assert_int_equal(count_events(f->path), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	assert_int_equal(count_events(f->path), SQLTEST_MEETING_EVENTS + 1);
	/* Nothing lost, nothing twice: the same rows, derived ones (from
	 * the re-parsed transcripts too) included, as one commit per
	 * event gives. */
	expect_same_as_reference(f->path, 21, 21);
}

/* After a failed flush another writer holds the database: the batch
 * cannot be written again (RETRY, naming the lock), nor can a new event
 * (RETRY, not kept), until the lock is released. */
static void locked_database_fails_the_flush_until_released(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};
	sqlite3 *other = NULL;

	meeting_with_a_failed_flush(f);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_RETRY);
	assert_contains(err.message, "locked");
	memset(&err, 0, sizeof(err));
	assert_int_equal(handle_speech(&f->si, 21, &err), RTW_RETRY);
	assert_contains(err.message, "locked");
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	assert_int_equal(count_events(f->path), SQLTEST_MEETING_EVENTS);
	/* The host offers the refused event again. */
	assert_int_equal(handle_speech(&f->si, 21, &err), RTW_PENDING);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	expect_same_as_reference(f->path, 21, 21);
}

/* A stop (or crash) before a flush: nothing of the batch is in the
 * database, and the daemon's offering it again stores it once. */
static void unflushed_batch_is_taken_again_after_a_restart(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};

	handle_meeting_pending(&f->si);
	sqlt_close(&f->si); /* no flush: sqlt_handle counted nothing */
	assert_contains(f->si.mock.last_log, "20 events not committed");
	assert_int_equal(count_events(f->path), 0);
	sqlt_open_db(&f->si, f->path, CONFIG_EXTRA);
	handle_meeting_pending(&f->si);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	expect_same_as_reference(f->path, 1, 0);
}

/* A host that does not flush: the module commits its batch itself once
 * it holds MODULE_CAP events, so its copies stay bounded. */
static void unflushed_batch_is_committed_at_the_cap(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};

	for (uint64_t seq = 1; seq <= MODULE_CAP + 50; seq++)
		if (handle_speech(&f->si, seq, &err) != RTW_PENDING)
			fail_msg("seq %llu: %s", (unsigned long long)seq,
				 err.message);
	assert_int_equal(count_events(f->path), MODULE_CAP);
	assert_int_equal(sqlt_flush(&f->si, &err), RTW_OK);
	assert_int_equal(count_events(f->path), MODULE_CAP + 50);
}

#define BATCH_TEST(fn)                                                         \
	cmocka_unit_test_setup_teardown(fn, batch_setup, batch_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pending_only_for_a_host_that_takes_it),
	    BATCH_TEST(pending_events_are_stored_by_the_flush),
	    BATCH_TEST(failed_flush_is_redone_by_the_next),
	    BATCH_TEST(locked_database_fails_the_flush_until_released),
	    BATCH_TEST(unflushed_batch_is_taken_again_after_a_restart),
	    BATCH_TEST(unflushed_batch_is_committed_at_the_cap),
	};

	return cmocka_run_group_tests_name("module_sqlite_batch", tests, NULL,
					   NULL);
}
