/* jsonl with a host that takes RTW_PENDING (ABI 1.2): handle only queues
 * the line and answers PENDING, so nothing reaches the file before the
 * flush; flush writes every queued line, in order. A failed flush cuts
 * what it wrote and keeps the batch, so the next flush writes each line
 * exactly once. An event already in the file (offered again after a
 * crash) is still acknowledged without a second line. An instance opened
 * while another writes the same file (a reload) reads the file's end at
 * its first event, not at init. */
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

/* Hands over seqs first..last of a fixture, expecting answer to each. */
static void hand_over(struct jsonl_instance *ji, uint64_t first, uint64_t last,
		      enum rtw_result answer)
{
	for (uint64_t seq = first; seq <= last; seq++) {
		struct rtw_error err = {{0}};

		assert_int_equal(jsonl_handle_fixture(ji, FIXTURE("leave.json"),
						      seq, &err),
				 answer);
	}
}

static void expect_lines(const char *out, uint64_t first, size_t count)
{
	struct lines l;

	lines_read(&l, out);
	assert_int_equal(l.count, count);
	for (size_t i = 0; i < l.count; i++)
		assert_int_equal(line_seq(l.line[i]), first + i);
	lines_free(&l);
}

/* Each test writes events.jsonl in a scratch directory of its own. */
struct output {
	char *dir;
	char *path;
};

static int output_setup(void **state)
{
	struct output *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	o->dir = scratch_dir();
	o->path = scratch_path(o->dir, "events.jsonl");
	*state = o;
	return 0;
}

static int output_teardown(void **state)
{
	struct output *o = *state;

	fsize_unlimit();
	free(o->path);
	scratch_remove(o->dir);
	free(o);
	return 0;
}

static void lines_reach_the_file_only_at_the_flush(void **state)
{
	const char *out = ((struct output *)*state)->path;
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;
	char *text;

	jsonl_open_batching(&ji, out);
	hand_over(&ji, 1, 3, RTW_PENDING);
	text = scratch_read(out, NULL);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	expect_lines(out, 1, 3);
	/* An empty batch is a no-op. */
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	hand_over(&ji, 4, 5, RTW_PENDING);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	expect_lines(out, 1, 5);
	jsonl_close(&ji);
}

static void a_failed_flush_keeps_the_batch_and_leaves_whole_lines(
	void **state)
{
	const char *out = ((struct output *)*state)->path;
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;

	jsonl_open_batching(&ji, out);
	hand_over(&ji, 1, 1, RTW_PENDING);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	hand_over(&ji, 2, 4, RTW_PENDING);
	/* Room for part of the batch only: the flush fails part-way. */
	fsize_limit_growth(out, 300);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_RETRY);
	assert_non_null(strstr(err.message, out));
	fsize_unlimit();
	expect_lines(out, 1, 1);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	expect_lines(out, 1, 4);
	jsonl_close(&ji);
}

static void an_event_already_written_is_not_queued_again(void **state)
{
	const char *out = ((struct output *)*state)->path;
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;

	jsonl_open_batching(&ji, out);
	hand_over(&ji, 1, 2, RTW_PENDING);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	jsonl_close(&ji);
	/* After a crash before the host saved its progress. */
	jsonl_open_batching(&ji, out);
	hand_over(&ji, 2, 2, RTW_OK);
	hand_over(&ji, 3, 3, RTW_PENDING);
	assert_int_equal(jsonl_flush(&ji, &err), RTW_OK);
	expect_lines(out, 1, 3);
	jsonl_close(&ji);
}

/* A reload: the new instance is opened while the old one still writes
 * the same file, and gets its first event once the old one has closed.
 * Nothing the old one wrote is cut or repeated, also when a later flush
 * of the new one fails part-way. */
static void an_instance_opened_while_another_writes_keeps_its_lines(
	void **state)
{
	const char *out = ((struct output *)*state)->path;
	struct rtw_error err = {{0}};
	struct jsonl_instance old, new;

	jsonl_open_batching(&old, out);
	hand_over(&old, 1, 2, RTW_PENDING);
	assert_int_equal(jsonl_flush(&old, &err), RTW_OK);
	jsonl_open_batching(&new, out);
	hand_over(&old, 3, 4, RTW_PENDING);
	assert_int_equal(jsonl_flush(&old, &err), RTW_OK);
	jsonl_close(&old);
	hand_over(&new, 4, 4, RTW_OK); /* offered again: already there */
	hand_over(&new, 5, 5, RTW_PENDING);
	assert_int_equal(jsonl_flush(&new, &err), RTW_OK);
	hand_over(&new, 6, 6, RTW_PENDING);
	fsize_limit_growth(out, 40);
	assert_int_equal(jsonl_flush(&new, &err), RTW_RETRY);
	fsize_unlimit();
	expect_lines(out, 1, 5);
	assert_int_equal(jsonl_flush(&new, &err), RTW_OK);
	expect_lines(out, 1, 6);
	jsonl_close(&new);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, output_setup, output_teardown)
	const struct CMUnitTest tests[] = {
	    T(lines_reach_the_file_only_at_the_flush),
	    T(a_failed_flush_keeps_the_batch_and_leaves_whole_lines),
	    T(an_event_already_written_is_not_queued_again),
	    T(an_instance_opened_while_another_writes_keeps_its_lines),
	};
#undef T

	fsize_save();
	return cmocka_run_group_tests_name("jsonl_batch", tests, NULL, NULL);
}
