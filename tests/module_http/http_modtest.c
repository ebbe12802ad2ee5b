/* Driving http.so through its ABI with a mock host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_modtest.h"

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct mock_host *m = (struct mock_host *)host;
	char line[2048];
	size_t n;
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	pthread_mutex_lock(&m->lock);
	m->log = realloc(m->log, m->log_len + n + 2);
	if (m->log == NULL)
		abort();
	memcpy(m->log + m->log_len, line, n);
	m->log_len += n;
	m->log[m->log_len++] = '\n';
	m->log[m->log_len] = '\0';
	pthread_mutex_unlock(&m->lock);
}

static void mock_retry_after(const struct rtw_host *host, int64_t delay_ms)
{
	struct mock_host *m = (struct mock_host *)host;

	pthread_mutex_lock(&m->lock);
	if (m->ndelays == MOCK_MAX_DELAYS)
		abort(); /* no test asks that often */
	m->delays[m->ndelays++] = delay_ms;
	pthread_mutex_unlock(&m->lock);
}

static size_t host_size(enum mock_host_kind kind)
{
	return kind == MOCK_HOST_1_0 ? offsetof(struct rtw_host, abi_minor)
				     : sizeof(struct rtw_host);
}

int hi_open(struct http_instance *hi, const char *config_json,
	    struct rtw_error *err)
{
	return hi_open_host(hi, config_json, MOCK_HOST_1_2, err);
}

int hi_open_host(struct http_instance *hi, const char *config_json,
		 enum mock_host_kind kind, struct rtw_error *err)
{
	json_error_t jerr;
	json_t *config = json_loads(config_json, JSON_ALLOW_NUL, &jerr);
	char why[1024] = "";
	int rc;

	memset(hi, 0, sizeof(*hi));
	if (config == NULL)
		fail_msg("bad test config (%s): %s", jerr.text, config_json);
	if (module_open(&hi->module, HTTP_SO, why, sizeof(why)) != 0)
		fail_msg("cannot load http.so: %s", why);
	pthread_mutex_init(&hi->mock.lock, NULL);
	hi->mock.log = calloc(1, 1);
	hi->mock.host = (struct rtw_host){
	    .size = host_size(kind),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "forward",
	    .state_dir = "/nonexistent-state-dir", /* http needs none */
	    .log = mock_log,
	    .abi_minor = RTW_HANDLER_ABI_MINOR,
	    .retry_after =
		kind == MOCK_HOST_NO_RETRY_AFTER ? NULL : mock_retry_after,
	};
	rc = hi->module.desc->init(&hi->mock.host, config, &hi->state, err);
	hi->initialized = rc == 0;
	json_decref(config);
	return rc;
}

void hi_open_ok(struct http_instance *hi, const char *config_json)
{
	struct rtw_error err = {{0}};

	if (hi_open(hi, config_json, &err) != 0)
		fail_msg("http init failed: %s (config %s)", err.message,
			 config_json);
}

void hi_open_host_ok(struct http_instance *hi, const char *config_json,
		     enum mock_host_kind kind)
{
	struct rtw_error err = {{0}};

	if (hi_open_host(hi, config_json, kind, &err) != 0)
		fail_msg("http init failed: %s (config %s)", err.message,
			 config_json);
}

void hi_close(struct http_instance *hi)
{
	if (hi->initialized)
		hi->module.desc->fini(hi->state);
	hi->initialized = 0;
	module_close(&hi->module);
	free(hi->mock.log);
	hi->mock.log = NULL;
	pthread_mutex_destroy(&hi->mock.lock);
}

const char *hi_log(struct http_instance *hi)
{
	return hi->mock.log;
}

size_t hi_delays(struct http_instance *hi, int64_t *last_ms)
{
	size_t n;

	pthread_mutex_lock(&hi->mock.lock);
	n = hi->mock.ndelays;
	*last_ms = n > 0 ? hi->mock.delays[n - 1] : -1;
	pthread_mutex_unlock(&hi->mock.lock);
	return n;
}

void tev_make(struct test_event *te, const char *body, uint64_t seq,
	      const char *dedup_key)
{
	char why[256] = "";

	memset(te, 0, sizeof(*te));
	te->len = strlen(body);
	te->body = strdup(body);
	assert_non_null(te->body);
	if (event_parse(&te->ev, te->body, te->len, why, sizeof(why)) != 0)
		fail_msg("test event rejected: %s", why);
	te->ev.view.seq = seq;
	if (dedup_key != NULL) {
		te->dedup_key = strdup(dedup_key);
		te->ev.view.dedup_key = te->dedup_key;
	} else /* an ABI 1.0 host: the struct ends before dedup_key */
		te->ev.view.size = offsetof(struct rtw_event, dedup_key);
}

void tev_chat(struct test_event *te, const char *bot, int idx, uint64_t seq)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "{\"event\":\"participant_events.chat_message\",\"data\":{"
		 "\"data\":{\"participant\":{\"id\":%d,\"name\":\"P\","
		 "\"is_host\":false,\"platform\":null,\"extra_data\":{},"
		 "\"email\":null},\"timestamp\":{\"absolute\":"
		 "\"2026-11-26T16:20:01.480Z\",\"relative\":1.5},\"data\":{"
		 "\"text\":\"%s:%d\",\"to\":\"everyone\"}},"
		 "\"participant_events\":{\"id\":\"pe-1\",\"metadata\":{}},"
		 "\"recording\":{\"id\":\"rec-1\",\"metadata\":{}},"
		 "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
		 idx, bot, idx, bot);
	tev_make(te, body, seq, NULL);
	/* A body digest key, as the host gives an unsigned request. */
	te->dedup_key = malloc(64);
	assert_non_null(te->dedup_key);
	snprintf(te->dedup_key, 64, "body:%032llx", (unsigned long long)seq);
	te->ev.view.size = sizeof(struct rtw_event);
	te->ev.view.dedup_key = te->dedup_key;
}

void tev_clear(struct test_event *te)
{
	event_clear(&te->ev);
	free(te->body);
	free(te->dedup_key);
	memset(te, 0, sizeof(*te));
}

enum rtw_result hi_handle(struct http_instance *hi, struct test_event *te,
			  struct rtw_error *err)
{
	memset(err, 0, sizeof(*err));
	return hi->module.desc->handle(hi->state, &te->ev.view, err);
}

char *hi_config(const char *url, const char *extra)
{
	size_t len = strlen(url) + strlen(extra) + 32;
	char *text = malloc(len);

	assert_non_null(text);
	snprintf(text, len, "{\"url\": \"%s\"%s}", url, extra);
	return text;
}
