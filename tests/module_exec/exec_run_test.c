/* exec through its ABI with a mock host: exit codes, stderr in the
 * reason, stdin and environment, the timeout killing a process group, big
 * outputs, descriptors and zombies. Each test writes its own scripts. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "modtest.h"
#include "scratch.h"

/* A scratch directory per test; the instance runs one script in it. */
struct fixture {
	char *dir;
	struct mod_instance mi;
	int opened;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = scratch_dir();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->opened)
		mod_close(&f->mi);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

/* Writes script text as dir/run.sh and opens exec on it with extra
 * config members (e.g. ", \"timeout_s\": 1"). */
static void open_script(struct fixture *f, const char *text, const char *extra)
{
	char *path = modtest_script(f->dir, "run.sh", text);
	char *quoted = modtest_json_string(path);
	char config[1024];

	snprintf(config, sizeof(config), "{\"command\": [%s]%s}", quoted,
		 extra);
	mod_open_ok(&f->mi, MODTEST_EXEC_SO, config);
	f->opened = 1;
	free(quoted);
	free(path);
}

/* Hands the chat event of bot "bot-a" over; returns the answer. */
static enum rtw_result run_chat(struct fixture *f, uint64_t seq,
				struct rtw_error *err)
{
	struct test_event te;
	enum rtw_result r;

	tev_chat(&te, "bot-a", 7, seq);
	r = mod_handle(&f->mi, &te, err);
	tev_clear(&te);
	return r;
}

static char *dir_file(const struct fixture *f, const char *name)
{
	char *path = scratch_path(f->dir, name);
	char *text = scratch_read(path, NULL);

	free(path);
	return text;
}

static void exit_0_is_ok(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f, "#!/bin/sh\nexit 0\n", "");
	assert_int_equal(run_chat(f, 1, &err), RTW_OK);
}

static void exit_75_is_retry(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f, "#!/bin/sh\necho 'downstream busy' >&2\nexit 75\n", "");
	assert_int_equal(run_chat(f, 1, &err), RTW_RETRY);
	assert_contains(err.message, "exit status 75 (EX_TEMPFAIL)");
	assert_contains(err.message, "downstream busy");
}

static void other_exit_is_fail_with_first_stderr_lines(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f,
		    "#!/bin/sh\necho 'stdout is not quoted'\n"
		    "printf 'first problem\\n\\nsecond problem\\nthird\\n"
		    "fourth\\nfifth\\nsixth\\n' >&2\nexit 3\n",
		    "");
	assert_int_equal(run_chat(f, 1, &err), RTW_FAIL);
	assert_string_equal(err.message,
			    "exit status 3; stderr: first problem | second "
			    "problem | third | fourth | fifth...");
}

static void exit_without_stderr_gives_the_status_alone(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f, "#!/bin/sh\nexit 1\n", "");
	assert_int_equal(run_chat(f, 1, &err), RTW_FAIL);
	assert_string_equal(err.message, "exit status 1");
}

static void death_by_signal_is_fail(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f, "#!/bin/sh\necho dying >&2\nkill -SEGV $$\n", "");
	assert_int_equal(run_chat(f, 1, &err), RTW_FAIL);
	assert_contains(err.message, "killed by signal 11");
	assert_contains(err.message, "stderr: dying");
}

static void binary_stderr_gives_a_valid_utf8_reason(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	json_t *s;

	open_script(
	    f, "#!/bin/sh\nprintf 'bad \\377\\376 bytes\\n' >&2\nexit 2\n", "");
	assert_int_equal(run_chat(f, 1, &err), RTW_FAIL);
	assert_contains(err.message, "bad \\xff\\xfe bytes");
	s = json_string(err.message); /* the dead-letter file needs this */
	assert_non_null(s);
	json_decref(s);
}

static void stdin_is_the_body_byte_for_byte(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	struct test_event te;
	size_t len;
	char *path, *got;

	open_script(f, "#!/bin/sh\ncat > @DIR@/stdin.out\n", "");
	/* Pretty-printed: the raw newlines must arrive unchanged. */
	tev_from_fixture(&te, MODTEST_FIXTURE("transcript_data.json"), 9);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_OK);
	path = scratch_path(f->dir, "stdin.out");
	got = scratch_read(path, &len);
	assert_non_null(got);
	assert_int_equal(len, te.len);
	assert_memory_equal(got, te.body, len);
	free(got);
	free(path);
	tev_clear(&te);
}

