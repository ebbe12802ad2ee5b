/* With path "-" the module shares standard output with whatever wrote to
 * it before. When stdout is a regular file (StandardOutput=append:FILE
 * under systemd, or `rtwebhookd -c F >> events.jsonl`), a failed write
 * must not "cut the partial line" back to a size the module never knew:
 * what stdout held before stays. Standard output redirected without
 * O_APPEND (`> FILE`, StandardOutput=file:) is never cut at all: the
 * shared offset would stay past the cut and the next write leave a hole
 * of NUL bytes; a batch that got out part-way is completed instead. */
#include <fcntl.h>
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

#define EARLIER_OUTPUT "earlier output, not written by jsonl\n"

static void stdout_write_failure_keeps_what_stdout_held_before(void **state)
{
	char *dir = scratch_dir();
	char *out = scratch_path(dir, "stdout.txt");
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;
	enum rtw_result r;
	int saved;
	char *text;

	scratch_write(out, EARLIER_OUTPUT);
	/* No assertion while stdout is redirected: cmocka reports there. */
	saved = scratch_redirect(1, out, O_WRONLY | O_APPEND);
	jsonl_open(&ji, "{\"path\": \"-\"}", &err);
	fsize_limit_growth(out, 40);
	r = jsonl_handle_fixture(&ji, FIXTURE_EVENTS_DIR "/leave.json", 1,
				 &err);
	fsize_unlimit();
	jsonl_close(&ji);
	scratch_restore(1, saved);
	assert_int_equal(r, RTW_RETRY);
	text = scratch_read(out, NULL);
	assert_string_equal(text, EARLIER_OUTPUT);
	free(text);
	free(out);
	scratch_remove(dir);
}

static void stdout_without_append_is_completed_not_cut(void **state)
{
	char *dir = scratch_dir();
	char *out = scratch_path(dir, "stdout.txt");
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;
	enum rtw_result first, second;
	struct lines l;
	size_t len;
	int saved;
	char *text;

	(void)state;
	scratch_write(out, "");
	saved = scratch_redirect(1, out, O_WRONLY);
	jsonl_open_minor(&ji, "{\"path\": \"-\"}", RTW_HANDLER_ABI_MINOR,
			 &err);
	for (uint64_t seq = 1; seq <= 3; seq++)
		jsonl_handle_fixture(&ji, FIXTURE_EVENTS_DIR "/leave.json", seq,
				     &err);
	fsize_limit_growth(out, 300);
	first = jsonl_flush(&ji, &err);
	fsize_unlimit();
	second = jsonl_flush(&ji, &err);
	jsonl_close(&ji);
	scratch_restore(1, saved);
	assert_int_equal(first, RTW_RETRY);
	assert_int_equal(second, RTW_OK);
	text = scratch_read(out, &len);
	assert_int_equal(strlen(text), len); /* no NUL byte */
	free(text);
	lines_read(&l, out);
	assert_int_equal(l.count, 3);
	for (size_t i = 0; i < l.count; i++)
		assert_int_equal(line_seq(l.line[i]), i + 1);
	lines_free(&l);
	free(out);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
		stdout_write_failure_keeps_what_stdout_held_before,
		fsize_teardown),
	    cmocka_unit_test_teardown(
		stdout_without_append_is_completed_not_cut, fsize_teardown),
	};

	fsize_save();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
