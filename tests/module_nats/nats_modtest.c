/* Driving nats.so through its ABI with a mock host (see nats_modtest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "js_read.h"
#include "nats_modtest.h"
#include "nats_server.h"

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct nats_mock_host *m = (struct nats_mock_host *)host;
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("RTW_TEST_VERBOSE") != NULL)
		fprintf(stderr, "[%s %d] %s\n", host->name, (int)level, line);
	pthread_mutex_lock(&m->lock);
	n = snprintf(m->log + m->used, sizeof(m->log) - m->used, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(m->log) - m->used)
		m->used += (size_t)n;
	pthread_mutex_unlock(&m->lock);
}

/* Loads the module and runs init with a host of ABI 1.abi_minor. */
static int open_with(struct nats_instance *ni, const char *config_json,
		     unsigned abi_minor, struct rtw_error *err)
{
	json_t *config = json_loads(config_json, 0, NULL);
	char why[1024] = "";
	int rc;

	memset(ni, 0, sizeof(*ni));
	if (config == NULL)
		fail_msg("test config is not JSON: %s", config_json);
	if (module_open(&ni->module, NATS_MODULE_PATH, why, sizeof(why)) != 0)
		fail_msg("cannot load nats.so: %s", why);
	pthread_mutex_init(&ni->mock.lock, NULL);
	ni->mock.host = (struct rtw_host){
	    .size = sizeof(struct rtw_host),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "bus",
	    .state_dir = "/nonexistent-state-dir", /* nats needs none */
	    .log = mock_log,
	    .abi_minor = abi_minor,
	};
	rc = ni->module.desc->init(&ni->mock.host, config, &ni->state, err);
	ni->initialized = rc == 0;
	json_decref(config);
	return rc;
}

int nats_open(struct nats_instance *ni, const char *config_json,
	      struct rtw_error *err)
{
	/* A host of ABI 1.0/1.1: no RTW_PENDING, one ack wait per event. */
	return open_with(ni, config_json, 0, err);
}

void nats_open_batching_ok(struct nats_instance *ni, const char *config_json)
{
	struct rtw_error err = {{0}};

	if (open_with(ni, config_json, 2, &err) != 0)
		fail_msg("nats init failed: %s", err.message);
}

enum rtw_result nats_flush(struct nats_instance *ni, struct rtw_error *err)
{
	return ni->module.desc->flush(ni->state, err);
}

void nats_open_ok(struct nats_instance *ni, const char *config_json)
{
	struct rtw_error err = {{0}};

	if (nats_open(ni, config_json, &err) != 0)
		fail_msg("nats init on %s failed: %s", config_json,
			 err.message);
}

void nats_close(struct nats_instance *ni)
{
	if (ni->initialized)
		ni->module.desc->fini(ni->state);
	ni->initialized = 0;
	module_close(&ni->module);
	pthread_mutex_destroy(&ni->mock.lock);
}

int nats_logged(struct nats_instance *ni, const char *needle)
{
	int found;

	pthread_mutex_lock(&ni->mock.lock);
	found = strstr(ni->mock.log, needle) != NULL;
	pthread_mutex_unlock(&ni->mock.lock);
	return found;
}

int nats_lines_starting(struct nats_instance *ni, const char *prefix)
{
	size_t len = strlen(prefix);
	int n = 0;

	pthread_mutex_lock(&ni->mock.lock);
	for (const char *line = ni->mock.log; *line != '\0';) {
		const char *end = strchr(line, '\n');

		n += strncmp(line, prefix, len) == 0;
		if (end == NULL)
			break;
		line = end + 1;
	}
	pthread_mutex_unlock(&ni->mock.lock);
	return n;
}

