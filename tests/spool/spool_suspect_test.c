/* The ranges of unsure records (spool_suspect.h): a full ring merges its
 * oldest range instead of forgetting it, the newest episode extends, and
 * the ranges survive a save and load, less those whose records are gone
 * (the file is removed once none is left). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_suspect.h"

static void a_full_ring_merges_its_oldest_range(void **state)
{
	struct spool_suspect ss = {0};

	(void)state;
	for (uint64_t i = 0; i < SUSPECT_RANGES + 3; i++)
		suspect_add(&ss, 100 * i + 1, 100 * i + 5);
	assert_true(suspect_has(&ss, 1));  /* the first episode */
	assert_true(suspect_has(&ss, 50)); /* merged: a superset */
	assert_true(suspect_has(&ss, 100 * (SUSPECT_RANGES + 2) + 5));
	assert_false(suspect_has(&ss, 100 * (SUSPECT_RANGES + 2) + 6));
	assert_false(suspect_has(&ss, 0));
}

static void the_newest_episode_extends(void **state)
{
	struct spool_suspect ss = {0};

	(void)state;
	suspect_extend(&ss, 3, 4); /* none yet: added */
	suspect_extend(&ss, 3, 9);
	assert_true(suspect_has(&ss, 3));
	assert_true(suspect_has(&ss, 9));
	assert_false(suspect_has(&ss, 2));
	assert_false(suspect_has(&ss, 10));
}

static void ranges_survive_a_save_and_load_while_their_records_do(
    void **state)
{
	char dir[] = "/tmp/rtw-suspect-XXXXXX", path[64];
	struct spool_suspect ss = {0}, back;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/suspect", dir);
	suspect_add(&ss, 10, 12);
	suspect_add(&ss, 30, 31);
	assert_int_equal(suspect_save(&ss, dir), 0);

	/* records from 11 on stored */
	assert_int_equal(suspect_load(&back, dir, 11, 40), 0);
	assert_true(suspect_has(&back, 11));
	assert_true(suspect_has(&back, 31));
	assert_false(suspect_has(&back, 20));
	assert_int_equal(access(path, F_OK), 0);

	/* both ranges' records gone (pruned, not damage) */
	assert_int_equal(suspect_load(&back, dir, 32, 40), 0);
	assert_false(suspect_has(&back, 31));
	assert_int_not_equal(access(path, F_OK), 0); /* file removed */

	/* no file: nothing suspect */
	assert_int_equal(suspect_load(&back, dir, 1, 40), 0);
	assert_false(suspect_has(&back, 10));
	assert_int_equal(rmdir(dir), 0);
}

static void pruning_drops_ranges_whose_records_are_gone(void **state)
{
	struct spool_suspect ss = {0};

	(void)state;
	suspect_add(&ss, 3, 5);
	suspect_add(&ss, 8, 9);
	assert_int_equal(suspect_max(&ss), 9);
	assert_false(suspect_prune(&ss, 5)); /* 5 is still stored */
	assert_true(suspect_prune(&ss, 6));
	assert_false(suspect_has(&ss, 4));
	assert_true(suspect_has(&ss, 8));
	assert_true(suspect_prune(&ss, 10));
	assert_int_equal(suspect_max(&ss), 0);
}

/* A damaged file: lines that cannot be ranges of this spool are ignored,
 * a save of no range removes the file, and a suspect.tmp is cleared. */
static void a_damaged_file_is_not_believed(void **state)
{
	char dir[] = "/tmp/rtw-suspect-XXXXXX", path[64], tmp[64];
	struct spool_suspect ss;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/suspect", dir);
	snprintf(tmp, sizeof(tmp), "%s/suspect.tmp", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "5 3\n0 4\n-1 7\n99999999999 99999999999\n20 21\n"
		   "garbage\n30 31\n");
	fclose(f);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fclose(f);
	/* 4 bad ranges and a line that ends the parse: to be rewritten */
	assert_int_equal(suspect_load(&ss, dir, 1, 30), 5);
	assert_int_equal(suspect_max(&ss), 21); /* only "20 21" */
	assert_false(suspect_has(&ss, 4));
	assert_int_not_equal(access(tmp, F_OK), 0);
	assert_int_equal(suspect_prune(&ss, 22), 1);
	assert_int_equal(suspect_save(&ss, dir), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A range merged over many episodes is wide, and still believed. */
static void a_wide_merged_range_is_believed(void **state)
{
	char dir[] = "/tmp/rtw-suspect-XXXXXX";
	struct spool_suspect ss = {0}, back;

	(void)state;
	assert_non_null(mkdtemp(dir));
	suspect_add(&ss, 1, 40000000);
	assert_int_equal(suspect_save(&ss, dir), 0);
	assert_int_equal(suspect_load(&back, dir, 1, 40000001), 0);
	assert_true(suspect_has(&back, 2));
	suspect_prune(&back, UINT64_MAX);
	assert_int_equal(suspect_save(&back, dir), 0); /* removes it */
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_full_ring_merges_its_oldest_range),
	    cmocka_unit_test(the_newest_episode_extends),
	    cmocka_unit_test(
		ranges_survive_a_save_and_load_while_their_records_do),
	    cmocka_unit_test(pruning_drops_ranges_whose_records_are_gone),
	    cmocka_unit_test(a_damaged_file_is_not_believed),
	    cmocka_unit_test(a_wide_merged_range_is_believed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