static void environment_describes_the_event(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	struct test_event te;
	char *env;

	open_script(f, "#!/bin/sh\nenv | grep '^RTW_' | sort > @DIR@/env.out\n",
		    "");
	tev_from_fixture(&te, MODTEST_FIXTURE("chat_message.json"), 42);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_OK);
	env = dir_file(f, "env.out");
	assert_non_null(env);
	assert_string_equal(
	    env, "RTW_BOT_ID=5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c\n"
		 "RTW_EVENT=participant_events.chat_message\n"
		 "RTW_PARTICIPANT_ID=200\n"
		 "RTW_PARTICIPANT_NAME=Grace Hopper\n"
		 "RTW_RECORDING_ID=c7a9d2e1-3b4f-4a58-8e6d-1f2a3b4c5d6e\n"
		 "RTW_SEQ=42\n");
	free(env);
	tev_clear(&te);
}

/* A variable the event lacks is unset, even when the daemon's own
 * environment had one of that name; other daemon variables pass. */
static void absent_values_are_unset_not_inherited(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	struct test_event te;
	char *env;

	setenv("RTW_BOT_ID", "stale-from-the-daemon", 1);
	setenv("RTW_PARTICIPANT_NAME", "stale", 1);
	setenv("MODTEST_DAEMON_VAR", "passed-on", 1);
	open_script(f,
		    "#!/bin/sh\nenv | grep -E '^(RTW_|MODTEST_)' | sort > "
		    "@DIR@/env.out\n",
		    "");
	unsetenv("RTW_BOT_ID");
	unsetenv("RTW_PARTICIPANT_NAME");
	unsetenv("MODTEST_DAEMON_VAR");
	tev_from_fixture(&te, MODTEST_FIXTURE("unknown_type.json"), 5);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_OK);
	tev_clear(&te);
	env = dir_file(f, "env.out");
	assert_non_null(env);
	assert_string_equal(
	    env, "MODTEST_DAEMON_VAR=passed-on\n"
		 "RTW_BOT_ID=5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c\n"
		 "RTW_EVENT=bot.some_future_event\n"
		 "RTW_RECORDING_ID=c7a9d2e1-3b4f-4a58-8e6d-1f2a3b4c5d6e\n"
		 "RTW_SEQ=5\n");
	free(env);
	tev_from_fixture(&te, MODTEST_FIXTURE("no_bot.json"), 6);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_OK);
	tev_clear(&te);
	env = dir_file(f, "env.out");
	assert_null(strstr(env, "RTW_BOT_ID"));
	assert_contains(env, "RTW_PARTICIPANT_NAME=Ada Lovelace\n");
	free(env);
}

static void timeout_kills_the_group_with_its_grandchild(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *child_pid = scratch_path(f->dir, "child.pid");
	char *grand_pid = scratch_path(f->dir, "grandchild.pid");
	int64_t start = modtest_now_ms();
	long child, grandchild;

	open_script(f,
		    "#!/bin/sh\nsleep 60 &\necho $! > @DIR@/grandchild.pid\n"
		    "echo $$ > @DIR@/child.pid\necho 'still working' >&2\n"
		    "wait\n",
		    ", \"timeout_s\": 0.5");
	assert_int_equal(run_chat(f, 1, &err), RTW_RETRY);
	assert_true(modtest_now_ms() - start < 5000);
	assert_contains(err.message, "timed out after 0.5 s; process group "
				     "killed; stderr: still working");
	child = modtest_read_pid(child_pid, 0);
	grandchild = modtest_read_pid(grand_pid, 0);
	assert_true(child > 0 && grandchild > 0);
	assert_false(modtest_pid_alive(child));
	/* The grandchild was reparented; it may take its new parent a
	 * moment to reap it, but it is killed already. */
	for (int i = 0; i < 100 && modtest_pid_alive(grandchild); i++)
		modtest_sleep_ms(20);
	assert_false(modtest_pid_alive(grandchild));
	free(child_pid);
	free(grand_pid);
}

/* Leftovers of the command's process group are killed at its exit. */
static void background_leftovers_are_killed_at_exit(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *pid_path = scratch_path(f->dir, "bg.pid");
	long bg;

	open_script(f,
		    "#!/bin/sh\nsleep 60 > /dev/null 2>&1 &\n"
		    "echo $! > @DIR@/bg.pid\nexit 0\n",
		    "");
	assert_int_equal(run_chat(f, 1, &err), RTW_OK);
	bg = modtest_read_pid(pid_path, 0);
	assert_true(bg > 0);
	for (int i = 0; i < 100 && modtest_pid_alive(bg); i++)
		modtest_sleep_ms(20);
	assert_false(modtest_pid_alive(bg));
	free(pid_path);
}

