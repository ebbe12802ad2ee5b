/* bench/ceiling: the ceilings rtwebhookd is measured against.
 *
 *   ceiling --port N [--threads N] [--parse] [--durable DIR [--inline]]
 *           [--epoll] [--pool BYTES]
 *
 * A libmicrohttpd server started with the daemon's flags (src/http.c:
 * start_daemon: internal thread pool on poll(), an inter-thread pipe,
 * suspend/resume allowed; --epoll: on epoll instead, what the daemon
 * used before, to see what the choice costs) that copies each
 * POST body into a buffer and answers 200 "ok\n". Without --parse it does
 * nothing else: the most this HTTP stack can do on this machine. With
 * --parse it also parses every body with json_loadb and checks for a
 * string "event" member (400 otherwise): the least work any receiver on
 * this stack must do. With --durable DIR as well, each event's body is
 * made durable before the answer, as the daemon's fsync = "batch" does:
 * the connection is suspended, a group commit (group_commit.h) writes and
 * syncs the bodies of a round into DIR, and the answer is 200, or 503
 * when the round failed: the least any receiver that answers only for
 * durable events must do on this disk (SCHED_BATCH, as the daemon).
 * With --inline as well, the request's own thread writes its body over
 * the start of DIR/inline.log and syncs it before answering: no suspend,
 * no committer, one flush per event, under the same SCHED_BATCH as the
 * durable ceiling so that the two differ only there. It shows what the hand-off to a
 * committer costs where a flush is free (tmpfs), and what a flush per
 * request costs on a real disk; bench/README.md, runs N and M.
 * Each connection's memory pool is 16 KiB (the daemon's
 * max_header_bytes) unless --pool says otherwise:
 * the daemon gives it 4 * max_header_bytes + 16 KiB, and libmicrohttpd
 * 0.9.75 zeroes the whole pool after every request. Runs until SIGTERM or
 * SIGINT. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "bytes.h"
#include "group_commit.h"

/* As the daemon's defaults (conf: max_body_bytes, max_connections,
 * timeout_s, max_header_bytes), so the stack is configured the same. */
#define MAX_BODY (1024 * 1024)
#define MAX_CONNECTIONS 1024
#define TIMEOUT_S 10
#define DEFAULT_POOL 16384
/* The durable ceiling's file, reused from its start when full: a few
 * seconds of bodies at full speed, so each run writes over its own. */
#define DURABLE_FILE_BYTES (64u << 20)

struct ceiling {
	int parse, epoll, inline_sync;
	size_t pool;
	const char *durable_dir;
	struct group_commit *log; /* with --durable */
	int inline_fd;		  /* with --durable --inline */
	/* Built once and shared: the cheapest possible answer. */
	struct MHD_Response *ok, *bad, *unavailable;
};

/* A request's body and, with --durable, where its record stands. */
enum body_state { RECEIVING, WAITING, DURABLE, NOT_DURABLE };

struct body {
	struct bytes data;
	enum body_state state;
	struct MHD_Connection *conn;
	struct group_commit_waiter waiter;
};

static int body_append(struct body *b, const char *data, size_t size)
{
	if (b->data.len + size > MAX_BODY)
		return -1;
	return bytes_append(&b->data, data, size);
}

/* The check every receiver must make: a JSON object with a string event. */
static int body_is_event(const struct body *b)
{
	json_error_t err;
	json_t *j = json_loadb(b->data.buf, b->data.len, 0, &err);
	int ok = j != NULL && json_is_string(json_object_get(j, "event"));

	json_decref(j);
	return ok;
}

/* One buffer per request, sized from Content-Length as the daemon does. */
static struct body *body_new(struct MHD_Connection *c)
{
	const char *clen = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct body *b = calloc(1, sizeof(*b));
	size_t cap = clen != NULL ? strtoul(clen, NULL, 10) : 0;

