/* sec_util: shared helpers of the security integration tests. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sec_util.h"

/* Whole values and distinctive middle parts, so that a truncated or
 * partly masked secret is caught too. */
static const char *const secret_needles[] = {
	SEC_TOKEN,	 "Jx7Qm2Vr",	   SEC_WRONG, "Ty5Kw8Nd",
	SEC_SIGNING_KEY, "Wq3Zp7Lc",	   SEC_SIGNING_B64,
	"NacDdMYw",
};

const char *sec_secret_in(const char *text, const char *what)
{
	for (size_t i = 0; i < sizeof(secret_needles) / sizeof(*secret_needles);
	     i++) {
		const char *hit = strstr(text, secret_needles[i]);
		const char *bol = hit, *eol;

		if (hit == NULL)
			continue;
		while (bol > text && bol[-1] != '\n')
			bol--;
		eol = strchr(hit, '\n');
		if (eol == NULL)
			eol = hit + strlen(hit);
		fprintf(stderr, "secret '%s' in %s, line:\n%.*s\n",
			secret_needles[i], what, (int)(eol - bol), bol);
		return secret_needles[i];
	}
	return NULL;
}

int sec_setup(void **state)
{
	const char *body = *state;

	return daemon_setup(state, body, NULL);
}

int sec_teardown(void **state)
{
	struct daemon *d = *state;
	char *log = d != NULL ? daemon_log(d) : NULL;
	int leaked = log != NULL && sec_secret_in(log, "the daemon's log");

	free(log);
	if (daemon_teardown(state) != 0)
		return -1;
	return leaked ? -1 : 0;
}

long sec_post(const struct daemon *d, const char *target,
	      const char *const *headers)
{
	static unsigned n;
	char body[160];
	struct http_request req = {.target = target,
				   .content_type = "application/json",
				   .body = body,
				   .headers = headers,
				   .timeout_s = 5};
	struct http_reply rep;
	long status;

	/* Distinct bodies: a duplicate would be answered by dedup. */
	req.body_len = (size_t)snprintf(
		body, sizeof(body),
		"{\"event\":\"participant_events.join\",\"data\":{\"data\":"
		"{\"n\":%u,\"pid\":%ld}}}",
		++n, (long)getpid());
	http_send(d->port, &req, &rep);
	if (rep.status == 0)
		fprintf(stderr, "sec: POST: %s\n", rep.error);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

long sec_post_with(const struct daemon *d, const char *target,
		   const char *header)
{
	const char *headers[] = {header, NULL};

	return sec_post(d, target, headers);
}

/* Counts the lines of text holding a and (when not NULL) b. */
static size_t count_lines(const char *text, const char *a, const char *b)
{
	size_t n = 0;

	for (const char *line = text; *line != '\0';) {
		const char *eol = strchr(line, '\n');
		size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
		char *copy = strndup(line, len);

		if (copy != NULL && strstr(copy, a) != NULL &&
		    (b == NULL || strstr(copy, b) != NULL))
			n++;
		free(copy);
		line += len + (eol != NULL);
	}
	return n;
}

size_t sec_log_lines(const struct daemon *d, const char *needle)
{
	return sec_log_lines_with(d, needle, NULL);
}

size_t sec_log_lines_with(const struct daemon *d, const char *a,
			  const char *b)
{
	char *log = daemon_log(d);
	size_t n = count_lines(log, a, b);

	free(log);
	return n;
}

size_t sec_wait_lines_with(const struct daemon *d, const char *a,
			   const char *b, size_t n, long timeout_ms)
{
	struct timespec start;
	size_t found;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((found = sec_log_lines_with(d, a, b)) < n &&
	       sec_ms_since(&start) < timeout_ms)
		sec_sleep_ms(10);
	return found;
}

long sec_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L +
	       (now.tv_nsec - start->tv_nsec) / 1000000L;
}

void sec_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int sec_wait_closed(int fd, long timeout_ms, size_t *received)
{
	struct timespec start;
	long left = timeout_ms;
	char buf[4096];

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (left > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, (int)left) == 1) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
				       errno != EWOULDBLOCK && errno != EINTR))
				return 1;
			if (n > 0 && received != NULL)
				*received += (size_t)n;
		}
		left = timeout_ms - sec_ms_since(&start);
	}
	return 0;
}

int sec_still_open(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int sec_raw_post(int fd, const char *target)
{
	static unsigned n;
	char body[128], req[512];
	int blen, len;

	blen = snprintf(body, sizeof(body),
			"{\"event\":\"participant_events.leave\",\"data\":"
			"{\"data\":{\"raw\":%u,\"pid\":%ld}}}",
			++n, (long)getpid());
	len = snprintf(req, sizeof(req),
		       "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		       "Content-Type: application/json\r\n"
		       "Content-Length: %d\r\n\r\n%s",
		       target, blen, body);
	if (blen < 0 || len < 0 || (size_t)len >= sizeof(req))
		return -1;
	return raw_send(fd, req, (size_t)len);
}

/* The Content-Length of a response header block, 0 when absent. */
static long content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\nContent-Length:");

	return p != NULL ? strtol(p + 17, NULL, 10) : 0;
}

int sec_read_response(int fd, long timeout_ms)
{
	struct timespec start;
	char buf[8192];
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (n + 1 < sizeof(buf)) {
		long left = timeout_ms - sec_ms_since(&start);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		const char *end;
		ssize_t got;

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			break;
		got = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		if (got <= 0)
			break;
		n += (size_t)got;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL &&
		    n >= (size_t)(end + 4 - buf) + (size_t)content_length(buf))
			return raw_status(buf);
	}
	return 0;
}
