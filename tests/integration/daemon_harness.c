/* daemon_harness: temporary directories, configuration files and the
 * daemon process. The HTTP side is in harness_http.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_harness.h"

#define START_TIMEOUT_MS 30000 /* generous: valgrind starts slowly */
#define STOP_TIMEOUT_MS 20000 /* the daemon drains for up to 10 s */
#define RUN_TIMEOUT_MS 10000
#define LISTEN_MARK "listening on 127.0.0.1 port "

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L +
	       (now.tv_nsec - since->tv_nsec) / 1000000L;
}

char *harness_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			char *grown = realloc(buf, cap + 65536 + 1);

			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int harness_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL) {
		fprintf(stderr, "harness: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	ok &= fclose(f) == 0;
	return ok ? 0 : -1;
}

int harness_mkdtemp(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	n = snprintf(buf, len, "%s/rtw-integration-XXXXXX", tmp);
	if (n < 0 || (size_t)n >= len || mkdtemp(buf) == NULL) {
		fprintf(stderr, "harness: mkdtemp in %s: %s\n", tmp,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	remove(path);
	return 0;
}

void harness_rmtree(const char *path)
{
	if (path != NULL && path[0] != '\0')
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

size_t harness_count(const char *haystack, const char *needle)
{
	size_t n = 0, step = strlen(needle);

	if (step == 0)
		return 0;
	for (const char *p = haystack; (p = strstr(p, needle)) != NULL;
	     p += step)
		n++;
	return n;
}

size_t harness_wait_count(const char *path, const char *needle, size_t n,
			  long timeout_ms)
{
	struct timespec start;
	size_t found;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		char *text = harness_read_file(path, NULL);

		found = text != NULL ? harness_count(text, needle) : 0;
		free(text);
		if (found >= n || elapsed_ms(&start) > timeout_ms)
			return found;
		sleep_ms(10);
	}
}

size_t harness_wait_lines(const char *path, size_t n, long timeout_ms)
{
	return harness_wait_count(path, "\n", n, timeout_ms);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads /proc/PID/task/TID/comm into t->name; 0, or -1 (the thread ended
 * meanwhile). */
static int read_thread_name(long pid, struct daemon_thread *t)
{
	char file[96];
	FILE *f;
	int ok;

	snprintf(file, sizeof(file), "/proc/%ld/task/%ld/comm", pid, t->tid);
	f = fopen(file, "r");
	if (f == NULL)
		return -1;
	ok = fgets(t->name, sizeof(t->name), f) != NULL;
	fclose(f);
	t->name[strcspn(t->name, "\n")] = '\0';
	return ok ? 0 : -1;
}

int daemon_threads(const struct daemon *d, struct daemon_thread **out)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%ld/task", (long)d->pid);
	dir = opendir(path);
	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		struct daemon_thread t = {.tid = atol(e->d_name)};
		struct daemon_thread *grown;

		if (t.tid <= 0 || read_thread_name((long)d->pid, &t) != 0)
			continue;
		t.policy = sched_getscheduler((pid_t)t.tid);
		if (t.policy < 0)
			continue; /* it ended meanwhile */
		grown = realloc(*out, (size_t)(n + 1) * sizeof(**out));
		if (grown == NULL)
			break;
		*out = grown;
		(*out)[n++] = t;
	}
	closedir(dir);
	return n;
}

int daemon_threads_named(const struct daemon *d, const char *name)
{
	struct daemon_thread *t;
	int n = daemon_threads(d, &t), count = 0;

	for (int i = 0; i < n; i++)
		count += strcmp(t[i].name, name) == 0;
	free(t);
	return count;
}

int daemon_wait_threads_named(const struct daemon *d, const char *name,
			      int n, long timeout_ms)
{
	struct timespec start;
	int count;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((count = daemon_threads_named(d, name)) != n &&
	       elapsed_ms(&start) < timeout_ms)
		sleep_ms(10);
	return count;
}

char **harness_list(const char *dir, const char *suffix)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char **list = calloc(1, sizeof(*list));
	size_t n = 0, slen = strlen(suffix);

	if (dh == NULL || list == NULL) {
		fprintf(stderr, "harness: cannot list %s\n", dir);
		if (dh != NULL)
			closedir(dh);
		free(list);
		return NULL;
	}
	while ((e = readdir(dh)) != NULL) {
		size_t len = strlen(e->d_name);
		char **grown;

		if (len <= slen || strcmp(e->d_name + len - slen, suffix) != 0)
			continue;
		grown = realloc(list, (n + 2) * sizeof(*list));
		if (grown == NULL)
			break;
		list = grown;
		if (asprintf(&list[n], "%s/%s", dir, e->d_name) < 0)
			break;
		list[++n] = NULL;
	}
	closedir(dh);
	qsort(list, n, sizeof(*list), compare_strings);
	return list;
}

void harness_free_list(char **list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

const char *daemon_path(const struct daemon *d, const char *name, char *buf,
			size_t len)
{
	snprintf(buf, len, "%s/%s", d->dir, name);
	return buf;
}

struct daemon *daemon_new(void)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->pid = -1;
	d->exit_status = -1;
	if (harness_mkdtemp(d->dir, sizeof(d->dir)) != 0) {
		free(d);
		return NULL;
	}
	daemon_path(d, "rtwebhookd.conf", d->conf, sizeof(d->conf));
	daemon_path(d, "stdout.log", d->out_log, sizeof(d->out_log));
	daemon_path(d, "stderr.log", d->err_log, sizeof(d->err_log));
	return d;
}

/* RTW_KEEP_TEMP=1 keeps the directory, for looking into a failure. */
void daemon_free(struct daemon *d)
{
	const char *keep = getenv("RTW_KEEP_TEMP");

	if (d == NULL)
		return;
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	if (keep != NULL && keep[0] != '\0')
		fprintf(stderr, "harness: kept %s\n", d->dir);
	else
		harness_rmtree(d->dir);
	free(d);
}

/* text with every "@DIR@" replaced by dir; free it. */
static char *expand_dir(const char *text, const char *dir)
{
	size_t n = harness_count(text, "@DIR@");
	char *out = malloc(strlen(text) + n * strlen(dir) + 1), *o = out;
	const char *p = text, *hit;

	if (out == NULL)
		return NULL;
	while ((hit = strstr(p, "@DIR@")) != NULL) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		o = stpcpy(o, dir);
		p = hit + 5;
	}
	strcpy(o, p);
	return out;
}

