/* Recovery at spool_open: a torn or corrupt record is cut off with
 * everything after it in its segment; every record before it survives
 * intact, and numbering goes on from the last surviving record.
 *
 * The torn-tail and byte-flip cases are exhaustive: the last record is
 * damaged at every byte offset in turn, each time in a fresh copy of the
 * spool. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RECORDS  16

/* A spool written by the test: body sizes of records 1..n, where each
 * record ends (ends[seq]) and the segment size used. */
struct layout {
	const size_t *sizes;
	size_t n;
	uint64_t segment_bytes;
	struct spool_position ends[MAX_RECORDS + 1];
};

#define LAYOUT(sizes_, segment_bytes_)                                         \
	{                                                                      \
		.sizes = (sizes_), .n = ARRAY_LEN(sizes_),                     \
		.segment_bytes = (segment_bytes_)                              \
	}

static void write_layout(struct fixture *fx, struct layout *l)
{
	fixture_open(fx, FSYNC_BATCH, l->segment_bytes, NULL);
	for (uint64_t n = 1; n <= l->n; n++)
		append_pattern(fx->s, n, l->sizes[n - 1], &l->ends[n]);
	fixture_close(fx);
}

/* Where record seq starts in its segment. */
static off_t start_of(const struct layout *l, uint64_t seq)
{
	if (seq == 1 || l->ends[seq - 1].segment != l->ends[seq].segment)
		return 0;
	return l->ends[seq - 1].offset;
}

enum damage { TRUNCATE_AT, FLIP_AT };

static void damage(const char *path, enum damage how, off_t at)
{
	if (how == TRUNCATE_AT)
		assert_int_equal(truncate(path, at), 0);
	else
		flip_byte(path, at);
}

/* Opens fx->s on dir with the recovery's notice (one per damaged copy,
 * hundreds in the loops below) kept out of the test's output. */
static void open_quietly(struct fixture *fx, const char *dir,
			 uint64_t segment_bytes, struct scan_log *log)
{
	struct spool_options o = test_options(dir, FSYNC_OFF, segment_bytes);
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
	char why[512] = "";

	assert_true(saved >= 0 && null >= 0);
	*log = (struct scan_log){0};
	fflush(stderr);
	dup2(null, STDERR_FILENO);
	fx->s = spool_open(&o, scan_log_record, log, why, sizeof(why));
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	if (fx->s == NULL)
		fail_msg("spool_open %s: %s", dir, why);
	fx->rd = spool_reader_new(fx->s);
	assert_non_null(fx->rd);
}

/* After recovery of a copy whose record `bad` was damaged: records before
 * it read back, the file ends where record bad - 1 ended, and the next
 * append gets seq `bad`. */
static void expect_cut_before(struct fixture *fx, const char *copy,
			      const struct layout *l, uint64_t bad)
{
	uint64_t segment = l->ends[bad].segment;
	struct scan_log log;
	char path[PATH_MAX];

	open_quietly(fx, copy, l->segment_bytes, &log);
	assert_int_equal(log.count, bad - 1);
	assert_int_equal(log.last, bad - 1);
	assert_false(log.out_of_order);
	segment_file(copy, segment, path);
	if (start_of(l, bad) > 0)
		assert_int_equal(file_size(path), start_of(l, bad));
	else /* the damaged record began its segment: nothing of it is left */
		assert_true(access(path, F_OK) != 0 || file_size(path) == 0);
	for (uint64_t seq = 1; seq < bad; seq++)
		expect_pattern(fx->rd, seq, seq, l->sizes[seq - 1]);
	assert_int_equal(append_pattern(fx->s, bad, 77, NULL), bad);
	expect_pattern(fx->rd, bad, bad, 77);
	fixture_close(fx);
}

/* Damages the last record at every offset in turn, each in a new copy. */
static void damage_last_record_everywhere(struct fixture *fx, struct layout *l,
					  enum damage how)
{
	uint64_t last = l->n;
	char copy[PATH_MAX], path[PATH_MAX];
	off_t from, to;

	write_layout(fx, l);
	from = start_of(l, last);
	to = l->ends[last].offset;
	assert_true(to - from > SPOOL_FRAME_LEN + SPOOL_FIXED_LEN);
	snprintf(copy, sizeof(copy), "%s/copy", fx->root);
	for (off_t at = from; at < to; at++) {
		copy_segments(fx->dir, copy);
		segment_file(copy, l->ends[last].segment, path);
		damage(path, how, at);
		expect_cut_before(fx, copy, l, last);
		remove_tree(copy);
	}
}

/* Six records in one segment; the last one is 36 + 14 + 9 + 140 bytes. */
static const size_t one_segment[] = {0, 1, 500, 3, 1000, 140};
/* Three segments; the last record starts the third one. */
static const size_t last_alone[] = {4000, 4000, 100};

