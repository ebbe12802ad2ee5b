/* Group commit: whatever the fsync mode, every appended record gets its
 * commit callback exactly once with ok = 1, appenders on many threads get
 * unique seqs, and readers never see a record before it is committed. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "spool_util.h"

#define THREADS	    8
#define PER_THREAD  250
#define TOTAL	    (THREADS * PER_THREAD)
#define BODY_LEN(n) (100 + (n) % 700)

/* Callbacks of one test: by seq, how often and how many with ok = 0. */
static struct {
	atomic_int calls[TOTAL + 1];
	atomic_int failed, total;
} commits;

static void count_commit(void *arg, int ok)
{
	uintptr_t seq = (uintptr_t)arg;

	if (seq <= TOTAL)
		atomic_fetch_add(&commits.calls[seq], 1);
	if (!ok)
		atomic_fetch_add(&commits.failed, 1);
	atomic_fetch_add(&commits.total, 1);
}

static void reset_commits(void)
{
	memset(&commits, 0, sizeof(commits));
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits (bounded: 10 s) until n callbacks came. */
static void wait_callbacks(int n)
{
	for (int i = 0; i < 10000 && atomic_load(&commits.total) < n; i++)
		sleep_ms(1);
	assert_int_equal(atomic_load(&commits.total), n);
}

/* One appender thread: no cmocka assertions off the main thread, so it
 * records what happened and the main thread checks. */
struct appender {
	struct spool *s;
	int id;
	uint64_t seqs[PER_THREAD];
	int errors, out_of_order;
};

static void *append_many(void *arg)
{
	struct appender *a = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		uint64_t n = (uint64_t)a->id * PER_THREAD + (uint64_t)i + 1;
		char *body = pattern_body(n, BODY_LEN(n));
		char key[64];
		struct spool_record r = {.received_ms =
					     TEST_RECEIVED_MS + (int64_t)n,
					 .path = TEST_PATH,
					 .path_len = strlen(TEST_PATH),
					 .key = key,
					 .body = body,
					 .body_len = BODY_LEN(n)};
		struct spool_position end;

		snprintf(key, sizeof(key), "id:msg_%llu",
			 (unsigned long long)n);
		r.key_len = strlen(key);
		if (append_raw(a->s, &r, &end) != 0)
			a->errors++;
		else
			spool_on_commit(a->s, r.seq, count_commit,
					(void *)(uintptr_t)r.seq);
		a->seqs[i] = r.seq;
		if (i > 0 && a->seqs[i] <= a->seqs[i - 1])
			a->out_of_order++;
		free(body);
	}
	return NULL;
}

/* Every seq 1..TOTAL went to exactly one append; owner[seq] = its n. */
static void expect_unique_seqs(struct appender *a, uint64_t *owner)
{
	for (int t = 0; t < THREADS; t++) {
		assert_int_equal(a[t].errors, 0);
		assert_int_equal(a[t].out_of_order, 0);
		for (int i = 0; i < PER_THREAD; i++) {
			uint64_t seq = a[t].seqs[i];

			assert_in_range(seq, 1, TOTAL);
			assert_int_equal(owner[seq], 0);
			owner[seq] = (uint64_t)t * PER_THREAD + (uint64_t)i + 1;
		}
	}
}

static void concurrent_appends_each_commit_once(struct fixture *fx,
						enum fsync_mode mode)
{
	static struct appender a[THREADS];
	static uint64_t owner[TOTAL + 1];
	pthread_t th[THREADS];

	reset_commits();
	memset(owner, 0, sizeof(owner));
	fixture_open(fx, mode, 256 * 1024, NULL);
	for (int t = 0; t < THREADS; t++) {
		a[t] = (struct appender){.s = fx->s, .id = t};
		assert_int_equal(
		    pthread_create(&th[t], NULL, append_many, &a[t]), 0);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	expect_unique_seqs(a, owner);
	wait_callbacks(TOTAL);
	assert_int_equal(atomic_load(&commits.failed), 0);
	for (uint64_t seq = 1; seq <= TOTAL; seq++)
		assert_int_equal(atomic_load(&commits.calls[seq]), 1);
	assert_int_equal(spool_committed(fx->s), TOTAL);
	for (uint64_t seq = 1; seq <= TOTAL; seq++)
		expect_pattern(fx->rd, seq, owner[seq], BODY_LEN(owner[seq]));
}

static void batch_concurrent_appends_each_commit_once(void **state)
{
	concurrent_appends_each_commit_once(*state, FSYNC_BATCH);
}

static void always_concurrent_appends_each_commit_once(void **state)
{
	concurrent_appends_each_commit_once(*state, FSYNC_ALWAYS);
}

static void off_concurrent_appends_each_commit_once(void **state)
{
	concurrent_appends_each_commit_once(*state, FSYNC_OFF);
}

/* A commit callback that holds the committer until released. */
struct blocker {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int entered, released, ok;
};

static void block_committer(void *arg, int ok)
{
	struct blocker *b = arg;

	pthread_mutex_lock(&b->m);
	b->entered = 1;
	b->ok = ok;
	pthread_cond_broadcast(&b->cv);
	while (!b->released)
		pthread_cond_wait(&b->cv, &b->m);
	pthread_mutex_unlock(&b->m);
}

static void wait_entered(struct blocker *b)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&b->m);
	while (!b->entered &&
	       pthread_cond_timedwait(&b->cv, &b->m, &until) == 0)
		;
	pthread_mutex_unlock(&b->m);
	assert_true(b->entered);
}