int daemon_write(struct daemon *d, const char *name, const char *text)
{
	char path[512], *expanded = expand_dir(text, d->dir);
	int rc = -1;

	if (expanded != NULL)
		rc = harness_write_file(daemon_path(d, name, path, sizeof(path)),
					expanded, strlen(expanded));
	free(expanded);
	return rc;
}

int daemon_configure(struct daemon *d, const char *body)
{
	char *expanded = expand_dir(body, d->dir), *text = NULL;
	int rc = -1;

	if (expanded != NULL &&
	    asprintf(&text,
		     "# written by daemon_harness\n"
		     "listen = { address = \"127.0.0.1\"; port = 0; };\n"
		     "spool = { dir = \"%s/spool\"; " TEST_SEGMENT_BYTES " };\n"
		     "%s",
		     d->dir, expanded) >= 0) {
		rc = harness_write_file(d->conf, text, strlen(text));
		free(text);
	}
	free(expanded);
	return rc;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* In the child: stdin from /dev/null, stdout/stderr to files (appended,
 * so a restart keeps the earlier log), a clean environment for the parts
 * that change the daemon's behaviour, then exec. */
static void exec_maybe_under_valgrind(const char *const *argv);

/* In the child: what systemd would pass (see struct daemon). */
static void pass_service_env(const struct daemon *d)
{
	char value[32];

	if (d->listen_fd > 0) {
		/* dup2 clears close-on-exec on fd 3; on fd 3 itself, clear it
		 * by hand. */
		if (d->listen_fd != 3 ? dup2(d->listen_fd, 3) < 0
				      : fcntl(3, F_SETFD, 0) < 0)
			_exit(126);
		snprintf(value, sizeof(value), "%ld", (long)getpid());
		setenv("LISTEN_PID", value, 1);
		setenv("LISTEN_FDS", "1", 1);
	}
	if (d->notify_socket[0] != '\0')
		setenv("NOTIFY_SOCKET", d->notify_socket, 1);
	if (d->watchdog_usec > 0) {
		snprintf(value, sizeof(value), "%ld", d->watchdog_usec);
		setenv("WATCHDOG_USEC", value, 1);
	}
}

static void exec_daemon(const char *const *argv, const char *cwd,
			const char *out, const char *err, const char *creds,
			long file_size_limit, const struct daemon *svc)
{
	int in = open("/dev/null", O_RDONLY);
	int o = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
	int e = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
	    dup2(e, 2) < 0)
		_exit(126);
	unsetenv("JOURNAL_STREAM");
	unsetenv("RTWEBHOOKD_MODULE_DIR");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (svc != NULL)
		pass_service_env(svc);
	closefrom(svc != NULL && svc->listen_fd > 0 ? 4 : 3);
	if (creds != NULL)
		setenv("CREDENTIALS_DIRECTORY", creds, 1);
	else
		unsetenv("CREDENTIALS_DIRECTORY");
	if (cwd != NULL && chdir(cwd) != 0)
		_exit(126);
	if (file_size_limit > 0) {
		struct rlimit rl = {(rlim_t)file_size_limit,
				    (rlim_t)file_size_limit};

		/* An ignored signal stays ignored across exec. */
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(126);
	}
	exec_maybe_under_valgrind(argv);
	_exit(127);
}

