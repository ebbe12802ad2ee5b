/* The HTTP listener on libmicrohttpd.
 *
 * A request is checked in two phases. When the headers are in (first
 * callback): route, method, token, Content-Type and a declared
 * Content-Length over the cap are answered at once, before any body is
 * read. Then the body streams into a buffer capped at max_body_bytes; once
 * complete, the signature is verified and the body goes to ingest. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "authlimit.h"
#include "cpu.h"
#include "exposition.h"
#include "http.h"
#include "http_request.h"
#include "ingest.h"
#include "log.h"
#include "util.h"
#include "netaddr.h"
#include "runtime.h"
#include "watchdog.h"

/* A streamed body past this many times the cap is not read to its end:
 * the connection is dropped instead of answered. */
#define HTTP_DISCARD_FACTOR 4
/* Room for all X-Forwarded-For lines of a request (its right end). */
#define HTTP_JOINED_HEADER_MAX 2048
/* How long the stop must find the server idle after the quiesce. */
#define QUIESCE_SETTLE_MS 100

struct http_server {
	struct MHD_Daemon *daemon;
	struct runtime *rt;
	struct authlimit *authlimit;
	struct watchdog *watchdog;
	int port;
	atomic_int stopping;      /* http_stop began: refuse new requests */
	atomic_uint in_flight;    /* requests begun and not completed */
};

enum request_state {
	REQUEST_READING,   /* the body is streaming in */
	REQUEST_WAITING,   /* stored; suspended until its flush */
	REQUEST_FLUSHED,   /* resumed: answer with commit_ok */
	REQUEST_ANSWERED,  /* a response is queued */
};

struct request {
	struct MHD_Connection *conn;
	int endpoint;
	_Atomic enum request_state state;
	int commit_ok;
	char *body;
	size_t len, cap;
	uint64_t discarded; /* bytes past the cap, not stored */
	int64_t received_ms;
	struct netaddr client;
	int auth_blocked; /* past the failed-authentication limit */
	struct watched *watched; /* the connection's watchdog entry */
};

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* A header's lines joined as one list (RFC 9110 5.3), for headers a
 * proxy may append a line to instead of extending the last one. Only the
 * right end matters to the caller, so when the lines do not fit, the
 * oldest (leftmost) text is dropped. */
struct joined_header {
	const char *name;
	char text[HTTP_JOINED_HEADER_MAX];
	size_t len;
	int lines;
};

static void join_append(struct joined_header *j, const char *piece)
{
	size_t n = strlen(piece), room = sizeof(j->text) - 1;

	if (n > room) {
		piece += n - room;
		n = room;
	}
	if (j->len + n > room) {
		size_t drop = j->len + n - room;

		memmove(j->text, j->text + drop, j->len - drop);
		j->len -= drop;
	}
	memcpy(j->text + j->len, piece, n);
	j->len += n;
	j->text[j->len] = '\0';
}

static enum MHD_Result join_line(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct joined_header *j = cls;

	(void)kind;
	if (value == NULL || strcasecmp(key, j->name) != 0)
		return MHD_YES;
	if (j->lines++ > 0)
		join_append(j, ", ");
	join_append(j, value);
	return MHD_YES;
}

/* Fills j with every line of header j->name; NULL when there is none. */
static const char *joined_header(struct MHD_Connection *c,
				 struct joined_header *j)
{
	j->len = 0;
	j->lines = 0;
	j->text[0] = '\0';
	MHD_get_connection_values(c, MHD_HEADER_KIND, join_line, j);
	return j->lines > 0 ? j->text : NULL;
}

/* The last line of a header (the one the nearest proxy set). */
static enum MHD_Result keep_last(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	const char **last = cls;

	(void)kind;
	if (value != NULL && strcasecmp(key, "X-Real-IP") == 0)
		*last = value;
	return MHD_YES;
}

/* Who the request is from: the peer, or the client a trusted proxy names.
 * Every X-Forwarded-For line counts: a client's own line comes first and
 * the proxy's appended one last, so reading only the first would let the
 * client choose its address. */
