/* Shared support of the exec and pipe handler tests (see modtest.h). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_file.h"
#include "modtest.h"
#include "scratch.h"

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct mock_host *m = (struct mock_host *)host;
	char *line = NULL;
	char **grown;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	grown = realloc(m->lines, (m->nlines + 1) * sizeof(*grown));
	if (grown != NULL) {
		m->lines = grown;
		m->lines[m->nlines++] = line;
		line = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	free(line);
}

int mod_open(struct mod_instance *mi, const char *so_path,
	     const char *config_json, struct rtw_error *err)
{
	json_error_t jerr;
	json_t *config = json_loads(config_json, 0, &jerr);
	char why[1024] = "";
	int rc;

	memset(mi, 0, sizeof(*mi));
	if (config == NULL)
		fail_msg("test config is not JSON (%s): %s", jerr.text,
			 config_json);
	if (module_open(&mi->module, so_path, why, sizeof(why)) != 0)
		fail_msg("cannot load %s: %s", so_path, why);
	pthread_mutex_init(&mi->mock.lock, NULL);
	mi->mock.host = (struct rtw_host){
	    .size = sizeof(struct rtw_host),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "testhandler",
	    .state_dir = "/nonexistent-state-dir",
	    .log = mock_log,
	};
	rc = mi->module.desc->init(&mi->mock.host, config, &mi->state, err);
	mi->initialized = rc == 0;
	json_decref(config);
	return rc;
}

void mod_open_ok(struct mod_instance *mi, const char *so_path,
		 const char *config_json)
{
	struct rtw_error err = {{0}};

	if (mod_open(mi, so_path, config_json, &err) != 0)
		fail_msg("init on %s failed: %s", config_json, err.message);
}

void mod_close(struct mod_instance *mi)
{
	if (mi->initialized)
		mi->module.desc->fini(mi->state);
	mi->initialized = 0;
	module_close(&mi->module);
	for (size_t i = 0; i < mi->mock.nlines; i++)
		free(mi->mock.lines[i]);
	free(mi->mock.lines);
	mi->mock.lines = NULL;
	mi->mock.nlines = 0;
	pthread_mutex_destroy(&mi->mock.lock);
}

size_t mock_log_count(struct mock_host *m, const char *needle)
{
	size_t n = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nlines; i++)
		n += strstr(m->lines[i], needle) != NULL;
	pthread_mutex_unlock(&m->lock);
	return n;
}

char *mock_log_text(struct mock_host *m)
{
	size_t len = 1;
	char *text;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nlines; i++)
		len += strlen(m->lines[i]) + 1;
	text = calloc(1, len);
	for (size_t i = 0; text != NULL && i < m->nlines; i++) {
		strcat(text, m->lines[i]);
		strcat(text, "\n");
	}
	pthread_mutex_unlock(&m->lock);
	assert_non_null(text);
	return text;
}

void tev_from_bytes(struct test_event *te, const char *body, size_t len,
		    uint64_t seq)
{
	char why[256] = "";

	te->body = malloc(len + 1);
	assert_non_null(te->body);
	memcpy(te->body, body, len);
	te->body[len] = '\0';
	te->len = len;
	if (event_parse(&te->ev, te->body, len, why, sizeof(why)) != 0)
		fail_msg("test event rejected: %s", why);
	te->ev.view.seq = seq;
	te->ev.view.received_at_ms = 1764174001480;
}

void tev_from_fixture(struct test_event *te, const char *path, uint64_t seq)
{
	size_t len;
	char *body = fixture_read(path, &len);

	tev_from_bytes(te, body, len, seq);
	free(body);
}

size_t modtest_chat_body(char *buf, size_t len, const char *bot, int idx)
{
	int n = snprintf(
	    buf, len,
	    "{\"event\":\"participant_events.chat_message\",\"data\":{"
	    "\"data\":{\"participant\":{\"id\":%d,\"name\":\"Person %d\","
	    "\"is_host\":false,\"platform\":\"desktop\",\"extra_data\":{},"
	    "\"email\":null},\"timestamp\":{\"absolute\":"
	    "\"2026-11-26T16:21:17.125Z\",\"relative\":%d.5},"
	    "\"data\":{\"text\":\"%s:%d\",\"to\":\"everyone\"}},"
	    "\"recording\":{\"id\":\"rec-%s\",\"metadata\":{}},"
	    "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
	    idx, idx, idx, bot, idx, bot, bot);

	assert_true(n > 0 && (size_t)n < len);
	return (size_t)n;
}

void tev_chat(struct test_event *te, const char *bot, int idx, uint64_t seq)
{
	char body[2048];
	size_t len = modtest_chat_body(body, sizeof(body), bot, idx);

	tev_from_bytes(te, body, len, seq);
}

void tev_clear(struct test_event *te)
{
	event_clear(&te->ev);
	free(te->body);
	te->body = NULL;
}

enum rtw_result mod_handle(struct mod_instance *mi, struct test_event *te,
			   struct rtw_error *err)
{
	memset(err, 0, sizeof(*err));
	return mi->module.desc->handle(mi->state, &te->ev.view, err);
}

/* text with every "@DIR@" replaced by dir, malloc'd. */
static char *expand_dir(const char *text, const char *dir)
{
	size_t cap = strlen(text) + 1, o = 0;
	char *out;

	for (const char *p = strstr(text, "@DIR@"); p;
	     p = strstr(p + 5, "@DIR@"))
		cap += strlen(dir);
	out = malloc(cap);
	assert_non_null(out);
	for (const char *p = text; *p;) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			memcpy(out + o, dir, strlen(dir));
			o += strlen(dir);
			p += 5;
		} else
			out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

char *modtest_script(const char *dir, const char *name, const char *text)
{
	char *path = scratch_path(dir, name);
	char *body = expand_dir(text, dir);

	scratch_write(path, body);
	assert_int_equal(chmod(path, 0755), 0);
	free(body);
	return path;
}

char *modtest_json_string(const char *s)
{
	json_t *str = json_string(s);
	char *text = json_dumps(str, JSON_ENCODE_ANY);

	assert_non_null(text);
	json_decref(str);
	return text;
}

int modtest_pid_alive(long pid)
{
	char path[64], *stat;
	const char *close_paren;
	int alive;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	stat = scratch_read(path, NULL);
	if (stat == NULL)
		return 0;
	close_paren = strrchr(stat, ')');
	alive = close_paren != NULL && close_paren[1] == ' ' &&
		close_paren[2] != 'Z' && close_paren[2] != 'X';
	free(stat);
	return alive;
}

int modtest_wait_file(const char *path, long timeout_ms)
{
	int64_t until = modtest_now_ms() + timeout_ms;

	while (access(path, F_OK) != 0) {
		if (modtest_now_ms() >= until)
			return 0;
		modtest_sleep_ms(10);
	}
	return 1;
}

long modtest_read_pid(const char *path, long timeout_ms)
{
	int64_t until = modtest_now_ms() + timeout_ms;

	for (;;) {
		char *text = scratch_read(path, NULL);
		long pid = text != NULL && strchr(text, '\n') != NULL
			       ? strtol(text, NULL, 10)
			       : 0;

		free(text);
		if (pid > 0)
			return pid;
		if (modtest_now_ms() >= until)
			return -1;
		modtest_sleep_ms(10);
	}
}

void modtest_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int64_t modtest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
