/* Handler progress (progress.h): the low watermark follows consecutive
 * done seqs, waits at a gap and jumps once it closes; save and load give
 * back exactly the same answers; a file that is not a progress file is
 * refused; skip_to counts everything up to a seq as done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "delivery_util.h"
#include "progress.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SPAN	     ((uint64_t)PROGRESS_SPAN)

static int setup(void **state)
{
	char *dir = malloc(PATH_MAX / 2);

	if (dir == NULL)
		return -1;
	make_scratch(dir);
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	remove_scratch(*state);
	free(*state);
	return 0;
}

static struct progress *load_ok(const char *dir, uint64_t start_after)
{
	char why[512] = "";
	struct progress *p = progress_load(dir, start_after, why, sizeof(why));

	if (p == NULL)
		fail_msg("progress_load %s: %s", dir, why);
	return p;
}

static void write_file(const char *dir, const char *text, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/progress", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void load_without_a_file_starts_after_start_after(void **state)
{
	struct progress *p = load_ok(*state, 41);

	assert_int_equal(progress_low(p), 41);
	assert_true(progress_is_done(p, 1));
	assert_true(progress_is_done(p, 41));
	assert_false(progress_is_done(p, 42));
	assert_false(progress_is_done(p, 43));
	progress_free(p);
}

static void marking_in_order_advances_low(void **state)
{
	struct progress *p = load_ok(*state, 10);

	for (uint64_t seq = 11; seq <= 30; seq++) {
		progress_mark_done(p, seq);
		assert_int_equal(progress_low(p), seq);
		assert_true(progress_is_done(p, seq));
		assert_false(progress_is_done(p, seq + 1));
	}
	progress_free(p);
}

static void low_waits_at_a_gap_then_jumps_over_what_is_done(void **state)
{
	struct progress *p = load_ok(*state, 10);

	progress_mark_done(p, 12);
	progress_mark_done(p, 13);
	progress_mark_done(p, 15);
	assert_int_equal(progress_low(p), 10);
	assert_false(progress_is_done(p, 11));
	assert_true(progress_is_done(p, 12));
	assert_false(progress_is_done(p, 14));
	progress_mark_done(p, 11);
	assert_int_equal(progress_low(p), 13);
	progress_mark_done(p, 14);
	assert_int_equal(progress_low(p), 15);
	assert_false(progress_is_done(p, 16));
	progress_free(p);
}

static void marks_at_or_below_low_or_past_the_span_are_ignored(void **state)
{
	static const uint64_t ignored[] = {0, 1, 100, 100 + SPAN + 1,
					   100 + 2 * SPAN};
	struct progress *p = load_ok(*state, 100);

	for (size_t i = 0; i < ARRAY_LEN(ignored); i++) {
		progress_mark_done(p, ignored[i]);
		assert_int_equal(progress_low(p), 100);
	}
	assert_false(progress_is_done(p, 100 + SPAN + 1));
	assert_false(progress_is_done(p, 101));
	progress_free(p);
}

/* The farthest allowed mark shares its bitmap slot with the low mark; it
 * must still count only for itself. */
static void a_mark_a_whole_span_ahead_is_kept_until_low_reaches_it(void **state)
{
	struct progress *p = load_ok(*state, 0);

	progress_mark_done(p, SPAN);
	assert_true(progress_is_done(p, SPAN));
	assert_false(progress_is_done(p, 1));
	for (uint64_t seq = 1; seq < SPAN; seq++)
		progress_mark_done(p, seq);
	assert_int_equal(progress_low(p), SPAN);
	assert_false(progress_is_done(p, SPAN + 1));
	assert_false(progress_is_done(p, 2 * SPAN));
	progress_free(p);
}

/* One saved state: the start, the runs marked done, the low they give.
 * (With nothing marked there is nothing to save: see
 * save_without_changes_writes_no_file.) */
struct pattern {
	const char *what;
	uint64_t start_after;
	uint64_t runs[6][2];
	uint64_t low;
};

static const struct pattern patterns[] = {
    {"a prefix done", 10, {{11, 20}}, 20},
    {"one seq above a gap", 10, {{12, 12}}, 10},
    {"runs and gaps", 10, {{12, 15}, {17, 17}, {20, 30}}, 10},
    {"a prefix and runs", 10, {{11, 13}, {15, 16}, {18, 18}}, 13},
    {"a mark a whole span ahead",
     100,
     {{101, 105}, {105 + SPAN, 105 + SPAN}},
     105},
    {"marked out of order", 0, {{9, 9}, {3, 4}, {1, 1}, {7, 7}}, 1},
};

/* The highest seq a pattern marks. */
static uint64_t pattern_high(const struct pattern *pt)
{
	uint64_t high = pt->start_after;

	for (size_t r = 0; r < 6 && pt->runs[r][0] != 0; r++)
		if (pt->runs[r][1] > high)
			high = pt->runs[r][1];
	return high;
}

static void save_then_load_restores_low_and_done_exactly(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(patterns); i++) {
		const struct pattern *pt = &patterns[i];
		struct progress *a = load_ok(*state, pt->start_after), *b;
		uint64_t high = pattern_high(pt);

		for (size_t r = 0; r < 6 && pt->runs[r][0] != 0; r++)
			for (uint64_t s = pt->runs[r][0]; s <= pt->runs[r][1];
			     s++)
				progress_mark_done(a, s);
		assert_int_equal(progress_low(a), pt->low);
		assert_int_equal(progress_save(a), 0);
		/* A different start: the file, not the start, decides. */
		b = load_ok(*state, 0);
		assert_int_equal(progress_low(b), pt->low);
		for (uint64_t s = 0; s <= high + 2; s++)
			if (progress_is_done(a, s) != progress_is_done(b, s))
				fail_msg("%s: seq %llu differs after load",
					 pt->what, (unsigned long long)s);
		progress_free(a);
		progress_free(b);
		remove_scratch(*state);
		make_scratch(*state);
	}
}

