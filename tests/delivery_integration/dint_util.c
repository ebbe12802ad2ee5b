/* dint_util: time, configuration, events and a Recall-like sender for the
 * delivery integration tests (the outputs are in dint_output.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dint_util.h"

#define SEND_TIMEOUT_S	5L
#define RECALL_RETRIES	60
#define RECALL_RETRY_MS 1000L

/* ---- time ---------------------------------------------------------- */

int64_t dint_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dint_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int dint_wait_until(int (*fn)(void *arg), void *arg, long timeout_ms)
{
	int64_t until = dint_now_ms() + timeout_ms;
	int v;

	while (!(v = fn(arg)) && dint_now_ms() < until)
		dint_sleep_ms(20);
	return v;
}

size_t dint_wait_count_settled(const char *path, const char *needle, size_t n,
			       long idle_ms, long max_ms)
{
	int64_t start = dint_now_ms(), changed = start;
	size_t last = 0;

	for (;;) {
		char *text = harness_read_file(path, NULL);
		size_t found = text != NULL ? harness_count(text, needle) : 0;
		int64_t now = dint_now_ms();

		free(text);
		if (found != last) {
			last = found;
			changed = now;
		}
		if (found >= n || now - changed > idle_ms ||
		    now - start > max_ms)
			return found;
		dint_sleep_ms(20);
	}
}

/* ---- configuration ------------------------------------------------- */

const char *dint_token(void)
{
	static char token[64];

	/* Set once, from main's thread, before any sender thread starts. */
	if (token[0] == '\0')
		snprintf(token, sizeof(token), "dint-%ld-%lld", (long)getpid(),
			 (long long)time(NULL));
	return token;
}

const char *dint_target(void)
{
	static char target[128];

	if (target[0] == '\0')
		snprintf(target, sizeof(target), DINT_PATH "?token=%s",
			 dint_token());
	return target;
}

/* text with every needle replaced by value; free it. */
static char *replace_all(const char *text, const char *needle,
			 const char *value)
{
	size_t n = harness_count(text, needle), nlen = strlen(needle);
	char *out = malloc(strlen(text) + n * strlen(value) + 1), *o = out;
	const char *p = text, *hit;

	if (out == NULL)
		return NULL;
	while ((hit = strstr(p, needle)) != NULL) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		o = stpcpy(o, value);
		p = hit + nlen;
	}
	strcpy(o, p);
	return out;
}

int dint_configure(struct daemon *d, const char *spool_extra, const char *rest)
{
	return dint_configure_full(d, spool_extra, "", rest);
}

int dint_configure_full(struct daemon *d, const char *spool_extra,
			const char *endpoint_extra, const char *rest)
{
	/* a test's own segment size, or the harness's (a setting given
	 * twice is a configuration error) */
	const char *segment = strstr(spool_extra, "segment_bytes") != NULL
				      ? ""
				      : TEST_SEGMENT_BYTES;
	char *text = NULL, *expanded;
	int rc;

	if (asprintf(&text,
		     "# written by dint_configure\n"
		     "listen = { address = \"127.0.0.1\"; port = 0; };\n"
		     "spool = { dir = \"@DIR@/spool\"; %s %s };\n"
		     "endpoints = ( { path = \"" DINT_PATH "\";\n"
		     "                tokens = [\"%s\"]; %s } );\n"
		     "%s",
		     segment, spool_extra, dint_token(), endpoint_extra,
		     rest) < 0)
		return -1;
	expanded = replace_all(text, "@FLAKY@", DINT_FLAKY_MODULE);
	free(text);
	if (expanded == NULL)
		return -1;
	/* daemon_write replaces @DIR@. */
	rc = daemon_write(d, "rtwebhookd.conf", expanded);
	free(expanded);
	return rc;
}

/* ---- events -------------------------------------------------------- */

void dint_mark(const char *bot, int idx, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%04d", bot, idx);
}

enum dint_kind dint_kind_of(int idx)
{
	static const enum dint_kind cycle[] = {DINT_TRANSCRIPT, DINT_CHAT,
					       DINT_TRANSCRIPT, DINT_SPEECH};

	return cycle[idx % 4];
}

