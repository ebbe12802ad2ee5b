/* pipe through its ABI with a mock host: one line per event in order,
 * acknowledgements, restarts with backoff, timeouts, stderr in the log,
 * no SIGPIPE, no zombies. Each test writes its own worker script. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "modtest.h"
#include "scratch.h"

/* Reads each line; answers per its text, logs seqs to @DIR@/seen:
 * text bot-a:2 -> retry, bot-a:3 -> fail, others -> ok. */
#define ACK_WORKER                                                             \
	"#!/bin/sh\necho $$ >> @DIR@/starts\n"                                 \
	"while IFS= read -r line; do\n"                                        \
	"  seq=$(printf '%s' \"$line\" | "                                     \
	"sed 's/^{\"_rtwebhookd\":{\"seq\":\\([0-9]*\\).*/\\1/')\n"            \
	"  echo \"$seq\" >> @DIR@/seen\n"                                      \
	"  case \"$line\" in\n"                                                \
	"    *'\"text\":\"bot-a:2\"'*) echo \"retry $seq busy\";;\n"           \
	"    *'\"text\":\"bot-a:3\"'*) echo \"fail $seq bad input\";;\n"       \
	"    *) echo \"ok $seq\";;\n"                                          \
	"  esac\n"                                                             \
	"done\n"

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

static void close_instance(struct fixture *f)
{
	if (f->opened)
		mod_close(&f->mi);
	f->opened = 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close_instance(f);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

static void open_worker(struct fixture *f, const char *text, const char *extra)
{
	char *path = modtest_script(f->dir, "worker.sh", text);
	char *quoted = modtest_json_string(path);
	char config[1024];

	snprintf(config, sizeof(config), "{\"command\": [%s]%s}", quoted,
		 extra);
	mod_open_ok(&f->mi, MODTEST_PIPE_SO, config);
	f->opened = 1;
	free(quoted);
	free(path);
}

static enum rtw_result send_chat(struct fixture *f, int idx, uint64_t seq,
				 struct rtw_error *err)
{
	struct test_event te;
	enum rtw_result r;

	tev_chat(&te, "bot-a", idx, seq);
	r = mod_handle(&f->mi, &te, err);
	tev_clear(&te);
	return r;
}

/* Sends until the answer is not "the worker restarts soon" (bounded). */
static enum rtw_result send_after_restart(struct fixture *f, int idx,
					  uint64_t seq, struct rtw_error *err)
{
	enum rtw_result r;

	for (int i = 0; i < 200; i++) {
		r = send_chat(f, idx, seq, err);
		if (r != RTW_RETRY ||
		    strstr(err->message, "restarts in") == NULL)
			return r;
		modtest_sleep_ms(20);
	}
	fail_msg("the worker never restarted: %s", err->message);
	return RTW_FAIL;
}

static char *dir_file(const struct fixture *f, const char *name)
{
	char *path = scratch_path(f->dir, name);
	char *text = scratch_read(path, NULL);

	free(path);
	return text;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; text != NULL && *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* Checks a worker's input line: JSON whose "_rtwebhookd".seq is seq and
 * which otherwise equals the body. */
static void check_line(const char *line, size_t len, uint64_t seq,
		       const struct test_event *te)
{
	json_error_t jerr;
	json_t *got = json_loadb(line, len, 0, &jerr);
	json_t *want = json_loadb(te->body, te->len, 0, &jerr);

	if (got == NULL)
		fail_msg("worker line is not JSON (%s): %.100s", jerr.text,
			 line);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(got, "_rtwebhookd"), "seq")),
			 seq);
	json_object_del(got, "_rtwebhookd");
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

static void events_arrive_one_line_each_in_order(void **state)
{
	struct fixture *f = *state;
	struct test_event te[4];
	struct rtw_error err;
	char *out, *p;

	open_worker(f, "#!/bin/sh\nexec cat > @DIR@/out\n", "");
	tev_from_fixture(&te[0], MODTEST_FIXTURE("transcript_data.json"), 10);
	tev_from_fixture(&te[1], MODTEST_FIXTURE("join.json"), 11);
	tev_chat(&te[2], "bot-a", 1, 12);
	tev_chat(&te[3], "bot-b", 2, 13);
	for (int i = 0; i < 4; i++)
		assert_int_equal(mod_handle(&f->mi, &te[i], &err), RTW_OK);
	close_instance(f); /* closes its stdin: cat finishes */
	out = dir_file(f, "out");
	assert_non_null(out);
	assert_int_equal(count_lines(out), 4);
	p = out;
	for (int i = 0; i < 4; i++) {
		char *nl = strchr(p, '\n');

		check_line(p, (size_t)(nl - p), 10 + (uint64_t)i, &te[i]);
		p = nl + 1;
		tev_clear(&te[i]);
	}
	free(out);
}

static void one_worker_serves_many_events(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *starts;

	open_worker(
	    f, "#!/bin/sh\necho $$ >> @DIR@/starts\nexec cat >/dev/null\n", "");
	for (int i = 1; i <= 50; i++)
		assert_int_equal(send_chat(f, i, (uint64_t)i, &err), RTW_OK);
	close_instance(f);
	starts = dir_file(f, "starts");
	assert_int_equal(count_lines(starts), 1);
	free(starts);
}

