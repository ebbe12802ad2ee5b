/* Prewritten segments (spool_spare.h): with options.prewrite the committer
 * writes the next segment's zeros ahead, a new segment starts as that file,
 * records overwrite the zeros, a segment left behind loses its unused end,
 * and recovery reads zeros after the last record as space not yet used:
 * kept in the segment being written, cut from older ones. A torn record
 * in the zeros is cut as any torn tail; a spare left by an earlier run is
 * never trusted; a file system without room for it gets no spare. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_util.h"

#define SEGMENT (64 * 1024)
#define BODY	1000
#define RECORDS 150 /* about 2.4 segments of SEGMENT */

static void open_prewriting(struct fixture *fx, struct scan_log *log)
{
	fixture_open_prewriting(fx, FSYNC_BATCH, SEGMENT, log);
}

static void spare_path(const struct fixture *fx, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s/spare.tmp", fx->dir);

	assert_true(n > 0 && n < PATH_MAX);
}

/* 1 when the file holds only zero bytes from offset on. */
static int zeros_from(const char *path, off_t offset)
{
	FILE *f = fopen(path, "rb");
	int c, zero = 1;

	assert_non_null(f);
	assert_int_equal(fseeko(f, offset, SEEK_SET), 0);
	while (zero && (c = fgetc(f)) != EOF)
		zero = c == 0;
	fclose(f);
	return zero;
}

/* Appends records 1..n; ends[i] is where record i ends. */
static void append_n(struct fixture *fx, uint64_t from, uint64_t n,
		     struct spool_position *ends)
{
	for (uint64_t i = from; i <= n; i++)
		assert_int_equal(append_pattern(fx->s, i, BODY, &ends[i]), i);
	wait_committed(fx->s, n);
}

static void segments_start_as_zeros_and_lose_the_unused_end(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[RECORDS + 1];
	char path[PATH_MAX];
	uint64_t second = 0;

	open_prewriting(fx, NULL);
	wait_spare(fx->s);
	append_n(fx, 1, 1, ends);
	segment_file(fx->dir, 1, path);
	/* The first segment is the spare, renamed: full size, record 1 at
	 * its start and zeros after it. */
	assert_int_equal(file_size(path), SEGMENT);
	assert_true(zeros_from(path, ends[1].offset));
	append_n(fx, 2, RECORDS, ends);
	for (uint64_t i = 2; i <= RECORDS && second == 0; i++)
		if (ends[i].segment != 1)
			second = i;
	assert_true(second > 1);
	/* Left behind: cut to where its last record ends. */
	assert_int_equal(file_size(path), ends[second - 1].offset);
	for (uint64_t i = 1; i <= RECORDS; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

static void reopening_keeps_the_zeros_and_appends_in_place(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[12];
	struct scan_log log = {0};
	char path[PATH_MAX];

	open_prewriting(fx, NULL);
	wait_spare(fx->s);
	append_n(fx, 1, 5, ends);
	fixture_close(fx);
	segment_file(fx->dir, 1, path);
	assert_int_equal(file_size(path), SEGMENT);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, 5);
	append_n(fx, 6, 11, ends);
	/* Written over the zeros, right after record 5. */
	assert_int_equal(ends[6].segment, 1);
	assert_int_equal(file_size(path), SEGMENT);
	for (uint64_t i = 1; i <= 11; i++)
		expect_pattern(fx->rd, i, i, BODY);
	fixture_close(fx);

	memset(&log, 0, sizeof(log));
	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, 11);
	assert_int_equal(log.out_of_order, 0);
}

static void a_torn_record_in_the_zeros_is_cut(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[4];
	struct scan_log log = {0};
	char path[PATH_MAX];
	int fd;

	open_prewriting(fx, NULL);
	wait_spare(fx->s);
	append_n(fx, 1, 3, ends);
	fixture_close(fx);
	/* The start of a fourth record's frame, then zeros again. */
	segment_file(fx->dir, 1, path);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "RTW1\x10", 5, ends[3].offset), 5);
	close(fd);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, 3);
	assert_int_equal(file_size(path), ends[3].offset);
	assert_int_equal(append_pattern(fx->s, 4, BODY, NULL), 4);
	wait_committed(fx->s, 4);
	expect_pattern(fx->rd, 4, 4, BODY);
}

