/* Driving sqlite.so through its ABI (as the daemon does, batching or
 * not), and reading its database back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_file.h"
#include "sqltest.h"

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct mock_host *mock = (struct mock_host *)host;
	va_list ap;

	(void)level;
	pthread_mutex_lock(&mock->lock);
	va_start(ap, fmt);
	vsnprintf(mock->last_log, sizeof(mock->last_log), fmt, ap);
	va_end(ap);
	mock->nlogs++;
	pthread_mutex_unlock(&mock->lock);
}

#define SQLT_FLUSH_EVENTS 256 /* the daemon's FLUSH_MAX_EVENTS */

static unsigned host_minor;

void sqlt_set_host_minor(unsigned minor)
{
	host_minor = minor;
}

int sqlt_open(struct sql_instance *si, const char *config_json,
	      struct rtw_error *err)
{
	json_t *config = json_loads(config_json, 0, NULL);
	char why[1024] = "";
	int rc;

	memset(si, 0, sizeof(*si));
	assert_non_null(config);
	if (module_open(&si->module, SQLTEST_MODULE, why, sizeof(why)) != 0)
		fail_msg("cannot load sqlite.so: %s", why);
	pthread_mutex_init(&si->mock.lock, NULL);
	si->mock.host = (struct rtw_host){
	    .size = sizeof(struct rtw_host),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "store",
	    .state_dir = "/nonexistent-state-dir", /* sqlite needs none */
	    .log = mock_log,
	    .abi_minor = host_minor,
	};
	si->batching = host_minor >= 2;
	rc = si->module.desc->init(&si->mock.host, config, &si->state, err);
	si->initialized = rc == 0;
	json_decref(config);
	return rc;
}

void sqlt_open_db(struct sql_instance *si, const char *db_path,
		  const char *extra)
{
	struct rtw_error err = {{0}};
	char *config = NULL;

	assert_true(asprintf(&config, "{\"path\": \"%s\"%s}", db_path, extra) >
		    0);
	if (sqlt_open(si, config, &err) != 0)
		fail_msg("sqlite init on %s failed: %s", config, err.message);
	free(config);
}

enum rtw_result sqlt_flush(struct sql_instance *si, struct rtw_error *err)
{
	enum rtw_result r = RTW_OK;

	if (si->batching)
		r = si->module.desc->flush(si->state, err);
	if (r == RTW_OK)
		si->pending = 0;
	return r;
}

static void flush_ok(struct sql_instance *si)
{
	struct rtw_error err = {{0}};

	if (sqlt_flush(si, &err) != RTW_OK)
		fail_msg("flush failed: %s", err.message);
}

void sqlt_close(struct sql_instance *si)
{
	if (si->initialized && si->pending > 0)
		flush_ok(si);
	if (si->initialized)
		si->module.desc->fini(si->state);
	si->initialized = 0;
	module_close(&si->module);
	pthread_mutex_destroy(&si->mock.lock);
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
	te->ev.view.received_at_ms = SQLTEST_RECEIVED_AT_MS;
}

void tev_from_fixture(struct test_event *te, const char *path, uint64_t seq)
{
	size_t len;
	char *body = fixture_read(path, &len);

	tev_from_bytes(te, body, len, seq);
	free(body);
}

void tev_clear(struct test_event *te)
{
	event_clear(&te->ev);
	free(te->body);
	te->body = NULL;
}

enum rtw_result sqlt_handle(struct sql_instance *si, struct test_event *te,
			    struct rtw_error *err)
{
	return si->module.desc->handle(si->state, &te->ev.view, err);
}

void sqlt_handle_ok(struct sql_instance *si, struct test_event *te)
{
	struct rtw_error err = {{0}};
	enum rtw_result r = sqlt_handle(si, te, &err);
	enum rtw_result want = si->batching ? RTW_PENDING : RTW_OK;

	if (r != want)
		fail_msg("handle(seq %llu) answered %d, not %d: %s",
			 (unsigned long long)te->ev.view.seq, (int)r, (int)want,
			 err.message);
	if (r == RTW_PENDING && ++si->pending >= SQLT_FLUSH_EVENTS)
		flush_ok(si);
}

char **sqlt_meeting_lines(size_t *n)
{
	size_t len, count = 0;
	char *text = fixture_read(SQLTEST_MEETING, &len);
	char **lines = calloc(len + 1, sizeof(char *));
	char *save = NULL;

	assert_non_null(lines);
	for (char *s = strtok_r(text, "\n", &save); s != NULL;
	     s = strtok_r(NULL, "\n", &save)) {
		lines[count] = strdup(s);
		assert_non_null(lines[count++]);
	}
	free(text);
	assert_int_equal(count, SQLTEST_MEETING_EVENTS);
	*n = count;
	return lines;
}

void sqlt_free_lines(char **lines)
{
	for (size_t i = 0; lines != NULL && lines[i] != NULL; i++)
		free(lines[i]);
	free(lines);
}

void sqlt_handle_meeting(struct sql_instance *si, uint64_t first)
{
	size_t n;
	char **lines = sqlt_meeting_lines(&n);

	for (size_t i = 0; i < n; i++) {
		struct test_event te;

		tev_from_bytes(&te, lines[i], strlen(lines[i]), first + i);
		sqlt_handle_ok(si, &te);
		tev_clear(&te);
	}
	sqlt_free_lines(lines);
}

size_t sqlt_participant_body(char *buf, size_t len, const char *kind,
			     const char *bot, int pid, double rel)
{
	int n = snprintf(
	    buf, len,
	    "{\"event\":\"participant_events.%s\",\"data\":{\"data\":{"
	    "\"participant\":{\"id\":%d,\"name\":\"Person %d\","
	    "\"is_host\":false,\"platform\":\"desktop\",\"extra_data\":{},"
	    "\"email\":null},\"timestamp\":{\"absolute\":null,"
	    "\"relative\":%.3f},\"data\":null},"
	    "\"participant_events\":{\"id\":\"pe-%s\",\"metadata\":{}},"
	    "\"recording\":{\"id\":\"rec-%s\",\"metadata\":{}},"
	    "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
	    kind, pid, pid, rel, bot, bot, bot);

	assert_true(n > 0 && (size_t)n < len);
	return (size_t)n;
}

sqlite3 *sqlt_db(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

char *sqlt_rows(sqlite3 *db, const char *sql, const char *meeting)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	size_t len = 0;
	int idx, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("cannot prepare %s: %s", sql, sqlite3_errmsg(db));
	idx = sqlite3_bind_parameter_index(st, ":meeting");
	if (idx > 0)
		sqlite3_bind_text(st, idx, meeting, -1, SQLITE_TRANSIENT);
	append(&out, &len, "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *v =
			    (const char *)sqlite3_column_text(st, c);

			append(&out, &len, c ? "|" : "");
			append(&out, &len, v ? v : "NULL");
		}
		append(&out, &len, "\n");
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return out;
}

long long sqlt_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("cannot prepare %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row (%s)", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

char *sqlt_doc_query(const char *name)
{
	size_t len;
	char *doc = fixture_read(SQLTEST_DOC, &len), *mark = NULL, *start, *end;
	char *sql;

	assert_true(asprintf(&mark, "-- query: %s\n", name) > 0);
	start = strstr(doc, mark);
	if (start == NULL)
		fail_msg("%s has no query block '%s'", SQLTEST_DOC, name);
	start += strlen(mark);
	end = strstr(start, "```");
	assert_non_null(end);
	sql = strndup(start, (size_t)(end - start));
	assert_non_null(sql);
	free(mark);
	free(doc);
	return sql;
}
