/* Segments: past segment_bytes the spool rolls over into a new file named
 * by its first seq; reads cross segment boundaries; reopening recovers
 * every segment; finished segments are removed (never one holding a seq
 * that is not done, never the one being written); one process per spool. */
#include <errno.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_util.h"

#define RECORDS	 24
#define BODY	 1000 /* records of about 1 KB: 3 per 4096-byte segment */
#define MAX_SEGS 64

struct written {
	struct spool_position ends[RECORDS + 1];
};

static void write_records(struct fixture *fx, struct written *w,
			  int64_t retain_ms)
{
	struct spool_options o = test_options(fx->dir, FSYNC_BATCH, 4096);

	o.retain_ms = retain_ms;
	fx->s = open_ok(&o, NULL);
	fx->rd = spool_reader_new(fx->s);
	for (uint64_t n = 1; n <= RECORDS; n++)
		append_pattern(fx->s, n, BODY, &w->ends[n]);
	wait_committed(fx->s, RECORDS);
}

/* The last seq of the segment that starts at first. */
static uint64_t last_of(const struct written *w, uint64_t first)
{
	uint64_t last = 0;

	for (uint64_t seq = 1; seq <= RECORDS; seq++)
		if (w->ends[seq].segment == first)
			last = seq;
	return last;
}

static void records_roll_over_into_segments_named_by_first_seq(void **state)
{
	struct fixture *fx = *state;
	uint64_t firsts[MAX_SEGS];
	struct written w;
	size_t n;

	write_records(fx, &w, CENTURY_MS);
	n = list_segments(fx->dir, firsts, MAX_SEGS);
	assert_true(n >= RECORDS / 4);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		/* The first record of each file is the seq in its name. */
		assert_int_equal(w.ends[firsts[i]].segment, firsts[i]);
		assert_true(firsts[i] == 1 ||
			    w.ends[firsts[i] - 1].segment != firsts[i]);
		segment_file(fx->dir, firsts[i], path);
		assert_in_range(file_size(path), 1, 4096);
	}
	assert_int_equal(firsts[0], 1);
}

static void reads_cross_segment_boundaries(void **state)
{
	struct fixture *fx = *state;
	struct written w;

	write_records(fx, &w, CENTURY_MS);
	for (uint64_t seq = 1; seq <= RECORDS; seq++)
		expect_pattern(fx->rd, seq, seq, BODY);
	/* Seeking to an end that closes a segment leads into the next. */
	for (uint64_t seq = 1; seq < RECORDS; seq++) {
		spool_reader_seek(fx->rd, &w.ends[seq]);
		expect_pattern(fx->rd, seq + 1, seq + 1, BODY);
	}
}

static void reopen_recovers_every_segment(void **state)
{
	struct fixture *fx = *state;
	struct scan_log log;
	struct written w;

	write_records(fx, &w, CENTURY_MS);
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, 4096, &log);
	assert_int_equal(log.count, RECORDS);
	assert_int_equal(log.first, 1);
	assert_false(log.out_of_order);
	assert_int_equal(spool_oldest(fx->s), 1);
	for (uint64_t seq = 1; seq <= RECORDS; seq++)
		expect_pattern(fx->rd, seq, seq, BODY);
	assert_int_equal(append_pattern(fx->s, RECORDS + 1, BODY, NULL),
			 RECORDS + 1);
}