static void zeros_after_an_older_segment_are_cut(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[RECORDS + 1];
	struct scan_log log = {0};
	char path[PATH_MAX];

	fixture_open(fx, FSYNC_BATCH, SEGMENT, NULL);
	append_n(fx, 1, RECORDS, ends);
	assert_int_not_equal(ends[RECORDS].segment, 1);
	fixture_close(fx);
	/* A crash before the cut at the roll-over reached the disk. */
	segment_file(fx->dir, 1, path);
	assert_int_equal(truncate(path, SEGMENT), 0);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, RECORDS);
	assert_int_equal(log.out_of_order, 0);
	assert_true(file_size(path) < SEGMENT);
	for (uint64_t i = 1; i <= RECORDS; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

/* A segment that grows by appends (begun while no spare was ready, here
 * by a spool without prewrite) is left for the spare as soon as that is
 * ready: its flushes would write new blocks and the size each time.
 * Nothing of it is cut: it has no zeros. */
static void a_growing_segment_is_left_for_the_ready_spare(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[7];
	char first[PATH_MAX], spare_seg[PATH_MAX];

	fixture_open(fx, FSYNC_BATCH, SEGMENT, NULL);
	append_n(fx, 1, 3, ends);
	fixture_close(fx);
	segment_file(fx->dir, 1, first);
	assert_int_equal(file_size(first), ends[3].offset);

	open_prewriting(fx, NULL);
	wait_spare(fx->s);
	append_n(fx, 4, 6, ends);
	assert_int_equal(ends[4].segment, 4);
	assert_int_equal(ends[6].segment, 4);
	segment_file(fx->dir, 4, spare_seg);
	assert_int_equal(file_size(spare_seg), SEGMENT);
	assert_true(zeros_from(spare_seg, ends[6].offset));
	assert_int_equal(file_size(first), ends[3].offset);
	for (uint64_t i = 1; i <= 6; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

/* Leaving a growing segment is optional: when the spare cannot be taken
 * (here the directory is renamed away, so its rename fails), the record
 * goes into the growing segment as before, instead of failing. */
static void a_spare_that_cannot_be_taken_is_not_an_error(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[5];
	char away[PATH_MAX];
	int n = snprintf(away, sizeof(away), "%s.away", fx->dir);

	assert_true(n > 0 && n < (int)sizeof(away));
	fixture_open(fx, FSYNC_BATCH, SEGMENT, NULL);
	append_n(fx, 1, 3, ends);
	fixture_close(fx);

	open_prewriting(fx, NULL);
	wait_spare(fx->s);
	assert_int_equal(rename(fx->dir, away), 0);
	n = (int)append_pattern(fx->s, 4, BODY, &ends[4]);
	assert_int_equal(rename(away, fx->dir), 0);
	assert_int_equal(n, 4);
	assert_int_equal(ends[4].segment, 1);
	assert_int_equal(spool_error(fx->s), 0);
	wait_committed(fx->s, 4);
	for (uint64_t i = 1; i <= 4; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

/* A spare that a crash left behind may hold records (a crash between its
 * rename and the directory's sync): never reused as zeros. Without
 * prewrite it is removed at open; with it, written again from scratch. */
static void a_leftover_spare_is_never_reused(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[4];
	char spare[PATH_MAX], seg[PATH_MAX];
	size_t len;
	char *bytes;

	fixture_open(fx, FSYNC_BATCH, SEGMENT, NULL);
	append_n(fx, 1, 3, ends);
	fixture_close(fx);
	spare_path(fx, spare);
	segment_file(fx->dir, 1, seg);
	bytes = calloc(1, SEGMENT);
	assert_non_null(bytes);
	len = (size_t)file_size(seg);
	{
		FILE *in = fopen(seg, "rb"), *out = fopen(spare, "wb");

		assert_non_null(in);
		assert_non_null(out);
		assert_int_equal(fread(bytes, 1, len, in), len);
		assert_int_equal(fwrite(bytes, 1, SEGMENT, out), SEGMENT);
		fclose(in);
		fclose(out);
	}
	free(bytes);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, NULL);
	assert_true(access(spare, F_OK) != 0);
	fixture_close(fx);

	assert_int_equal(rename(seg, spare), 0); /* plant it again */
	open_prewriting(fx, NULL);
	wait_spare(fx->s);
	assert_int_equal(file_size(spare), SEGMENT);
	assert_true(zeros_from(spare, 0));
}

/* No spare on a file system without room for four of them: the zeros
 * must never take the space events need. A segment size of a pebibyte
 * stands in for a nearly full disk. */
static void no_spare_without_room_for_it(void **state)
{
	struct fixture *fx = *state;
	struct spool_position ends[4];
	struct timespec pause = {0, 300 * 1000 * 1000};
	char spare[PATH_MAX], seg[PATH_MAX];

	fixture_open_prewriting(fx, FSYNC_BATCH, UINT64_C(1) << 50, NULL);
	nanosleep(&pause, NULL);
	spare_path(fx, spare);
	assert_false(spool_spare_ready(fx->s));
	assert_true(access(spare, F_OK) != 0);
	append_n(fx, 1, 3, ends);
	segment_file(fx->dir, 1, seg);
	assert_int_equal(file_size(seg), ends[3].offset);
	for (uint64_t i = 1; i <= 3; i++)
		expect_pattern(fx->rd, i, i, BODY);
}

/* The address space in use, from /proc/self/status (VmSize). */
static rlim_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb > 0);
	return (rlim_t)kb * 1024;
}

/* A segment that cannot be mapped at start (here: an address-space limit
 * below its size, a segment with a long tail of zeros) is not a torn
 * segment: the open fails and the file is left whole. It used to be cut
 * to nothing and removed. */
static void a_segment_that_cannot_be_mapped_is_never_cut(void **state)
{
	struct fixture *fx = *state;
	struct spool_options o = test_options(fx->dir, FSYNC_BATCH, SEGMENT);
	struct spool_position ends[11];
	struct scan_log log = {0};
	struct rlimit saved, tight;
	char path[PATH_MAX], why[256];
	struct spool *s;

	fixture_open(fx, FSYNC_BATCH, SEGMENT, NULL);
	append_n(fx, 1, 10, ends);
	fixture_close(fx);
	segment_file(fx->dir, 1, path);
	assert_int_equal(truncate(path, (off_t)256 << 20), 0);

	assert_int_equal(getrlimit(RLIMIT_AS, &saved), 0);
	tight = saved;
	tight.rlim_cur = vm_size() + ((rlim_t)64 << 20);
	assert_int_equal(setrlimit(RLIMIT_AS, &tight), 0);
	s = spool_open(&o, NULL, NULL, why, sizeof(why));
	assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
	assert_null(s);
	assert_int_equal(file_size(path), (off_t)256 << 20);

	fixture_open(fx, FSYNC_BATCH, SEGMENT, &log);
	assert_int_equal(log.count, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		segments_start_as_zeros_and_lose_the_unused_end, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		reopening_keeps_the_zeros_and_appends_in_place, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(a_torn_record_in_the_zeros_is_cut,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		zeros_after_an_older_segment_are_cut, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_growing_segment_is_left_for_the_ready_spare, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_spare_that_cannot_be_taken_is_not_an_error, fixture_setup,
		fixture_teardown),
	    cmocka_unit_test_setup_teardown(a_leftover_spare_is_never_reused,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(no_spare_without_room_for_it,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(
		a_segment_that_cannot_be_mapped_is_never_cut, fixture_setup,
		fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