static void acknowledgements_decide_the_answer(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_worker(f, ACK_WORKER, ", \"ack\": true");
	assert_int_equal(send_chat(f, 1, 1, &err), RTW_OK);
	assert_int_equal(send_chat(f, 2, 2, &err), RTW_RETRY);
	assert_string_equal(err.message, "worker answered retry: busy");
	assert_int_equal(send_chat(f, 3, 3, &err), RTW_FAIL);
	assert_string_equal(err.message, "worker answered fail: bad input");
	assert_int_equal(send_chat(f, 4, 4, &err), RTW_OK);
}

static void chatter_and_stale_acks_are_skipped(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;

	open_worker(f,
		    "#!/bin/sh\nwhile IFS= read -r line; do\n"
		    "  echo 'hello there'; echo 'ok 99999'; echo 'ok 7'\n"
		    "done\n",
		    ", \"ack\": true");
	assert_int_equal(send_chat(f, 1, 7, &err), RTW_OK);
	assert_int_equal(mock_log_count(&f->mi.mock, "ignoring a line that is "
						     "no acknowledgement"),
			 1);
	assert_int_equal(mock_log_count(&f->mi.mock, "ignoring an "
						     "acknowledgement of "
						     "another event"),
			 1);
}

static void missing_ack_retries_and_restarts_the_worker(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *starts;
	int64_t t0 = modtest_now_ms();

	/* Reads its input, keeps its stdout open, never answers. */
	open_worker(f,
		    "#!/bin/sh\necho $$ >> @DIR@/starts\n"
		    "while IFS= read -r line; do :; done\n",
		    ", \"ack\": true, \"ack_timeout_s\": 0.3");
	assert_int_equal(send_chat(f, 1, 1, &err), RTW_RETRY);
	assert_contains(err.message, "no acknowledgement of event 1 within "
				     "0.3 s; restarting the worker");
	assert_true(modtest_now_ms() - t0 >= 300);
	assert_int_equal(send_after_restart(f, 1, 1, &err), RTW_RETRY);
	starts = dir_file(f, "starts");
	assert_int_equal(count_lines(starts), 2);
	free(starts);
}

/* The worker dies at its third event without answering; that event is
 * retried and a new worker acknowledges it. */
static void worker_killed_mid_stream_is_restarted_and_event_resent(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *seen, *starts;

	open_worker(f,
		    "#!/bin/sh\necho $$ >> @DIR@/starts\n"
		    "while IFS= read -r line; do\n"
		    "  seq=$(printf '%s' \"$line\" | "
		    "sed 's/^{\"_rtwebhookd\":{\"seq\":\\([0-9]*\\).*/\\1/')\n"
		    "  echo \"$seq\" >> @DIR@/seen\n"
		    "  if [ \"$seq\" = 3 ] && [ ! -e @DIR@/died ]; then\n"
		    "    touch @DIR@/died; kill -9 $$\n  fi\n"
		    "  echo \"ok $seq\"\ndone\n",
		    ", \"ack\": true");
	assert_int_equal(send_chat(f, 1, 1, &err), RTW_OK);
	assert_int_equal(send_chat(f, 2, 2, &err), RTW_OK);
	assert_int_equal(send_chat(f, 3, 3, &err), RTW_RETRY);
	assert_contains(err.message, "before acknowledging event 3");
	assert_int_equal(send_after_restart(f, 3, 3, &err), RTW_OK);
	assert_int_equal(send_chat(f, 4, 4, &err), RTW_OK);
	close_instance(f);
	seen = dir_file(f, "seen");
	starts = dir_file(f, "starts");
	assert_string_equal(seen, "1\n2\n3\n3\n4\n");
	assert_int_equal(count_lines(starts), 2);
	free(seen);
	free(starts);
}

/* A worker that dies at once is restarted with a doubling delay: a
 * handler called in a tight loop for 1.5 s starts it a handful of times,
 * not thousands. */
static void dying_worker_is_restarted_with_backoff(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	int64_t until = modtest_now_ms() + 1500;
	size_t starts_n;
	char *starts;

	open_worker(f, "#!/bin/sh\necho $$ >> @DIR@/starts\nexit 1\n", "");
	while (modtest_now_ms() < until) {
		send_chat(f, 1, 1, &err);
		modtest_sleep_ms(2);
	}
	assert_true(mock_log_count(&f->mi.mock, "exited: exit status 1") >= 2);
	close_instance(f);
	starts = dir_file(f, "starts");
	starts_n = count_lines(starts);
	/* Starts near 0, 0.1, 0.3, 0.7 and 1.5 s (plus write/exit time). */
	assert_true(starts_n >= 3 && starts_n <= 6);
	free(starts);
}

/* fini returns after the watcher logged everything the worker wrote;
 * the mock host (and its log) outlives fini here. */
