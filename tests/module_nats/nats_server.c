/* A real nats-server per test (see nats_server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nats_server.h"

#define READY_WAIT_MS 15000
#define READY_MARK    "Server is ready"
#define MAX_EXTRA     12

/* Debian installs nats-server in /usr/sbin, which a test's PATH may
 * lack. */
static const char *const search_dirs[] = {"/usr/sbin", "/usr/local/sbin",
					  "/usr/local/bin", "/usr/bin"};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

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

static int find_in(const char *dir, char *out, size_t cap)
{
	snprintf(out, cap, "%s/nats-server", dir);
	return access(out, X_OK) == 0;
}

static int find_binary(char *out, size_t cap)
{
	const char *env = getenv("RTW_NATS_SERVER");
	const char *path = getenv("PATH");
	char *copy, *save = NULL;
	int found = 0;

	if (env != NULL && env[0] != '\0') {
		snprintf(out, cap, "%s", env);
		return access(out, X_OK) == 0;
	}
	copy = strdup(path != NULL ? path : "");
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save))
		found = find_in(d, out, cap);
	free(copy);
	for (size_t i = 0;
	     !found && i < sizeof(search_dirs) / sizeof(*search_dirs); i++)
		found = find_in(search_dirs[i], out, cap);
	return found;
}

static void exec_server(struct nats_server *s)
{
	char port[16], extra[sizeof(s->extra)], *save = NULL;
	const char *argv[16 + MAX_EXTRA];
	int n = 0, fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(extra, sizeof(extra), "%s", s->extra);
	argv[n++] = s->binary;
	argv[n++] = "-js";
	argv[n++] = "-a", argv[n++] = "127.0.0.1";
	argv[n++] = "-p", argv[n++] = port;
	argv[n++] = "-sd", argv[n++] = s->store;
	for (char *t = strtok_r(extra, " ", &save);
	     t != NULL && n < 8 + MAX_EXTRA; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	execv(s->binary, (char *const *)argv);
	_exit(127);
}

static int accepts_tcp(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Counts READY_MARK in the log: each start appends one. */
static int ready_count(const struct nats_server *s)
{
	char buf[4096];
	FILE *f = fopen(s->log, "r");
	int n = 0;

	while (f != NULL && fgets(buf, sizeof(buf), f) != NULL)
		n += strstr(buf, READY_MARK) != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

static int wait_ready(struct nats_server *s, int starts_before)
{
	for (long waited = 0; waited < READY_WAIT_MS; waited += 20) {
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr,
				"nats-server exited (status %d); see "
				"%s\n",
				status, s->log);
			s->pid = -1;
			return -1;
		}
		if (ready_count(s) > starts_before && accepts_tcp(s->port))
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "nats-server not ready within %d ms; see %s\n",
		READY_WAIT_MS, s->log);
	return -1;
}

int nats_server_restart(struct nats_server *s)
{
	int before = ready_count(s);

	s->pid = fork();
	if (s->pid < 0) {
		perror("fork");
		return -1;
	}
	if (s->pid == 0)
		exec_server(s);
	return wait_ready(s, before);
}

int nats_server_start(struct nats_server *s, const char *extra)
{
	const char *tmp = getenv("TMPDIR");

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	if (!find_binary(s->binary, sizeof(s->binary))) {
		fprintf(stderr, "nats-server not found (PATH, /usr/sbin, "
				"/usr/local/sbin): install the Debian package "
				"nats-server, or set RTW_NATS_SERVER\n");
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "%s/rtw-nats-XXXXXX",
		 tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(s->store, sizeof(s->store), "%s/store", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/nats.log", s->dir);
	snprintf(s->extra, sizeof(s->extra), "%s", extra ? extra : "");
	s->port = free_port();
	snprintf(s->url, sizeof(s->url), "nats://127.0.0.1:%d", s->port);
	return s->port > 0 ? nats_server_restart(s) : -1;
}

void nats_server_kill(struct nats_server *s, int sig)
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

void nats_server_stop(struct nats_server *s)
{
	char cmd[600];

	nats_server_kill(s, SIGKILL);
	if (s->dir[0] == '\0')
		return;
	/* Ours (mkdtemp): the log and the JetStream store tree. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", s->dir);
	if (getenv("RTW_KEEP_TEMP") == NULL && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", s->dir);
	s->dir[0] = '\0';
}