static void request_client(const struct http_server *s,
			   struct MHD_Connection *c, struct netaddr *client)
{
	const struct config *conf = s->rt->conf;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct joined_header xff = {.name = "X-Forwarded-For"};
	const char *real_ip = NULL;
	struct netaddr peer;

	if (ci == NULL || netaddr_from_sockaddr(ci->client_addr, &peer) != 0)
		memset(&peer, 0, sizeof(peer));
	if (conf->ntrusted_proxies == 0) {
		*client = peer;
		return;
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, keep_last, &real_ip);
	netaddr_client(&peer, conf->trusted_proxies, conf->ntrusted_proxies,
		       joined_header(c, &xff), real_ip, client);
}

/* The daemon's own GET pages (endpoints take POST). */
static int is_probe_path(const char *url)
{
	return strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
	       strcmp(url, "/metrics") == 0;
}

/* Queues a text/plain response and logs rejections. `url` is the path
 * only (libmicrohttpd passes it without the query string); a query that
 * arrived percent-encoded is redacted before logging all the same. While
 * stopping, the client is told not to reuse the connection. */
static enum MHD_Result respond(const struct http_server *s,
				  struct MHD_Connection *c,
				  const struct netaddr *client,
				  const char *method, const char *url,
				  int status, const char *text,
				  const char *reason)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char addr[INET6_ADDRSTRLEN];

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
					is_probe_path(url) ? "GET, HEAD"
							   : "POST");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (atomic_load(&s->stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	metrics_count_request(s->rt->metrics,
			      request_find_endpoint(s->rt->conf, url), status);
	if (status >= 400) {
		char path[256], verb[32], why[320];

		/* The path arrives decoded: "%3Ftoken=..." became "?token=",
		 * "%0A" a newline; a parse error may quote the body. */
		log_redact_queries(path, sizeof(path), url);
		log_redact_queries(verb, sizeof(verb), method);
		log_redact_queries(why, sizeof(why), reason);
		log_msg(status >= 500 ? RTW_LOG_WARNING : RTW_LOG_NOTICE,
			"rejected %d %s %s from %s: %s", status, verb, path,
			netaddr_format(client, addr, sizeof(addr)), why);
	}
	return ret;
}



static enum MHD_Result reject(const struct http_server *s,
			      struct MHD_Connection *c,
			      const struct netaddr *client, const char *method,
			      const char *url, int status, const char *reason)
{
	char text[320];

	snprintf(text, sizeof(text), "%d %s\n", status, reason);
	return respond(s, c, client, method, url, status, text, reason);
}

/* The spool room the largest accepted event takes (body plus framing,
 * path and dedup key). */
static size_t largest_record(const struct config *conf)
{
	return (size_t)conf->max_body_bytes + 4096;
}

/* 200 while events can be stored: the last append or flush worked, or
 * since then the spool has found room for the largest event again. */
static enum MHD_Result serve_health(struct http_server *s,
				    struct MHD_Connection *c,
				    const struct netaddr *client,
				    const char *method, const char *url)
{
	int err;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reject(s, c, client, method, url,
			      MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	err = spool_health(s->rt->spool, largest_record(s->rt->conf));
	if (err != 0)
		return reject(s, c, client, method, url,
			      MHD_HTTP_SERVICE_UNAVAILABLE, strerror(err));
	return respond(s, c, client, method, url, MHD_HTTP_OK, "ok\n", NULL);
}

/* GET /readyz: /healthz, and no handler further behind than
 * limits.ready_max_handler_lag_s (a stuck handler: its backlog only grows
 * in the spool, so alert before the disk fills). */
static enum MHD_Result serve_ready(struct http_server *s,
				   struct MHD_Connection *c,
				   const struct netaddr *client,
				   const char *method, const char *url)
{
	int64_t max_ms = s->rt->conf->ready_max_handler_lag_s * 1000;
	char why[256];
	int err;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reject(s, c, client, method, url,
			      MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	err = spool_health(s->rt->spool, largest_record(s->rt->conf));
	if (err != 0)
		return reject(s, c, client, method, url,
			      MHD_HTTP_SERVICE_UNAVAILABLE, strerror(err));
	if (max_ms > 0 &&
	    runtime_lagging_handler(s->rt, max_ms, why, sizeof(why)))
		return reject(s, c, client, method, url,
			      MHD_HTTP_SERVICE_UNAVAILABLE, why);
	return respond(s, c, client, method, url, MHD_HTTP_OK, "ready\n",
		       NULL);
}

/* GET /metrics, for clients in metrics.allow_from (loopback by default;
 * behind a trusted proxy, the client the proxy names, so the internet
 * does not get it through the proxy). */
static enum MHD_Result serve_metrics(struct http_server *s,
				     struct MHD_Connection *c,
				     const struct netaddr *client,
				     const char *method, const char *url)
{
	const struct config *conf = s->rt->conf;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	char *text;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reject(s, c, client, method, url,
			      MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (!cidr_list_contains(conf->metrics_allow_from,
				conf->nmetrics_allow_from, client))
		return reject(s, c, client, method, url, MHD_HTTP_FORBIDDEN,
			      "client not in metrics.allow_from");
	/* Without trusted_proxies a proxy on loopback makes every client
	 * look local: a request that went through a proxy is refused. */
	if (conf->ntrusted_proxies == 0 &&
	    (header(c, "X-Forwarded-For") != NULL ||
	     header(c, "X-Real-IP") != NULL || header(c, "Forwarded") != NULL))
		return reject(s, c, client, method, url, MHD_HTTP_FORBIDDEN,
			      "a proxied request for /metrics (set "
			      "trusted_proxies to tell its client)");
	text = exposition_render(s->rt, &len);
	if (text == NULL)
		return reject(s, c, client, method, url,
			      MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	metrics_count_request(s->rt->metrics, -1, MHD_HTTP_OK);
	return ret;
}

/* Counts a failed authentication (bad token or bad signature) and warns
 * when it takes the client past the limit. */
static void count_auth_failure(struct http_server *s,
			       const struct netaddr *client, int64_t now)
{
	char addr[INET6_ADDRSTRLEN];

	if (!authlimit_fail(s->authlimit, client, now))
		return;
	log_msg(RTW_LOG_WARNING,
		"%s passed %lld failed authentications in a minute: "
		"answering it 429 until the minute ends",
		netaddr_format(client, addr, sizeof(addr)),
		(long long)s->rt->conf->auth_failures_per_minute);
}

static void signature_headers(struct MHD_Connection *c,
			      struct signature_headers *h)
{
	h->id = header(c, "webhook-id");
	h->timestamp = header(c, "webhook-timestamp");
	h->signature = header(c, "webhook-signature");
	if (h->id == NULL && h->timestamp == NULL && h->signature == NULL) {
		h->id = header(c, "svix-id");
		h->timestamp = header(c, "svix-timestamp");
		h->signature = header(c, "svix-signature");
	}
}

/* Could the request be signed? Its signature headers are there, well
 * formed and fresh (what can be checked before the body is read). */
static int fresh_signature_headers(struct MHD_Connection *c,
				   const struct endpoint_conf *ep,
				   int64_t now_ms)
{
	struct signature_headers sh;
	char why[128];

	signature_headers(c, &sh);
	return signature_check_headers(&sh, now_ms / 1000,
				       ep->signature_tolerance_s, why,
				       sizeof(why)) == 0;
}

/* Authentication by token, under the failed-authentication limit: a
 * client past it gets 429 before anything is read, unless it presents a
 * valid token. On an endpoint authenticated by signatures alone, a
 * blocked client that sends signature headers is read all the same and
 * judged by its signature (finish_request): Recall sends from shared
 * addresses, so someone else's failures must not get its signed events
 * refused. Returns 0 or the status to answer. */
static int check_token(struct http_server *s, struct MHD_Connection *c,
		       const struct endpoint_conf *ep, struct request *req,
		       char *why, size_t whylen)
{
	const char *token =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	int token_ok = request_check_token(ep, token, why, whylen) == 0;
	int blocked = (!token_ok || ep->ntokens == 0) &&
		      authlimit_blocked(s->authlimit, &req->client,
					req->received_ms);

	if (blocked && ep->ntokens == 0 && token_ok &&
	    fresh_signature_headers(c, ep, req->received_ms)) {
		req->auth_blocked = 1;
		return 0;
	}
	if (blocked) {
		snprintf(why, whylen, "too many failed authentications");
		return MHD_HTTP_TOO_MANY_REQUESTS;
	}
	if (token_ok)
		return 0;
	count_auth_failure(s, &req->client, req->received_ms);
	return MHD_HTTP_UNAUTHORIZED;
}

/* The header phase. Returns the status to answer now, or 0 to read the
 * body; why gets the reason. */
static int check_headers(struct http_server *s, struct MHD_Connection *c,
			 struct request *req, const char *method,
			 char *why, size_t whylen, size_t *expect_len)
{
	const struct endpoint_conf *ep = &s->rt->conf->endpoints[req->endpoint];
	const char *ctype = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *clen = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t declared = 0;
	int status;

	if (strcmp(method, "POST") != 0) {
		snprintf(why, whylen, "method not allowed");
		return MHD_HTTP_METHOD_NOT_ALLOWED;
	}
	if (ep->nallow_from > 0 &&
	    !cidr_list_contains(ep->allow_from, ep->nallow_from,
				&req->client)) {
		snprintf(why, whylen, "client not in allow_from");
		return MHD_HTTP_FORBIDDEN;
	}
	status = check_token(s, c, ep, req, why, whylen);
	if (status != 0)
		return status;
	if (ctype != NULL && !request_content_type_is_json(ctype)) {
		snprintf(why, whylen, "Content-Type is not JSON");
		return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
	}
	if (clen != NULL && request_parse_content_length(clen, &declared) == 0 &&
	    declared > (uint64_t)s->rt->conf->max_body_bytes) {
		snprintf(why, whylen, "Content-Length %llu exceeds "
				      "max_body_bytes %lld",
			 (unsigned long long)declared,
			 (long long)s->rt->conf->max_body_bytes);
		return MHD_HTTP_CONTENT_TOO_LARGE;
	}
	*expect_len = (size_t)declared;
	return 0;
}

static enum MHD_Result add_field_bytes(void *cls, enum MHD_ValueKind kind,
				       const char *key, const char *value)
{
	size_t *bytes = cls;

	/* "Key: value\r\n" for a header, "key=value&" for a query part. */
	*bytes += strlen(key) + (value != NULL ? strlen(value) : 0) +
		  (kind == MHD_HEADER_KIND ? 4 : 2);
	return MHD_YES;
}

/* The size of the request line and headers as received (after the
 * percent-decoding of the URL). libmicrohttpd's own limit is its memory
 * pool, which also holds its bookkeeping, so max_header_bytes is checked
 * here, exactly, and the pool is given room beyond it (http_start). */
static size_t header_bytes(struct MHD_Connection *c, const char *method,
			   const char *url, const char *version)
{
	size_t bytes = strlen(method) + strlen(url) + strlen(version) + 4;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_field_bytes,
				  &bytes);
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_field_bytes, &bytes);
	return bytes;
}

static enum MHD_Result begin_request(struct http_server *s,
				     struct MHD_Connection *c, const char *url,
				     const char *method, const char *version,
				     void **con_cls)
{
	struct request *req;
	struct netaddr client;
	char why[256];
	size_t expect_len = 0;
	int endpoint, status;

	request_client(s, c, &client);
	if (header_bytes(c, method, url, version) >
	    (size_t)s->rt->conf->max_header_bytes)
		return reject(s, c, &client, method, url,
			      MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
			      "request line and headers exceed "
			      "max_header_bytes");
	if (strcmp(url, "/healthz") == 0)
		return serve_health(s, c, &client, method, url);
	if (strcmp(url, "/readyz") == 0)
		return serve_ready(s, c, &client, method, url);
	if (strcmp(url, "/metrics") == 0 && s->rt->conf->nmetrics_allow_from)
		return serve_metrics(s, c, &client, method, url);
	endpoint = request_find_endpoint(s->rt->conf, url);
	if (endpoint < 0)
		return reject(s, c, &client, method, url, MHD_HTTP_NOT_FOUND,
			      "no endpoint at this path");
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return MHD_NO;
	*con_cls = req;
	atomic_fetch_add(&s->in_flight, 1);
	req->conn = c;
	req->endpoint = endpoint;
	req->client = client;
	req->received_ms = now_ms();
	status = check_headers(s, c, req, method, why, sizeof(why),
			       &expect_len);
	if (status != 0) {
		req->state = REQUEST_ANSWERED;
		return reject(s, c, &client, method, url, status, why);
	}
	/* One allocation for a declared length (always within the cap). */
	req->cap = expect_len > 0 ? expect_len : 4096;
	req->body = malloc(req->cap);
	return req->body != NULL ? MHD_YES : MHD_NO;
}

static int append_body(struct http_server *s, struct request *req,
		       const char *data, size_t size)
{
	size_t max = (size_t)s->rt->conf->max_body_bytes;
	size_t room;

	if (req->discarded > 0 || req->len + size > max) {
		req->discarded += size;
		return req->discarded > HTTP_DISCARD_FACTOR * (uint64_t)max
			       ? -1
			       : 0;
	}
	if (req->len + size > req->cap) {
		room = req->cap * 2 < max ? req->cap * 2 : max;
		if (room < req->len + size)
			room = req->len + size;
		char *grown = realloc(req->body, room);

		if (grown == NULL)
			return -1;
		req->body = grown;
		req->cap = room;
	}
	memcpy(req->body + req->len, data, size);
	req->len += size;
	return 0;
}

/* Called by the spool's committer once the request's event is durable
 * (or cannot be): wake the suspended connection to answer. */
static void on_flushed(void *arg, int ok)
{
	struct request *req = arg;

	req->commit_ok = ok;
	req->state = REQUEST_FLUSHED;
	MHD_resume_connection(req->conn);
}

static enum MHD_Result answer_flushed(struct http_server *s,
				      struct MHD_Connection *c,
				      const char *method, const char *url,
				      struct request *req)
{
	req->state = REQUEST_ANSWERED;
	watchdog_park(s->watchdog, req->watched, 0);
	if (!req->commit_ok)
		return reject(s, c, &req->client, method, url,
			      MHD_HTTP_SERVICE_UNAVAILABLE,
			      "the spool could not flush the event");
	return respond(s, c, &req->client, method, url, MHD_HTTP_OK, "ok\n",
		       NULL);
}

/* The watchdog entry of the connection, set when it opened. */
static struct watched *watched_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static enum MHD_Result finish_request(struct http_server *s,
				      struct MHD_Connection *c,
				      const char *method, const char *url,
				      struct request *req)
{
	const struct endpoint_conf *ep = &s->rt->conf->endpoints[req->endpoint];
	struct signature_headers sh;
	struct verdict v;
	char why[256];

	req->state = REQUEST_ANSWERED;
	if (req->discarded > 0)
		return reject(s, c, &req->client, method, url,
			      MHD_HTTP_CONTENT_TOO_LARGE,
			      "body exceeds max_body_bytes");
	signature_headers(c, &sh);
	if (request_check_signature(ep, &sh, req->body, req->len,
				    req->received_ms / 1000, why,
				    sizeof(why)) != 0) {
		if (req->auth_blocked)
			return reject(s, c, &req->client, method, url,
				      MHD_HTTP_TOO_MANY_REQUESTS,
				      "too many failed authentications");
		count_auth_failure(s, &req->client, req->received_ms);
		return reject(s, c, &req->client, method, url,
			      MHD_HTTP_UNAUTHORIZED, why);
	}
	ingest_body(s->rt, (size_t)req->endpoint, req->body, req->len, sh.id,
		    req->received_ms, &v);
	req->body = NULL; /* ingest owns it now */
	if (v.status != MHD_HTTP_OK)
		return reject(s, c, &req->client, method, url, v.status,
			      v.reason);
	if (v.wait_for == 0)
		return respond(s, c, &req->client, method, url, MHD_HTTP_OK,
			       "ok\n", NULL);
	/* Never block an HTTP thread on a flush: park the connection until
	 * the group commit that covers the event is done. */
	req->state = REQUEST_WAITING;
	req->watched = watched_of(c);
	watchdog_park(s->watchdog, req->watched, 1);
	MHD_suspend_connection(c);
	spool_on_commit(s->rt->spool, v.wait_for, on_flushed, req);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request *req = *con_cls;

	if (req == NULL)
		return begin_request(s, c, url, method, version, con_cls);
	switch ((enum request_state)atomic_load(&req->state)) {
	case REQUEST_READING:
		break;
	case REQUEST_FLUSHED:
		return answer_flushed(s, c, method, url, req);
	case REQUEST_WAITING:
	case REQUEST_ANSWERED:
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (append_body(s, req, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return finish_request(s, c, method, url, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct request *req = *con_cls;

	if (req != NULL) {
		free(req->body);
		free(req);
		atomic_fetch_sub(&s->in_flight, 1);
	}
	*con_cls = NULL;
	watchdog_renew(s->watchdog, watched_of(c));
}

/* Every connection gets a watchdog deadline while it is open. */
static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
			ci != NULL ? watchdog_add(s->watchdog, ci->connect_fd)
				   : NULL;
	} else {
		watchdog_remove(s->watchdog, *socket_context);
		*socket_context = NULL;
	}
}

/* libmicrohttpd's own messages can quote a request line: redact queries. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char raw[1024], clean[1024];
	size_t n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = strlen(raw);
	while (n > 0 && raw[n - 1] == '\n')
		raw[--n] = '\0';
	log_redact_queries(clean, sizeof(clean), raw);
	log_msg(RTW_LOG_WARNING, "http: %s", clean);
}

static int resolve_listen(const char *address, int port,
			  struct sockaddr_storage *ss)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char service[16];

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(address, service, &hints, &ai) != 0 || ai == NULL)
		return -1;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

/* libmicrohttpd keeps a request's headers in the connection's memory
 * pool, with a record of its own per header (about 50 bytes) and the
 * write buffer: max_header_bytes of headers plus 8 KiB of bookkeeping
 * (room for ~150 headers). A request with more, smaller headers gets 431
 * from libmicrohttpd itself. The pool is kept small because
 * libmicrohttpd clears all of it after every request: at 80 KiB that was
 * a quarter of a request's instructions, and 80 KiB of memory per open
 * connection. */
static size_t connection_pool_bytes(long long max_header_bytes)
{
	return (size_t)max_header_bytes + 8 * 1024;
}

/* Where to listen: the socket systemd passed (its address read back for
 * the log and the address family), or listen.address:listen.port. */
static int listen_address(const struct config *conf, int listen_fd,
			  struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	if (listen_fd < 0)
		return resolve_listen(conf->listen_address,
				      (int)conf->listen_port, ss);
	memset(ss, 0, sizeof(*ss));
	return getsockname(listen_fd, (struct sockaddr *)ss, &len);
}

static int sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Starts libmicrohttpd on ss or on the passed socket. */
static struct MHD_Daemon *start_daemon(struct http_server *s, int listen_fd,
				       struct sockaddr_storage *ss,
				       unsigned threads)
{
	const struct config *conf = s->rt->conf;
	/* poll(), not epoll: MHD_quiesce_daemon (http_stop) then only signals
	 * the workers through their pipe (MHD_USE_ITC); with epoll it edits
	 * their epoll sets from our thread and libmicrohttpd 0.9.75 aborts
	 * when a worker edits them at the same moment. */
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC;
	struct MHD_OptionItem where =
		listen_fd >= 0
			? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET,
						  listen_fd, NULL}
			: (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, ss};
	struct MHD_OptionItem options[] = {
		where,
		{MHD_OPTION_END, 0, NULL},
	};

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(
		flags, (uint16_t)conf->listen_port, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_ARRAY, options,
		/* A thread per CPU: each polls its share of the connections,
		 * so a slow client costs a file descriptor, not a thread.
		 * More threads than CPUs only add lock hand-offs between
		 * them (bench/README.md, 27 November evening). */
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)conf->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)conf->timeout_s,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)conf->max_connections_per_client,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		connection_pool_bytes(conf->max_header_bytes),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_END);
}

struct http_server *http_start(struct runtime *rt, int listen_fd)
{
	const struct config *conf = rt->conf;
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	int cpus = cpu_count_allowed();
	unsigned threads = cpu_http_threads(cpus);

	if (s == NULL)
		return NULL;
	s->rt = rt;
	s->authlimit = authlimit_new((unsigned)conf->auth_failures_per_minute);
	s->watchdog = watchdog_start(conf->request_timeout_s * 1000);
	if (s->authlimit == NULL || s->watchdog == NULL) {
		log_warnx("out of memory");
		goto fail;
	}
	if (listen_address(conf, listen_fd, &ss) != 0) {
		log_warnx("listen.address '%s' is not a numeric address",
			  conf->listen_address);
		goto fail;
	}
	s->daemon = start_daemon(s, listen_fd, &ss, threads);
	if (s->daemon == NULL) {
		if (listen_fd >= 0)
			log_warnx("cannot serve on the socket systemd passed");
		else
			log_warnx("cannot listen on %s port %lld (in use, or "
				  "not permitted?)",
				  conf->listen_address,
				  (long long)conf->listen_port);
		goto fail;
	}
	if (listen_fd >= 0 || conf->listen_port == 0) {
		socklen_t len = sizeof(ss);
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(
			s->daemon, MHD_DAEMON_INFO_LISTEN_FD);

		if (info != NULL)
			getsockname(info->listen_fd, (struct sockaddr *)&ss,
				    &len);
	}
	s->port = sockaddr_port(&ss);
	log_info("http: %u threads for %d usable CPU(s) (affinity mask and "
		 "cgroup CPU quota)",
		 threads, cpus);
	return s;
fail:
	watchdog_stop(s->watchdog);
	authlimit_free(s->authlimit);
	free(s);
	return NULL;
}

int http_port(const struct http_server *s)
{
	return s->port;
}

static unsigned open_connections(struct http_server *s)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(
		s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return info != NULL ? info->num_connections : 0;
}

/* After the quiesce, until no request is in flight and no connection open,
 * and that has held for QUIESCE_SETTLE_MS, or until the deadline. Why the
 * settling: a worker thread that polled the listening socket before the
 * quiesce can still accept one connection after it (libmicrohttpd says
 * the socket may be in use until MHD_stop_daemon), and stopping at the
 * first idle look closed such a connection unanswered: integration_systemd
 * under valgrind, 1 run in 6 ("Server returned nothing"). */
static void wait_until_settled(struct http_server *s, int64_t deadline)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	int64_t idle_since = -1;

	for (int64_t now = mono_ms(); now < deadline; now = mono_ms()) {
		if (atomic_load(&s->in_flight) > 0 || open_connections(s) > 0)
			idle_since = -1;
		else if (idle_since < 0)
			idle_since = now;
		else if (now - idle_since >= QUIESCE_SETTLE_MS)
			return;
		nanosleep(&tick, NULL);
	}
}

void http_stop(struct http_server *s, int timeout_s)
{
	int64_t deadline = mono_ms() + timeout_s * 1000L;
	MHD_socket listener;

	if (s == NULL)
		return;
	/* Stop accepting: new connections wait in the kernel's queue (under
	 * socket activation systemd keeps the socket, and the next instance
	 * takes them: a restart refuses nothing). Requests on open
	 * connections are still served, with Connection: close, until every
	 * connection is closed (a client accepted just before may not have
	 * sent its request yet) or the deadline, which an idle keep-alive
	 * client makes us wait for. The listening socket is ours after the
	 * quiesce and closed without shutdown(), which would break it for
	 * systemd's copy too. */
	atomic_store(&s->stopping, 1);
	listener = MHD_quiesce_daemon(s->daemon);
	wait_until_settled(s, deadline);
	MHD_stop_daemon(s->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	watchdog_stop(s->watchdog);
	authlimit_free(s->authlimit);
	free(s);
}
