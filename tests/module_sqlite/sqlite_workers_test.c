/* Several workers (workers = N) at once, as the daemon runs a thread-safe
 * module: every event is stored once and each bot's derived rows are
 * right (its events were handed over in order). With a batching host
 * the flushes run while other workers go on handing events over, as in
 * the daemon, and many events share each commit; with an older host each
 * event is its own commit. */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
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
#define TOTAL_EVENTS	(WORKERS * BOTS_PER_WORKER * EVENTS_PER_BOT)
#define FLUSH_EVENTS	64 /* smaller than the daemon's 256: more flushes */

/* The host's side of batching: the worker whose event makes FLUSH_EVENTS
 * pending flushes, unless another flush runs. */
struct flusher {
	atomic_int pending;
	pthread_mutex_t one_at_a_time;
	atomic_int failed;
};

struct worker {
	pthread_t thread;
	struct sql_instance *si;
	struct flusher *flusher;
	int index;
	int unexpected; /* answers other than OK (PENDING when batching) */
};

static void flush(struct sql_instance *si, struct flusher *f, int wait_turn)
{
	struct rtw_error err = {{0}};

	if (wait_turn)
		pthread_mutex_lock(&f->one_at_a_time);
	else if (pthread_mutex_trylock(&f->one_at_a_time) != 0)
		return;
	atomic_store(&f->pending, 0);
	if (sqlt_flush(si, &err) != RTW_OK)
		atomic_fetch_add(&f->failed, 1);
	pthread_mutex_unlock(&f->one_at_a_time);
}

static void answered(struct worker *w, enum rtw_result r)
{
	if (!w->si->batching) {
		w->unexpected += r != RTW_OK;
		return;
	}
	w->unexpected += r != RTW_PENDING;
	if (atomic_fetch_add(&w->flusher->pending, 1) + 1 >= FLUSH_EVENTS)
		flush(w->si, w->flusher, 0);
}

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
			answered(w, sqlt_handle(w->si, &te, &err));
			tev_clear(&te);
		}
	return NULL;
}

/* Runs the workers on a fresh database; returns the module's count of
 * commits (from its last log line) and checks the database. */
static unsigned long run_workers(unsigned host_minor)
{
	char *dir = scratch_dir(), *path = scratch_path(dir, "x.db");
	struct flusher f = {.one_at_a_time = PTHREAD_MUTEX_INITIALIZER};
	struct worker w[WORKERS];
	struct sql_instance si;
	unsigned long stored = 0, commits = 0;
	sqlite3 *db;

	sqlt_set_host_minor(host_minor);
	sqlt_open_db(&si, path, ", \"synchronous\": \"full\"");
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){.si = &si, .flusher = &f, .index = i};
		assert_int_equal(
		    pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].unexpected, 0);
	}
	flush(&si, &f, 1); /* the daemon flushes before the stop */
	assert_int_equal(atomic_load(&f.failed), 0);
	sqlt_close(&si);
	assert_int_equal(sscanf(si.mock.last_log,
				"%lu events stored in %lu commits", &stored,
				&commits),
			 2);
	assert_int_equal(stored, TOTAL_EVENTS);
	db = sqlt_db(path);
	assert_int_equal(sqlt_int(db, "SELECT count(*) FROM events"),
			 TOTAL_EVENTS);
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
	return commits;
}

static void batching_workers_store_everything_in_few_commits(void **state)
{
	unsigned long commits = run_workers(2);

	(void)state;
	/* About FLUSH_EVENTS per commit; how many exactly depends on how
	 * the threads were scheduled, so only a loose bound, far from the
	 * one commit per event of the other test. */
	assert_true(commits >= 2);
	assert_true(commits <= TOTAL_EVENTS / 16);
}

static void per_event_workers_store_everything_one_commit_each(void **state)
{
	(void)state;
	assert_int_equal(run_workers(0), TOTAL_EVENTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(batching_workers_store_everything_in_few_commits),
	    cmocka_unit_test(
		per_event_workers_store_everything_one_commit_each),
	};

	return cmocka_run_group_tests_name("module_sqlite_workers", tests, NULL,
					   NULL);
}
