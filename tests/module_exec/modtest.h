/* modtest: what the exec and pipe handler tests share. A mock host
 * (collectd-style) that keeps every log line, loading a built module and
 * driving it through its ABI, events built from fixtures or from a
 * template naming a bot and an index, and test scripts written to a
 * scratch directory. Failures fail the running cmocka test. */
#ifndef RTW_TEST_MODTEST_H
#define RTW_TEST_MODTEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "module.h"

#define MODTEST_EXEC_SO	      RTW_BINARY_DIR "/handlers/exec.so"
#define MODTEST_PIPE_SO	      RTW_BINARY_DIR "/handlers/pipe.so"
#define MODTEST_FIXTURE(name) RTW_TEST_SOURCE_DIR "/fixtures/events/" name

/* A host whose log lines are kept (any thread may log). */
struct mock_host {
	struct rtw_host host; /* first: the module is given &host */
	pthread_mutex_t lock;
	char **lines;
	size_t nlines;
};

struct mod_instance {
	struct module module;
	struct mock_host mock;
	void *state;
	int initialized;
};

/* Loads the module at so_path and runs init on config_json. Returns
 * init's result, with its reason in err. */
int mod_open(struct mod_instance *mi, const char *so_path,
	     const char *config_json, struct rtw_error *err);
/* The same, failing the test unless init succeeds. */
void mod_open_ok(struct mod_instance *mi, const char *so_path,
		 const char *config_json);
void mod_close(struct mod_instance *mi);

/* How many kept log lines hold needle; the lines joined (free it). */
size_t mock_log_count(struct mock_host *m, const char *needle);
char *mock_log_text(struct mock_host *m);

/* An event parsed from body bytes that it owns. */
struct test_event {
	char *body;
	size_t len;
	struct event ev;
};

void tev_from_bytes(struct test_event *te, const char *body, size_t len,
		    uint64_t seq);
void tev_from_fixture(struct test_event *te, const char *path, uint64_t seq);
/* A participant_events.chat_message of bot with participant id idx named
 * "Person <idx>" and text "<bot>:<idx>". */
void tev_chat(struct test_event *te, const char *bot, int idx, uint64_t seq);
void tev_clear(struct test_event *te);
/* The body of tev_chat into buf; returns its length. */
size_t modtest_chat_body(char *buf, size_t len, const char *bot, int idx);

enum rtw_result mod_handle(struct mod_instance *mi, struct test_event *te,
			   struct rtw_error *err);

/* Writes an executable script dir/name holding text, with every "@DIR@"
 * replaced by dir. Returns the malloc'd path. */
char *modtest_script(const char *dir, const char *name, const char *text);
/* A JSON string literal for s (quotes and escapes), malloc'd. */
char *modtest_json_string(const char *s);

/* 1 while a process with this pid exists and is not a zombie. */
int modtest_pid_alive(long pid);
/* Reads a decimal pid from the file, waiting up to timeout_ms for it to
 * appear; -1 when it never does. */
long modtest_read_pid(const char *path, long timeout_ms);
/* Waits up to timeout_ms for path to exist; 1 when it does. */
int modtest_wait_file(const char *path, long timeout_ms);
void modtest_sleep_ms(long ms);
int64_t modtest_now_ms(void);

#endif
