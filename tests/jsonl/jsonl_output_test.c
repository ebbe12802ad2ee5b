/* jsonl output: one line per event, each the received body with a first
 * member "_rtwebhookd" carrying seq and received_at_ms, raw newlines turned
 * into spaces and nothing else changed. */
#include <fcntl.h>
#include <glob.h>
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

/* Each test gets a scratch directory and an output path inside it. */
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

/* Writes the fixture at path as event seq into out, in a fresh instance. */
static void write_fixture(const char *out, const char *path, uint64_t seq)
{
	struct jsonl_instance ji;
	struct test_event te;

	jsonl_open_path(&ji, out);
	test_event_from_fixture(&te, path, seq);
	jsonl_handle_ok(&ji, &te);
	test_event_clear(&te);
	jsonl_close(&ji);
}

static void fixture_becomes_one_line_with_its_seq_and_content(void **state)
{
	const char *fixture = *state;
	char *dir = scratch_dir();
	char *out = scratch_path(dir, "events.jsonl");
	size_t len;
	char *body = fixture_read(fixture, &len);
	struct lines l;

	write_fixture(out, fixture, 41);
	lines_read(&l, out);
	assert_int_equal(l.count, 1);
	check_line(l.line[0], 41, body, len);
	lines_free(&l);
	free(body);
	free(out);
	scratch_remove(dir);
}

static void events_in_one_file_are_one_line_each_in_order(void **state)
{
	struct output *o = *state;
	struct jsonl_instance ji;
	struct lines l;
	glob_t g;

	assert_int_equal(glob(FIXTURE_EVENTS_DIR "/*.json", 0, NULL, &g), 0);
	jsonl_open_path(&ji, o->path);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct test_event te;

		test_event_from_fixture(&te, g.gl_pathv[i], i + 1);
		jsonl_handle_ok(&ji, &te);
		test_event_clear(&te);
	}
	jsonl_close(&ji);
	lines_read(&l, o->path);
	assert_int_equal(l.count, g.gl_pathc);
	for (size_t i = 0; i < l.count; i++) {
		size_t len;
		char *body = fixture_read(g.gl_pathv[i], &len);

		check_line(l.line[i], i + 1, body, len);
		free(body);
	}
	lines_free(&l);
	globfree(&g);
}

static void pretty_printed_body_becomes_exactly_one_line(void **state)
{
	struct output *o = *state;
	size_t len;
	char *body = fixture_read(FIXTURE("join.json"), &len);
	char *text;

	assert_true(strchr(body, '\n') != strrchr(body, '\n')); /* multi-line */
	write_fixture(o->path, FIXTURE("join.json"), 1);
	text = scratch_read(o->path, &len);
	assert_non_null(strchr(text, '\n'));
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);
	free(text);
	free(body);
}

static void
compact_body_is_written_byte_for_byte_after_the_metadata(void **state)
{
	struct output *o = *state;
	size_t len;
	char *body = fixture_read(FIXTURE("chat_message.json"), &len);
	char *expected = NULL;
	char *text;

	/* chat_message.json is one line with \" and \u00e9 escapes. */
	assert_int_equal(body[len - 1], '\n');
	body[len - 1] = '\0';
	assert_true(asprintf(&expected,
			     "{\"_rtwebhookd\":{\"seq\":7,\"received_at_ms\":"
			     "%lld},%s \n",
			     (long long)TEST_RECEIVED_AT_MS, body + 1) > 0);
	write_fixture(o->path, FIXTURE("chat_message.json"), 7);
	text = scratch_read(o->path, NULL);
	assert_string_equal(text, expected);
	free(text);
	free(expected);
	free(body);
}

