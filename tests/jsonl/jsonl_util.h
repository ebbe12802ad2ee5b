/* jsonl_util: drives the built jsonl module the way the daemon does, with
 * a mock host (collectd-style), and reads its output back. */
#ifndef RTW_TEST_JSONL_UTIL_H
#define RTW_TEST_JSONL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "module.h"

#define JSONL_MODULE_PATH   RTW_BINARY_DIR "/handlers/jsonl.so"
#define TEST_RECEIVED_AT_MS INT64_C(1764174001480)

/* A host whose log lines are kept for the test to read. */
struct mock_host {
	struct rtw_host host; /* first: the module is given &host */
	char last_log[1024];
	int nlogs;
};

struct jsonl_instance {
	struct module module;
	struct mock_host mock;
	void *state;
	int initialized;
};

/* Loads jsonl.so (failing the test if it cannot) and runs init on the
 * config given as JSON text. Returns init's result; err gets its reason. */
int jsonl_open(struct jsonl_instance *ji, const char *config_json,
	       struct rtw_error *err);
/* The same with a host of ABI minor version abi_minor (jsonl_open: 0, a
 * host before 1.2 that takes no RTW_PENDING). */
int jsonl_open_minor(struct jsonl_instance *ji, const char *config_json,
		     unsigned abi_minor, struct rtw_error *err);
/* Opens on {"path": path} and fails the test unless init succeeds. */
void jsonl_open_path(struct jsonl_instance *ji, const char *path);
/* The same with a host that takes RTW_PENDING (ABI 1.2): jsonl batches. */
void jsonl_open_batching(struct jsonl_instance *ji, const char *path);
/* Calls the module's flush (failing the test when it has none). */
enum rtw_result jsonl_flush(struct jsonl_instance *ji, struct rtw_error *err);
void jsonl_close(struct jsonl_instance *ji);
enum rtw_result jsonl_handle(struct jsonl_instance *ji,
			     const struct rtw_event *ev, struct rtw_error *err);

/* An event parsed from body bytes that it owns, numbered seq. */
struct test_event {
	char *body;
	size_t len;
	struct event ev;
};

void test_event_from_bytes(struct test_event *te, const char *body, size_t len,
			   uint64_t seq);
void test_event_from_fixture(struct test_event *te, const char *path,
			     uint64_t seq);
void test_event_clear(struct test_event *te);
/* Hands the event over and fails the test unless the answer is RTW_OK. */
void jsonl_handle_ok(struct jsonl_instance *ji, struct test_event *te);

/* Hands over the fixture at path as event seq; returns the answer. */
enum rtw_result jsonl_handle_fixture(struct jsonl_instance *ji,
				     const char *path, uint64_t seq,
				     struct rtw_error *err);

/* A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes a write stop
 * part-way through a line on a regular file. fsize_save records the
 * process's limit (call it once, in main); fsize_limit_growth lets path
 * grow only `room` more bytes; fsize_unlimit restores the saved limit
 * (fsize_teardown is the same as a cmocka teardown). */
void fsize_save(void);
void fsize_limit_growth(const char *path, long room);
void fsize_unlimit(void);
int fsize_teardown(void **state);

/* Output lines: the file split at '\n'. A file whose last byte is not
 * '\n' fails the test (a partial line). */
struct lines {
	char *text;
	char **line;
	size_t count;
};

void lines_read(struct lines *l, const char *path);
void lines_free(struct lines *l);

/* Checks that line is one JSON object starting with the "_rtwebhookd"
 * member, that the member holds seq and received_at_ms, and that the
 * object without it equals the JSON of body. */
void check_line(const char *line, uint64_t seq, const char *body,
		size_t body_len);
/* The "_rtwebhookd".seq of a line. */
uint64_t line_seq(const char *line);

#endif
