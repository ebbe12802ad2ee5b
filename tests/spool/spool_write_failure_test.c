/* Records that go into a prewritten segment's zeros wait in memory for the
 * committer, which writes a round's records in one pwrite(2) before its
 * fdatasync (spool_writes.h). pwrite, pwritev, fdatasync and realloc are
 * wrapped at link time to see who writes and when, to hold the committer
 * inside a write, to make its writes fail and to make memory run out for
 * one append. A round whose write fails fails as a failed flush does (its
 * requests fail, its records are suspect, appends are refused until a round
 * succeeds), and its records are written again by the next round, so that
 * nothing a later commit covers is missing from the file. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_util.h"

#define SEGMENT (64 * 1024)
#define BODY	1000
#define RECORDS 150 /* about 2.4 segments of SEGMENT */

#define MAX_FD 1024

static pthread_t test_thread;
static atomic_int test_thread_writes; /* pwrite/pwritev calls by it */
static atomic_int commit_failures_left;
/* Committer writes not yet followed by an fdatasync of their file, and
 * whether a commit callback ever ran while one was pending. */
static atomic_int unsynced[MAX_FD];
static atomic_int committed_unsynced, commits_checked;
static atomic_int slow_sync_ms; /* the committer's fdatasync sleeps first */
static atomic_int committer_syncs; /* fdatasync calls by the committer */
static atomic_int fail_big_realloc; /* the test thread's next one > 64 KiB */
/* The gate: the committer's next write waits in it until opened. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_armed, gate_entered, gate_open;

/* Is the caller the spool's committer thread ("rtw-commit")? */
static int on_committer(void)
{
	char name[16] = "";

	pthread_getname_np(pthread_self(), name, sizeof(name));
	return strcmp(name, "rtw-commit") == 0;
}

static void count_test_thread(void)
{
	if (pthread_equal(pthread_self(), test_thread))
		atomic_fetch_add(&test_thread_writes, 1);
}

static void wait_at_gate(void)
{
	pthread_mutex_lock(&gate_lock);
	if (gate_armed) {
		gate_armed = 0;
		gate_entered = 1;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_lock);
	}
	pthread_mutex_unlock(&gate_lock);
}

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t at);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t at);
ssize_t __real_pwritev(int fd, const struct iovec *iov, int cnt, off_t at);
ssize_t __wrap_pwritev(int fd, const struct iovec *iov, int cnt, off_t at);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t at)
{
	count_test_thread();
	if (!on_committer())
		return __real_pwrite(fd, buf, n, at);
	wait_at_gate();
	if (atomic_load(&commit_failures_left) > 0) {
		atomic_fetch_sub(&commit_failures_left, 1);
		errno = EIO;
		return -1;
	}
	if (fd >= 0 && fd < MAX_FD)
		atomic_store(&unsynced[fd], 1);
	return __real_pwrite(fd, buf, n, at);
}

