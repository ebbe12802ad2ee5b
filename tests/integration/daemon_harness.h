/* daemon_harness: support for integration tests that run the real
 * rtwebhookd binary and talk HTTP to it.
 *
 * A struct daemon owns a private temporary directory holding the
 * configuration, the spool, the handlers' output and the daemon's captured
 * stdout/stderr. The configuration always listens on 127.0.0.1 port 0 (the
 * kernel picks a free port, read back from the startup log line), so tests
 * can run in parallel. Every wait is bounded.
 *
 * Functions return 0 / -1 (or a pointer / NULL) and print what went wrong
 * on stderr, so a failing test shows why. */
#ifndef RTW_DAEMON_HARNESS_H
#define RTW_DAEMON_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

/* The daemon under test, from the build tree. */
#define HARNESS_DAEMON RTW_BINARY_DIR "/rtwebhookd"
#define HARNESS_FIXTURES RTW_TEST_SOURCE_DIR "/fixtures/events"

/* The spool segment size of test daemons (daemon_configure,
 * dint_configure): 4 MiB instead of the default 64. A daemon writes two
 * segments' worth of zeros ahead soon after it starts (the segment it
 * moves to and the next spare, docs/configuration.md): 128 MB for each of
 * the suite's many short-lived daemons, and more under valgrind. Tests of
 * segments set their own size. */
#define TEST_SEGMENT_BYTES "segment_bytes = 4194304;"

/* The token of the default endpoint /recall/events. */
#define HARNESS_TOKEN "integration-test-token"
/* A configuration body (see daemon_configure): one endpoint with
 * HARNESS_TOKEN and one jsonl handler "archive" writing @DIR@/events.jsonl. */
#define HARNESS_DEFAULT_BODY                                                   \
	"endpoints = ( { path = \"/recall/events\";\n"                         \
	"                tokens = [\"" HARNESS_TOKEN "\"]; } );\n"             \
	"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"             \
	"               config = { path = \"@DIR@/events.jsonl\"; }; } );\n"

struct daemon {
	char dir[256];      /* private temporary directory */
	char conf[320];     /* dir/rtwebhookd.conf */
	char out_log[320];  /* dir/stdout.log */
	char err_log[320];  /* dir/stderr.log */
	pid_t pid;          /* -1 when not running */
	int port;           /* the bound port once started */
	int exit_status;    /* of the last stop, see daemon_stop */
	/* When > 0, the daemon runs with RLIMIT_FSIZE at this many bytes
	 * (SIGXFSZ ignored): writes past it fail as on a full disk. */
	long file_size_limit;
	/* Running as systemd would start it (all off when zero/empty):
	 * listen_fd > 0 is passed as fd 3 with LISTEN_FDS=1 and LISTEN_PID
	 * (socket activation; the test keeps its copy, so the socket outlives
	 * a restart); notify_socket is NOTIFY_SOCKET; watchdog_usec > 0 is
	 * WATCHDOG_USEC. */
	int listen_fd;
	char notify_socket[108];
	long watchdog_usec;
};

/* Creates the temporary directory. NULL on failure. */
struct daemon *daemon_new(void);
/* Kills the daemon if it still runs, removes the directory (kept when
 * RTW_KEEP_TEMP is set, to look into a failure), frees d. */
void daemon_free(struct daemon *d);

/* For cmocka: a setup that creates a daemon, configures it with body and
 * starts it (extra_arg as for daemon_start). On failure it frees all and
 * sets *state to NULL, since cmocka skips the teardown of a failed setup.
 * daemon_teardown frees *state. */
int daemon_setup(void **state, const char *body, const char *extra_arg);
int daemon_teardown(void **state);

/* Writes d->conf: `listen` on 127.0.0.1 port 0 and a spool in d->dir,
 * followed by body (endpoints, handlers, limits, ...) with every "@DIR@"
 * replaced by d->dir. */
int daemon_configure(struct daemon *d, const char *body);
/* Writes a file in d->dir (name relative to it) holding text with every
 * "@DIR@" replaced by d->dir. Writing "rtwebhookd.conf" replaces the
 * whole configuration (for -t runs on hand-written files). */
int daemon_write(struct daemon *d, const char *name, const char *text);
/* Formats d->dir/name into buf. */
const char *daemon_path(const struct daemon *d, const char *name, char *buf,
			size_t len);

/* Starts `rtwebhookd -c d->conf [extra_arg]` (extra_arg may be NULL) with
 * stdout and stderr going to files, and waits up to 10 s for the line
 * "listening on 127.0.0.1 port N". Returns 0 with d->port set, or -1 (the
 * daemon exited or never said it listens; its log is printed). */
int daemon_start(struct daemon *d, const char *extra_arg);
/* The same without waiting for anything: 0 once the process runs. */
int daemon_spawn(struct daemon *d, const char *extra_arg);
/* Sends sig to the daemon. */
int daemon_signal(struct daemon *d, int sig);
/* Sends SIGTERM and waits (bounded) for the exit. Returns the exit code,
 * 128 + signal when killed by a signal, or -1 when it had to be killed
 * after the wait. Also stored in d->exit_status. */