static void save_without_changes_writes_no_file(void **state)
{
	char path[PATH_MAX];
	struct progress *p = load_ok(*state, 5);

	progress_mark_done(p, 5); /* at low: no change */
	assert_int_equal(progress_save(p), 0);
	snprintf(path, sizeof(path), "%s/progress", (char *)*state);
	assert_int_not_equal(access(path, F_OK), 0);
	progress_free(p);
}

static void garbage_progress_file_is_refused(void **state)
{
	static const struct {
		const char *what, *text;
		size_t len;
	} cases[] = {
	    {"empty", "", 0},
	    {"binary",
	     "\x7f"
	     "ELF\0\1\2",
	     7},
	    {"another format", "{\"low\": 5}\n", 11},
	    {"another version", "rtwebhookd-progress 2\nlow 5\n", 28},
	    {"a header without its newline", "rtwebhookd-progress 1", 21},
	    {"a header with trailing text", "rtwebhookd-progress 1x\nlow 5\n",
	     29},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char why[512] = "";
		struct progress *p;

		write_file(*state, cases[i].text, cases[i].len);
		p = progress_load(*state, 3, why, sizeof(why));
		if (p != NULL)
			fail_msg("%s was accepted", cases[i].what);
		assert_non_null(strstr(why, "progress"));
	}
}

/* Regression (found by this test, fixed): only the first line is checked; a file with a valid
 * header and a garbled low line loads silently with low = start_after,
 * so the handler is offered again everything it had finished. */
static void test_progress_file_with_a_garbled_low_line_is_refused(void **state)
{
	static const char text[] = "rtwebhookd-progress 1\nlwo 5000\n";
	char why[512] = "";
	struct progress *p;

	write_file(*state, text, strlen(text));
	p = progress_load(*state, 3, why, sizeof(why));
	if (p != NULL) {
		uint64_t low = progress_low(p);

		progress_free(p);
		fail_msg("loaded with low %llu instead of being refused",
			 (unsigned long long)low);
	}
}

static void skip_to_counts_every_seq_up_to_it_keeping_later_marks(void **state)
{
	struct progress *p = load_ok(*state, 10);

	progress_mark_done(p, 15);
	progress_mark_done(p, 30);
	progress_skip_to(p, 20);
	assert_int_equal(progress_low(p), 20);
	assert_true(progress_is_done(p, 12));
	assert_false(progress_is_done(p, 25));
	assert_true(progress_is_done(p, 30));
	for (uint64_t seq = 21; seq <= 29; seq++)
		progress_mark_done(p, seq);
	assert_int_equal(progress_low(p), 30);
	progress_free(p);
}

/* Past every mark, the bitmap is cleared: a seq one span after an old
 * mark shares its slot and must not count as done. */
static void skip_to_past_every_mark_leaves_no_stale_mark(void **state)
{
	struct progress *p = load_ok(*state, 10);

	progress_mark_done(p, 12);
	progress_mark_done(p, 14);
	progress_skip_to(p, 10 + SPAN);
	assert_int_equal(progress_low(p), 10 + SPAN);
	assert_false(progress_is_done(p, 12 + SPAN));
	assert_false(progress_is_done(p, 14 + SPAN));
	progress_mark_done(p, 11 + SPAN);
	assert_int_equal(progress_low(p), 11 + SPAN);
	progress_free(p);
}

static void skip_to_below_low_changes_nothing(void **state)
{
	struct progress *p = load_ok(*state, 50);

	progress_mark_done(p, 52);
	progress_skip_to(p, 20);
	assert_int_equal(progress_low(p), 50);
	assert_false(progress_is_done(p, 51));
	assert_true(progress_is_done(p, 52));
	progress_free(p);
}

static void skip_to_is_saved(void **state)
{
	struct progress *p = load_ok(*state, 0), *q;

	progress_skip_to(p, 1000);
	assert_int_equal(progress_save(p), 0);
	q = load_ok(*state, 0);
	assert_int_equal(progress_low(q), 1000);
	progress_free(p);
	progress_free(q);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    DIR_TEST(load_without_a_file_starts_after_start_after),
	    DIR_TEST(marking_in_order_advances_low),
	    DIR_TEST(low_waits_at_a_gap_then_jumps_over_what_is_done),
	    DIR_TEST(marks_at_or_below_low_or_past_the_span_are_ignored),
	    DIR_TEST(a_mark_a_whole_span_ahead_is_kept_until_low_reaches_it),
	    DIR_TEST(save_then_load_restores_low_and_done_exactly),
	    DIR_TEST(save_without_changes_writes_no_file),
	    DIR_TEST(garbage_progress_file_is_refused),
	    DIR_TEST(test_progress_file_with_a_garbled_low_line_is_refused),
	    DIR_TEST(skip_to_counts_every_seq_up_to_it_keeping_later_marks),
	    DIR_TEST(skip_to_past_every_mark_leaves_no_stale_mark),
	    DIR_TEST(skip_to_below_low_changes_nothing),
	    DIR_TEST(skip_to_is_saved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