size_t dint_event_kind(const char *bot, int idx, enum dint_kind kind, char *buf,
		       size_t len)
{
	char mark[128];
	int n = -1;

	dint_mark(bot, idx, mark, sizeof(mark));
	switch (kind) {
	case DINT_TRANSCRIPT:
		n = snprintf(
		    buf, len,
		    "{\"event\":\"transcript.data\",\"data\":{\"data\":{"
		    "\"words\":[{\"text\":\"%s\",\"start_timestamp\":"
		    "{\"relative\":%d.5},\"end_timestamp\":null},"
		    "{\"text\":\"said\",\"start_timestamp\":{\"relative\":"
		    "%d.75},\"end_timestamp\":{\"relative\":%d.9}}],"
		    "\"participant\":{\"id\":%d,\"name\":\"Ada\","
		    "\"is_host\":true,\"platform\":\"desktop\","
		    "\"extra_data\":{}}},"
		    "\"transcript\":{\"id\":\"tr-%s\",\"metadata\":{}},"
		    "\"recording\":{\"id\":\"rec-%s\",\"metadata\":{}},"
		    "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
		    mark, idx, idx, idx, idx % 7, bot, bot, bot);
		break;
	case DINT_CHAT:
		n = snprintf(
		    buf, len,
		    "{\"event\":\"participant_events.chat_message\","
		    "\"data\":{\"data\":{\"participant\":{\"id\":%d,"
		    "\"name\":\"Bo\",\"is_host\":false,\"platform\":null,"
		    "\"extra_data\":{}},\"timestamp\":{\"absolute\":"
		    "\"2026-11-26T16:20:01.480Z\",\"relative\":%d.125},"
		    "\"data\":{\"text\":\"%s\",\"to\":\"everyone\"}},"
		    "\"participant_events\":{\"id\":\"pe-%s\","
		    "\"metadata\":{}},"
		    "\"recording\":{\"id\":\"rec-%s\",\"metadata\":{}},"
		    "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
		    idx % 7, idx, mark, bot, bot, bot);
		break;
	case DINT_SPEECH:
		/* The mark is the participant's name; flaky prints the
		 * relative time, idx + 0.25. */
		n = snprintf(
		    buf, len,
		    "{\"event\":\"participant_events.speech_on\","
		    "\"data\":{\"data\":{\"participant\":{\"id\":%d,"
		    "\"name\":\"%s\",\"is_host\":false,\"platform\":null,"
		    "\"extra_data\":{}},\"timestamp\":{\"absolute\":"
		    "\"2026-11-26T16:20:01.480Z\",\"relative\":%d.25},"
		    "\"data\":null},"
		    "\"participant_events\":{\"id\":\"pe-%s\","
		    "\"metadata\":{}},"
		    "\"recording\":{\"id\":\"rec-%s\",\"metadata\":{}},"
		    "\"bot\":{\"id\":\"%s\",\"metadata\":{}}}}",
		    idx % 7, mark, idx, bot, bot, bot);
		break;
	}
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "dint: event buffer too small\n");
		abort();
	}
	return (size_t)n;
}

size_t dint_event(const char *bot, int idx, char *buf, size_t len)
{
	return dint_event_kind(bot, idx, dint_kind_of(idx), buf, len);
}

/* ---- HTTP ---------------------------------------------------------- */

struct headers_out {
	char *retry_after;
	size_t len;
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static size_t take_header(char *p, size_t size, size_t n, void *arg)
{
	struct headers_out *h = arg;
	size_t len = size * n;
	static const char name[] = "Retry-After:";

	if (h->retry_after != NULL && len > sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0) {
		const char *v = p + sizeof(name) - 1;
		size_t vlen = len - (sizeof(name) - 1);

		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		snprintf(h->retry_after, h->len, "%.*s", (int)vlen, v);
	}
	return len;
}

/* One POST on handle c. Returns the status, 0 when no answer. */
static long post_on(CURL *c, int port, const char *body, size_t len,
		    const char *const *extra, long timeout_s, char *retry_after,
		    size_t ralen, char *error, size_t errlen)
{
	struct headers_out h = {retry_after, ralen};
	struct curl_slist *headers = NULL;
	char url[256];
	long status = 0;
	CURLcode rc;

	if (retry_after != NULL)
		retry_after[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port,
		 dint_target());
	headers = curl_slist_append(headers, "Expect:");
	headers = curl_slist_append(headers, "Content-Type: " DINT_JSON);
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		headers = curl_slist_append(headers, extra[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (error != NULL)
		snprintf(error, errlen, "%s", curl_easy_strerror(rc));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return status;
}

long dint_post(int port, const char *body, size_t len,
	       const char *const *headers, char *retry_after, size_t ralen)
{
	CURL *c = curl_easy_init();
	char error[256] = "";
	long status;

	if (c == NULL)
		return 0;
	status = post_on(c, port, body, len, headers, 10L, retry_after, ralen,
			 error, sizeof(error));
	if (status == 0)
		fprintf(stderr, "dint: POST to port %d: %s\n", port, error);
	curl_easy_cleanup(c);
	return status;
}

void dint_sender_init(struct dint_sender *s, const atomic_int *port)
{
	memset(s, 0, sizeof(*s));
	s->port = port;
	s->curl = curl_easy_init();
}

void dint_sender_free(struct dint_sender *s)
{
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	s->curl = NULL;
}

long dint_sender_send(struct dint_sender *s, const char *body, size_t len)
{
	long timeout = s->timeout_s > 0 ? s->timeout_s : SEND_TIMEOUT_S;
	int max = s->max_retries > 0 ? s->max_retries : RECALL_RETRIES;
	long pause = s->retry_ms > 0 ? s->retry_ms : RECALL_RETRY_MS;

	for (int attempt = 0; attempt <= max; attempt++) {
		long status;

		if (s->abandon != NULL && atomic_load(s->abandon))
			break;
		if (attempt > 0) {
			dint_sleep_ms(pause);
			s->retries++;
		}
		s->attempts++;
		if (s->curl == NULL)
			continue;
		curl_easy_setopt(s->curl, CURLOPT_FORBID_REUSE,
				 s->fresh_connections ? 1L : 0L);
		status = post_on(s->curl, atomic_load(s->port), body, len, NULL,
				 timeout, NULL, 0, NULL, 0);
		if (status >= 200 && status < 300)
			return status;
	}
	s->gave_up++;
	return 0;
}

int dint_setup(void **state, const char *rest)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL || dint_configure(d, "", rest) != 0 ||
	    daemon_start(d, NULL) != 0) {
		daemon_teardown(state);
		return -1;
	}
	return 0;
}