static void torn_last_record_is_cut_at_every_offset(void **state)
{
	struct layout l = LAYOUT(one_segment, BIG_SEGMENT);

	damage_last_record_everywhere(*state, &l, TRUNCATE_AT);
}

static void
torn_record_that_began_a_segment_is_cut_at_every_offset(void **state)
{
	struct layout l = LAYOUT(last_alone, 4096);

	damage_last_record_everywhere(*state, &l, TRUNCATE_AT);
}

/* The CRC (or a length check) catches any single changed byte. */
static void flipped_byte_in_last_record_is_cut_at_every_offset(void **state)
{
	struct layout l = LAYOUT(one_segment, BIG_SEGMENT);

	damage_last_record_everywhere(*state, &l, FLIP_AT);
}

static void flipped_byte_in_a_record_that_began_a_segment_is_cut(void **state)
{
	struct layout l = LAYOUT(last_alone, 4096);

	damage_last_record_everywhere(*state, &l, FLIP_AT);
}

/* Documented behaviour: recovery cannot tell where a record after a
 * corrupt one starts, so a corrupt record in the middle of the last
 * segment is cut together with every record after it, and numbering goes
 * on from the last good record (the seqs of the cut records are used
 * again). */
static void
corrupt_middle_record_of_last_segment_cuts_it_and_the_rest(void **state)
{
	struct fixture *fx = *state;
	struct layout l = LAYOUT(one_segment, BIG_SEGMENT);
	char path[PATH_MAX];

	write_layout(fx, &l);
	segment_file(fx->dir, 1, path);
	flip_byte(path, l.ends[3].offset - 2); /* the body of record 3 */
	expect_cut_before(fx, fx->dir, &l, 3);
}

/* Documented behaviour: a corrupt record in an earlier segment cuts that
 * segment there; later segments are kept whole, leaving a gap in the
 * seqs, and reading a seq of the gap answers "not in the spool". */
static void
corrupt_record_of_an_earlier_segment_cuts_only_that_segment(void **state)
{
	static const size_t sizes[] = {1000, 1000, 1000, 1000, 1000,
				       1000, 1000, 1000, 1000};
	struct layout l = LAYOUT(sizes, 4096);
	struct fixture *fx = *state;
	struct spool_record r;
	struct scan_log log;
	char path[PATH_MAX];

	write_layout(fx, &l);
	assert_int_equal(l.ends[3].segment, 1); /* 1..3, 4..6, 7..9 */
	assert_int_equal(l.ends[4].segment, 4);
	segment_file(fx->dir, 1, path);
	flip_byte(path, l.ends[2].offset - 1);
	fixture_open(fx, FSYNC_OFF, 4096, &log);
	assert_int_equal(log.count, 7);
	assert_true(log.out_of_order);
	assert_int_equal(file_size(path), l.ends[1].offset);
	assert_int_equal(spool_reader_read(fx->rd, 2, &r), 1);
	assert_int_equal(spool_reader_read(fx->rd, 3, &r), 1);
	expect_pattern(fx->rd, 1, 1, 1000);
	for (uint64_t seq = 4; seq <= 9; seq++)
		expect_pattern(fx->rd, seq, seq, 1000);
	assert_int_equal(append_pattern(fx->s, 10, 5, NULL), 10);
}

/* A clean spool: recovery leaves every byte where it was. */
static void clean_spool_is_recovered_unchanged(void **state)
{
	struct fixture *fx = *state;
	struct layout l = LAYOUT(one_segment, BIG_SEGMENT);
	struct scan_log log;
	char path[PATH_MAX];

	write_layout(fx, &l);
	fixture_open(fx, FSYNC_OFF, BIG_SEGMENT, &log);
	assert_int_equal(log.count, l.n);
	segment_file(fx->dir, 1, path);
	assert_int_equal(file_size(path), l.ends[l.n].offset);
	assert_int_equal(append_pattern(fx->s, l.n + 1, 9, NULL), l.n + 1);
}

#define FIXTURE_TEST(f)                                                        \
	cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FIXTURE_TEST(torn_last_record_is_cut_at_every_offset),
	    FIXTURE_TEST(
		torn_record_that_began_a_segment_is_cut_at_every_offset),
	    FIXTURE_TEST(flipped_byte_in_last_record_is_cut_at_every_offset),
	    FIXTURE_TEST(flipped_byte_in_a_record_that_began_a_segment_is_cut),
	    FIXTURE_TEST(
		corrupt_middle_record_of_last_segment_cuts_it_and_the_rest),
	    FIXTURE_TEST(
		corrupt_record_of_an_earlier_segment_cuts_only_that_segment),
	    FIXTURE_TEST(clean_spool_is_recovered_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
