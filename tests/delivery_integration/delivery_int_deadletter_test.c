/* A handler answering FAIL (issue 3, README "Retries and failures"): the
 * event goes to <spool.dir>/handlers/<name>/dead-letters.jsonl, one JSON
 * line with its seq, the handler's reason and the original event, and the
 * bot's lane goes on: its later events are offered too (and fail too), the
 * other bots' events are handled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "dint_util.h"
#include "util.h"

#define PER_BOT	     12
#define DEAD_LETTERS "spool/handlers/flaky/dead-letters.jsonl"

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; fail_bot = \"bot-f\"; }; } );\n";

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL || dint_configure(d, "", flaky_handlers) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Checks dead letter line i against event i of bot-f. Returns its seq. */
static uint64_t check_dead_letter(const char *line, int i, uint64_t after)
{
	char body[2048], reason[64];
	json_error_t jerr;
	json_t *dl = json_loads(line, 0, &jerr), *original;
	json_t *seq, *event;
	const char *got_reason;
	uint64_t s;

	if (dl == NULL)
		fail_msg("dead letter %d is not JSON (%s): %s", i, jerr.text,
			 line);
	seq = json_object_get(dl, "seq");
	event = json_object_get(dl, "event");
	got_reason = json_string_value(json_object_get(dl, "reason"));
	if (!json_is_integer(seq) || got_reason == NULL ||
	    !json_is_object(event))
		fail_msg("dead letter %d lacks seq, reason or event: %s", i,
			 line);
	s = (uint64_t)json_integer_value(seq);
	if (s <= after)
		fail_msg("dead letter %d: seq %llu after %llu: out of order", i,
			 (unsigned long long)s, (unsigned long long)after);
	snprintf(reason, sizeof(reason), "flaky: refusing %llu",
		 (unsigned long long)s);
	if (strcmp(got_reason, reason) != 0)
		fail_msg("dead letter %d: reason \"%s\", expected \"%s\"", i,
			 got_reason, reason);
	dint_event("bot-f", i, body, sizeof(body));
	original = json_loads(body, 0, NULL);
	assert_non_null(original);
	if (!json_equal(original, event))
		fail_msg("dead letter %d does not hold event %d of bot-f: %s",
			 i, i, line);
	json_decref(original);
	json_decref(dl);
	return s;
}

struct done_arg {
	const struct daemon *d;
};

static int all_settled(void *arg)
{
	struct done_arg *w = arg;
	char out[512], dead[512], *a, *b;
	int done;

	a = harness_read_file(daemon_path(w->d, "out.txt", out, sizeof(out)),
			      NULL);
	b = harness_read_file(
	    daemon_path(w->d, DEAD_LETTERS, dead, sizeof(dead)), NULL);
	done = a != NULL && b != NULL &&
	       harness_count(a, " bot-g ") >= PER_BOT &&
	       harness_count(b, "\n") >= PER_BOT;
	free(a);
	free(b);
	return done;
}

static void failed_events_go_to_dead_letters_and_the_lane_goes_on(void **state)
{
	struct daemon *d = *state;
	struct done_arg w = {d};
	unsigned long long accepted, ok, retried, failed;
	struct flaky_line *lines;
	char path[512], body[2048], *text, *save = NULL, *line;
	size_t n, alarms;
	uint64_t last = 0;
	int i = 0;

	assert_int_equal(daemon_start(d, NULL), 0);
	for (int k = 0; k < PER_BOT; k++) {
		const char *const bots[] = {"bot-f", "bot-g"};

		for (int b = 0; b < 2; b++) {
			size_t len = dint_event(bots[b], k, body, sizeof(body));

			assert_int_equal(
			    dint_post(d->port, body, len, NULL, NULL, 0), 200);
		}
	}
	if (!dint_wait_until(all_settled, &w, 15000))
		fail_msg("bot-g's events or bot-f's dead letters did not all "
			 "arrive");
	assert_int_equal(daemon_stop(d), 0);

	/* bot-f is nowhere in the output; bot-g is all there, in order. */
	lines = flaky_read(daemon_path(d, "out.txt", path, sizeof(path)), &n,
			   &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	assert_int_equal(n, PER_BOT);
	assert_int_equal(dint_flaky_bot_exact(lines, n, "bot-g", PER_BOT), 0);
	free(lines);

	/* One dead letter per event of bot-f, in order. */
	text = harness_read_file(
	    daemon_path(d, DEAD_LETTERS, path, sizeof(path)), NULL);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), i++) {
		if (i >= PER_BOT)
			fail_msg("more dead letters than events of bot-f: %s",
				 line);
		last = check_dead_letter(line, i, last);
	}
	free(text);
	assert_int_equal(i, PER_BOT);

	assert_int_equal(
	    dint_last_summary(d, &accepted, &ok, &retried, &failed), 0);
	assert_int_equal(accepted, 2 * PER_BOT);
	assert_int_equal(ok, PER_BOT);
	assert_int_equal(failed, PER_BOT);
	assert_int_equal(retried, 0);
}

