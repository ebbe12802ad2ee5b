/* A commit round whose flush fails (an I/O error injected into fdatasync,
 * wrapped at link time: -Wl,--wrap=fdatasync): its requests fail, what it
 * was to sync stays owed (a segment left behind is synced again by a later
 * round, not closed unsynced), appends are refused until a round succeeds,
 * and then the next record starts a new segment, so that if the failed
 * pages never reach the disk, recovery cuts that segment and no other.
 * The failed round's records stay suspect (spool_suspect) once a later
 * round commits them. */
#include <errno.h>
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_util.h"

#define BODY 1000 /* three records fill a 4096-byte segment */

/* The inode whose next failures_left fdatasync calls fail, and the
 * successful ones on it after a failure. */
static atomic_ulong failing_ino;
static atomic_int failures_left, failed, synced_after;
static atomic_int fail_all; /* every fdatasync fails while set */
static atomic_int fail_save; /* every save of the suspect list fails */
static atomic_int saves_failed;

/* Is fd the suspect list being saved (suspect.tmp)? */
static int is_suspect_save(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return n >= 12 && strcmp(target + n - 12, "/suspect.tmp") == 0;
}

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

int __wrap_fdatasync(int fd)
{
	struct stat st;
	unsigned long ino = fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
	int rc;

	if (atomic_load(&fail_save) && is_suspect_save(fd)) {
		atomic_fetch_add(&saves_failed, 1);
		errno = EIO;
		return -1;
	}
	if (atomic_load(&fail_all)) {
		errno = EIO;
		return -1;
	}
	if (ino != 0 && ino == atomic_load(&failing_ino) &&
	    atomic_load(&failures_left) > 0) {
		atomic_fetch_sub(&failures_left, 1);
		atomic_store(&failed, 1);
		errno = EIO;
		return -1;
	}
	rc = __real_fdatasync(fd);
	if (rc == 0 && ino != 0 && ino == atomic_load(&failing_ino) &&
	    atomic_load(&failed))
		atomic_fetch_add(&synced_after, 1);
	return rc;
}

/* Appends record n and waits for its commit; returns 1 when durable. */
static int append_and_commit(struct spool *s, uint64_t n,
			     struct spool_position *end)
{
	return commit_outcome(s, append_pattern(s, n, BODY, end));
}

static unsigned long inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned long)st.st_ino;
}

static void a_failed_flush_is_owed_and_starts_a_new_segment(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	struct scan_log log = {0};
	char first[PATH_MAX];

	atomic_store(&failed, 0);
	atomic_store(&synced_after, 0);
	fixture_open(fx, FSYNC_BATCH, 4096, NULL);
	for (uint64_t n = 1; n <= 3; n++) {
		assert_true(append_and_commit(fx->s, n, &end));
		assert_int_equal(end.segment, 1);
	}
	/* Record 4 opens the second segment; the round that covers it also
	 * syncs the first one, left behind, and that sync fails. */
	segment_file(fx->dir, 1, first);
	atomic_store(&failing_ino, inode_of(first));
	atomic_store(&failures_left, 1);
	assert_false(append_and_commit(fx->s, 4, &end));
	assert_int_equal(end.segment, 4);
	assert_true(atomic_load(&failed));
	assert_int_not_equal(spool_error(fx->s), 0);
	assert_true(spool_suspect(fx->s, 4)); /* its pages may be lost */
	assert_false(spool_suspect(fx->s, 3));

	/* The committer's next round (within 100 ms) syncs what the failed
	 * one owed: the first segment again (before the fix it was closed
	 * unsynced). Until then appends are refused. */
	wait_committed(fx->s, 4);
	assert_true(atomic_load(&synced_after) >= 1);
	/* Record 5: a segment of its own (the second holds only the record
	 * whose flush failed), durable. */
	assert_true(append_and_commit(fx->s, 5, &end));
	assert_int_equal(end.segment, 5);
	assert_true(spool_suspect(fx->s, 4)); /* committed, still unsure */
	assert_false(spool_suspect(fx->s, 5));
	fixture_close(fx);

	fixture_open(fx, FSYNC_BATCH, 4096, &log);
	assert_int_equal(log.count, 5);
	assert_int_equal(log.out_of_order, 0);
}

/* While flushes keep failing, appends are refused at once (each would
 * fail anyway, and start a segment, holding a descriptor, every round),
 * and the committer keeps trying; when the disk is back, what was owed is
 * synced and appends work again, in a new segment. */
static void appends_are_refused_while_flushes_fail(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	struct timespec pause = {0, 300 * 1000 * 1000};
	char first[PATH_MAX];
	uint64_t firsts[16];

	atomic_store(&failed, 0);
	fixture_open(fx, FSYNC_BATCH, 4096, NULL);
	for (uint64_t n = 1; n <= 3; n++)
		assert_true(append_and_commit(fx->s, n, &end));
	segment_file(fx->dir, 1, first);
	atomic_store(&failing_ino, inode_of(first));
	atomic_store(&failures_left, 1000000);
	assert_false(append_and_commit(fx->s, 4, &end));
	nanosleep(&pause, NULL); /* a few failed rounds more */
	for (int i = 0; i < 5; i++)
		append_fails(fx->s, 5, BODY);
	assert_int_equal(list_segments(fx->dir, firsts, 16), 2);

	atomic_store(&failures_left, 0);
	wait_committed(fx->s, 4);
	assert_int_equal(append_pattern(fx->s, 5, BODY, &end), 5);
	assert_int_equal(end.segment, 5);
	wait_committed(fx->s, 5);
	/* many failed rounds, one episode: only record 4 */
	assert_true(spool_suspect(fx->s, 4));
	assert_false(spool_suspect(fx->s, 3));
	assert_false(spool_suspect(fx->s, 5));
}

