/* Several workers (workers = N) at once, as the daemon runs a thread-safe
 * module: every event answered OK is stored once, each bot's derived rows
 * are right (its events were handed over in order), and events in flight
 * together share commits (with synchronous = "full" a commit is an fsync,
 * so the workers always queue behind one). */
#include <pthread.h>
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

#define WORKERS		4
#define BOTS_PER_WORKER 3
#define EVENTS_PER_BOT	60 /* speech_on/off pairs: 30 turns */

struct worker {
	pthread_t thread;
	struct sql_instance *si;
	int index;
	int not_ok;
};

/* Seqs interleave the bots as the daemon's lanes would: unique, and
 * increasing within each bot. */
static uint64_t seq_of(int worker, int bot, int i)
{
	return (uint64_t)i * WORKERS * BOTS_PER_WORKER +
	       (uint64_t)(worker * BOTS_PER_WORKER + bot) + 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char body[2048], bot[32];

	for (int i = 0; i < EVENTS_PER_BOT; i++)
		for (int b = 0; b < BOTS_PER_WORKER; b++) {
			struct rtw_error err = {{0}};
			struct test_event te;
			size_t len;

			snprintf(bot, sizeof(bot), "bot-%d-%d", w->index, b);
			len = sqlt_participant_body(body, sizeof(body),
						    i % 2 ? "speech_off"
							  : "speech_on",
						    bot, 1, i * 1.5);
			tev_from_bytes(&te, body, len, seq_of(w->index, b, i));
			w->not_ok += sqlt_handle(w->si, &te, &err) != RTW_OK;
			tev_clear(&te);
		}
	return NULL;
}

static void concurrent_workers_store_everything_and_share_commits(void **state)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	struct worker w[WORKERS];
	struct sql_instance si;
	unsigned long stored = 0, commits = 0;
	sqlite3 *db;

	(void)state;
	sqlt_open_db(&si, path, ", \"synchronous\": \"full\"");
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){.si = &si, .index = i};
		assert_int_equal(
		    pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].not_ok, 0);
	}
	sqlt_close(&si);
	assert_int_equal(sscanf(si.mock.last_log,
				"%lu events stored in %lu commits", &stored,
				&commits),
			 2);
	assert_int_equal(stored, WORKERS * BOTS_PER_WORKER * EVENTS_PER_BOT);
	assert_true(commits < stored);
	db = sqlt_db(path);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events"),
			 WORKERS * BOTS_PER_WORKER * EVENTS_PER_BOT);
	/* Every bot: 30 closed turns of 1.5 s each, none left open. */
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM speaking_time "
				      "WHERE turns = 30 AND speaking_s = 45.0"),
			 WORKERS * BOTS_PER_WORKER);
	assert_int_equal(
	    sqlt_int(db, "SELECT count(*) FROM speech WHERE end_seq IS NULL"),
	    0);
	sqlite3_close(db);
	free(path);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		concurrent_workers_store_everything_and_share_commits),
	};

	return cmocka_run_group_tests_name("module_sqlite_workers", tests, NULL,
					   NULL);
}
