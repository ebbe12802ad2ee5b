/* Driving jsonl.so through its ABI, and reading its output. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fixture_file.h"
#include "jsonl_util.h"
#include "scratch.h"

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct mock_host *mock = (struct mock_host *)host;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mock->last_log, sizeof(mock->last_log), fmt, ap);
	va_end(ap);
	mock->nlogs++;
}

int jsonl_open(struct jsonl_instance *ji, const char *config_json,
	       struct rtw_error *err)
{
	return jsonl_open_minor(ji, config_json, 0, err);
}

int jsonl_open_minor(struct jsonl_instance *ji, const char *config_json,
		     unsigned abi_minor, struct rtw_error *err)
{
	json_t *config = json_loads(config_json, 0, NULL);
	char why[1024] = "";
	int rc;

	memset(ji, 0, sizeof(*ji));
	assert_non_null(config);
	if (module_open(&ji->module, JSONL_MODULE_PATH, why, sizeof(why)) != 0)
		fail_msg("cannot load jsonl: %s", why);
	ji->mock.host = (struct rtw_host){
	    .size = sizeof(struct rtw_host),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "archive",
	    .state_dir = "/nonexistent-state-dir", /* jsonl needs none */
	    .log = mock_log,
	    .abi_minor = abi_minor,
	};
	rc = ji->module.desc->init(&ji->mock.host, config, &ji->state, err);
	ji->initialized = rc == 0;
	json_decref(config);
	return rc;
}

void jsonl_open_path(struct jsonl_instance *ji, const char *path)
{
	json_t *config = json_pack("{s:s}", "path", path);
	char *text = json_dumps(config, 0);
	struct rtw_error err = {{0}};

	if (jsonl_open(ji, text, &err) != 0)
		fail_msg("jsonl init on %s failed: %s", path, err.message);
	free(text);
	json_decref(config);
}

void jsonl_close(struct jsonl_instance *ji)
{
	if (ji->initialized)
		ji->module.desc->fini(ji->state);
	ji->initialized = 0;
	module_close(&ji->module);
}

void jsonl_open_batching(struct jsonl_instance *ji, const char *path)
{
	json_t *config = json_pack("{s:s}", "path", path);
	char *text = json_dumps(config, 0);
	struct rtw_error err = {{0}};

	if (jsonl_open_minor(ji, text, RTW_HANDLER_ABI_MINOR, &err) != 0)
		fail_msg("jsonl init on %s failed: %s", path, err.message);
	free(text);
	json_decref(config);
}

enum rtw_result jsonl_flush(struct jsonl_instance *ji, struct rtw_error *err)
{
	assert_non_null(ji->module.desc->flush);
	return ji->module.desc->flush(ji->state, err);
}

enum rtw_result jsonl_handle(struct jsonl_instance *ji,
			     const struct rtw_event *ev, struct rtw_error *err)
{
	return ji->module.desc->handle(ji->state, ev, err);
}

void jsonl_handle_ok(struct jsonl_instance *ji, struct test_event *te)
{
	struct rtw_error err = {{0}};
	enum rtw_result r = jsonl_handle(ji, &te->ev.view, &err);

	if (r != RTW_OK)
		fail_msg("handle(seq %llu) answered %d: %s",
			 (unsigned long long)te->ev.view.seq, (int)r,
			 err.message);
}

enum rtw_result jsonl_handle_fixture(struct jsonl_instance *ji,
				     const char *path, uint64_t seq,
				     struct rtw_error *err)
{
	struct test_event te;
	enum rtw_result r;

	test_event_from_fixture(&te, path, seq);
	r = jsonl_handle(ji, &te.ev.view, err);
	test_event_clear(&te);
	return r;
}

static struct rlimit saved_fsize;

void fsize_save(void)
{
	if (getrlimit(RLIMIT_FSIZE, &saved_fsize) != 0)
		abort();
	signal(SIGXFSZ, SIG_IGN);
}

void fsize_limit_growth(const char *path, long room)
{
	struct rlimit lim = saved_fsize;
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	lim.rlim_cur = (rlim_t)(st.st_size + room);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

void fsize_unlimit(void)
{
	setrlimit(RLIMIT_FSIZE, &saved_fsize);
}

int fsize_teardown(void **state)
{
	fsize_unlimit();
	return 0;
}

void test_event_from_bytes(struct test_event *te, const char *body, size_t len,
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
	te->ev.view.received_at_ms = TEST_RECEIVED_AT_MS;
}

void test_event_from_fixture(struct test_event *te, const char *path,
			     uint64_t seq)
{
	size_t len;
	char *body = fixture_read(path, &len);

	test_event_from_bytes(te, body, len, seq);
	free(body);
}

void test_event_clear(struct test_event *te)
{
	event_clear(&te->ev);
	free(te->body);
	te->body = NULL;
}

void lines_read(struct lines *l, const char *path)
{
	size_t len = 0;
	char *save = NULL;

	memset(l, 0, sizeof(*l));
	l->text = scratch_read(path, &len);
	if (l->text == NULL)
		fail_msg("no output file %s", path);
	if (len > 0 && l->text[len - 1] != '\n')
		fail_msg("%s ends in a partial line", path);
	l->line = calloc(len + 1, sizeof(char *));
	assert_non_null(l->line);
	for (char *s = strtok_r(l->text, "\n", &save); s != NULL;
	     s = strtok_r(NULL, "\n", &save))
		l->line[l->count++] = s;
}

void lines_free(struct lines *l)
{
	free(l->line);
	free(l->text);
	memset(l, 0, sizeof(*l));
}

static json_t *load_object(const char *text, size_t len, const char *what)
{
	json_error_t jerr;
	json_t *obj = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);

	if (!json_is_object(obj))
		fail_msg("%s is not a JSON object (%s): %.200s", what,
			 jerr.text, text);
	return obj;
}

uint64_t line_seq(const char *line)
{
	json_t *obj = load_object(line, strlen(line), "output line");
	json_t *meta = json_object_get(obj, "_rtwebhookd");
	uint64_t seq =
	    (uint64_t)json_integer_value(json_object_get(meta, "seq"));

	json_decref(obj);
	return seq;
}

void check_line(const char *line, uint64_t seq, const char *body,
		size_t body_len)
{
	json_t *got = load_object(line, strlen(line), "output line");
	json_t *want = load_object(body, body_len, "event body");
	json_t *meta = json_object_get(got, "_rtwebhookd");

	if (strncmp(line, "{\"_rtwebhookd\":", 15) != 0)
		fail_msg("line does not start with _rtwebhookd: %.80s", line);
	assert_int_equal(json_integer_value(json_object_get(meta, "seq")), seq);
	assert_int_equal(
	    json_integer_value(json_object_get(meta, "received_at_ms")),
	    TEST_RECEIVED_AT_MS);
	json_object_del(got, "_rtwebhookd");
	if (!json_equal(got, want))
		fail_msg("line content differs from the event body: %.200s",
			 line);
	json_decref(got);
	json_decref(want);
}