/* The segments that must remain once every seq <= done is finished. */
static size_t expected_after(const struct written *w, uint64_t done,
			     uint64_t *keep)
{
	uint64_t current = w->ends[RECORDS].segment;
	size_t n = 0;

	for (uint64_t seq = 1; seq <= RECORDS; seq++) {
		uint64_t seg = w->ends[seq].segment;

		if (seg == seq && (last_of(w, seg) > done || seg == current))
			keep[n++] = seg;
	}
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Polls the directory (bounded: 3 s) until it holds exactly the expected
 * segments; a kept segment must never be missing meanwhile. */
static void expect_segments_become(struct fixture *fx, const uint64_t *keep,
				   size_t nkeep)
{
	uint64_t firsts[MAX_SEGS];
	size_t n = 0;

	for (int i = 0; i < 300; i++, sleep_ms(10)) {
		size_t k = 0;

		n = list_segments(fx->dir, firsts, MAX_SEGS);
		for (size_t j = 0; j < n && k < nkeep; j++)
			if (firsts[j] == keep[k])
				k++;
		if (k != nkeep)
			fail_msg("segment %llu, which holds a seq not done, "
				 "was removed",
				 (unsigned long long)keep[k]);
		if (n == nkeep)
			break;
	}
	assert_int_equal(n, nkeep);
}

/* done values: inside the second segment, at the end of the fourth, and
 * past everything (only the segment being written stays). */
static void finished_segments_are_removed(void **state)
{
	static const uint64_t dones[] = {5, 12, RECORDS};
	struct fixture *fx = *state;
	uint64_t keep[MAX_SEGS];
	struct written w;

	write_records(fx, &w, 0);
	assert_int_equal(w.ends[12].segment, 10); /* 1-3, 4-6, 7-9, 10-12 */
	assert_int_equal(last_of(&w, 10), 12);
	for (size_t i = 0; i < sizeof(dones) / sizeof(dones[0]); i++) {
		size_t nkeep = expected_after(&w, dones[i], keep);

		spool_set_done(fx->s, dones[i]);
		expect_segments_become(fx, keep, nkeep);
		assert_int_equal(spool_oldest(fx->s), keep[0]);
	}
	assert_int_equal(spool_oldest(fx->s), w.ends[RECORDS].segment);
}

static void removed_seqs_are_no_longer_readable(void **state)
{
	struct fixture *fx = *state;
	uint64_t keep[MAX_SEGS];
	struct spool_record r;
	struct written w;
	size_t nkeep;

	write_records(fx, &w, 0);
	nkeep = expected_after(&w, 6, keep);
	spool_set_done(fx->s, 6);
	expect_segments_become(fx, keep, nkeep);
	for (uint64_t seq = 1; seq <= 6; seq++)
		assert_int_equal(spool_reader_read(fx->rd, seq, &r), 1);
	for (uint64_t seq = 7; seq <= RECORDS; seq++)
		expect_pattern(fx->rd, seq, seq, BODY);
}

/* After removal and a restart, the spool starts at the oldest remaining
 * segment and numbering goes on. */
static void reopen_after_removal_goes_on_from_the_remaining(void **state)
{
	struct fixture *fx = *state;
	uint64_t keep[MAX_SEGS];
	struct scan_log log;
	struct written w;
	size_t nkeep;

	write_records(fx, &w, 0);
	nkeep = expected_after(&w, 9, keep);
	spool_set_done(fx->s, 9);
	expect_segments_become(fx, keep, nkeep);
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, 4096, &log);
	assert_int_equal(log.first, 10);
	assert_int_equal(log.count, RECORDS - 9);
	assert_int_equal(spool_oldest(fx->s), 10);
	assert_int_equal(append_pattern(fx->s, RECORDS + 1, BODY, NULL),
			 RECORDS + 1);
}

/* Everything is done but the records (received in 2023) are well within
 * a century's retention. The committer looks at least once a second:
 * 2.5 s covers two looks. */
static void segments_within_retention_are_kept(void **state)
{
	struct fixture *fx = *state;
	uint64_t firsts[MAX_SEGS];
	struct written w;
	size_t before;

	write_records(fx, &w, CENTURY_MS);
	before = list_segments(fx->dir, firsts, MAX_SEGS);
	spool_set_done(fx->s, RECORDS);
	sleep_ms(2500);
	assert_int_equal(list_segments(fx->dir, firsts, MAX_SEGS), before);
	assert_int_equal(spool_oldest(fx->s), 1);
}

static void second_open_of_the_same_spool_fails_as_in_use(void **state)
{
	struct fixture *fx = *state;
	struct spool_options o = test_options(fx->dir, FSYNC_BATCH, 4096);
	char why[512] = "";

	fixture_open(fx, FSYNC_BATCH, 4096, NULL);
	assert_null(spool_open(&o, NULL, NULL, why, sizeof(why)));
	if (strstr(why, "in use") == NULL)
		fail_msg("reason \"%s\" does not say \"in use\"", why);
	/* The first one still works. */
	assert_int_equal(append_pattern(fx->s, 1, 10, NULL), 1);
}

static void spool_opens_again_once_the_first_is_closed(void **state)
{
	struct fixture *fx = *state;

	fixture_open(fx, FSYNC_BATCH, 4096, NULL);
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, 4096, NULL);
}

/* The descriptors this process has open. */
static int open_descriptors(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* With fsync "off" no commit round runs, yet segments left behind are
 * closed (before: one descriptor kept per segment until the stop, and the
 * disk space of removed segments with it). */
static void segments_left_behind_are_closed_without_fsync(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	int before, after = 0;

	fixture_open(fx, FSYNC_OFF, 4096, NULL);
	before = open_descriptors();
	for (uint64_t n = 1; n <= 3 * 40; n++) /* 40 segments */
		append_pattern(fx->s, n, BODY, &end);
	for (int i = 0; i < 300; i++, sleep_ms(10))
		if ((after = open_descriptors()) <= before + 2)
			break;
	assert_true(after <= before + 2);
}

#define FIXTURE_TEST(f)                                                        \
	cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FIXTURE_TEST(records_roll_over_into_segments_named_by_first_seq),
	    FIXTURE_TEST(reads_cross_segment_boundaries),
	    FIXTURE_TEST(reopen_recovers_every_segment),
	    FIXTURE_TEST(finished_segments_are_removed),
	    FIXTURE_TEST(removed_seqs_are_no_longer_readable),
	    FIXTURE_TEST(reopen_after_removal_goes_on_from_the_remaining),
	    FIXTURE_TEST(segments_within_retention_are_kept),
	    FIXTURE_TEST(second_open_of_the_same_spool_fails_as_in_use),
	    FIXTURE_TEST(spool_opens_again_once_the_first_is_closed),
	    FIXTURE_TEST(segments_left_behind_are_closed_without_fsync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