void nats_event_chat(struct nats_test_event *te, const char *bot, int idx,
		     uint64_t seq)
{
	char bot_part[300] = "", why[256];
	int len;

	memset(te, 0, sizeof(*te));
	if (bot != NULL)
		snprintf(bot_part, sizeof(bot_part),
			 ",\"bot\":{\"id\":\"%s\",\"metadata\":{}}", bot);
	len = asprintf(
	    &te->body,
	    "{\"event\":\"participant_events.chat_message\",\"data\":{"
	    "\"data\":{\"participant\":{\"id\":7,\"name\":\"Ada\","
	    "\"is_host\":true,\"platform\":\"zoom\",\"extra_data\":{},"
	    "\"email\":null},\"timestamp\":{\"absolute\":"
	    "\"2026-11-26T16:21:17.125Z\",\"relative\":%d.5},\"data\":{"
	    "\"text\":\"%s:%d\",\"to\":\"everyone\"}},"
	    "\"recording\":{\"id\":\"rec-1\",\"metadata\":{}}%s}}",
	    idx, bot != NULL ? bot : "none", idx, bot_part);
	assert_true(len > 0);
	te->len = (size_t)len;
	if (event_parse(&te->ev, te->body, te->len, why, sizeof(why)) != 0)
		fail_msg("test event does not parse: %s", why);
	te->ev.view.seq = seq;
	snprintf(te->key, sizeof(te->key), "id:msg_%s_%d",
		 bot != NULL ? bot : "none", idx);
	te->ev.view.dedup_key = te->key;
}

void nats_event_clear(struct nats_test_event *te)
{
	event_clear(&te->ev);
	free(te->body);
	memset(te, 0, sizeof(*te));
}

enum rtw_result nats_handle(struct nats_instance *ni,
			    struct nats_test_event *te, struct rtw_error *err)
{
	return ni->module.desc->handle(ni->state, &te->ev.view, err);
}

void nats_handle_ok(struct nats_instance *ni, const char *bot, int idx,
		    uint64_t seq)
{
	struct nats_test_event te;
	struct rtw_error err = {{0}};
	enum rtw_result r;

	nats_event_chat(&te, bot, idx, seq);
	r = nats_handle(ni, &te, &err);
	nats_event_clear(&te);
	if (r != RTW_OK)
		fail_msg("handle(%s:%d, seq %llu) answered %d: %s", bot, idx,
			 (unsigned long long)seq, (int)r, err.message);
}

enum rtw_result nats_handle_until_ok(struct nats_instance *ni, const char *bot,
				     int idx, uint64_t seq, long retry_ms,
				     long timeout_ms, int *retries)
{
	struct nats_test_event te;
	int64_t deadline = nats_now_ms() + timeout_ms;
	enum rtw_result r;

	nats_event_chat(&te, bot, idx, seq);
	for (;;) {
		struct rtw_error err = {{0}};

		r = nats_handle(ni, &te, &err);
		if (r != RTW_RETRY || nats_now_ms() > deadline)
			break;
		if (getenv("RTW_TEST_VERBOSE") != NULL)
			fprintf(stderr, "retry %s:%d: %s\n", bot, idx,
				err.message);
		if (retries != NULL)
			(*retries)++;
		nats_sleep_ms(retry_ms);
	}
	nats_event_clear(&te);
	return r;
}

int nats_body_mark(const char *body, char *bot, size_t cap)
{
	const char *text = strstr(body, "\"text\":\"");
	const char *colon;

	if (text == NULL)
		return -1;
	text += strlen("\"text\":\"");
	colon = strchr(text, ':');
	if (colon == NULL || (size_t)(colon - text) >= cap)
		return -1;
	snprintf(bot, cap, "%.*s", (int)(colon - text), text);
	return atoi(colon + 1);
}

int64_t nats_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nats_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int nats_test_server_setup(void **state)
{
	struct nats_server *s = calloc(1, sizeof(*s));

	if (s == NULL || nats_server_start(s, NULL) != 0) {
		fprintf(stderr, "cannot start nats-server for the test\n");
		if (s != NULL)
			nats_server_stop(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

int nats_test_server_teardown(void **state)
{
	nats_server_stop(*state);
	free(*state);
	return 0;
}

void nats_check_bot_order(const struct js_message *m, size_t n,
			  const char *bot, int count)
{
	int next = 0;

	for (size_t i = 0; i < n; i++) {
		char b[64];
		int idx = nats_body_mark(m[i].data, b, sizeof(b));

		if (strcmp(b, bot) != 0)
			continue;
		if (idx != next)
			fail_msg("bot %s: message %zu holds index %d, expected "
				 "%d",
				 bot, i, idx, next);
		next++;
	}
	if (next != count)
		fail_msg("bot %s: %d of %d events in the stream", bot, next,
			 count);
}
