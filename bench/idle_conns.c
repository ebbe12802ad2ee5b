/* bench/idle_conns: memory of a server holding many idle connections.
 *
 *   idle_conns PORT PATH N PID
 *
 * Opens N keep-alive connections to 127.0.0.1:PORT, sends one POST of a
 * unique participant event to PATH on each and reads its answer, then
 * leaves them all open and idle for a second and reads VmRSS and VmHWM of
 * process PID (the server) while they are still open. This is what a
 * server pays per connection when many senders keep a connection each
 * (Recall opens one per bot and endpoint). Prints one line:
 *   connections=N answered_2xx=N still_open=N vmrss_kb=N vmhwm_kb=N */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An answer's headers and a short body fit in this. */
#define ANSWER_MAX 4096

static int connect_to(unsigned port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 &&
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends one event (unique per i) on fd, keep-alive. */
static int send_event(int fd, const char *path, unsigned port, unsigned i)
{
	char body[512], req[1024];
	int blen, rlen;

	blen = snprintf(
		body, sizeof(body),
		"{\"event\":\"participant_events.join\",\"data\":{\"data\":{"
		"\"participant\":{\"id\":%u,\"name\":\"Idle %u\",\"is_host\":"
		"false,\"platform\":\"desktop\",\"extra_data\":{},\"email\":"
		"null},\"timestamp\":{\"absolute\":\"2026-11-26T16:20:01.480Z\","
		"\"relative\":12.48},\"data\":null},\"participant_events\":{"
		"\"id\":\"pe-%u\",\"metadata\":{}},\"recording\":{\"id\":\"rec-"
		"%u\",\"metadata\":{}},\"bot\":{\"id\":\"bot-%u\",\"metadata\":{}}"
		"}}",
		i, i, i, i, i);
	rlen = snprintf(req, sizeof(req),
			"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
			"Content-Type: application/json\r\n"
			"Content-Length: %d\r\n\r\n%s",
			path, port, blen, body);
	return send_all(fd, req, (size_t)rlen);
}

/* Reads the answer's status line and headers; returns the status or -1.
 * The short body may remain unread: it does not matter for an idle
 * connection, and reading exactly would need a full HTTP parser. */
static int read_status(int fd)
{
	char buf[ANSWER_MAX];
	size_t len = 0;
	int status;

	while (len < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : -1;
}

/* A connection the server has not closed: a read would block. */
static int still_open(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static long status_kb(long pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			kb = strtol(line + flen + 1, NULL, 10);
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct timespec settle = {1, 0};
	unsigned port, n, answered = 0, open_now = 0;
	long pid;
	int *fds;

	if (argc != 5) {
		fprintf(stderr, "usage: idle_conns PORT PATH N PID\n");
		return 2;
	}
	port = (unsigned)strtoul(argv[1], NULL, 10);
	n = (unsigned)strtoul(argv[3], NULL, 10);
	pid = strtol(argv[4], NULL, 10);
	fds = calloc(n ? n : 1, sizeof(*fds));
	if (fds == NULL)
		return 1;
	/* All connections first, then the requests: every one is open at
	 * once, as with many bots sending in the same second. */
	for (unsigned i = 0; i < n; i++) {
		fds[i] = connect_to(port);
		if (fds[i] < 0) {
			fprintf(stderr, "idle_conns: connection %u: %s\n", i,
				strerror(errno));
			return 1;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (send_event(fds[i], argv[2], port, i) == 0 &&
		    read_status(fds[i]) / 100 == 2)
			answered++;
	nanosleep(&settle, NULL);
	for (unsigned i = 0; i < n; i++)
		open_now += (unsigned)still_open(fds[i]);
	printf("connections=%u answered_2xx=%u still_open=%u vmrss_kb=%ld "
	       "vmhwm_kb=%ld\n",
	       n, answered, open_now, status_kb(pid, "VmRSS"),
	       status_kb(pid, "VmHWM"));
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return answered == n ? 0 : 1;
}
