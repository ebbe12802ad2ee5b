/* The command line: input errors name file:line and exit 2 before
 * anything is sent; usage errors exit 2; blank lines are skipped; the
 * summary (text and --json) reports the run; --synth sends and
 * --synth-out writes the same deterministic meetings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "send_fixture.h"

static const char *const bad_lines[] = {
	"not json at all",
	"{\"event\":\"participant_events.join\",\"data\":{",
	"[1,2,3]",
	"\"just a string\"",
	"{\"data\":{}}",
	"{\"event\":5,\"data\":{}}",
	"{\"event\":null}",
};

static void test_malformed_line_exits_2_naming_file_and_line(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};

	send_fixture_start(fx);
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		char *good = chat_event("bot-1", "[ok]", 1.0), *text;
		char where[512];
		struct send_result r;

		/* Line 1 good, line 2 blank, line 3 bad. */
		assert_true(asprintf(&text, "%s\n\n%s\n%s\n", good,
				     bad_lines[i], good) > 0);
		assert_int_equal(write_file(fx->events, text), 0);
		assert_int_equal(send_run(&r, args), 0);
		snprintf(where, sizeof(where), "%s:3:", fx->events);
		print_message("line: %s\n", bad_lines[i]);
		assert_int_equal(r.status, 2);
		if (strstr(r.err, where) == NULL)
			fail_msg("stderr does not name %s: %s", where, r.err);
		send_result_free(&r);
		free(text);
		free(good);
	}
	/* Input is checked whole before the first request. */
	assert_int_equal(fx->server.n, 0);
}

static void test_blank_lines_are_skipped(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--json", fx->events,
			      NULL};
	char *a = chat_event("bot-1", "[a]", 1.0), *b =
		chat_event("bot-1", "[b]", 2.0), *text;
	struct send_result r;

	assert_true(asprintf(&text, "\n  \n%s\r\n\t\n\n%s", a, b) > 0);
	assert_int_equal(write_file(fx->events, text), 0);
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(fx->server.n, 2);
	assert_int_equal(summary_int(&r, "events"), 2);
	send_result_free(&r);
	free(text);
	free(a);
	free(b);
}

static void test_usage_errors_exit_2(void **state)
{
	struct send_fixture *fx = *state;
	const char *url = "http://127.0.0.1:9/";
	const char *const cases[][8] = {
		{fx->events, NULL},
		{"--url", url, NULL},
		{"--url", url, "--bogus", fx->events, NULL},
		{"--url", url, "--concurrency", "0", fx->events, NULL},
		{"--url", url, "--max-retries", "-1", fx->events, NULL},
		{"--url", url, "--timeout-ms", "soon", fx->events, NULL},
		{"--url", url, "--rate", "0", fx->events, NULL},
		{"--url", url, "--synth", "bots=2", NULL},
		{"--url", url, "--synth", "bots=2,events=3", fx->events, NULL},
		{"--synth-out", "/dev/null", fx->events, NULL},
		{"--url", url, "--svix", fx->events, NULL},
		{"--url", url, "--secret", "whsec_!!", fx->events, NULL},
		{"--url", url, "/nonexistent/events.jsonl", NULL},
	};

	assert_int_equal(write_events(fx->events, 1, 1, 1), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct send_result r;

		assert_int_equal(send_run(&r, cases[i]), 0);
		print_message("case %zu: %s", i, r.err);
		assert_int_equal(r.status, 2);
		assert_true(r.err[0] != '\0');
		send_result_free(&r);
	}
}

static void test_json_summary_reports_the_run(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--json", fx->events,
			      NULL};
	static const struct {
		const char *key;
		long long value;
	} expect[] = {
		{"events", 12}, {"sent", 12},  {"acknowledged", 12},
		{"attempts", 12}, {"retries", 0}, {"unsent", 0},
		{"bots", 3},    {"bots_failed", 0},
	};
	struct send_result r;
	json_t *sum, *lat;

	assert_int_equal(write_events(fx->events, 3, 4, 1), 0);
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		assert_int_equal(summary_int(&r, expect[i].key),
				 expect[i].value);
	sum = send_summary(&r);
	lat = json_object_get(sum, "latency_ms");
	assert_true(json_real_value(json_object_get(lat, "p50")) > 0);
	assert_true(json_real_value(json_object_get(lat, "p50")) <=
		    json_real_value(json_object_get(lat, "p90")));
	assert_true(json_real_value(json_object_get(lat, "p90")) <=
		    json_real_value(json_object_get(lat, "p99")));
	assert_true(json_real_value(json_object_get(lat, "p99")) <=
		    json_real_value(json_object_get(lat, "max")));
	assert_true(json_real_value(json_object_get(sum, "events_per_s")) > 0);
	assert_true(json_is_false(json_object_get(sum, "interrupted")));
	json_decref(sum);
	send_result_free(&r);
}

