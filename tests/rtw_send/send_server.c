/* libmicrohttpd with a thread per connection, so that concurrent requests
 * from rtw-send really are handled at the same time (and a slow answer
 * delays only its own connection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>
#include <microhttpd.h>

#include "send_server.h"

static const char *const header_names[HDR_COUNT] = {
	[HDR_WEBHOOK_ID] = "webhook-id",
	[HDR_WEBHOOK_TIMESTAMP] = "webhook-timestamp",
	[HDR_WEBHOOK_SIGNATURE] = "webhook-signature",
	[HDR_SVIX_ID] = "svix-id",
	[HDR_SVIX_TIMESTAMP] = "svix-timestamp",
	[HDR_SVIX_SIGNATURE] = "svix-signature",
	[HDR_CONTENT_TYPE] = "content-type",
};

struct upload {
	int64_t start_us;
	char *body;
	size_t len, cap;
};

int64_t server_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int append(struct upload *u, const char *data, size_t n)
{
	if (u->len + n + 1 > u->cap) {
		size_t cap = (u->len + n + 1) * 2;
		char *grown = realloc(u->body, cap);

		if (grown == NULL)
			return -1;
		u->body = grown;
		u->cap = cap;
	}
	memcpy(u->body + u->len, data, n);
	u->len += n;
	u->body[u->len] = '\0';
	return 0;
}

/* Decides, under the lock, whether this attempt fails and how. */
static int should_fail(struct test_server *s, const char *body,
		       enum server_failure *how)
{
	int fail = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nrules; i++) {
		struct server_rule *r = &s->rules[i];

		if (body == NULL || strstr(body, r->marker) == NULL)
			continue;
		r->seen++;
		if (r->seen <= r->fail_first) {
			fail = 1;
			*how = r->how;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return fail;
}

static void record(struct test_server *s, struct MHD_Connection *conn,
		   struct upload *u, int failed)
{
	struct server_request r = {0};

	r.start_us = u->start_us;
	r.end_us = server_now_us();
	r.body = u->body != NULL ? u->body : strdup("");
	r.len = u->len;
	u->body = NULL;
	r.failed = failed;
	for (int h = 0; h < HDR_COUNT; h++) {
		const char *v = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, header_names[h]);

		r.header[h] = v != NULL ? strdup(v) : NULL;
	}
	pthread_mutex_lock(&s->lock);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->reqs = realloc(s->reqs, s->cap * sizeof(*s->reqs));
	}
	s->reqs[s->n++] = r;
	pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status)
{
	static char text[] = "ok\n";
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		sizeof(text) - 1, text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(conn, status, resp);

	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result answer(struct test_server *s,
			      struct MHD_Connection *conn, struct upload *u)
{
	enum server_failure how = FAIL_500;
	int fail = should_fail(s, u->body, &how);

	if (fail && how == FAIL_SLOW)
		usleep(s->slow_ms * 1000);
	else if (s->answer_delay_ms > 0)
		usleep(s->answer_delay_ms * 1000);
	record(s, conn, u, fail);
	if (fail && how == FAIL_CLOSE)
		return MHD_NO;
	return respond(conn, fail && how == FAIL_500
				     ? MHD_HTTP_INTERNAL_SERVER_ERROR
				     : MHD_HTTP_OK);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct upload *u = *con_cls;

	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		u->start_us = server_now_us();
		*con_cls = u;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (append(u, data, *data_size) != 0)
			return MHD_NO;
		*data_size = 0;
		return MHD_YES;
	}
	/* The whole body is in: closing now is a failure after the client
	 * sent everything, as when a receiver crashes mid-request. */
	return answer(cls, conn, u);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	if (u != NULL) {
		free(u->body);
		free(u);
		*con_cls = NULL;
	}
}

int server_start(struct test_server *s)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&s->lock, NULL);
	s->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD |
			MHD_USE_THREAD_PER_CONNECTION,
		0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, s, MHD_OPTION_END);
	if (s->mhd == NULL)
		return -1;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		return -1;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u/hook",
		 (unsigned)info->port);
	return 0;
}

void server_stop(struct test_server *s)
{
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	for (size_t i = 0; i < s->n; i++) {
		free(s->reqs[i].body);
		for (int h = 0; h < HDR_COUNT; h++)
			free(s->reqs[i].header[h]);
	}
	free(s->reqs);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

int server_wait_for(struct test_server *s, size_t n, unsigned timeout_ms)
{
	int64_t until = server_now_us() + (int64_t)timeout_ms * 1000;

	for (;;) {
		size_t have;

		pthread_mutex_lock(&s->lock);
		have = s->n;
		pthread_mutex_unlock(&s->lock);
		if (have >= n)
			return 0;
		if (server_now_us() > until)
			return -1;
		usleep(10000);
	}
}

void server_fail(struct test_server *s, const char *marker, unsigned k,
		 enum server_failure how)
{
	struct server_rule *r = &s->rules[s->nrules++];

	snprintf(r->marker, sizeof(r->marker), "%s", marker);
	r->fail_first = k;
	r->how = how;
	r->seen = 0;
}

size_t server_find(struct test_server *s, const char *marker, size_t *out,
		   size_t max)
{
	size_t found = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		if (strstr(s->reqs[i].body, marker) == NULL)
			continue;
		if (found < max)
			out[found] = i;
		found++;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* The request's data.bot.id (borrowed from event), or NULL. */
static const char *bot_of(const json_t *event)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(event, "data"), "bot"), "id"));
}

static int same_bot(const char *body, const char *bot_id)
{
	json_t *event = json_loads(body, 0, NULL);
	const char *id = bot_of(event);
	int same = bot_id == NULL ? id == NULL
				  : id != NULL && strcmp(id, bot_id) == 0;

	json_decref(event);
	return same;
}

size_t server_find_bot(struct test_server *s, const char *bot_id,
		       size_t *out, size_t max)
{
	size_t found = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		size_t at;

		if (!same_bot(s->reqs[i].body, bot_id))
			continue;
		/* Insertion by arrival: reqs is in answer order. */
		for (at = found < max ? found : max; at > 0 &&
		     s->reqs[out[at - 1]].start_us > s->reqs[i].start_us;
		     at--)
			if (at < max)
				out[at] = out[at - 1];
		if (at < max)
			out[at] = i;
		found++;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

size_t server_max_overlap(struct test_server *s)
{
	size_t most = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		size_t at_once = 0;

		/* Everything in progress when request i arrived. */
		for (size_t j = 0; j < s->n; j++)
			if (s->reqs[j].start_us <= s->reqs[i].start_us &&
			    s->reqs[j].end_us > s->reqs[i].start_us)
				at_once++;
		if (at_once > most)
			most = at_once;
	}
	pthread_mutex_unlock(&s->lock);
	return most;
}
