/* jsonl when writing fails: the answer is RTW_RETRY with a reason, and the
 * output holds only whole lines, so the retry starts clean. A file size
 * limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes a write stop half-way
 * through a line on a regular file; /dev/full fails every write. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_file.h"
#include "jsonl_util.h"
#include "scratch.h"

#define FIXTURE(name) FIXTURE_EVENTS_DIR "/" name

static void write_error_answers_retry_with_the_reason(void **state)
{
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;

	jsonl_open_path(&ji, "/dev/full");
	assert_int_equal(
	    jsonl_handle_fixture(&ji, FIXTURE("join.json"), 1, &err),
	    RTW_RETRY);
	assert_contains(err.message, "/dev/full");
	assert_contains(err.message, strerror(ENOSPC));
	jsonl_close(&ji);
}

static void half_written_line_is_cut_before_answering_retry(void **state)
{
	char *dir = scratch_dir();
	char *out = scratch_path(dir, "events.jsonl");
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;
	char *before, *after;

	jsonl_open_path(&ji, out);
	assert_int_equal(
	    jsonl_handle_fixture(&ji, FIXTURE("leave.json"), 1, &err), RTW_OK);
	before = scratch_read(out, NULL);
	fsize_limit_growth(out, 40);
	assert_int_equal(
	    jsonl_handle_fixture(&ji, FIXTURE("leave.json"), 2, &err),
	    RTW_RETRY);
	fsize_unlimit();
	after = scratch_read(out, NULL);
	assert_string_equal(after, before);
	jsonl_close(&ji);
	free(after);
	free(before);
	free(out);
	scratch_remove(dir);
}

static void retry_after_a_failed_write_adds_one_whole_line(void **state)
{
	char *dir = scratch_dir();
	char *out = scratch_path(dir, "events.jsonl");
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;
	struct lines l;

	jsonl_open_path(&ji, out);
	assert_int_equal(
	    jsonl_handle_fixture(&ji, FIXTURE("leave.json"), 1, &err), RTW_OK);
	fsize_limit_growth(out, 40);
	assert_int_equal(
	    jsonl_handle_fixture(&ji, FIXTURE("leave.json"), 2, &err),
	    RTW_RETRY);
	fsize_unlimit();
	assert_int_equal(
	    jsonl_handle_fixture(&ji, FIXTURE("leave.json"), 2, &err), RTW_OK);
	jsonl_close(&ji);
	lines_read(&l, out);
	assert_int_equal(l.count, 2);
	assert_int_equal(line_seq(l.line[0]), 1);
	assert_int_equal(line_seq(l.line[1]), 2);
	lines_free(&l);
	free(out);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(write_error_answers_retry_with_the_reason),
	    cmocka_unit_test_teardown(
		half_written_line_is_cut_before_answering_retry,
		fsize_teardown),
	    cmocka_unit_test_teardown(
		retry_after_a_failed_write_adds_one_whole_line, fsize_teardown),
	};

	fsize_save();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
