/* bench/sink_wait: how long a sink file takes to hold a run's events.
 *
 *   sink_wait FILE TAG COUNT SINCE_NS TIMEOUT_MS
 *
 * Follows FILE (a jsonl sink) and counts the lines that contain TAG (the
 * run's nonce, present in every body the run sent) until there are at
 * least COUNT of them, then prints
 *   drain_ms=D lines=L
 * where D is the time from SINCE_NS (CLOCK_REALTIME nanoseconds: when the
 * load stopped) to that moment. The file is read incrementally, so the
 * measurement itself costs next to nothing. Exits 1 on timeout (the line
 * then says how many lines it saw) or when FILE cannot be read. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"

#define CHUNK (1 << 20)

struct follower {
	int fd;
	const char *tag;
	size_t taglen;
	struct bytes line; /* the last, incomplete line read so far */
	unsigned long long matched;
};

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Counts the complete lines in data (plus the kept partial line). */
static int feed(struct follower *f, const char *data, size_t n)
{
	const char *p = data, *end = data + n, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (bytes_append(&f->line, p, (size_t)(nl - p)) != 0)
			return -1;
		if (memmem(f->line.buf, f->line.len, f->tag, f->taglen) != NULL)
			f->matched++;
		f->line.len = 0;
		p = nl + 1;
	}
	return bytes_append(&f->line, p, (size_t)(end - p));
}

/* Reads what was appended since the last call. */
static int follow(struct follower *f, char *buf)
{
	ssize_t n;

	while ((n = read(f->fd, buf, CHUNK)) > 0)
		if (feed(f, buf, (size_t)n) != 0)
			return -1;
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct timespec tick = {0, 1000000};
	struct follower f = {0};
	unsigned long long count;
	int64_t since, deadline;
	char *buf = malloc(CHUNK);

	if (argc != 6 || buf == NULL) {
		fprintf(stderr, "usage: sink_wait FILE TAG COUNT SINCE_NS "
				"TIMEOUT_MS\n");
		return 2;
	}
	f.tag = argv[2];
	f.taglen = strlen(f.tag);
	count = strtoull(argv[3], NULL, 10);
	since = strtoll(argv[4], NULL, 10);
	deadline = realtime_ns() + strtoll(argv[5], NULL, 10) * 1000000;
	f.fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (f.fd < 0) {
		perror(argv[1]);
		return 1;
	}
	while (follow(&f, buf) == 0 && f.matched < count &&
	       realtime_ns() < deadline)
		nanosleep(&tick, NULL);
	printf("drain_ms=%.1f lines=%llu\n", (realtime_ns() - since) / 1e6,
	       f.matched);
	return f.matched >= count ? 0 : 1;
}