	if (b == NULL)
		return NULL;
	b->data.cap = cap > 0 && cap <= MAX_BODY ? cap : 4096;
	b->data.buf = malloc(b->data.cap);
	if (b->data.buf == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

/* On the committer: the round that holds the body has ended. The state
 * is read by the connection's thread after the resume, whose lock
 * orders the two. */
static void on_durable(struct group_commit_waiter *w, int durable)
{
	struct body *b =
		(struct body *)((char *)w - offsetof(struct body, waiter));

	b->state = durable ? DURABLE : NOT_DURABLE;
	MHD_resume_connection(b->conn);
}

/* Parks the connection until its body is durable. Suspended first, so
 * the committer never resumes a connection that is not yet suspended. */
static enum MHD_Result wait_durable(struct ceiling *s, struct MHD_Connection *c,
				    struct body *b)
{
	b->state = WAITING;
	b->conn = c;
	b->waiter.done = on_durable;
	MHD_suspend_connection(c);
	if (group_commit_append(s->log, b->data.buf, b->data.len, &b->waiter) !=
	    0) {
		b->state = NOT_DURABLE;
		MHD_resume_connection(c);
	}
	return MHD_YES;
}

/* --inline: the body is durable before this returns, or the answer is 503.
 * Every event lands at offset 0: the file never grows, so each flush
 * carries one body and nothing else, as a group commit's round of one.
 * A short write counts as a failure (no retry loop): a body of a few KiB
 * written to a regular file is only cut short by an error. */
static enum MHD_Result answer_after_inline_sync(struct ceiling *s,
					       struct MHD_Connection *c,
					       const struct body *b)
{
	int durable = pwrite(s->inline_fd, b->data.buf, b->data.len, 0) ==
			      (ssize_t)b->data.len &&
		      fdatasync(s->inline_fd) == 0;

	return durable ? MHD_queue_response(c, MHD_HTTP_OK, s->ok)
		       : MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE,
					    s->unavailable);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct ceiling *s = cls;
	struct body *b = *con_cls;
	int ok;

	(void)url; /* any path, any method: the least a server can do */
	(void)method;
	(void)version;
	if (b == NULL) {
		*con_cls = body_new(c);
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size > 0) {
		if (body_append(b, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (b->state == WAITING)
		return MHD_YES; /* parked; not called again until resumed */
	if (b->state == DURABLE || b->state == NOT_DURABLE)
		return b->state == DURABLE
			       ? MHD_queue_response(c, MHD_HTTP_OK, s->ok)
			       : MHD_queue_response(c,
						    MHD_HTTP_SERVICE_UNAVAILABLE,
						    s->unavailable);
	ok = !s->parse || body_is_event(b);
	if (ok && s->inline_sync)
		return answer_after_inline_sync(s, c, b);
	if (ok && s->log != NULL)
		return wait_durable(s, c, b);
	return MHD_queue_response(c, ok ? MHD_HTTP_OK : MHD_HTTP_BAD_REQUEST,
				  ok ? s->ok : s->bad);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b != NULL) {
		free(b->data.buf);
		free(b);
	}
	*con_cls = NULL;
}

static struct MHD_Response *text_response(const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	/* The same bytes on the wire as the daemon's answer. */
	if (r != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; charset=utf-8");
	return r;
}

static struct MHD_Daemon *start(struct ceiling *s, unsigned port,
				unsigned threads)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	/* The daemon's flags (src/http.c: start_daemon). */
	unsigned flags = (s->epoll ? MHD_USE_EPOLL_INTERNAL_THREAD
				   : MHD_USE_POLL_INTERNAL_THREAD) |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC;
	/* One thread is MHD's single internal thread, no pool: the option
	 * is left out (MHD warns about a pool size of 0 or 1). */
	struct MHD_OptionItem pool[] = {
		{threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		 (intptr_t)threads, NULL},
		{MHD_OPTION_END, 0, NULL}};

	return MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_ARRAY, pool,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->pool,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
}

/* The durable ceiling runs SCHED_BATCH, as the daemon does (src/cpu.h:
 * cpu_policy_batch, whose rules it follows: a policy other than
 * SCHED_OTHER chosen by the starter, say BENCH_RT's chrt -f, stays; a
 * refusal is only reported): the committer, woken by every append, then
 * waits for the HTTP thread to reach a stopping point instead of
 * preempting it, and each round takes more records. Measured here: 39
 * against 44 us of CPU per event at 64 keep-alive connections, the same
 * events/s. Threads created afterwards inherit it. */
static void use_batch_policy(void)
{
	struct sched_param none = {.sched_priority = 0};

	if (sched_getscheduler(0) == SCHED_OTHER &&
	    sched_setscheduler(0, SCHED_BATCH, &none) != 0)
		perror("ceiling: SCHED_BATCH (going on without it)");
}

static int open_inline_file(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/inline.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		perror(path);
	return fd;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: ceiling --port N [--threads N] [--parse "
		     "[--durable DIR [--inline]]] [--epoll] [--pool BYTES]\n");
}

struct args {
	unsigned port, threads;
};

/* Returns -1 to exit 0 (--help), 0 to run, or 2 on a usage error. */
static int parse_args(int argc, char **argv, struct ceiling *s,
		      struct args *a)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"parse", no_argument, NULL, 'j'},
		{"durable", required_argument, NULL, 'd'},
		{"inline", no_argument, NULL, 'i'},
		{"epoll", no_argument, NULL, 'e'},
		{"pool", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int opt;

	while ((opt = getopt_long(argc, argv, "p:t:jd:iem:h", options, NULL)) !=
	       -1) {
		if (opt == 'p')
			a->port = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 't')
			a->threads = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'j')
			s->parse = 1;
		else if (opt == 'd')
			s->durable_dir = optarg;
		else if (opt == 'i')
			s->inline_sync = 1;
		else if (opt == 'e')
			s->epoll = 1;
		else if (opt == 'm')
			s->pool = strtoul(optarg, NULL, 10);
		else if (opt == 'h')
			return -1;
		else
			return 2;
	}
	return a->port == 0 || a->port > 65535 || a->threads == 0 ||
			       s->pool < 4096 || optind != argc ||
		       (s->durable_dir != NULL && !s->parse) ||
		       (s->inline_sync && s->durable_dir == NULL)
		       ? 2
		       : 0;
}

