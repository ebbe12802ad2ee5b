/* exec through the real daemon and real HTTP: exit codes 0 / 75 / 1 with
 * the retry and the dead letter they cause, the event on stdin and in the
 * environment, a timeout that kills a process group with its grandchild,
 * and max_concurrency holding under a burst of many bots. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "modtest.h"
#include "modtest_daemon.h"

#define RUN_HANDLER(config)                                                    \
	"handlers = ( { name = \"run\"; module = \"exec\";\n"                  \
	"  config = { command = [\"@DIR@/run.sh\"]; " config " }; } );\n"
#define DEAD_LETTERS "spool/handlers/run/dead-letters.jsonl"

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* The dead-letter line: its reason and whether its event is the body. */
static void check_dead_letter(struct daemon *d, const char *reason,
			      const char *body)
{
	char *text = mdt_read(d, DEAD_LETTERS);
	json_t *dl = text != NULL ? json_loads(text, 0, NULL) : NULL;
	json_t *want = json_loads(body, 0, NULL);

	if (dl == NULL)
		fail_msg("no dead letter (or not one JSON line): %s",
			 text ? text : "(none)");
	assert_string_equal(json_string_value(json_object_get(dl, "reason")),
			    reason);
	assert_true(json_equal(json_object_get(dl, "event"), want));
	json_decref(want);
	json_decref(dl);
	free(text);
}

static void assert_no_dead_letters(struct daemon *d)
{
	char *text = mdt_read(d, DEAD_LETTERS);

	if (text != NULL && text[0] != '\0')
		fail_msg("unexpected dead letters: %s", text);
	free(text);
}

static void exit_codes_decide_ok_retry_and_dead_letter(void **state)
{
	static const char script[] =
	    "#!/bin/sh\nbody=$(cat)\ncase \"$body\" in\n"
	    "*'\"text\":\"bot-a:2\"'*)\n"
	    "  if [ ! -e @DIR@/retried ]; then touch @DIR@/retried;\n"
	    "    echo 'try later' >&2; exit 75; fi;;\n"
	    "*'\"text\":\"bot-a:3\"'*)\n"
	    "  echo \"bad payload in $RTW_SEQ\" >&2; echo 'second line' >&2;\n"
	    "  exit 1;;\nesac\n"
	    "idx=$(printf '%s' \"$body\" | "
	    "sed 's/.*\"text\":\"bot-a:\\([0-9]*\\)\".*/\\1/')\n"
	    "echo \"$RTW_SEQ $idx\" >> @DIR@/done\n";
	struct daemon *d = mdt_start("run.sh", script, RUN_HANDLER(""));
	char body[2048], reason[128], *done;

	*state = d;
	assert_non_null(d);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(mdt_post_chat(d, "bot-a", i), 200);
	assert_int_equal(mdt_wait_lines(d, "done", 3, 20000), 3);
	/* Per-bot order holds through the retry: 4 waits for 2. */
	done = mdt_read(d, "done");
	assert_string_equal(done, "1 1\n2 2\n4 4\n");
	free(done);
	modtest_chat_body(body, sizeof(body), "bot-a", 3);
	snprintf(reason, sizeof(reason),
		 "exit status 1; stderr: bad payload in 3 | second line");
	check_dead_letter(d, reason, body);
	assert_int_equal(daemon_stop(d), 0);
}

