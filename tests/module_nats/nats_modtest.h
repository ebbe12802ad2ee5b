/* nats_modtest: drives the built nats.so the way the daemon does, with a
 * mock host (collectd-style) whose log is kept for the test, and builds
 * chat events whose text marks their bot and index. */
#ifndef RTW_TEST_NATS_MODTEST_H
#define RTW_TEST_NATS_MODTEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "module.h"

#define NATS_MODULE_PATH RTW_BINARY_DIR "/handlers/nats.so"

/* A host whose log lines (from any thread) are appended to `log`. */
struct nats_mock_host {
	struct rtw_host host; /* first: the module is given &host */
	pthread_mutex_t lock;
	char log[16384];
	size_t used;
};

struct nats_instance {
	struct module module;
	struct nats_mock_host mock;
	void *state;
	int initialized;
};

/* Loads nats.so (failing the test if it cannot) and runs init on the
 * config given as JSON text. Returns init's result; err gets its reason. */
int nats_open(struct nats_instance *ni, const char *config_json,
	      struct rtw_error *err);
/* The same, failing the test unless init succeeds. */
void nats_open_ok(struct nats_instance *ni, const char *config_json);
/* nats_open_ok with a host of ABI 1.2, which takes RTW_PENDING: the
 * module batches (unless its config says batch = false). */
void nats_open_batching_ok(struct nats_instance *ni, const char *config_json);
enum rtw_result nats_flush(struct nats_instance *ni, struct rtw_error *err);
/* Runs fini and unloads the module (dlclose). */
void nats_close(struct nats_instance *ni);
/* 1 when the instance's log holds needle. */
int nats_logged(struct nats_instance *ni, const char *needle);
/* How many of the instance's log lines start with prefix. */
int nats_lines_starting(struct nats_instance *ni, const char *prefix);

/* An event with a body it owns. */
struct nats_test_event {
	char *body;
	size_t len;
	char key[128];
	struct event ev;
};

/* A chat message of bot (NULL: no bot object) with text "<bot>:<idx>",
 * numbered seq, with dedup key "id:msg_<bot>_<idx>". */
void nats_event_chat(struct nats_test_event *te, const char *bot, int idx,
		     uint64_t seq);
void nats_event_clear(struct nats_test_event *te);

enum rtw_result nats_handle(struct nats_instance *ni,
			    struct nats_test_event *te, struct rtw_error *err);
/* Hands the chat event (bot, idx, seq) over; fails the test unless OK. */
void nats_handle_ok(struct nats_instance *ni, const char *bot, int idx,
		    uint64_t seq);
/* Hands it over as the daemon would: on RETRY again after retry_ms, until
 * OK or timeout_ms passed. Returns the last answer; *retries (may be NULL)
 * counts the RETRY answers. */
enum rtw_result nats_handle_until_ok(struct nats_instance *ni, const char *bot,
				     int idx, uint64_t seq, long retry_ms,
				     long timeout_ms, int *retries);

/* The index in a chat body's "<bot>:<idx>" text, or -1; bot into out. */
int nats_body_mark(const char *body, char *bot, size_t cap);

/* cmocka setup and teardown: a nats-server with JetStream of its own for
 * each test, in *state (struct nats_server *). */
int nats_test_server_setup(void **state);
int nats_test_server_teardown(void **state);

struct js_message;
/* Fails the test unless the stream's messages m[0..n) hold bot's indices
 * 0..count-1, in order, each once. */
void nats_check_bot_order(const struct js_message *m, size_t n,
			  const char *bot, int count);

int64_t nats_now_ms(void);
void nats_sleep_ms(long ms);

#endif
