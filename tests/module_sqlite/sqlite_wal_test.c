/* Under sustained writes the WAL stays bounded: the background checkpoint
 * alone never finishes while the writer keeps appending, so without the
 * writer's own checkpoint the WAL grew by every event written (150 MB
 * here). Batching only: with a commit per event (a host before ABI 1.2)
 * the background thread, woken by every commit, is often mid-pass when
 * the writer tries, so the WAL grows less (15 MB here) but with no bound
 * a test could rely on. */
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

#define EVENTS 30000
/* checkpoint_pages = 100 (1 KiB pages): the writer checkpoints past 800
 * pages, so the WAL holds about that plus a batch (256 events of a few
 * pages each): 1.1-2.7 MB in 18 runs, six at a time. A few batches more
 * when the background thread's pass made the writer's attempt BUSY, many
 * more when that thread is descheduled mid-pass on a loaded machine (one
 * failure in seven full parallel test runs with a bound of 8 MB). Without
 * the writer's checkpoint: 150 MB. */
#define WAL_BOUND (24L << 20)

static long wal_size(const char *db_path)
{
	char wal[512];
	struct stat st;

	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	return stat(wal, &st) == 0 ? (long)st.st_size : 0;
}

static void wal_stays_bounded_under_sustained_writes(void **state)
{
	unsigned minor = *(unsigned *)*state;
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	struct sql_instance si;
	long largest = 0;
	sqlite3 *db;

	sqlt_set_host_minor(minor);
	sqlt_open_db(&si, path, ", \"checkpoint_pages\": 100");
	for (uint64_t seq = 1; seq <= EVENTS; seq++) {
		char body[2048];
		size_t len = sqlt_participant_body(
		    body, sizeof(body), seq % 2 ? "speech_on" : "speech_off",
		    "bot-wal", (int)(seq % 50), (double)seq);
		struct test_event te;

		tev_from_bytes(&te, body, len, seq);
		sqlt_handle_ok(&si, &te);
		tev_clear(&te);
		if (seq % 256 == 0 && wal_size(path) > largest)
			largest = wal_size(path);
	}
	sqlt_close(&si);
	print_message("largest WAL: %ld bytes\n", largest);
	if (largest > WAL_BOUND)
		fail_msg("the WAL grew to %ld bytes", largest);
	db = sqlt_db(path);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events"), EVENTS);
	sqlite3_close(db);
	free(path);
	scratch_remove(dir);
}

int main(void)
{
	static unsigned batching = 2;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(wal_stays_bounded_under_sustained_writes,
				      &batching),
	};

	return cmocka_run_group_tests_name("module_sqlite_wal", tests, NULL,
					   NULL);
}
