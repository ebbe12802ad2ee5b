/* The tests' downstream server (see downstream.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "daemon_harness.h"
#include "downstream.h"

/* A POST body being received on one connection. */
struct upload {
	char *data;
	size_t len;
};

int64_t ds_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out,
			size_t len)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(out, len, "%s", v != NULL ? v : "");
}

static void fill_request(struct downstream *ds, struct MHD_Connection *c,
			 struct upload *up, struct ds_request *r)
{
	char want[64];

	memset(r, 0, sizeof(*r));
	r->body = up->data != NULL ? up->data : strdup("");
	r->len = up->len;
	up->data = NULL;
	copy_header(c, "Content-Type", r->content_type,
		    sizeof(r->content_type));
	copy_header(c, "webhook-id", r->webhook_id, sizeof(r->webhook_id));
	copy_header(c, "webhook-timestamp", r->webhook_timestamp,
		    sizeof(r->webhook_timestamp));
	copy_header(c, "webhook-signature", r->webhook_signature,
		    sizeof(r->webhook_signature));
	copy_header(c, "X-Test", r->custom, sizeof(r->custom));
	copy_header(c, "Authorization", r->authorization,
		    sizeof(r->authorization));
	r->signature_ok =
	    ds->script.verify_key != NULL &&
	    harness_sign(ds->script.verify_key, r->webhook_id,
			 r->webhook_timestamp, r->body, r->len, want) == 0 &&
	    strcmp(want, r->webhook_signature) == 0;
	r->at_ms = ds_now_ms();
}

/* Records r and decides the answer: (status, body, retry_after, delay). */
static size_t record(struct downstream *ds, struct ds_request *r, long *delay)
{
	size_t i;

	pthread_mutex_lock(&ds->lock);
	i = ds->nreq;
	if (ds->nreq == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 64;
		ds->req = realloc(ds->req, ds->cap * sizeof(*ds->req));
		if (ds->req == NULL)
			abort();
	}
	r->status =
	    (int)i < ds->script.fail_count ? ds->script.fail_status
	    : ds->script.closed != NULL && atomic_load(ds->script.closed) ? 503
									  : 200;
	r->delayed = (int)i < ds->script.delay_count;
	ds->req[ds->nreq++] = *r;
	pthread_mutex_unlock(&ds->lock);
	*delay = ds->script.every_delay_ms +
		 ((int)i < ds->script.delay_count ? ds->script.delay_ms : 0);
	return i;
}

static enum MHD_Result answer(struct downstream *ds, struct MHD_Connection *c,
			      struct upload *up)
{
	struct ds_request r;
	struct MHD_Response *resp;
	const char *text;
	enum MHD_Result ret;
	long delay;
	int now, max;

	fill_request(ds, c, up, &r);
	now = atomic_fetch_add(&ds->in_flight, 1) + 1;
	max = atomic_load(&ds->max_in_flight);
	while (now > max &&
	       !atomic_compare_exchange_weak(&ds->max_in_flight, &max, now))
		;
	record(ds, &r, &delay);
	if (delay > 0)
		sleep_ms(delay);
	atomic_fetch_sub(&ds->in_flight, 1);
	text = r.status == 200		      ? "ok"
	       : ds->script.fail_body != NULL ? ds->script.fail_body
					      : "";
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
					       MHD_RESPMEM_MUST_COPY);
	if (r.status != 200 && ds->script.retry_after != NULL)
		MHD_add_response_header(resp, "Retry-After",
					ds->script.retry_after);
	ret = MHD_queue_response(c, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_len, void **con_cls)
{
	struct upload *up = *con_cls;

	(void)url, (void)method, (void)version;
	if (up == NULL) {
		*con_cls = calloc(1, sizeof(struct upload));
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	}
	if (*data_len > 0) {
		up->data = realloc(up->data, up->len + *data_len + 1);
		if (up->data == NULL)
			return MHD_NO;
		memcpy(up->data + up->len, data, *data_len);
		up->len += *data_len;
		up->data[up->len] = '\0';
		*data_len = 0;
		return MHD_YES;
	}
	return answer(cls, c, up);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (up != NULL) {
		free(up->data);
		free(up);
	}
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct downstream *ds = cls;

	(void)c, (void)socket_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&ds->connections, 1);
}

void ds_start(struct downstream *ds, const struct ds_script *script)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr = {.sin_family = AF_INET};

	memset(ds, 0, sizeof(*ds));
	ds->script = *script;
	pthread_mutex_init(&ds->lock, NULL);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ds->mhd = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
	    NULL, NULL, on_request, ds, MHD_OPTION_SOCK_ADDR, &addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, ds, MHD_OPTION_END);
	if (ds->mhd == NULL)
		fail_msg("cannot start the downstream test server");
	info = MHD_get_daemon_info(ds->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		fail_msg("downstream: no port");
	ds->port = info->port;
}

void ds_stop(struct downstream *ds)
{
	if (ds->mhd != NULL)
		MHD_stop_daemon(ds->mhd);
	ds->mhd = NULL;
}

void ds_free(struct downstream *ds)
{
	ds_stop(ds);
	for (size_t i = 0; i < ds->nreq; i++)
		free(ds->req[i].body);
	free(ds->req);
	ds->req = NULL;
	ds->nreq = ds->cap = 0;
	pthread_mutex_destroy(&ds->lock);
}

const char *ds_url(const struct downstream *ds, char *buf, size_t len)
{
	snprintf(buf, len, "http://127.0.0.1:%d/hook", ds->port);
	return buf;
}

size_t ds_count(struct downstream *ds)
{
	size_t n;

	pthread_mutex_lock(&ds->lock);
	n = ds->nreq;
	pthread_mutex_unlock(&ds->lock);
	return n;
}

size_t ds_count_status(struct downstream *ds, int status)
{
	size_t n = 0;

	pthread_mutex_lock(&ds->lock);
	for (size_t i = 0; i < ds->nreq; i++)
		n += ds->req[i].status == status;
	pthread_mutex_unlock(&ds->lock);
	return n;
}

/* Requests answered 200 in time (a delayed answer may have come after
 * the client gave up). */
static size_t count_ok(struct downstream *ds)
{
	size_t n = 0;

	pthread_mutex_lock(&ds->lock);
	for (size_t i = 0; i < ds->nreq; i++)
		n += ds->req[i].status == 200 && !ds->req[i].delayed;
	pthread_mutex_unlock(&ds->lock);
	return n;
}

size_t ds_wait_ok(struct downstream *ds, size_t n, long timeout_ms)
{
	int64_t end = ds_now_ms() + timeout_ms;
	size_t ok;

	while ((ok = count_ok(ds)) < n && ds_now_ms() < end)
		sleep_ms(10);
	return ok;
}
