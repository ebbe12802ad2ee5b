/* Driving redis.so through its ABI (see redis_module.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redis_module.h"
#include "redis_server.h"
#include "redis_stream.h"

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct redis_mock_host *mock = (struct redis_mock_host *)host;
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(mock->last_log, sizeof(mock->last_log), fmt, ap);
	va_end(ap);
	__atomic_fetch_add(&mock->nlogs, 1, __ATOMIC_RELAXED);
}

/* Loads the module and runs init with a host of ABI 1.abi_minor. */
static int open_with(struct redis_instance *ri, const char *config_json,
		     unsigned abi_minor, struct rtw_error *err)
{
	json_error_t jerr;
	json_t *config = json_loads(config_json, 0, &jerr);
	char why[1024] = "";
	int rc;

	memset(ri, 0, sizeof(*ri));
	if (config == NULL)
		fail_msg("test config does not parse: %s: %s", jerr.text,
			 config_json);
	if (module_open(&ri->module, REDIS_MODULE_PATH, why, sizeof(why)) != 0)
		fail_msg("cannot load redis.so: %s", why);
	ri->mock.host = (struct rtw_host){
	    .size = sizeof(struct rtw_host),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "streams",
	    .state_dir = "/nonexistent-state-dir", /* redis needs none */
	    .log = mock_log,
	    .abi_minor = abi_minor,
	};
	rc = ri->module.desc->init(&ri->mock.host, config, &ri->state, err);
	ri->initialized = rc == 0;
	json_decref(config);
	return rc;
}

int redis_open(struct redis_instance *ri, const char *config_json,
	       struct rtw_error *err)
{
	/* A host of ABI 1.0/1.1: no RTW_PENDING, one event per round trip. */
	return open_with(ri, config_json, 0, err);
}

void redis_open_batching_ok(struct redis_instance *ri, const char *config_json)
{
	struct rtw_error err = {{0}};

	if (open_with(ri, config_json, 2, &err) != 0)
		fail_msg("redis init on %s failed: %s", config_json,
			 err.message);
}

enum rtw_result redis_flush(struct redis_instance *ri, struct rtw_error *err)
{
	return ri->module.desc->flush(ri->state, err);
}

void redis_open_ok(struct redis_instance *ri, const char *config_json)
{
	struct rtw_error err = {{0}};

	if (redis_open(ri, config_json, &err) != 0)
		fail_msg("redis init on %s failed: %s", config_json,
			 err.message);
}

void redis_close(struct redis_instance *ri)
{
	if (ri->initialized)
		ri->module.desc->fini(ri->state);
	ri->initialized = 0;
	module_close(&ri->module);
}

void test_event_chat(struct test_event *te, const char *bot, int idx,
		     uint64_t seq)
{
	char mark[512], why[256] = "";
	json_t *body = json_pack(
	    "{s:s, s:{s:{s:{s:i, s:s, s:b, s:s, s:{}}, s:{s:s, s:f},"
	    " s:{s:s, s:s}}, s:{s:s, s:{}}, s:{s:s, s:{}}, s:{s:s, s:{}}}}",
	    "event", "participant_events.chat_message", "data", "data",
	    "participant", "id", 100, "name", "Ada", "is_host", 1, "platform",
	    "desktop", "extra_data", "timestamp", "absolute",
	    "2026-11-26T16:20:01.480Z", "relative", 12.5, "data", "text", "",
	    "to", "everyone", "realtime_endpoint", "id", "endpoint-1",
	    "metadata", "participant_events", "id", "pe-1", "metadata",
	    "recording", "id", "recording-1", "metadata");

	assert_non_null(body);
	snprintf(mark, sizeof(mark), "%s:%d", bot ? bot : "(none)", idx);
	json_object_set_new(
	    json_object_get(
		json_object_get(json_object_get(body, "data"), "data"), "data"),
	    "text", json_string(mark));
	if (bot != NULL)
		json_object_set_new(
		    json_object_get(body, "data"), "bot",
		    json_pack("{s:s, s:{}}", "id", bot, "metadata"));
	te->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	assert_non_null(te->body);
	te->len = strlen(te->body);
	if (event_parse(&te->ev, te->body, te->len, why, sizeof(why)) != 0)
		fail_msg("test event rejected: %s", why);
	snprintf(te->key, sizeof(te->key), "id:%s-%d", bot ? bot : "none", idx);
	te->ev.view.seq = seq;
	te->ev.view.dedup_key = te->key;
	te->ev.view.received_at_ms = INT64_C(1764174001480);
}

void test_event_clear(struct test_event *te)
{
	event_clear(&te->ev);
	free(te->body);
	te->body = NULL;
}

enum rtw_result redis_handle(struct redis_instance *ri, struct test_event *te,
			     struct rtw_error *err)
{
	return ri->module.desc->handle(ri->state, &te->ev.view, err);
}

void redis_handle_ok(struct redis_instance *ri, const char *bot, int idx,
		     uint64_t seq)
{
	struct rtw_error err = {{0}};
	struct test_event te;
	enum rtw_result r;

	test_event_chat(&te, bot, idx, seq);
	r = redis_handle(ri, &te, &err);
	test_event_clear(&te);
	if (r != RTW_OK)
		fail_msg("handle(%s:%d, seq %llu) answered %d: %s", bot, idx,
			 (unsigned long long)seq, (int)r, err.message);
}

int redis_test_server_setup(void **state)
{
	struct redis_server *s = calloc(1, sizeof(*s));

	if (s == NULL || redis_server_start(s, NULL) != 0) {
		free(s);
		fail_msg("cannot start redis-server (see above)");
	}
	*state = s;
	return 0;
}

int redis_test_server_teardown(void **state)
{
	redis_server_stop(*state);
	free(*state);
	return 0;
}

void redis_expect_range(const struct redis_server *s, int db,
			const char *stream, const char *bot, int first,
			int count)
{
	size_t n;
	struct stream_entry *e = stream_read(s, db, stream, &n);
	int rc = stream_check_range(e, n, bot, first, count);

	stream_entries_free(e, n);
	if (rc != 0)
		fail_msg("stream %s is not %s's events %d..%d", stream, bot,
			 first, first + count - 1);
}