/* Execs the daemon; with RTW_TEST_VALGRIND set, under valgrind memcheck,
 * which turns any memory error or definite leak into exit status 99, so
 * the tests that check a clean exit fail on it (make valgrind). */
static void exec_maybe_under_valgrind(const char *const *argv)
{
	static const char *const memcheck[] = {
		"/usr/bin/valgrind", "--quiet", "--error-exitcode=99",
		"--leak-check=full", "--errors-for-leak-kinds=definite",
		"--show-leak-kinds=definite", "--track-fds=no"};
	const size_t nmem = sizeof(memcheck) / sizeof(memcheck[0]);
	const char *full[48];
	size_t n = 0;

	if (getenv("RTW_TEST_VALGRIND") == NULL) {
		execv(HARNESS_DAEMON, (char *const *)argv);
		return;
	}
	for (; n < nmem; n++)
		full[n] = memcheck[n];
	for (size_t i = 0; argv[i] != NULL && n < 47; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	execv(memcheck[0], (char *const *)full);
}

/* Parses the port from the first listen line at or after offset. */
static int find_port(const char *text, size_t offset)
{
	const char *p = strlen(text) >= offset ? strstr(text + offset, LISTEN_MARK)
					      : NULL;
	char *end;
	long port;

	if (p == NULL)
		return -1;
	p += strlen(LISTEN_MARK);
	port = strtol(p, &end, 10);
	/* The line ends there, or (log.format = "json") the message does. */
	if (end == p || (*end != '\n' && *end != '"') || port <= 0 ||
	    port > 65535)
		return -1;
	return (int)port;
}

/* Reaps the child if it exited; returns 1 when it did. */
static int reap(struct daemon *d, int block)
{
	int status;
	pid_t r;

	if (d->pid <= 0)
		return 1;
	r = waitpid(d->pid, &status, block ? 0 : WNOHANG);
	if (r == 0)
		return 0;
	d->exit_status = r < 0                ? -1
			 : WIFEXITED(status) ? WEXITSTATUS(status)
					     : 128 + WTERMSIG(status);
	d->pid = -1;
	return 1;
}

int daemon_spawn(struct daemon *d, const char *extra_arg)
{
	const char *argv[] = {HARNESS_DAEMON, "-c", d->conf, extra_arg, NULL};

	fflush(NULL);
	d->pid = fork();
	if (d->pid < 0) {
		perror("harness: fork");
		return -1;
	}
	if (d->pid == 0)
		exec_daemon(argv, d->dir, d->out_log, d->err_log, NULL,
			    d->file_size_limit, d);
	return 0;
}

int daemon_start(struct daemon *d, const char *extra_arg)
{
	size_t offset = (size_t)file_size(d->err_log);
	struct timespec start;
	char *text;

	if (daemon_spawn(d, extra_arg) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (elapsed_ms(&start) < START_TIMEOUT_MS) {
		int port;

		text = daemon_log(d);
		port = find_port(text, offset);
		free(text);
		if (port > 0) {
			d->port = port;
			return 0;
		}
		if (reap(d, 0))
			break;
		sleep_ms(10);
	}
	text = daemon_log(d);
	if (d->pid > 0)
		fprintf(stderr, "harness: the daemon did not say it listens "
				"within %d ms; log:\n%s\n",
			START_TIMEOUT_MS, text);
	else
		fprintf(stderr, "harness: the daemon exited with %d at "
				"startup; log:\n%s\n",
			d->exit_status, text);
	free(text);
	return -1;
}

int daemon_setup(void **state, const char *body, const char *extra_arg)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d != NULL && daemon_configure(d, body) == 0 &&
	    daemon_start(d, extra_arg) == 0)
		return 0;
	daemon_free(d);
	*state = NULL;
	return -1;
}

