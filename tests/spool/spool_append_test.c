/* Appending to the spool and reading back: records of every size come back
 * byte for byte, sequence numbers are unique and increasing from 1 and go
 * on after a restart, oversized records are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spool_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MB	     (1024 * 1024)

static const char unicode_body[] =
    "{\"event\":\"transcript.data\",\"data\":{\"words\":[{\"text\":"
    "\"Grüße, 你好, こんにちは 🎙️ \\u00e9\"}]}}";

/* Sizes around the reader's 64 KB read chunk, up to the daemon's default
 * 1 MB body limit. */
static const size_t sizes[] = {
    0,	    1,	    3,	100, 4095, 4096, 65535, 65536, 65537, 2 * 65536 + 1,
    200000, MB - 1, MB,
};

/* Record i of the varied set: a unicode body first, then the sizes. */
static void append_varied(struct spool *s)
{
	assert_int_equal(
	    append_record(s, 1, unicode_body, strlen(unicode_body), NULL), 1);
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++)
		assert_int_equal(append_pattern(s, i + 2, sizes[i], NULL),
				 i + 2);
}

static void expect_varied(struct spool_reader *rd)
{
	expect_record(rd, 1, 1, unicode_body, strlen(unicode_body));
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++)
		expect_pattern(rd, i + 2, i + 2, sizes[i]);
}

static void records_of_varied_sizes_read_back_intact(void **state)
{
	struct fixture *fx = *state;

	fixture_open(fx, FSYNC_BATCH, BIG_SEGMENT, NULL);
	append_varied(fx->s);
	wait_committed(fx->s, ARRAY_LEN(sizes) + 1);
	expect_varied(fx->rd);
}

static void records_read_back_intact_after_reopen(void **state)
{
	struct fixture *fx = *state;
	struct scan_log log;

	fixture_open(fx, FSYNC_BATCH, BIG_SEGMENT, NULL);
	append_varied(fx->s);
	fixture_close(fx);
	fixture_open(fx, FSYNC_BATCH, BIG_SEGMENT, &log);
	assert_int_equal(log.count, ARRAY_LEN(sizes) + 1);
	assert_int_equal(log.first, 1);
	assert_false(log.out_of_order);
	expect_varied(fx->rd);
}

static void records_are_found_in_any_read_order(void **state)
{
	struct fixture *fx = *state;
	static const uint64_t order[] = {7, 3, 20, 1, 19, 2, 2, 11, 20, 5};

	fixture_open(fx, FSYNC_OFF, 8192, NULL);
	for (uint64_t n = 1; n <= 20; n++)
		append_pattern(fx->s, n, 500 + n * 37, NULL);
	for (size_t i = 0; i < ARRAY_LEN(order); i++)
		expect_pattern(fx->rd, order[i], order[i], 500 + order[i] * 37);
}

static void sequence_numbers_start_at_one_and_increase_by_one(void **state)
{
	struct fixture *fx = *state;

	fixture_open(fx, FSYNC_OFF, BIG_SEGMENT, NULL);
	for (uint64_t n = 1; n <= 500; n++)
		assert_int_equal(append_pattern(fx->s, n, n % 50, NULL), n);
}

/* Three restarts, each adding records: numbering never restarts. */
static void sequence_numbers_continue_after_close_and_reopen(void **state)
{
	struct fixture *fx = *state;
	struct scan_log log;
	uint64_t next = 1;

	for (int round = 0; round < 4; round++) {
		fixture_open(fx, FSYNC_BATCH, 4096, &log);
		assert_int_equal(log.count, next - 1);
		for (int i = 0; i < 5; i++, next++)
			assert_int_equal(append_pattern(fx->s, next, 900, NULL),
					 next);
		fixture_close(fx);
	}
	fixture_open(fx, FSYNC_BATCH, 4096, &log);
	for (uint64_t n = 1; n < next; n++)
		expect_pattern(fx->rd, n, n, 900);
}

static void reading_a_seq_that_was_never_appended_returns_1(void **state)
{
	struct fixture *fx = *state;
	static const uint64_t absent[] = {0, 4, 5, 1000, UINT64_MAX};
	struct spool_record r;

	fixture_open(fx, FSYNC_OFF, BIG_SEGMENT, NULL);
	for (uint64_t n = 1; n <= 3; n++)
		append_pattern(fx->s, n, 10, NULL);
	for (size_t i = 0; i < ARRAY_LEN(absent); i++)
		assert_int_equal(spool_reader_read(fx->rd, absent[i], &r), 1);
}

/* A record part one byte over its limit. */
struct oversized {
	const char *what;
	size_t path_len, key_len, body_len;
};

static void oversized_records_are_refused_without_using_a_seq(void **state)
{
	static const struct oversized cases[] = {
	    {"path", SPOOL_MAX_PATH + 1, 4, 2},
	    {"key", 2, SPOOL_MAX_KEY + 1, 2},
	    {"body", 2, 4, SPOOL_MAX_BODY + 1},
	};
	struct fixture *fx = *state;
	char *big = calloc(1, SPOOL_MAX_BODY + 1);

	assert_non_null(big);
	fixture_open(fx, FSYNC_OFF, BIG_SEGMENT, NULL);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct spool_record r = {.path = big,
					 .path_len = cases[i].path_len,
					 .key = big,
					 .key_len = cases[i].key_len,
					 .body = big,
					 .body_len = cases[i].body_len};
		struct spool_position end;

		errno = 0;
		if (append_raw(fx->s, &r, &end) != -1)
			fail_msg("an oversized %s was stored", cases[i].what);
		assert_int_equal(errno, EMSGSIZE);
	}
	free(big);
	assert_int_equal(append_pattern(fx->s, 1, 10, NULL), 1);
	expect_pattern(fx->rd, 1, 1, 10);
}

/* The end position names the record's segment, where it ends, and the
 * seq that follows. */
static void append_reports_where_the_record_ends(void **state)
{
	struct fixture *fx = *state;
	struct spool_position end;
	char path[PATH_MAX];

	fixture_open(fx, FSYNC_OFF, BIG_SEGMENT, NULL);
	append_pattern(fx->s, 1, 100, &end);
	append_pattern(fx->s, 2, 300, &end);
	assert_int_equal(end.segment, 1);
	assert_int_equal(end.next_seq, 3);
	segment_file(fx->dir, 1, path);
	assert_int_equal(end.offset, file_size(path));
}

#define FIXTURE_TEST(f)                                                        \
	cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FIXTURE_TEST(records_of_varied_sizes_read_back_intact),
	    FIXTURE_TEST(records_read_back_intact_after_reopen),
	    FIXTURE_TEST(records_are_found_in_any_read_order),
	    FIXTURE_TEST(sequence_numbers_start_at_one_and_increase_by_one),
	    FIXTURE_TEST(sequence_numbers_continue_after_close_and_reopen),
	    FIXTURE_TEST(reading_a_seq_that_was_never_appended_returns_1),
	    FIXTURE_TEST(oversized_records_are_refused_without_using_a_seq),
	    FIXTURE_TEST(append_reports_where_the_record_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