int __wrap_fdatasync(int fd)
{
	int ms = atomic_load(&slow_sync_ms);

	if (on_committer() && ms > 0) {
		struct timespec pause = {0, ms * 1000L * 1000};

		nanosleep(&pause, NULL);
	}
	if (on_committer() && fd >= 0 && fd < MAX_FD)
		atomic_store(&unsynced[fd], 0);
	if (on_committer())
		atomic_fetch_add(&committer_syncs, 1);
	return __real_fdatasync(fd);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (n > 64 * 1024 && pthread_equal(pthread_self(), test_thread) &&
	    atomic_exchange(&fail_big_realloc, 0)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

/* A commit callback: run by the committer after its round, was every
 * write of the round synced? (Run at once on the registering thread when
 * the record is already durable: the committer may be mid-round then.) */
static void check_synced(void *arg, int ok)
{
	(void)arg;
	for (int fd = 0; ok && on_committer() && fd < MAX_FD; fd++)
		if (atomic_load(&unsynced[fd]))
			atomic_store(&committed_unsynced, 1);
	atomic_fetch_add(&commits_checked, 1);
}

ssize_t __wrap_pwritev(int fd, const struct iovec *iov, int cnt, off_t at)
{
	count_test_thread();
	return __real_pwritev(fd, iov, cnt, at);
}

/* Opens with prewritten segments and waits for the first spare. */
static void open_prewriting_mode(struct fixture *fx, enum fsync_mode mode,
				 uint64_t segment_bytes, struct scan_log *log)
{
	fixture_open_prewriting(fx, mode, segment_bytes, log);
	wait_spare(fx->s);
}

static void open_prewriting(struct fixture *fx, uint64_t segment_bytes,
			    struct scan_log *log)
{
	open_prewriting_mode(fx, FSYNC_BATCH, segment_bytes, log);
}

static int setup(void **state)
{
	test_thread = pthread_self();
	atomic_store(&test_thread_writes, 0);
	atomic_store(&commit_failures_left, 0);
	atomic_store(&committed_unsynced, 0);
	atomic_store(&commits_checked, 0);
	atomic_store(&slow_sync_ms, 0);
	atomic_store(&committer_syncs, 0);
	atomic_store(&fail_big_realloc, 0);
	for (int fd = 0; fd < MAX_FD; fd++)
		atomic_store(&unsynced[fd], 0);
	gate_armed = gate_entered = gate_open = 0;
	return fixture_setup(state);
}

/* The callbacks run just after the commit is published: waits for n. */
static void wait_commits_checked(int n)
{
	for (int i = 0; i < 2000 && atomic_load(&commits_checked) < n; i++)
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
	assert_int_equal(atomic_load(&commits_checked), n);
}

/* Appends records 1..n, each with check_synced as its commit callback,
 * and checks that the appending thread wrote nothing, that no record was
 * reported durable before the committer's write of it was synced, and
 * that every record reads back. */
static void append_and_check_synced(struct fixture *fx, uint64_t n)
{
	for (uint64_t i = 1; i <= n; i++) {
		assert_int_equal(append_pattern(fx->s, i, BODY, NULL), i);
		spool_on_commit(fx->s, i, check_synced, NULL);
	}
	assert_int_equal(atomic_load(&test_thread_writes), 0);
	wait_committed(fx->s, n);
	wait_commits_checked((int)n);
	assert_int_equal(atomic_load(&committed_unsynced), 0);
	for (uint64_t i = 1; i <= n; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

/* The appending thread (an HTTP thread in the daemon) makes no write(2)
 * for a record that goes into the zeros (on the code before, one pwritev
 * per record), and no record is reported durable before the committer's
 * write of it was followed by an fdatasync. */
static void an_append_into_zeros_makes_no_system_call(void **state)
{
	struct fixture *fx = *state;

	open_prewriting(fx, SEGMENT, NULL);
	append_and_check_synced(fx, 20);
}

/* fsync = "always" through the same path: records into the zeros are
 * still written by the committer, and still one fdatasync per record.
 * The 20 appends come while the first round sits in a slow fdatasync, so
 * "batch" would take them all in one or two rounds (it does: checked by
 * making "always" target everything written, which fails this test). */
static void always_syncs_once_per_record_into_zeros(void **state)
{
	struct fixture *fx = *state;

	open_prewriting_mode(fx, FSYNC_ALWAYS, SEGMENT, NULL);
	atomic_store(&committer_syncs, 0); /* the open's own rounds: not counted */
	atomic_store(&slow_sync_ms, 20);
	append_and_check_synced(fx, 20);
	assert_true(atomic_load(&committer_syncs) >= 20);
}

/* The committer's write fails: the round fails as a failed flush does,
 * and the next round writes the record again, so the commit that covers
 * it finds it in the file, here and after a restart. */
static void a_failed_write_is_done_again_by_the_next_round(void **state)
{
	struct fixture *fx = *state;
	struct timespec pause = {0, 300 * 1000 * 1000};
	struct scan_log log = {0};

	open_prewriting(fx, SEGMENT, NULL);
	assert_int_equal(append_pattern(fx->s, 1, BODY, NULL), 1);
	assert_true(commit_outcome(fx->s, 1));

	atomic_store(&commit_failures_left, 1000000);
	assert_int_equal(append_pattern(fx->s, 2, BODY, NULL), 2);
	assert_false(commit_outcome(fx->s, 2));
	assert_true(spool_suspect(fx->s, 2));
	assert_int_equal(spool_error(fx->s), EIO);
	nanosleep(&pause, NULL); /* a few failed rounds more */
	assert_int_equal(append_fails(fx->s, 3, BODY), EIO);

	atomic_store(&commit_failures_left, 0);
	wait_committed(fx->s, 2);
	expect_pattern(fx->rd, 2, 2, BODY);
	assert_int_equal(append_pattern(fx->s, 3, BODY, NULL), 3);
	wait_committed(fx->s, 3);
	fixture_close(fx);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, 3);
	assert_int_equal(log.out_of_order, 0);
	for (uint64_t n = 1; n <= 3; n++)
		expect_pattern(fx->rd, n, n, BODY);
}

static void wait_gate_entered(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&gate_lock);
	while (!gate_entered &&
	       pthread_cond_timedwait(&gate_cv, &gate_lock, &until) == 0)
		;
	pthread_mutex_unlock(&gate_lock);
	assert_true(gate_entered);
}

static void open_gate(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_lock);
}

/* Reopens the spool and checks records 1..n are all there, in order. */
static void expect_after_restart(struct fixture *fx, uint64_t n,
				 uint64_t segment_bytes)
{
	struct scan_log log = {0};

	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, segment_bytes, &log);
	assert_int_equal(log.count, n);
	assert_int_equal(log.out_of_order, 0);
	for (uint64_t i = 1; i <= n; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

/* A roll-over while the committer is inside a write that then fails:
 * record 60 is in the failing round, 61 was left in segment 1's memory by
 * the roll, 62 starts segment 61. The next round writes all three (the
 * failed round's write put back in front of the roll's), and segment 1 is
 * cut and synced only after. Records of 1,059 bytes: 61 fit in 64 KiB. */
static void a_roll_over_during_a_failing_round_loses_nothing(void **state)
{
	struct fixture *fx = *state;
	uint64_t firsts[4];

	open_prewriting(fx, SEGMENT, NULL);
	for (uint64_t n = 1; n <= 59; n++)
		assert_int_equal(append_pattern(fx->s, n, BODY, NULL), n);
	wait_committed(fx->s, 59);
	wait_spare(fx->s);

	gate_armed = 1;
	atomic_store(&commit_failures_left, 1000000);
	assert_int_equal(append_pattern(fx->s, 60, BODY, NULL), 60);
	wait_gate_entered();
	assert_int_equal(append_pattern(fx->s, 61, BODY, NULL), 61);
	assert_int_equal(append_pattern(fx->s, 62, BODY, NULL), 62);
	assert_int_equal(list_segments(fx->dir, firsts, 4), 2);
	assert_int_equal(firsts[1], 62);
	open_gate();
	assert_false(commit_outcome(fx->s, 62));
	assert_true(spool_suspect(fx->s, 60));

	atomic_store(&commit_failures_left, 0);
	wait_committed(fx->s, 62);
	for (uint64_t n = 1; n <= 62; n++)
		expect_pattern(fx->rd, n, n, BODY);
	expect_after_restart(fx, 62, SEGMENT);
}

/* Memory runs out for one append while earlier records wait in memory
 * (their round is held in a slow fdatasync): that record is written at
 * once, and the records after it must not go into the memory run that
 * ends before it (on the code before the fix, the next one did, and its
 * round wrote it over the record written at once). */
static void a_record_written_at_once_is_not_overwritten(void **state)
{
	struct fixture *fx = *state;
	struct timespec pause = {0, 50 * 1000 * 1000};

	open_prewriting(fx, 1 << 20, NULL);
	assert_int_equal(append_pattern(fx->s, 1, BODY, NULL), 1);
	assert_true(commit_outcome(fx->s, 1));
	atomic_store(&slow_sync_ms, 300);
	assert_int_equal(append_pattern(fx->s, 2, BODY, NULL), 2);
	nanosleep(&pause, NULL); /* the committer is in its slow sync */
	atomic_store(&fail_big_realloc, 1);
	/* 78 records of 1,059 bytes: the 64 KiB buffer must grow once */
	for (uint64_t n = 3; n <= 80; n++)
		assert_int_equal(append_pattern(fx->s, n, BODY, NULL), n);
	assert_int_equal(atomic_load(&fail_big_realloc), 0); /* it ran out */
	atomic_store(&slow_sync_ms, 0);
	wait_committed(fx->s, 80);
	for (uint64_t n = 1; n <= 80; n++)
		expect_pattern(fx->rd, n, n, BODY);
	expect_after_restart(fx, 80, 1 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		an_append_into_zeros_makes_no_system_call, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		always_syncs_once_per_record_into_zeros, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_failed_write_is_done_again_by_the_next_round, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_roll_over_during_a_failing_round_loses_nothing, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_record_written_at_once_is_not_overwritten, setup,
		fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