int main(int argc, char **argv)
{
	struct ceiling s = {.pool = DEFAULT_POOL, .inline_fd = -1};
	struct args a = {.threads = 1};
	struct MHD_Daemon *d;
	sigset_t set;
	int rc, sig;

	rc = parse_args(argc, argv, &s, &a);
	if (rc != 0) {
		usage(rc < 0 ? stdout : stderr);
		return rc < 0 ? 0 : rc;
	}
	/* Taken with sigwait below, so block them before any thread starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.ok = text_response("ok\n");
	s.bad = text_response("400 not an event\n");
	s.unavailable = text_response("503 not stored\n");
	if (s.durable_dir != NULL)
		use_batch_policy();
	if (s.inline_sync && (s.inline_fd = open_inline_file(s.durable_dir)) < 0)
		return 1;
	if (s.durable_dir != NULL && !s.inline_sync &&
	    (s.log = group_commit_open(s.durable_dir, DURABLE_FILE_BYTES)) ==
		    NULL)
		return 1;
	d = s.ok && s.bad && s.unavailable ? start(&s, a.port, a.threads)
					  : NULL;
	if (d == NULL) {
		fprintf(stderr, "ceiling: cannot listen on 127.0.0.1 port %u\n",
			a.port);
		return 1;
	}
	sigwait(&set, &sig);
	/* Stopping the log commits what it holds and resumes each parked
	 * connection; appends after it fail and answer 503. A connection
	 * resumed just before MHD_stop_daemon may still be closed without
	 * its answer (the daemon waits for its threads to settle, src/http.c;
	 * a benchmark stops after its load has ended). The log is freed once
	 * no HTTP thread can append to it. No MHD_quiesce_daemon: with
	 * --epoll and a thread pool, 0.9.75 can abort in it. */
	if (s.log != NULL)
		group_commit_stop(s.log);
	MHD_stop_daemon(d);
	if (s.log != NULL)
		group_commit_free(s.log);
	if (s.inline_fd >= 0)
		close(s.inline_fd);
	MHD_destroy_response(s.ok);
	MHD_destroy_response(s.bad);
	MHD_destroy_response(s.unavailable);
	return 0;
}
