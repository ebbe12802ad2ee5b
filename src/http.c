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
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "http.h"
#include "http_request.h"
#include "ingest.h"
#include "log.h"
#include "runtime.h"

/* A small fixed pool: epoll multiplexes every connection, so a slow client
 * costs a file descriptor, not a thread. */
#define HTTP_THREADS 4
#define HTTP_HEADER_MEMORY (32 * 1024)
/* A streamed body past this many times the cap is not read to its end:
 * the connection is dropped instead of answered. */
#define HTTP_DISCARD_FACTOR 4

struct http_server {
	struct MHD_Daemon *daemon;
	struct runtime *rt;
	int port;
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
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client_address(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

/* Queues a text/plain response and logs rejections. `url` is the path
 * only (libmicrohttpd passes it without the query string); a query that
 * arrived percent-encoded is redacted before logging all the same. */
static enum MHD_Result respond(struct MHD_Connection *c, const char *method,
			       const char *url, int status, const char *text,
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
					strcmp(url, "/healthz") == 0
						? "GET, HEAD"
						: "POST");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	if (status >= 400) {
		char path[256];

		/* The path arrives decoded: "%3Ftoken=..." became "?token=". */
		log_redact_queries(path, sizeof(path), url);
		client_address(c, addr, sizeof(addr));
		log_msg(status >= 500 ? RTW_LOG_WARNING : RTW_LOG_NOTICE,
			"rejected %d %s %s from %s: %s", status, method, path,
			addr, reason);
	}
	return ret;
}

static enum MHD_Result reject(struct MHD_Connection *c, const char *method,
			      const char *url, int status, const char *reason)
{
	char text[320];

	snprintf(text, sizeof(text), "%d %s\n", status, reason);
	return respond(c, method, url, status, text, reason);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* 200 while events can be stored: the last append or flush worked. */
static enum MHD_Result serve_health(struct http_server *s,
				    struct MHD_Connection *c,
				    const char *method, const char *url)
{
	int err;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reject(c, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
			      "method not allowed");
	err = spool_error(s->rt->spool);
	if (err != 0)
		return reject(c, method, url, MHD_HTTP_SERVICE_UNAVAILABLE,
			      strerror(err));
	return respond(c, method, url, MHD_HTTP_OK, "ok\n", NULL);
}

/* The header phase. Returns the status to answer now, or 0 to read the
 * body; why gets the reason. */
static int check_headers(struct http_server *s, struct MHD_Connection *c,
			 int endpoint, const char *method, char *why,
			 size_t whylen, size_t *expect_len)
{
	const struct endpoint_conf *ep = &s->rt->conf->endpoints[endpoint];
	const char *ctype = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *clen = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t declared = 0;

	if (strcmp(method, "POST") != 0) {
		snprintf(why, whylen, "method not allowed");
		return MHD_HTTP_METHOD_NOT_ALLOWED;
	}
	if (request_check_token(ep, MHD_lookup_connection_value(
					    c, MHD_GET_ARGUMENT_KIND, "token"),
				why, whylen) != 0)
		return MHD_HTTP_UNAUTHORIZED;
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

static enum MHD_Result begin_request(struct http_server *s,
				     struct MHD_Connection *c, const char *url,
				     const char *method, void **con_cls)
{
	struct request *req;
	char why[256];
	size_t expect_len = 0;
	int endpoint, status;

	if (strcmp(url, "/healthz") == 0)
		return serve_health(s, c, method, url);
	endpoint = request_find_endpoint(s->rt->conf, url);
	if (endpoint < 0)
		return reject(c, method, url, MHD_HTTP_NOT_FOUND,
			      "no endpoint at this path");
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return MHD_NO;
	*con_cls = req;
	req->conn = c;
	req->endpoint = endpoint;
	req->received_ms = now_ms();
	status = check_headers(s, c, endpoint, method, why, sizeof(why),
			       &expect_len);
	if (status != 0) {
		req->state = REQUEST_ANSWERED;
		return reject(c, method, url, status, why);
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

/* Called by the spool's committer once the request's event is durable
 * (or cannot be): wake the suspended connection to answer. */
static void on_flushed(void *arg, int ok)
{
	struct request *req = arg;

	req->commit_ok = ok;
	req->state = REQUEST_FLUSHED;
	MHD_resume_connection(req->conn);
}

static enum MHD_Result answer_flushed(struct MHD_Connection *c,
				      const char *method, const char *url,
				      struct request *req)
{
	req->state = REQUEST_ANSWERED;
	if (!req->commit_ok)
		return reject(c, method, url, MHD_HTTP_SERVICE_UNAVAILABLE,
			      "the spool could not flush the event");
	return respond(c, method, url, MHD_HTTP_OK, "ok\n", NULL);
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
		return reject(c, method, url, MHD_HTTP_CONTENT_TOO_LARGE,
			      "body exceeds max_body_bytes");
	signature_headers(c, &sh);
	if (request_check_signature(ep, &sh, req->body, req->len,
				    req->received_ms / 1000, why,
				    sizeof(why)) != 0)
		return reject(c, method, url, MHD_HTTP_UNAUTHORIZED, why);
	ingest_body(s->rt, (size_t)req->endpoint, req->body, req->len, sh.id,
		    req->received_ms, &v);
	req->body = NULL; /* ingest owns it now */
	if (v.status != MHD_HTTP_OK)
		return reject(c, method, url, v.status, v.reason);
	if (v.wait_for == 0)
		return respond(c, method, url, MHD_HTTP_OK, "ok\n", NULL);
	/* Never block an HTTP thread on a flush: park the connection until
	 * the group commit that covers the event is done. */
	req->state = REQUEST_WAITING;
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
		return begin_request(s, c, url, method, con_cls);
	switch ((enum request_state)atomic_load(&req->state)) {
	case REQUEST_READING:
		break;
	case REQUEST_FLUSHED:
		return answer_flushed(c, method, url, req);
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
	struct request *req = *con_cls;

	if (req != NULL) {
		free(req->body);
		free(req);
	}
	*con_cls = NULL;
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

struct http_server *http_start(struct runtime *rt)
{
	const struct config *conf = rt->conf;
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	if (s == NULL)
		return NULL;
	s->rt = rt;
	if (resolve_listen(conf->listen_address, (int)conf->listen_port,
			   &ss) != 0) {
		log_warnx("listen.address '%s' is not a numeric address",
			  conf->listen_address);
		free(s);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
		flags, (uint16_t)conf->listen_port, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)conf->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)conf->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (s->daemon == NULL) {
		log_warnx("cannot listen on %s port %lld (in use, or not "
			  "permitted?)",
			  conf->listen_address, (long long)conf->listen_port);
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info != NULL ? info->port : (int)conf->listen_port;
	return s;
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

void http_stop(struct http_server *s, int timeout_s)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	int64_t deadline = now_ms() + timeout_s * 1000L;

	if (s == NULL)
		return;
	/* Stop accepting, then give requests in flight (and those waiting
	 * for their flush) time to be answered; idle keep-alive connections
	 * are closed by the stop. */
	MHD_quiesce_daemon(s->daemon);
	while (open_connections(s) > 0 && now_ms() < deadline)
		nanosleep(&tick, NULL);
	MHD_stop_daemon(s->daemon);
	free(s);
}
