/* Driving transcript.so through its ABI, and the expected output. */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_file.h"
#include "scratch.h"
#include "txtest.h"

#define TXTEST_RECEIVED_AT_MS INT64_C(1764174001480)

__attribute__((format(printf, 3, 4))) static void
mock_log(const struct rtw_host *host, enum rtw_log_level level, const char *fmt,
	 ...)
{
	struct mock_host *mock = (struct mock_host *)host;
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(mock->last_log, sizeof(mock->last_log), fmt, ap);
	va_end(ap);
	mock->nlogs++;
}

int txt_open(struct tx_instance *ti, const char *config_json,
	     struct rtw_error *err)
{
	json_t *config = json_loads(config_json, 0, NULL);
	char why[1024] = "";
	int rc;

	memset(ti, 0, sizeof(*ti));
	assert_non_null(config);
	if (module_open(&ti->module, TXTEST_MODULE, why, sizeof(why)) != 0)
		fail_msg("cannot load transcript.so: %s", why);
	ti->mock.host = (struct rtw_host){
	    .size = sizeof(struct rtw_host),
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .name = "captions",
	    .state_dir = "/nonexistent-state-dir", /* the module needs none */
	    .log = mock_log,
	};
	rc = ti->module.desc->init(&ti->mock.host, config, &ti->state, err);
	ti->initialized = rc == 0;
	json_decref(config);
	return rc;
}

void txt_open_dir(struct tx_instance *ti, const char *dir, const char *extra)
{
	struct rtw_error err = {{0}};
	char *config = NULL;

	assert_true(asprintf(&config, "{\"dir\": \"%s\"%s}", dir, extra) > 0);
	if (txt_open(ti, config, &err) != 0)
		fail_msg("transcript init on %s failed: %s", config,
			 err.message);
	free(config);
}

void txt_close(struct tx_instance *ti)
{
	if (ti->initialized)
		ti->module.desc->fini(ti->state);
	ti->initialized = 0;
	module_close(&ti->module);
}

static json_t *parse_or_fail(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	if (v == NULL)
		fail_msg("test JSON does not parse: %s", text);
	return v;
}

static json_t *build_words(const char *words, double t0)
{
	json_t *list = json_array();
	char *copy = strdup(words), *save = NULL;
	int i = 0;

	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save), i++)
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:{s:f}, s:{s:f}}", "text", w,
			      "start_timestamp", "relative", t0 + 0.5 * i,
			      "end_timestamp", "relative", t0 + 0.5 * i + 0.4));
	free(copy);
	return list;
}

static char *envelope(const char *type, const char *bot, json_t *inner,
		      const char *artifact)
{
	json_t *body = json_pack(
	    "{s:s, s:{s:o, s:{s:s, s:{}}, s:{s:s, s:{}}, s:{s:s, s:{}}, "
	    "s:{s:s, s:{}}}}",
	    "event", type, "data", "data", inner, "realtime_endpoint", "id",
	    "e3f1a2b4-6c7d-4e8f-9a0b-1c2d3e4f5a6b", "metadata", artifact, "id",
	    "2a4c6e80-1b3d-4f57-9ace-0b1d3f5a7c9e", "metadata", "recording",
	    "id", "c7a9d2e1-3b4f-4a58-8e6d-1f2a3b4c5d6e", "metadata", "bot",
	    "id", bot, "metadata");
	char *text;

	assert_non_null(body);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

char *txt_transcript_body(const char *type, const char *bot,
			  const char *participant, const char *words, double t0)
{
	json_t *inner = json_pack("{s:o, s:o}", "words", build_words(words, t0),
				  "participant", parse_or_fail(participant));

	return envelope(type, bot, inner, "transcript");
}

char *txt_participant_body(const char *type, const char *bot,
			   const char *participant, double rel)
{
	json_t *inner =
	    json_pack("{s:o, s:{s:f, s:s}, s:n}", "participant",
		      parse_or_fail(participant), "timestamp", "relative", rel,
		      "absolute", "2026-11-26T16:19:49.840Z", "data");

	return envelope(type, bot, inner, "participant_events");
}

enum rtw_result txt_handle(struct tx_instance *ti, const char *body,
			   uint64_t seq, struct rtw_error *err)
{
	struct rtw_error local = {{0}};
	struct event ev;
	char why[256] = "";
	enum rtw_result r;

	if (event_parse(&ev, body, strlen(body), why, sizeof(why)) != 0)
		fail_msg("test event rejected: %s", why);
	ev.view.seq = seq;
	ev.view.received_at_ms = TXTEST_RECEIVED_AT_MS;
	r = ti->module.desc->handle(ti->state, &ev.view, err ? err : &local);
	event_clear(&ev);
	return r;
}

void txt_handle_ok(struct tx_instance *ti, char *body, uint64_t seq)
{
	struct rtw_error err = {{0}};
	enum rtw_result r = txt_handle(ti, body, seq, &err);

	if (r != RTW_OK)
		fail_msg("handle(seq %llu) answered %d: %s",
			 (unsigned long long)seq, (int)r, err.message);
	free(body);
}

enum rtw_result txt_handle_fixture(struct tx_instance *ti, const char *path,
				   uint64_t seq, struct rtw_error *err)
{
	size_t len;
	char *body = fixture_read(path, &len);
	enum rtw_result r = txt_handle(ti, body, seq, err);

	free(body);
	return r;
}

static void append_format(char **acc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append_format(char **acc, const char *fmt, ...)
{
	char *more = NULL, *joined = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&more, fmt, ap) >= 0);
	va_end(ap);
	assert_true(asprintf(&joined, "%s%s", *acc ? *acc : "", more) >= 0);
	free(*acc);
	free(more);
	*acc = joined;
}

static int word_count(const char *words)
{
	int n = 0;

	for (const char *p = words; *p; p++)
		n += (p == words || p[-1] == ' ') && *p != ' ';
	return n;
}

void txt_expect_line(char **acc, const char *speaker, const char *words,
		     double t0)
{
	long s = (long)floor(t0);

	append_format(acc, "[%02ld:%02ld:%02ld] %s: %s\n", s / 3600,
		      s / 60 % 60, s % 60, speaker, words);
}

static void vtt_time(double t, char *out)
{
	long ms = lround(t * 1000);

	snprintf(out, 32, "%02ld:%02ld:%02ld.%03ld", ms / 3600000,
		 ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

void txt_expect_cue(char **acc, const char *speaker, const char *words,
		    double t0)
{
	char from[32], to[32];

	vtt_time(t0, from);
	vtt_time(t0 + 0.5 * (word_count(words) - 1) + 0.4, to);
	append_format(acc, "%s --> %s\n<v %s>%s\n\n", from, to, speaker, words);
}

char *txt_file(const char *dir, const char *stem, const char *suffix)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/%s%s", dir, stem, suffix) > 0);
	return path;
}

char *txt_read(const char *dir, const char *stem, const char *suffix)
{
	char *path = txt_file(dir, stem, suffix);
	char *text = scratch_read(path, NULL);

	free(path);
	return text;
}

void txt_assert_file(const char *dir, const char *stem, const char *suffix,
		     const char *want)
{
	char *got = txt_read(dir, stem, suffix);

	if (got == NULL)
		fail_msg("no file %s%s in %s", stem, suffix, dir);
	if (strcmp(got, want) != 0)
		fail_msg("%s%s differs.\n--- got:\n%s--- want:\n%s", stem,
			 suffix, got, want);
	free(got);
}

void txt_append_raw(const char *dir, const char *stem, const char *suffix,
		    const char *text)
{
	char *path = txt_file(dir, stem, suffix);
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(path);
}
