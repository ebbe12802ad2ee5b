/* Records that go into a prewritten segment's zeros wait in memory for the
 * committer, which writes a round's records in one pwrite(2) before its
 * fdatasync (spool_writes.h). pwrite and pwritev are wrapped at link time
 * (-Wl,--wrap=pwrite,--wrap=pwritev) to count who writes and to make the
 * committer's writes fail: such a round fails as a failed flush does (its
 * requests fail, its records are suspect, appends are refused until a
 * round succeeds), and its records are written again by the next round,
 * so that nothing a later commit covers is missing from the file. */
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

static pthread_t test_thread;
static atomic_int test_thread_writes; /* pwrite/pwritev calls by it */
static atomic_int commit_failures_left;

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

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t at);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t at);
ssize_t __real_pwritev(int fd, const struct iovec *iov, int cnt, off_t at);
ssize_t __wrap_pwritev(int fd, const struct iovec *iov, int cnt, off_t at);

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t at)
{
	count_test_thread();
	if (on_committer() && atomic_load(&commit_failures_left) > 0) {
		atomic_fetch_sub(&commit_failures_left, 1);
		errno = EIO;
		return -1;
	}
	return __real_pwrite(fd, buf, n, at);
}

ssize_t __wrap_pwritev(int fd, const struct iovec *iov, int cnt, off_t at)
{
	count_test_thread();
	return __real_pwritev(fd, iov, cnt, at);
}

static void open_prewriting(struct fixture *fx, struct scan_log *log)
{
	struct spool_options o = test_options(fx->dir, FSYNC_BATCH, SEGMENT);
	struct timespec pause = {0, 5 * 1000 * 1000};

	o.prewrite = 1;
	fx->s = open_ok(&o, log);
	fx->rd = spool_reader_new(fx->s);
	assert_non_null(fx->rd);
	for (int i = 0; i < 2000 && !spool_spare_ready(fx->s); i++)
		nanosleep(&pause, NULL);
	assert_true(spool_spare_ready(fx->s));
}

static int setup(void **state)
{
	test_thread = pthread_self();
	atomic_store(&test_thread_writes, 0);
	atomic_store(&commit_failures_left, 0);
	return fixture_setup(state);
}

/* The appending thread (an HTTP thread in the daemon) makes no write(2)
 * for a record that goes into the zeros: on the code before, one pwritev
 * per record. */
static void an_append_into_zeros_makes_no_system_call(void **state)
{
	struct fixture *fx = *state;

	open_prewriting(fx, NULL);
	for (uint64_t n = 1; n <= 20; n++)
		assert_int_equal(append_pattern(fx->s, n, BODY, NULL), n);
	assert_int_equal(atomic_load(&test_thread_writes), 0);
	wait_committed(fx->s, 20);
	for (uint64_t n = 1; n <= 20; n++)
		expect_pattern(fx->rd, n, n, BODY);
}

/* The committer's write fails: the round fails as a failed flush does,
 * and the next round writes the record again, so the commit that covers
 * it finds it in the file, here and after a restart. */
static void a_failed_write_is_done_again_by_the_next_round(void **state)
{
	struct fixture *fx = *state;
	struct timespec pause = {0, 300 * 1000 * 1000};
	struct scan_log log = {0};

	open_prewriting(fx, NULL);
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

/* Appends record n, trying again (as a sender would) while appends are
 * refused after a failed round. Returns its seq. */
static uint64_t append_until_stored(struct spool *s, uint64_t n)
{
	struct timespec tick = {0, 2 * 1000 * 1000};
	uint64_t seq = 0;
	int tries = 0;

	while (try_append_pattern(s, n, BODY, &seq) != 0 && tries++ < 5000)
		nanosleep(&tick, NULL);
	assert_true(tries <= 5000);
	return seq;
}

/* Failed writes while segments roll over: whatever the interleaving, each
 * record stored is found in order after a restart, with its own bytes
 * (a segment left behind is written before its unused end is cut). */
static void failed_writes_across_roll_overs_lose_nothing(void **state)
{
	struct fixture *fx = *state;
	uint64_t seqs[RECORDS + 1], firsts[16];
	struct scan_log log = {0};

	open_prewriting(fx, NULL);
	atomic_store(&commit_failures_left, 3);
	for (uint64_t n = 1; n <= RECORDS; n++)
		seqs[n] = append_until_stored(fx->s, n);
	wait_committed(fx->s, seqs[RECORDS]);
	assert_int_equal(atomic_load(&commit_failures_left), 0);
	assert_true(list_segments(fx->dir, firsts, 16) >= 2);
	fixture_close(fx);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, seqs[RECORDS]);
	assert_int_equal(log.out_of_order, 0);
	for (uint64_t n = 1; n <= RECORDS; n++)
		expect_pattern(fx->rd, seqs[n], n, BODY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		an_append_into_zeros_makes_no_system_call, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_failed_write_is_done_again_by_the_next_round, setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		failed_writes_across_roll_overs_lose_nothing, setup,
		fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
