/* libFuzzer target: the whole request path. The input is sent as raw
 * bytes (request line, headers, body: anything) over a loopback TCP
 * connection to the real listener, with the real runtime behind it
 * (spool, dedup, a jsonl handler), and the answer is read to the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "runtime.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int port;

static void write_config(const char *dir, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/fuzz.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fprintf(f,
		"listen = { address = \"127.0.0.1\"; port = 0; };\n"
		"limits = { max_body_bytes = 65536; timeout_s = 2; };\n"
		"spool = { dir = \"%s/spool\"; fsync = \"off\"; };\n"
		"endpoints = ( { path = \"/recall/events\"; tokens = "
		"[\"fuzz-token\"]; },\n"
		"  { path = \"/signed\"; signing_secrets = "
		"[\"whsec_dGVzdC1yZWNhbGwtc2VjcmV0\"]; } );\n"
		"handlers = ( { name = \"archive\"; module = \"%s\";\n"
		"  config = { path = \"%s/events.jsonl\"; }; } );\n",
		dir, RTW_JSONL_MODULE, dir);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/rtw-fuzz-request-XXXXXX";
	struct errlist errs = {0};
	struct runtime *rt;
	struct http_server *s;
	char path[512];

	if (mkdtemp(dir) == NULL)
		abort();
	write_config(dir, path, sizeof(path));
	/* Rejections are logged one line each: keep only errors, so the
	 * fuzzer's own output stays readable. */
	log_init(-1);
	rt = runtime_open(config_load(path, &errs), &errs);
	if (rt == NULL || runtime_start(rt) != 0)
		abort();
	s = http_start(rt, -1);
	if (s == NULL)
		abort();
	port = http_port(s);
	return 0;
}

/* libFuzzer's timeout alarm (SIGALRM every few seconds) interrupts
 * whatever system call is running: a connect() so interrupted goes on in
 * the background, so wait for it rather than give up. */
static void finish_interrupted_connect(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int err = 0;

	while (poll(&p, 1, 5000) < 0 && errno == EINTR)
		;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
		fprintf(stderr, "fuzz_request: connect: %s\n", strerror(err));
		abort();
	}
}

/* The client closes first, so without SO_LINGER {1, 0} every input would
 * leave a TIME_WAIT socket for 60 s and the ~28k ephemeral ports run out
 * after ~11 s of fuzzing (connect: EADDRNOTAVAIL). A reset instead of a
 * FIN also exercises the server's handling of aborted connections. */
static int connect_loopback(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	struct linger reset = {.l_onoff = 1, .l_linger = 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) != 0) {
		perror("fuzz_request: socket");
		abort();
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINTR) {
			perror("fuzz_request: connect");
			abort();
		}
		finish_interrupted_connect(fd);
	}
	return fd;
}

/* Reads until the server closes or 100 ms pass without a byte (a
 * keep-alive connection stays open after its answer). */
static void drain(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[4096];

	for (;;) {
		int ready = poll(&p, 1, 100);

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0 || read(fd, buf, sizeof(buf)) <= 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = connect_loopback();
	size_t off = 0;

	while (off < size) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	drain(fd);
	close(fd);
	return 0;
}