int daemon_stop(struct daemon *d);
/* Waits up to timeout_ms for the daemon to exit on its own; returns its
 * status as daemon_stop does, or -1 while it still runs. */
int daemon_wait(struct daemon *d, long timeout_ms);
/* 1 while the daemon process has not exited. */
int daemon_running(struct daemon *d);

/* The daemon's stderr (its log) or stdout so far, NUL-terminated; free it.
 * Never NULL (an empty string when the file cannot be read). */
char *daemon_log(const struct daemon *d);
char *daemon_stdout(const struct daemon *d);

/* One thread of the daemon: its id, name and scheduling policy. */
struct daemon_thread {
	long tid;
	char name[16];
	int policy; /* SCHED_OTHER, SCHED_BATCH... */
};
/* The daemon's threads now, in *out (free it); returns how many, or -1
 * when /proc/PID/task cannot be read. Threads that end while they are
 * listed are left out. */
int daemon_threads(const struct daemon *d, struct daemon_thread **out);
/* How many of them are named name. */
int daemon_threads_named(const struct daemon *d, const char *name);
/* The same, once n are, or after timeout_ms: some threads name themselves
 * after they start (libmicrohttpd's), maybe after the daemon said it
 * listens. */
int daemon_wait_threads_named(const struct daemon *d, const char *name,
			      int n, long timeout_ms);

/* Files. harness_read_file returns NULL when the file cannot be read;
 * the buffer is NUL-terminated (*len excludes the NUL). */
char *harness_read_file(const char *path, size_t *len);
int harness_write_file(const char *path, const void *data, size_t len);
/* A fresh directory under $TMPDIR (or /tmp), path into buf. */
int harness_mkdtemp(char *buf, size_t len);
/* rm -rf path (bounded to the tree under it; symlinks are not followed). */
void harness_rmtree(const char *path);
/* Number of non-overlapping occurrences of needle in haystack. */
size_t harness_count(const char *haystack, const char *needle);

/* Waits up to timeout_ms until the file at path holds needle at least n
 * times (handlers deliver after the 200, asynchronously); returns how many
 * times it holds it then (0 when the file does not exist). */
size_t harness_wait_count(const char *path, const char *needle, size_t n,
			  long timeout_ms);
/* The same for lines. */
size_t harness_wait_lines(const char *path, size_t n, long timeout_ms);

/* The files in dir whose names end in suffix, sorted; NULL-terminated
 * array of full paths. Free with harness_free_list. */
char **harness_list(const char *dir, const char *suffix);
void harness_free_list(char **list);

/* A finished child: rtwebhookd run to completion (-t, --version, ...). */
struct run_result {
	int status; /* exit code; 128 + signal; -1 when it could not run */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr, NUL-terminated */
};
/* Runs HARNESS_DAEMON with argv (argv[0] excluded, NULL-terminated) in cwd
 * (NULL: inherited), with CREDENTIALS_DIRECTORY set to creds (NULL: unset),
 * killing it after 10 s. Returns r->status. */
int harness_run(const char *const *argv, const char *cwd, const char *creds,
		struct run_result *r);
void run_result_free(struct run_result *r);

/* HTTP through libcurl, to 127.0.0.1:port. */
struct http_request {
	const char *method;       /* NULL: POST */
	const char *target;       /* path and query, e.g. "/x?token=t" */
	const char *content_type; /* NULL: no Content-Type header at all */
	const void *body;         /* NULL: no body */
	size_t body_len;
	int chunked;              /* send the body with chunked encoding */
	const char *const *headers; /* extra "Name: value", NULL-terminated */
	long timeout_s;           /* 0: 10 s */
};

struct http_reply {
	long status;   /* 0 when no response arrived */
	char *headers; /* the raw response header block, NUL-terminated */
	char *body;    /* NUL-terminated */
	size_t body_len;
	char error[256]; /* libcurl's message when status is 0 */
};

/* Sends req and fills rep (free it with http_reply_free, always).
 * Returns 0 when a response arrived, -1 otherwise (rep->error says why). */
int http_send(int port, const struct http_request *req,
	      struct http_reply *rep);
/* POST body to target with the Content-Type given; returns the status
 * (0 when no response). */
long http_post(int port, const char *target, const char *content_type,
	       const void *body, size_t len);
/* GET target; returns the status. */
long http_get(int port, const char *target);
/* The value of response header name (case-insensitive) in buf, or NULL. */
const char *http_reply_header(const struct http_reply *rep, const char *name,
			      char *buf, size_t len);
void http_reply_free(struct http_reply *rep);

/* Standard Webhooks: "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
 * into out; key is the raw key (the decoded part after "whsec_"). */
int harness_sign(const char *key, const char *id, const char *timestamp,
		 const void *body, size_t len, char out[64]);

/* Raw TCP to 127.0.0.1:port, for requests no HTTP client would send.
 * Sockets have 10 s send/receive timeouts. */
int raw_connect(int port);
int raw_send(int fd, const void *data, size_t len);
/* Reads until the peer closes, buf is full or timeout_ms passes; returns
 * the bytes read (NUL-terminated in buf). */
size_t raw_read_reply(int fd, char *buf, size_t cap, int timeout_ms);
/* The status code of an HTTP/1.x response in text, or 0. */
int raw_status(const char *text);

#endif
