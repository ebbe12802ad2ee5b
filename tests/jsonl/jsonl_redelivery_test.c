/* Exactly once across crashes (DESIGN.md, "Delivery guarantees"): after a
 * crash the host offers again events the handler may already have written.
 * On start jsonl cuts a torn last line and remembers the seqs at the end
 * of its file; an event offered again with one of them is acknowledged
 * without being written twice, and any other event is written. */
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
#define ARRAY_LEN(a)  (sizeof(a) / sizeof((a)[0]))

struct output {
	char *dir;
	char *path;
};

static int output_setup(void **state)
{
	struct output *o = calloc(1, sizeof(*o));

	o->dir = scratch_dir();
	o->path = scratch_path(o->dir, "events.jsonl");
	*state = o;
	return 0;
}

static int output_teardown(void **state)
{
	struct output *o = *state;

	free(o->path);
	scratch_remove(o->dir);
	free(o);
	return 0;
}

/* One daemon run: a fresh instance on out handed the given seqs, each
 * acknowledged RTW_OK. */
static void run_once(const char *out, const uint64_t *seqs, size_t n)
{
	struct jsonl_instance ji;

	jsonl_open_path(&ji, out);
	for (size_t i = 0; i < n; i++) {
		struct test_event te;

		test_event_from_fixture(&te, FIXTURE("speech_on.json"),
					seqs[i]);
		jsonl_handle_ok(&ji, &te);
		test_event_clear(&te);
	}
	jsonl_close(&ji);
}

/* Fails unless the file's lines carry exactly these seqs, in order. */
static void expect_seqs(const char *out, const uint64_t *seqs, size_t n)
{
	struct lines l;

	lines_read(&l, out);
	for (size_t i = 0; i < l.count && i < n; i++)
		if (line_seq(l.line[i]) != seqs[i])
			fail_msg("line %zu holds seq %llu, expected %llu",
				 i + 1, (unsigned long long)line_seq(l.line[i]),
				 (unsigned long long)seqs[i]);
	assert_int_equal(l.count, n);
	lines_free(&l);
}

static void event_redelivered_after_restart_is_written_once(void **state)
{
	struct output *o = *state;
	static const uint64_t first[] = {1, 2}, second[] = {2, 3};
	static const uint64_t want[] = {1, 2, 3};

	run_once(o->path, first, ARRAY_LEN(first));
	run_once(o->path, second, ARRAY_LEN(second));
	expect_seqs(o->path, want, ARRAY_LEN(want));
}

/* Lanes of different bots finish out of seq order, so after a crash the
 * file may hold 3 but not 2: 2 must still be written. */
static void
event_missing_from_the_file_is_written_after_a_later_one(void **state)
{
	struct output *o = *state;
	static const uint64_t first[] = {1, 3}, second[] = {2, 3, 4};
	static const uint64_t want[] = {1, 3, 2, 4};

	run_once(o->path, first, ARRAY_LEN(first));
	run_once(o->path, second, ARRAY_LEN(second));
	expect_seqs(o->path, want, ARRAY_LEN(want));
}

static void torn_last_line_is_cut_on_start_and_logged(void **state)
{
	struct output *o = *state;
	static const uint64_t first[] = {1};
	static const uint64_t want[] = {1, 2};
	struct jsonl_instance ji;
	char *whole, *torn = NULL, *after;

	run_once(o->path, first, ARRAY_LEN(first));
	whole = scratch_read(o->path, NULL);
	assert_true(
	    asprintf(&torn, "%s{\"_rtwebhookd\":{\"seq\":2,\"rec", whole) > 0);
	scratch_write(o->path, torn); /* a crash in the middle of seq 2 */
	jsonl_open_path(&ji, o->path);
	/* init leaves the file alone (on a reload, the instance it replaces
	 * may still be writing it); the first event finds the torn line. */
	assert_int_equal(ji.mock.nlogs, 0);
	after = scratch_read(o->path, NULL);
	assert_string_equal(after, torn);
	free(after);
	{
		struct test_event te;

		test_event_from_fixture(&te, FIXTURE("speech_on.json"), 2);
		jsonl_handle_ok(&ji, &te);
		test_event_clear(&te);
	}
	assert_int_equal(ji.mock.nlogs, 1);
	assert_contains(ji.mock.last_log, "torn");
	jsonl_close(&ji);
	after = scratch_read(o->path, NULL);
	assert_true(strncmp(after, whole, strlen(whole)) == 0);
	expect_seqs(o->path, want, ARRAY_LEN(want));
	free(after);
	free(torn);
	free(whole);
}

#define OUTPUT_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, output_setup, output_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    OUTPUT_TEST(event_redelivered_after_restart_is_written_once),
	    OUTPUT_TEST(
		event_missing_from_the_file_is_written_after_a_later_one),
	    OUTPUT_TEST(torn_last_line_is_cut_on_start_and_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