static void megabytes_of_output_do_not_deadlock(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f,
		    "#!/bin/sh\nhead -c 8000000 /dev/zero | tr '\\0' o\n"
		    "head -c 8000000 /dev/zero | tr '\\0' e >&2\nexit 0\n",
		    ", \"timeout_s\": 30");
	assert_int_equal(run_chat(f, 1, &err), RTW_OK);
}

/* A chat event whose text makes the body about size bytes. */
static void big_event(struct test_event *te, size_t size)
{
	static const char head[] =
	    "{\"event\":\"participant_events.chat_message\",\"data\":{\"data\":"
	    "{\"data\":{\"text\":\"";
	static const char tail[] = "\"}},\"bot\":{\"id\":\"big\"}}}";
	char *body = malloc(size + sizeof(head) + sizeof(tail));
	size_t o = 0;

	assert_non_null(body);
	memcpy(body, head, sizeof(head) - 1);
	o = sizeof(head) - 1;
	memset(body + o, 'x', size);
	o += size;
	memcpy(body + o, tail, sizeof(tail) - 1);
	o += sizeof(tail) - 1;
	tev_from_bytes(te, body, o, 1);
	free(body);
}

static void big_body_reaches_a_reader_whole(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	struct test_event te;
	char *count;

	open_script(f, "#!/bin/sh\nwc -c < /dev/stdin > @DIR@/count.out\n", "");
	big_event(&te, 1 << 20);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_OK);
	count = dir_file(f, "count.out");
	assert_non_null(count);
	assert_int_equal(strtoul(count, NULL, 10), te.len);
	free(count);
	tev_clear(&te);
}

/* The test process keeps SIGPIPE's default action (terminate): a command
 * that ignores its stdin must not kill it. */
static void command_ignoring_stdin_raises_no_sigpipe(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	struct test_event te;

	open_script(f, "#!/bin/sh\nexec 0<&-\nsleep 0.1\nexit 0\n", "");
	big_event(&te, 1 << 20);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_OK);
	tev_clear(&te);
}

static void descriptors_of_the_daemon_are_not_inherited(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char script[256];
	int leaky = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */

	assert_true(leaky > 2);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n[ -e /proc/$$/fd/%d ] && exit 9\nexit 0\n", leaky);
	open_script(f, script, "");
	assert_int_equal(run_chat(f, 1, &err), RTW_OK);
	close(leaky);
}

static void every_child_is_reaped(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_script(f, "#!/bin/sh\nexit $(( RTW_SEQ % 3 ))\n", "");
	for (uint64_t seq = 1; seq <= 6; seq++)
		run_chat(f, seq, &err);
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void missing_program_fails_the_event(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	mod_open_ok(&f->mi, MODTEST_EXEC_SO,
		    "{\"command\": [\"rtw-no-such-program-anywhere\"]}");
	f->opened = 1;
	assert_int_equal(run_chat(f, 1, &err), RTW_FAIL);
	/* glibc reports the exec's ENOENT from posix_spawn; under valgrind
	 * (which runs the spawn as a plain fork) the child exits 127. */
	if (strstr(err.message, "exit status 127") == NULL)
		assert_contains(err.message,
				"cannot run rtw-no-such-program-anywhere: No "
				"such file or directory");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(exit_0_is_ok),
	    T(exit_75_is_retry),
	    T(other_exit_is_fail_with_first_stderr_lines),
	    T(exit_without_stderr_gives_the_status_alone),
	    T(death_by_signal_is_fail),
	    T(binary_stderr_gives_a_valid_utf8_reason),
	    T(stdin_is_the_body_byte_for_byte),
	    T(environment_describes_the_event),
	    T(absent_values_are_unset_not_inherited),
	    T(timeout_kills_the_group_with_its_grandchild),
	    T(background_leftovers_are_killed_at_exit),
	    T(megabytes_of_output_do_not_deadlock),
	    T(big_body_reaches_a_reader_whole),
	    T(command_ignoring_stdin_raises_no_sigpipe),
	    T(descriptors_of_the_daemon_are_not_inherited),
	    T(every_child_is_reaped),
	    T(missing_program_fails_the_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