static void release(struct blocker *b)
{
	pthread_mutex_lock(&b->m);
	b->released = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->m);
}

/* The blocker of the running test: released by the teardown too, so a
 * failing test cannot leave the committer stuck (spool_close joins it). */
static struct blocker blocker;

static int blocker_setup(void **state)
{
	blocker = (struct blocker){.m = PTHREAD_MUTEX_INITIALIZER,
				   .cv = PTHREAD_COND_INITIALIZER};
	return fixture_setup(state);
}

static int blocker_teardown(void **state)
{
	release(&blocker);
	return fixture_teardown(state);
}

/* With the committer held inside the callback for seq 1, seq 2 is written
 * but cannot be committed: it must not be readable yet. */
static void written_but_uncommitted_record_is_not_readable(struct fixture *fx,
							   enum fsync_mode mode)
{
	struct blocker *b = &blocker;
	struct spool_record r;

	fixture_open(fx, mode, BIG_SEGMENT, NULL);
	spool_on_commit(fx->s, 1, block_committer, b); /* before seq 1 exists */
	append_pattern(fx->s, 1, 50, NULL);
	wait_entered(b);
	assert_int_equal(b->ok, 1);
	assert_int_equal(append_pattern(fx->s, 2, 60, NULL), 2);
	assert_int_equal(spool_committed(fx->s), 1);
	assert_int_equal(spool_reader_read(fx->rd, 2, &r), 1);
	expect_pattern(fx->rd, 1, 1, 50);
	release(b);
	wait_committed(fx->s, 2);
	expect_pattern(fx->rd, 2, 2, 60);
}

static void batch_uncommitted_record_is_not_readable(void **state)
{
	written_but_uncommitted_record_is_not_readable(*state, FSYNC_BATCH);
}

static void always_uncommitted_record_is_not_readable(void **state)
{
	written_but_uncommitted_record_is_not_readable(*state, FSYNC_ALWAYS);
}

struct inline_call {
	int calls, ok;
};

static void note_call(void *arg, int ok)
{
	struct inline_call *c = arg;

	c->calls++;
	c->ok = ok;
}

static void off_commits_at_append_and_calls_back_at_once(void **state)
{
	struct fixture *fx = *state;
	struct inline_call c = {0};

	fixture_open(fx, FSYNC_OFF, BIG_SEGMENT, NULL);
	for (uint64_t n = 1; n <= 5; n++) {
		assert_int_equal(append_pattern(fx->s, n, 40, NULL), n);
		assert_int_equal(spool_committed(fx->s), n);
		spool_on_commit(fx->s, n, note_call, &c);
		assert_int_equal(c.calls,
				 n); /* before spool_on_commit returned */
		assert_int_equal(c.ok, 1);
		expect_pattern(fx->rd, n, n, 40);
	}
}

static void on_commit_of_a_committed_seq_calls_back_at_once(void **state)
{
	struct fixture *fx = *state;
	struct inline_call c = {0};

	fixture_open(fx, FSYNC_BATCH, BIG_SEGMENT, NULL);
	append_pattern(fx->s, 1, 40, NULL);
	wait_committed(fx->s, 1);
	spool_on_commit(fx->s, 1, note_call, &c);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.ok, 1);
}

/* A seq that close finds still waiting can never be committed: its
 * callback says so (ok = 0) instead of never coming. */
static void close_fails_callbacks_of_seqs_never_written(void **state)
{
	struct fixture *fx = *state;

	reset_commits();
	fixture_open(fx, FSYNC_BATCH, BIG_SEGMENT, NULL);
	append_pattern(fx->s, 1, 40, NULL);
	spool_on_commit(fx->s, 1, count_commit, (void *)(uintptr_t)1);
	spool_on_commit(fx->s, 2, count_commit, (void *)(uintptr_t)2);
	fixture_close(fx);
	assert_int_equal(atomic_load(&commits.total), 2);
	assert_int_equal(atomic_load(&commits.calls[1]), 1);
	assert_int_equal(atomic_load(&commits.calls[2]), 1);
	assert_int_equal(atomic_load(&commits.failed), 1);
}

#define FIXTURE_TEST(f)                                                        \
	cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

#define BLOCKER_TEST(f)                                                        \
	cmocka_unit_test_setup_teardown(f, blocker_setup, blocker_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FIXTURE_TEST(batch_concurrent_appends_each_commit_once),
	    FIXTURE_TEST(always_concurrent_appends_each_commit_once),
	    FIXTURE_TEST(off_concurrent_appends_each_commit_once),
	    BLOCKER_TEST(batch_uncommitted_record_is_not_readable),
	    BLOCKER_TEST(always_uncommitted_record_is_not_readable),
	    FIXTURE_TEST(off_commits_at_append_and_calls_back_at_once),
	    FIXTURE_TEST(on_commit_of_a_committed_seq_calls_back_at_once),
	    FIXTURE_TEST(close_fails_callbacks_of_seqs_never_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
