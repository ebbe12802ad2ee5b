/* redis_module: drives the built redis.so the way the daemon does, with a
 * mock host (collectd-style), and builds events for it. */
#ifndef RTW_TEST_REDIS_MODULE_H
#define RTW_TEST_REDIS_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "module.h"

#define REDIS_MODULE_PATH RTW_BINARY_DIR "/handlers/redis.so"

/* A host whose log lines are counted and the last one kept. */
struct redis_mock_host {
	struct rtw_host host; /* first: the module is given &host */
	char last_log[1024];
	int nlogs;
};

struct redis_instance {
	struct module module;
	struct redis_mock_host mock;
	void *state;
	int initialized;
};

/* Loads redis.so (exits on failure: nothing can be tested without it) and
 * runs init on config_json. Returns init's result; err gets its reason. */
int redis_open(struct redis_instance *ri, const char *config_json,
	       struct rtw_error *err);
/* The same, failing the running test unless init succeeds. */
void redis_open_ok(struct redis_instance *ri, const char *config_json);
/* redis_open_ok with a host of ABI 1.2, which takes RTW_PENDING: the
 * module batches (unless its config says batch = false). */
void redis_open_batching_ok(struct redis_instance *ri, const char *config_json);
enum rtw_result redis_flush(struct redis_instance *ri, struct rtw_error *err);
void redis_close(struct redis_instance *ri);

/* An event with a body it owns. */
struct test_event {
	char *body;
	size_t len;
	char key[128];
	struct event ev;
};

/* A chat message of bot (NULL: no bot object) whose text is
 * "<bot>:<idx>", numbered seq, with dedup key "id:<bot>-<idx>". */
void test_event_chat(struct test_event *te, const char *bot, int idx,
		     uint64_t seq);
void test_event_clear(struct test_event *te);

enum rtw_result redis_handle(struct redis_instance *ri, struct test_event *te,
			     struct rtw_error *err);
/* Hands over the chat event (bot, idx, seq); fails the test unless OK. */
void redis_handle_ok(struct redis_instance *ri, const char *bot, int idx,
		     uint64_t seq);

/* cmocka setup and teardown: a redis-server of its own for each test, in
 * *state (struct redis_server *). */
int redis_test_server_setup(void **state);
int redis_test_server_teardown(void **state);

struct redis_server;
/* Fails the test unless stream (in database db) holds exactly bot's
 * events first..first+count-1, in order. */
void redis_expect_range(const struct redis_server *s, int db,
			const char *stream, const char *bot, int first,
			int count);

#endif