static void stderr_lines_are_logged_before_fini_returns(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *script =
	    modtest_script(f->dir, "worker.sh",
			   "#!/bin/sh\necho 'starting up' >&2\n"
			   "while IFS= read -r line; do\n"
			   "  printf 'got one\\nsecond \\033 line\\n' >&2\n"
			   "  echo 'progress note'\ndone\n");
	char *quoted = modtest_json_string(script);
	char config[512];

	snprintf(config, sizeof(config), "{\"command\": [%s]}", quoted);
	mod_open_ok(&f->mi, MODTEST_PIPE_SO, config);
	assert_int_equal(send_chat(f, 1, 1, &err), RTW_OK);
	f->mi.module.desc->fini(f->mi.state);
	f->mi.initialized = 0;
	f->opened = 1;
	assert_int_equal(mock_log_count(&f->mi.mock, " stderr: starting up"),
			 1);
	assert_int_equal(mock_log_count(&f->mi.mock, " stderr: got one"), 1);
	assert_int_equal(
	    mock_log_count(&f->mi.mock, " stderr: second \\x1b line"), 1);
	assert_int_equal(mock_log_count(&f->mi.mock, " stdout: progress note"),
			 1);
	free(quoted);
	free(script);
}

/* A chat event whose text makes the body about size bytes. */
static void big_event(struct test_event *te, size_t size, uint64_t seq)
{
	static const char head[] =
	    "{\"event\":\"participant_events.chat_message\",\"data\":{\"data\":"
	    "{\"data\":{\"text\":\"";
	static const char tail[] = "\"}},\"bot\":{\"id\":\"big\"}}}";
	char *body = malloc(size + sizeof(head) + sizeof(tail));
	size_t o;

	assert_non_null(body);
	memcpy(body, head, sizeof(head) - 1);
	o = sizeof(head) - 1;
	memset(body + o, 'x', size);
	o += size;
	memcpy(body + o, tail, sizeof(tail) - 1);
	tev_from_bytes(te, body, o + sizeof(tail) - 1, seq);
	free(body);
}

/* The test process keeps SIGPIPE's default action: writing to a worker
 * that is gone must answer RETRY, not kill it. */
static void writing_to_a_gone_worker_raises_no_sigpipe(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	struct test_event te;

	open_worker(f, "#!/bin/sh\nexec 0<&-\nsleep 0.2\nexit 0\n", "");
	big_event(&te, 1 << 20, 1);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_RETRY);
	assert_contains(err.message, "cannot write to the worker");
	tev_clear(&te);
}

static void worker_not_reading_is_killed_after_write_timeout(void **state)
{
	struct fixture *f = *state;
	char *pid_path = scratch_path(f->dir, "pid");
	struct rtw_error err;
	struct test_event te;
	long pid;

	open_worker(f, "#!/bin/sh\necho $$ > @DIR@/pid\nexec sleep 60\n",
		    ", \"write_timeout_s\": 0.3");
	big_event(&te, 1 << 20, 1);
	assert_int_equal(mod_handle(&f->mi, &te, &err), RTW_RETRY);
	assert_contains(err.message, "did not read its input within 0.3 s");
	pid = modtest_read_pid(pid_path, 1000);
	assert_true(pid > 0);
	assert_false(modtest_pid_alive(pid));
	tev_clear(&te);
	free(pid_path);
}

static void fini_lets_the_worker_finish_after_eof(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err;
	char *bye;

	open_worker(f,
		    "#!/bin/sh\ncat > /dev/null\nsleep 0.2\n"
		    "echo bye > @DIR@/bye\n",
		    "");
	assert_int_equal(send_chat(f, 1, 1, &err), RTW_OK);
	close_instance(f);
	bye = dir_file(f, "bye");
	assert_non_null(bye);
	free(bye);
}

static void fini_kills_a_worker_that_ignores_eof(void **state)
{
	struct fixture *f = *state;
	char *pid_path = scratch_path(f->dir, "pid");
	struct rtw_error err;
	int64_t t0;
	long pid;

	open_worker(f,
		    "#!/bin/sh\ntrap '' TERM\necho $$ > @DIR@/pid\n"
		    "cat > /dev/null\nwhile :; do sleep 1; done\n",
		    ", \"stop_timeout_s\": 0.2");
	assert_int_equal(send_chat(f, 1, 1, &err), RTW_OK);
	pid = modtest_read_pid(pid_path, 2000);
	t0 = modtest_now_ms();
	close_instance(f);
	assert_true(modtest_now_ms() - t0 < 3000);
	assert_true(pid > 0);
	assert_false(modtest_pid_alive(pid));
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	free(pid_path);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(events_arrive_one_line_each_in_order),
	    T(one_worker_serves_many_events),
	    T(acknowledgements_decide_the_answer),
	    T(chatter_and_stale_acks_are_skipped),
	    T(missing_ack_retries_and_restarts_the_worker),
	    T(worker_killed_mid_stream_is_restarted_and_event_resent),
	    T(dying_worker_is_restarted_with_backoff),
	    T(stderr_lines_are_logged_before_fini_returns),
	    T(writing_to_a_gone_worker_raises_no_sigpipe),
	    T(worker_not_reading_is_killed_after_write_timeout),
	    T(fini_lets_the_worker_finish_after_eof),
	    T(fini_kills_a_worker_that_ignores_eof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