static void test_text_summary_lists_the_figures(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};
	static const char *const lines[] = {
		"events        4\n", "acknowledged  4\n", "retries       0\n",
		"bots failed   0\n", "p50 ",  "p90 ", "p99 ", "max ",
		"events/s ",
	};
	struct send_result r;

	assert_int_equal(write_events(fx->events, 2, 2, 1), 0);
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (strstr(r.out, lines[i]) == NULL)
			fail_msg("no '%s' in:\n%s", lines[i], r.out);
	/* stderr is not a terminal here: no progress line. */
	assert_string_equal(r.err, "");
	send_result_free(&r);
}

static char *synth_out(struct send_fixture *fx, const char *spec,
		       const char *name)
{
	char *path = tmpdir_path(fx->dir, name), *text;
	const char *args[] = {"--synth", spec, "--synth-out", path, NULL};
	struct send_result r;

	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	send_result_free(&r);
	text = read_file(path, NULL);
	assert_non_null(text);
	free(path);
	return text;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static void test_synth_out_is_deterministic_and_replays(void **state)
{
	struct send_fixture *fx = *state;
	char *a = synth_out(fx, "bots=3,events=20,seed=4", "a.jsonl");
	char *b = synth_out(fx, "bots=3,events=20,seed=4", "b.jsonl");
	char *c = synth_out(fx, "bots=3,events=20,seed=5", "c.jsonl");
	char *path = tmpdir_path(fx->dir, "a.jsonl");
	const char *args[] = {"--url", fx->server.url, path, NULL};
	struct send_result r;

	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(count_lines(a), 60);
	/* Sent back, every body is one of the written lines, unchanged. */
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(fx->server.n, 60);
	for (size_t i = 0; i < fx->server.n; i++) {
		char *line;

		assert_true(asprintf(&line, "%s\n", fx->server.reqs[i].body) >
			    0);
		assert_non_null(strstr(a, line));
		free(line);
	}
	send_result_free(&r);
	free(path);
	free(a);
	free(b);
	free(c);
}

static void test_synth_sends_every_meeting(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--synth",
			      "bots=4,events=10,seed=2", "--json", NULL};
	struct send_result r;
	json_t *bots = json_object();

	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(fx->server.n, 40);
	for (size_t i = 0; i < fx->server.n; i++) {
		char *id = body_bot_id(fx->server.reqs[i].body);

		assert_non_null(id);
		json_object_set_new(bots, id, json_true());
		free(id);
	}
	assert_int_equal(json_object_size(bots), 4);
	assert_int_equal(summary_int(&r, "bots"), 4);
	json_decref(bots);
	send_result_free(&r);
}

static void test_a_bot_continues_across_files(void **state)
{
	struct send_fixture *fx = *state;
	char *second = tmpdir_path(fx->dir, "second.jsonl");
	const char *args[] = {"--url", fx->server.url, fx->events, second,
			      NULL};
	char *a = chat_event("bot-1", "[e0]", 1.0);
	char *b = chat_event("bot-1", "[e1]", 2.0);
	char *first_text;
	struct send_result r;
	size_t idx[2];

	assert_true(asprintf(&first_text, "%s\n", a) > 0);
	assert_int_equal(write_file(fx->events, first_text), 0);
	assert_int_equal(write_file(second, b), 0);
	fx->server.answer_delay_ms = 2;
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(server_find_bot(&fx->server, "bot-1", idx, 2), 2);
	assert_non_null(strstr(fx->server.reqs[idx[0]].body, "[e0]"));
	assert_non_null(strstr(fx->server.reqs[idx[1]].body, "[e1]"));
	send_result_free(&r);
	free(first_text);
	free(a);
	free(b);
	free(second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_malformed_line_exits_2_naming_file_and_line,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_blank_lines_are_skipped,
						send_fixture_setup,
						send_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors_exit_2,
						send_fixture_setup,
						send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_json_summary_reports_the_run, send_fixture_setup,
			send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_text_summary_lists_the_figures, send_fixture_setup,
			send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_synth_out_is_deterministic_and_replays,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_synth_sends_every_meeting,
						send_fixture_setup,
						send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_bot_continues_across_files, send_fixture_setup,
			send_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