/* A failed event is finished: after a restart it is neither offered again
 * nor written to the dead letters a second time. */
static void failed_events_are_not_offered_again_after_restart(void **state)
{
	struct daemon *d = *state;
	struct done_arg w = {d};
	char path[512], body[2048], *text;
	size_t len;

	assert_int_equal(daemon_start(d, NULL), 0);
	for (int k = 0; k < PER_BOT; k++) {
		const char *const bots[] = {"bot-f", "bot-g"};

		for (int b = 0; b < 2; b++) {
			len = dint_event(bots[b], k, body, sizeof(body));
			assert_int_equal(
			    dint_post(d->port, body, len, NULL, NULL, 0), 200);
		}
	}
	if (!dint_wait_until(all_settled, &w, 15000))
		fail_msg("bot-g's events or bot-f's dead letters did not all "
			 "arrive");
	assert_int_equal(daemon_stop(d), 0);

	/* After the restart, one more event of bot-f: once its dead letter
	 * is written, anything offered again before it would be too. */
	assert_int_equal(daemon_start(d, NULL), 0);
	len = dint_event("bot-f", PER_BOT, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	daemon_path(d, DEAD_LETTERS, path, sizeof(path));
	if (harness_wait_lines(path, PER_BOT + 1, 10000) < PER_BOT + 1)
		fail_msg("the new event of bot-f was not dead-lettered");
	assert_int_equal(daemon_stop(d), 0);
	text = harness_read_file(path, NULL);
	assert_non_null(text);
	assert_int_equal(harness_count(text, "\n"), PER_BOT + 1);
	for (int k = 0; k <= PER_BOT; k++) {
		char mark[64], quoted[80];

		dint_mark("bot-f", k, mark, sizeof(mark));
		snprintf(quoted, sizeof(quoted), "\"%s", mark);
		if (harness_count(text, quoted) != 1)
			fail_msg("%s is %zu times in the dead letters", mark,
				 harness_count(text, quoted));
	}
	free(text);
	daemon_path(d, "out.txt", path, sizeof(path));
	text = harness_read_file(path, NULL);
	assert_non_null(text);
	assert_int_equal(harness_count(text, " bot-f "), 0);
	assert_int_equal(harness_count(text, " bot-g "), PER_BOT);
	free(text);
}

/* The dead-letter file cannot be opened at start (a directory is in its
 * place): a failed event is retried, never dropped unrecorded, while the
 * other bot goes on; once the path is fixed the next retry opens the file
 * and writes the dead letter, without a restart. */
static void a_dead_letter_file_that_opens_later_is_used(void **state)
{
	struct daemon *d = *state;
	char dead[512], out[512], body[2048], mark[64];
	char *text;
	size_t len;

	daemon_path(d, DEAD_LETTERS, dead, sizeof(dead));
	daemon_path(d, "out.txt", out, sizeof(out));
	assert_int_equal(make_dirs(dead, 0700), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	len = dint_event("bot-f", 0, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	len = dint_event("bot-g", 0, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	dint_mark("bot-g", 0, mark, sizeof(mark));
	assert_true(harness_wait_count(out, mark, 1, 10000) == 1);
	dint_sleep_ms(500); /* bot-f's event fails and is retried meanwhile */
	assert_int_equal(rmdir(dead), 0);
	if (harness_wait_lines(dead, 1, 15000) < 1)
		fail_msg("the dead letter was not written once the file could "
			 "be opened");
	assert_int_equal(daemon_stop(d), 0);
	text = harness_read_file(dead, NULL);
	assert_non_null(text);
	check_dead_letter(strtok(text, "\n"), 0, 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		failed_events_go_to_dead_letters_and_the_lane_goes_on, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		failed_events_are_not_offered_again_after_restart, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_dead_letter_file_that_opens_later_is_used, setup, teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_deadletter", tests,
					   NULL, NULL);
}