static void event_reaches_stdin_and_environment(void **state)
{
	static const char script[] =
	    "#!/bin/sh\ncat > @DIR@/stdin.out\n"
	    "env | grep '^RTW_' | sort > @DIR@/env.tmp\n"
	    "mv @DIR@/env.tmp @DIR@/env.out\n";
	struct daemon *d = mdt_start("run.sh", script, RUN_HANDLER(""));
	char path[512];
	size_t len, got_len;
	char *body, *got, *env;

	*state = d;
	assert_non_null(d);
	body = harness_read_file(MODTEST_FIXTURE("chat_message.json"), &len);
	assert_non_null(body);
	assert_int_equal(mdt_post(d, body, len), 200);
	assert_int_equal(mdt_wait_lines(d, "env.out", 6, 20000), 6);
	env = mdt_read(d, "env.out");
	assert_string_equal(
	    env, "RTW_BOT_ID=5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c\n"
		 "RTW_EVENT=participant_events.chat_message\n"
		 "RTW_PARTICIPANT_ID=200\n"
		 "RTW_PARTICIPANT_NAME=Grace Hopper\n"
		 "RTW_RECORDING_ID=c7a9d2e1-3b4f-4a58-8e6d-1f2a3b4c5d6e\n"
		 "RTW_SEQ=1\n");
	got = harness_read_file(daemon_path(d, "stdin.out", path, sizeof(path)),
				&got_len);
	assert_non_null(got);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, body, len);
	free(got);
	free(env);
	free(body);
	assert_int_equal(daemon_stop(d), 0);
}

/* The first run hangs with a grandchild; the timeout kills both and the
 * retry succeeds. */
static void timeout_kills_the_group_and_retries(void **state)
{
	static const char script[] =
	    "#!/bin/sh\nif [ ! -e @DIR@/hung ]; then touch @DIR@/hung\n"
	    "  sleep 60 & echo $! > @DIR@/grandchild.pid\n"
	    "  echo $$ > @DIR@/child.pid; wait; fi\n"
	    "echo \"$RTW_SEQ\" >> @DIR@/done\n";
	struct daemon *d =
	    mdt_start("run.sh", script, RUN_HANDLER("timeout_s = 0.5;"));
	char path[512];
	long child, grandchild;

	*state = d;
	assert_non_null(d);
	assert_int_equal(mdt_post_chat(d, "bot-a", 1), 200);
	assert_int_equal(mdt_wait_lines(d, "done", 1, 20000), 1);
	child = modtest_read_pid(
	    daemon_path(d, "child.pid", path, sizeof(path)), 1000);
	grandchild = modtest_read_pid(
	    daemon_path(d, "grandchild.pid", path, sizeof(path)), 1000);
	assert_true(child > 0 && grandchild > 0);
	for (int i = 0; i < 100 && (modtest_pid_alive(child) ||
				    modtest_pid_alive(grandchild));
	     i++)
		modtest_sleep_ms(20);
	assert_false(modtest_pid_alive(child));
	assert_false(modtest_pid_alive(grandchild));
	assert_no_dead_letters(d);
	assert_int_equal(daemon_stop(d), 0);
}

static int peak_running(const char *log)
{
	int running = 0, peak = 0;

	for (const char *p = log; p != NULL && *p != '\0';) {
		running += strncmp(p, "start", 5) == 0 ? 1 : -1;
		if (running > peak)
			peak = running;
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return peak;
}

#define BOTS  12
#define LIMIT 3

/* Six workers and twelve bots posting at once: at most three commands
 * ever run together, and three do. */
static void max_concurrency_bounds_a_burst(void **state)
{
	static const char script[] = "#!/bin/sh\necho start >> @DIR@/log\n"
				     "sleep 0.2\necho end >> @DIR@/log\n";
	struct daemon *d = mdt_start(
	    "run.sh", script,
	    "handlers = ( { name = \"run\"; module = \"exec\"; workers = 6;\n"
	    "  config = { command = [\"@DIR@/run.sh\"]; max_concurrency = 3; "
	    "}; } );\n");
	char *log;

	*state = d;
	assert_non_null(d);
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < BOTS; b++) {
			char bot[16];

			snprintf(bot, sizeof(bot), "bot-%02d", b);
			assert_int_equal(mdt_post_chat(d, bot, i), 200);
		}
	assert_int_equal(mdt_wait_lines(d, "log", 4 * BOTS, 60000), 4 * BOTS);
	log = mdt_read(d, "log");
	assert_int_equal(peak_running(log), LIMIT);
	free(log);
	assert_int_equal(daemon_stop(d), 0);
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(exit_codes_decide_ok_retry_and_dead_letter),
	    T(event_reaches_stdin_and_environment),
	    T(timeout_kills_the_group_and_retries),
	    T(max_concurrency_bounds_a_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