/* body with every "\n" replaced by "\r\n", malloc'd. */
static char *with_crlf(const char *body, size_t len, size_t *out_len)
{
	char *out = malloc(2 * len + 1);
	size_t o = 0;

	assert_non_null(out);
	for (size_t i = 0; i < len; i++) {
		if (body[i] == '\n')
			out[o++] = '\r';
		out[o++] = body[i];
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static void write_bytes(const char *out, const char *bytes, size_t len,
			uint64_t seq)
{
	struct jsonl_instance ji;
	struct test_event te;

	jsonl_open_path(&ji, out);
	test_event_from_bytes(&te, bytes, len, seq);
	jsonl_handle_ok(&ji, &te);
	test_event_clear(&te);
	jsonl_close(&ji);
}

static void crlf_body_becomes_one_valid_line(void **state)
{
	struct output *o = *state;
	size_t len, crlf_len;
	char *body = fixture_read(FIXTURE("join.json"), &len);
	char *crlf = with_crlf(body, len, &crlf_len);
	struct lines l;

	write_bytes(o->path, crlf, crlf_len, 3);
	lines_read(&l, o->path);
	assert_int_equal(l.count, 1);
	assert_null(strchr(l.line[0], '\r'));
	check_line(l.line[0], 3, body, len);
	lines_free(&l);
	free(crlf);
	free(body);
}

static void body_with_leading_whitespace_becomes_one_valid_line(void **state)
{
	struct output *o = *state;
	const char *body = " \r\n\t {\"event\":\"x\",\"data\":{\"a\":1}}\n";
	struct lines l;

	write_bytes(o->path, body, strlen(body), 5);
	lines_read(&l, o->path);
	assert_int_equal(l.count, 1);
	check_line(l.line[0], 5, body, strlen(body));
	lines_free(&l);
}

static void existing_file_is_appended_to(void **state)
{
	struct output *o = *state;
	struct lines l;

	scratch_write(o->path, "{\"earlier\":true}\n");
	write_fixture(o->path, FIXTURE("speech_on.json"), 2);
	lines_read(&l, o->path);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.line[0], "{\"earlier\":true}");
	assert_int_equal(line_seq(l.line[1]), 2);
	lines_free(&l);
}

static void path_dash_writes_to_stdout(void **state)
{
	struct output *o = *state;
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;
	struct test_event te;
	enum rtw_result r = RTW_FAIL;
	struct lines l;
	int saved;

	test_event_from_fixture(&te, FIXTURE("speech_on.json"), 11);
	/* No assertion while stdout is redirected: cmocka reports there. */
	saved = scratch_redirect(1, o->path, O_WRONLY | O_CREAT | O_TRUNC);
	if (jsonl_open(&ji, "{\"path\": \"-\"}", &err) == 0)
		r = jsonl_handle(&ji, &te.ev.view, &err);
	jsonl_close(&ji);
	scratch_restore(1, saved);
	assert_int_equal(r, RTW_OK);
	lines_read(&l, o->path);
	assert_int_equal(l.count, 1);
	check_line(l.line[0], 11, te.body, te.len);
	test_event_clear(&te);
	lines_free(&l);
}

static void two_instances_write_their_own_files(void **state)
{
	struct output *o = *state;
	char *other = scratch_path(o->dir, "other.jsonl");
	struct jsonl_instance a, b;
	struct test_event te;
	struct lines la, lb;

	jsonl_open_path(&a, o->path);
	jsonl_open_path(&b, other);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		test_event_from_fixture(&te, FIXTURE("speech_on.json"), seq);
		jsonl_handle_ok(seq == 2 ? &b : &a, &te);
		test_event_clear(&te);
	}
	jsonl_close(&a);
	jsonl_close(&b);
	lines_read(&la, o->path);
	lines_read(&lb, other);
	assert_int_equal(la.count, 2);
	assert_int_equal(line_seq(la.line[0]), 1);
	assert_int_equal(line_seq(la.line[1]), 3);
	assert_int_equal(lb.count, 1);
	assert_int_equal(line_seq(lb.line[0]), 2);
	lines_free(&la);
	lines_free(&lb);
	free(other);
}

#define OUTPUT_TEST(f)                                                         \
	cmocka_unit_test_setup_teardown(f, output_setup, output_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    OUTPUT_TEST(events_in_one_file_are_one_line_each_in_order),
	    OUTPUT_TEST(pretty_printed_body_becomes_exactly_one_line),
	    OUTPUT_TEST(
		compact_body_is_written_byte_for_byte_after_the_metadata),
	    OUTPUT_TEST(crlf_body_becomes_one_valid_line),
	    OUTPUT_TEST(body_with_leading_whitespace_becomes_one_valid_line),
	    OUTPUT_TEST(existing_file_is_appended_to),
	    OUTPUT_TEST(path_dash_writes_to_stdout),
	    OUTPUT_TEST(two_instances_write_their_own_files),
	};
	int failed = fixture_run_each(
	    "jsonl_fixture_lines", FIXTURE_EVENTS_DIR "/*.json",
	    fixture_becomes_one_line_with_its_seq_and_content, 25);

	return failed + cmocka_run_group_tests(tests, NULL, NULL);
}