/* Appends record n while every flush fails and waits for a round to have
 * failed on it; flushes work again when it returns. */
static uint64_t append_in_failed_round(struct spool *s, uint64_t n)
{
	struct timespec tick = {0, 5 * 1000 * 1000};
	struct spool_position end;
	uint64_t seq;

	atomic_store(&fail_all, 1);
	seq = append_pattern(s, n, BODY, &end);
	for (int i = 0; i < 2000 && !spool_suspect(s, seq); i++)
		nanosleep(&tick, NULL);
	atomic_store(&fail_all, 0);
	assert_true(spool_suspect(s, seq));
	return seq;
}

/* A request registers for its commit only after its append: when the
 * failed round ran in between and a later one committed the record, it
 * must still hear "not durable" (before: ok, so a 200 for a record the
 * spool knows to be unsure). */
static void a_late_waiter_of_a_failed_round_is_told_it_failed(void **state)
{
	struct fixture *fx = *state;
	struct commit_outcome o = COMMIT_OUTCOME_INIT;
	uint64_t seq;

	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	seq = append_in_failed_round(fx->s, 1);
	wait_committed(fx->s, seq);
	spool_on_commit(fx->s, seq, commit_outcome_record, &o);
	assert_true(o.done); /* answered at once */
	assert_false(o.ok);
}

/* More failure episodes than the spool keeps ranges for: the oldest are
 * merged, never forgotten (before: the ninth episode made the first
 * record sure again). */
static void every_failed_episode_stays_suspect(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	uint64_t first, n = 1, clean;

	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	first = append_in_failed_round(fx->s, n++);
	for (int episode = 1; episode < 12; episode++) {
		wait_committed(fx->s, n - 1);
		wait_committed(fx->s, append_pattern(fx->s, n++, BODY, &end));
		append_in_failed_round(fx->s, n++);
	}
	wait_committed(fx->s, n - 1);
	assert_true(spool_suspect(fx->s, first));
	clean = append_pattern(fx->s, n, BODY, &end);
	wait_committed(fx->s, clean);
	assert_false(spool_suspect(fx->s, clean));
}

/* The list of suspect records survives a restart (recovery finds them in
 * the page cache, whole, and the sender's retry must still be stored
 * again). */
static void suspect_records_stay_suspect_after_a_restart(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	uint64_t seq, clean;

	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	seq = append_in_failed_round(fx->s, 1);
	wait_committed(fx->s, seq);
	clean = append_pattern(fx->s, 2, BODY, &end);
	wait_committed(fx->s, clean);
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	assert_true(spool_suspect(fx->s, seq));
	assert_false(spool_suspect(fx->s, clean));
}

/* The list could not be written when its flush failed (the same disk):
 * the committer writes it once it can, so a restart still knows. */
static void a_list_that_could_not_be_saved_is_saved_later(void **state)
{
	struct fixture *fx = *state;
	struct timespec tick = {0, 20 * 1000 * 1000};
	char path[PATH_MAX + 16];
	uint64_t seq;

	snprintf(path, sizeof(path), "%s/suspect", fx->dir);
	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	atomic_store(&fail_save, 1);
	seq = append_in_failed_round(fx->s, 1);
	for (int i = 0; i < 250 && atomic_load(&saves_failed) == 0; i++)
		nanosleep(&tick, NULL); /* the first save has failed */
	assert_true(atomic_load(&saves_failed) > 0);
	assert_int_not_equal(access(path, F_OK), 0);
	atomic_store(&fail_save, 0);
	for (int i = 0; i < 250 && access(path, F_OK) != 0; i++)
		nanosleep(&tick, NULL); /* tried again within a second */
	assert_int_equal(access(path, F_OK), 0);
	wait_committed(fx->s, seq);
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	assert_true(spool_suspect(fx->s, seq));
}

/* The suspect record's pages never reached the disk (cut here by hand):
 * recovery ends before it, and its number is not handed out again (a
 * handler may have read that record before the restart and moved past
 * it; and a new event numbered so would be answered 503). */
static void numbers_of_lost_suspect_records_are_not_used_again(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	struct scan_log log = {0};
	char first[PATH_MAX];
	uint64_t seq, next;

	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	assert_true(append_and_commit(fx->s, 1, &end));
	seq = append_in_failed_round(fx->s, 2);
	wait_committed(fx->s, seq);
	fixture_close(fx);
	segment_file(fx->dir, 1, first);
	assert_int_equal(truncate(first, end.offset), 0);

	fixture_open(fx, FSYNC_BATCH, 1 << 20, NULL);
	next = append_pattern(fx->s, 3, BODY, &end);
	assert_true(next > seq);
	assert_true(commit_outcome(fx->s, next));
	/* and the next start still finds it: the skipped numbers are no
	 * gap inside a segment, which recovery would read as its end */
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, 1 << 20, &log);
	assert_int_equal(log.count, 2); /* records 1 and 3 */
	assert_true(append_pattern(fx->s, 4, BODY, &end) > next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_failed_flush_is_owed_and_starts_a_new_segment, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		appends_are_refused_while_flushes_fail, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_late_waiter_of_a_failed_round_is_told_it_failed,
		fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(every_failed_episode_stays_suspect,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		suspect_records_stay_suspect_after_a_restart, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_list_that_could_not_be_saved_is_saved_later, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		numbers_of_lost_suspect_records_are_not_used_again,
		fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
