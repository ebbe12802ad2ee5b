/* A real redis-server per test (see redis_server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "redis_server.h"

#define REDIS_BINARY   "redis-server"
#define READY_WAIT_MS  10000
#define MAX_EXTRA_ARGS 16

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A port the kernel considers free now (bound then released). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int binary_exists(void)
{
	const char *path = getenv("PATH");
	char buf[4096], *save = NULL, *copy;
	int found = 0;

	copy = strdup(path != NULL ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", d, REDIS_BINARY);
		found = access(buf, X_OK) == 0;
	}
	free(copy);
	return found;
}

static void exec_server(struct redis_server *s)
{
	char port[16], extra[sizeof(s->extra)], *save = NULL;
	const char *argv[24 + MAX_EXTRA_ARGS];
	int n = 0, fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

	/* Dies with the test process, even when the test crashes. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(extra, sizeof(extra), "%s", s->extra);
	argv[n++] = REDIS_BINARY;
	argv[n++] = "--port", argv[n++] = port;
	argv[n++] = "--bind", argv[n++] = "127.0.0.1";
	argv[n++] = "--unixsocket", argv[n++] = s->socket;
	argv[n++] = "--dir", argv[n++] = s->dir;
	argv[n++] = "--save", argv[n++] = "";
	argv[n++] = "--appendonly", argv[n++] = "yes";
	argv[n++] = "--appendfsync", argv[n++] = "always";
	argv[n++] = "--daemonize", argv[n++] = "no";
	for (char *t = strtok_r(extra, " ", &save);
	     t != NULL && n < 22 + MAX_EXTRA_ARGS;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	execvp(REDIS_BINARY, (char *const *)argv);
	_exit(127);
}

static int ping(const struct redis_server *s)
{
	struct timeval tv = {0, 200000};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
	redisReply *r = NULL;
	int ok;

	if (c != NULL && c->err == 0)
		r = redisCommand(c, "PING");
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (r != NULL)
		freeReplyObject(r);
	if (c != NULL)
		redisFree(c);
	return ok;
}

static int wait_ready(struct redis_server *s)
{
	for (long waited = 0; waited < READY_WAIT_MS; waited += 20) {
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr,
				"redis-server exited (status %d); see "
				"%s\n",
				status, s->log);
			s->pid = -1;
			return -1;
		}
		if (ping(s))
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "redis-server did not answer PING within %d ms\n",
		READY_WAIT_MS);
	return -1;
}

int redis_server_restart(struct redis_server *s)
{
	s->pid = fork();
	if (s->pid < 0) {
		perror("fork");
		return -1;
	}
	if (s->pid == 0)
		exec_server(s);
	return wait_ready(s);
}

int redis_server_start(struct redis_server *s, const char *extra)
{
	const char *tmp = getenv("TMPDIR");

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	if (!binary_exists()) {
		fprintf(stderr,
			"%s not found in PATH: install the Debian "
			"package redis-server (scripts/install-deps.sh)\n",
			REDIS_BINARY);
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "%s/rtw-redis-XXXXXX",
		 tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(s->socket, sizeof(s->socket), "%s/redis.sock", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/redis.log", s->dir);
	snprintf(s->extra, sizeof(s->extra), "%s", extra ? extra : "");
	s->port = free_port();
	return s->port > 0 ? redis_server_restart(s) : -1;
}

void redis_server_kill(struct redis_server *s, int sig)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	for (int i = 0; i < 500; i++) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = -1;
			return;
		}
		sleep_ms(20);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
}

static void remove_tree(const char *dir)
{
	char cmd[600];

	/* The directory is ours (mkdtemp) and holds plain files and one
	 * appendonlydir level. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (getenv("RTW_KEEP_TEMP") == NULL && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

void redis_server_stop(struct redis_server *s)
{
	redis_server_kill(s, SIGKILL);
	if (s->dir[0] != '\0')
		remove_tree(s->dir);
	s->dir[0] = '\0';
}

redisContext *redis_server_client(const struct redis_server *s)
{
	struct timeval tv = {5, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);

	if (c == NULL || c->err != 0) {
		fprintf(stderr, "cannot connect to the test redis: %s\n",
			c ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	return c;
}

redisReply *redis_server_command(const struct redis_server *s, const char *fmt,
				 ...)
{
	redisContext *c = redis_server_client(s);
	redisReply *r = NULL;
	va_list ap;

	if (c == NULL)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return r;
}

long long redis_server_xlen(const struct redis_server *s, const char *stream)
{
	redisReply *r = redis_server_command(s, "XLEN %s", stream);
	long long n =
	    r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	if (r != NULL)
		freeReplyObject(r);
	return n;
}
