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

/* Which daemon the mock host plays. */
enum mock_host_kind {
	/* ABI 1.2 with retry_after, as the daemon today (hi_open's). */
	MOCK_HOST_1_2,
	/* An older daemon: struct rtw_host ends before abi_minor. The fields
	 * past its size are still filled in (abi_minor 2, retry_after set) so
	 * that a module reading them without RTW_HAS_FIELD is caught. */
	MOCK_HOST_1_0,
	/* abi_minor 2 but retry_after NULL. */
	MOCK_HOST_NO_RETRY_AFTER,
};

#define MOCK_MAX_DELAYS 64

struct mock_host {
	struct rtw_host host; /* first: the module is given &host */
	pthread_mutex_t lock;
	char *log; /* every line, '\n'-separated */
	size_t log_len;
	/* Every delay handle asked for through host->retry_after. */
	int64_t delays[MOCK_MAX_DELAYS];
	size_t ndelays;
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
/* The same as the given kind of host. */
int hi_open_host(struct http_instance *hi, const char *config_json,
		 enum mock_host_kind kind, struct rtw_error *err);
/* The same, failing the test unless init succeeds. */
void hi_open_ok(struct http_instance *hi, const char *config_json);
void hi_open_host_ok(struct http_instance *hi, const char *config_json,
		     enum mock_host_kind kind);
void hi_close(struct http_instance *hi);
/* The log so far (borrowed until the next log line; read it when the
 * module is idle). */
const char *hi_log(struct http_instance *hi);
/* How many times handle called host->retry_after so far, and the delay
 * of the last call (-1: none). Read when the module is idle. */
size_t hi_delays(struct http_instance *hi, int64_t *last_ms);

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
