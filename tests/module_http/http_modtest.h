/* http_modtest: drives the built http.so through its ABI with a mock host
 * (collectd-style) that keeps every log line, and builds events. Failures
 * fail the running cmocka test. */
#ifndef HTTP_MODTEST_H
#define HTTP_MODTEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "module.h"

#define HTTP_SO RTW_BINARY_DIR "/handlers/http.so"

/* The Standard Webhooks test vector of RECALL_EVENTS.md. */
#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define VECTOR_KEY    "test-recall-secret"

struct mock_host {
	struct rtw_host host; /* first: the module is given &host */
	pthread_mutex_t lock;
	char *log; /* every line, '\n'-separated */
	size_t log_len;
};

struct http_instance {
	struct module module;
	struct mock_host mock;
	void *state;
	int initialized;
};

/* Loads http.so and runs init on config_json (JSON text). Returns init's
 * result with its reason in err. hi_close always. */
int hi_open(struct http_instance *hi, const char *config_json,
	    struct rtw_error *err);
/* The same, failing the test unless init succeeds. */
void hi_open_ok(struct http_instance *hi, const char *config_json);
void hi_close(struct http_instance *hi);
/* The log so far (borrowed until the next log line; read it when the
 * module is idle). */
const char *hi_log(struct http_instance *hi);

/* An event from body bytes it owns, numbered seq, with dedup_key (NULL:
 * a host older than ABI 1.1, whose event struct ends before it). */
struct test_event {
	char *body;
	size_t len;
	char *dedup_key;
	struct event ev;
};

void tev_make(struct test_event *te, const char *body, uint64_t seq,
	      const char *dedup_key);
/* A chat message of bot with text "<bot>:<idx>". */
void tev_chat(struct test_event *te, const char *bot, int idx, uint64_t seq);
void tev_clear(struct test_event *te);

enum rtw_result hi_handle(struct http_instance *hi, struct test_event *te,
			  struct rtw_error *err);

/* A JSON config for the url with extra members ("" or ", \"k\": v"). */
char *hi_config(const char *url, const char *extra);

#endif