int daemon_teardown(void **state)
{
	struct daemon *d = *state;
	int rc = 0;

	/* Under valgrind every daemon is stopped cleanly so that memcheck
	 * reports, and a report (exit status 99) fails the test. */
	if (d != NULL && d->pid > 0 && getenv("RTW_TEST_VALGRIND") != NULL &&
	    daemon_stop(d) == 99) {
		char *log = daemon_log(d);

		fprintf(stderr, "harness: valgrind found errors:\n%s\n", log);
		free(log);
		rc = -1;
	}
	daemon_free(d);
	*state = NULL;
	return rc;
}

int daemon_signal(struct daemon *d, int sig)
{
	return d->pid > 0 ? kill(d->pid, sig) : -1;
}

int daemon_running(struct daemon *d)
{
	return !reap(d, 0);
}

int daemon_wait(struct daemon *d, long timeout_ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!reap(d, 0)) {
		if (elapsed_ms(&start) > timeout_ms)
			return -1;
		sleep_ms(10);
	}
	return d->exit_status;
}

int daemon_stop(struct daemon *d)
{
	if (d->pid <= 0)
		return d->exit_status;
	kill(d->pid, SIGTERM);
	if (daemon_wait(d, STOP_TIMEOUT_MS) >= 0 || d->pid <= 0)
		return d->exit_status;
	fprintf(stderr, "harness: the daemon ignored SIGTERM for %d ms\n",
		STOP_TIMEOUT_MS);
	kill(d->pid, SIGKILL);
	reap(d, 1);
	d->exit_status = -1;
	return -1;
}

char *daemon_log(const struct daemon *d)
{
	char *s = harness_read_file(d->err_log, NULL);

	return s != NULL ? s : strdup("");
}

char *daemon_stdout(const struct daemon *d)
{
	char *s = harness_read_file(d->out_log, NULL);

	return s != NULL ? s : strdup("");
}

int harness_run(const char *const *argv, const char *cwd, const char *creds,
		struct run_result *r)
{
	const char *full[32] = {HARNESS_DAEMON};
	char dir[256], out[320], err[320];
	struct daemon child = {.pid = -1, .exit_status = -1};
	struct timespec start;
	size_t n = 1;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	for (; argv[n - 1] != NULL && n < 31; n++)
		full[n] = argv[n - 1];
	full[n] = NULL;
	if (harness_mkdtemp(dir, sizeof(dir)) != 0)
		return -1;
	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	fflush(NULL);
	child.pid = fork();
	if (child.pid == 0)
		exec_daemon(full, cwd, out, err, creds, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (child.pid > 0 && !reap(&child, 0)) {
		if (elapsed_ms(&start) > RUN_TIMEOUT_MS) {
			fprintf(stderr, "harness: %s did not exit in %d ms\n",
				HARNESS_DAEMON, RUN_TIMEOUT_MS);
			kill(child.pid, SIGKILL);
			reap(&child, 1);
			child.exit_status = -1;
			break;
		}
		sleep_ms(5);
	}
	r->status = child.exit_status;
	r->out = harness_read_file(out, NULL);
	r->err = harness_read_file(err, NULL);
	if (r->out == NULL)
		r->out = strdup("");
	if (r->err == NULL)
		r->err = strdup("");
	harness_rmtree(dir);
	return r->status;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
