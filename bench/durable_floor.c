/* durable_floor DIR RATE SECONDS [SIZE]: the least acknowledgement latency
 * any durable receiver can have on this disk at RATE records/s, measured
 * as rtwebhookd's spool works but with nothing else: no HTTP, no parse,
 * no sink. An appender thread writes SIZE-byte records (1126 by default)
 * at RATE into a file of zeros written and synced ahead (as the spool's
 * spare), a committer thread runs fdatasync rounds over whatever has
 * been written (group commit); a record's latency is from just before
 * its write to the end of the round that covers it. bench/run.sh runs it
 * pinned to the server's core at the rate of the p99 target, beside the
 * daemon and the parse ceiling.
 *
 * Prints one line: floor_result records=N rounds=N p50_us=N p99_us=N
 * max_us=N fdatasync_p50_us=N fdatasync_p99_us=N */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZERO_CHUNK (1 << 20)
#define MAX_FILE_BYTES (4L << 30)

struct floor_run {
	int fd;
	off_t file_bytes; /* what the run needs, and a quarter more */
	size_t size;
	long rate;
	uint64_t max_records;

	pthread_mutex_t lock;
	pthread_cond_t written_cv;
	uint64_t written; /* records written so far */
	int stop;
	int64_t *write_us; /* when each record's write began */
};

static int64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int compare_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t percentile(int64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)n);

	return n == 0 ? 0 : v[i < n ? i : n - 1];
}

/* The spool's spare: every block written and synced before the first
 * record, so that a round writes data and flushes, nothing more. */
static int write_zeros(int fd, off_t bytes)
{
	static char zeros[ZERO_CHUNK];

	for (off_t off = 0; off < bytes; off += ZERO_CHUNK)
		if (pwrite(fd, zeros, ZERO_CHUNK, off) != ZERO_CHUNK)
			return -1;
	return fdatasync(fd);
}

/* Writes records at the rate, each at the next offset, until stopped or
 * the file is full. */
static void *appender_main(void *arg)
{
	struct floor_run *r = arg;
	char *record = malloc(r->size);
	int64_t next = now_us(), gap_ns = 1000000000L / r->rate;
	int64_t owed_ns = 0;

	if (record == NULL)
		return NULL;
	memset(record, 'x', r->size);
	for (uint64_t n = 0; n < r->max_records; n++) {
		int64_t wait;

		pthread_mutex_lock(&r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		/* Taken with the lock held, as the spool's append: a wait for
		 * the lock is not counted, so the floor errs low. */
		r->write_us[n] = now_us();
		if (pwrite(r->fd, record, r->size, (off_t)(n * r->size)) !=
		    (ssize_t)r->size) {
			perror("durable_floor: write");
			exit(1);
		}
		r->written = n + 1;
		pthread_cond_signal(&r->written_cv);
		pthread_mutex_unlock(&r->lock);
		/* Paced on a schedule, not after each write: a late wake-up
		 * is made up by the next records, as wrk's pacing does. */
		owed_ns += gap_ns;
		next += owed_ns / 1000;
		owed_ns %= 1000;
		wait = next - now_us();
		if (wait > 0)
			usleep((useconds_t)wait);
	}
	free(record);
	return NULL;
}

int main(int argc, char **argv)
{
	struct floor_run r = {.lock = PTHREAD_MUTEX_INITIALIZER,
			      .written_cv = PTHREAD_COND_INITIALIZER};
	char path[4096];
	int64_t *latency, *sync_us, end;
	uint64_t committed = 0;
	size_t rounds = 0;
	long seconds;
	pthread_t appender;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: durable_floor DIR RATE SECONDS [SIZE]\n");
		return 2;
	}
	r.rate = strtol(argv[2], NULL, 10);
	seconds = strtol(argv[3], NULL, 10);
	r.size = argc == 5 ? (size_t)strtoul(argv[4], NULL, 10) : 1126;
	if (r.rate <= 0 || seconds <= 0 || r.size == 0 || r.size > 1 << 20 ||
	    (double)r.rate * (double)seconds * (double)r.size * 1.25 >
		    (double)MAX_FILE_BYTES) {
		fprintf(stderr, "durable_floor: bad RATE, SECONDS or SIZE\n");
		return 2;
	}
	r.max_records = (uint64_t)((double)r.rate * (double)seconds * 1.25) + 1;
	r.file_bytes = (off_t)(r.max_records * r.size / ZERO_CHUNK + 1) *
		       ZERO_CHUNK;
	snprintf(path, sizeof(path), "%s/durable_floor.XXXXXX", argv[1]);
	r.fd = mkstemp(path);
	if (r.fd >= 0)
		unlink(path); /* gone at exit, whatever happens */
	latency = calloc(r.max_records, sizeof(*latency));
	sync_us = calloc(r.max_records, sizeof(*sync_us));
	r.write_us = calloc(r.max_records, sizeof(*r.write_us));
	if (r.fd < 0 || latency == NULL || sync_us == NULL ||
	    r.write_us == NULL) {
		fprintf(stderr, "durable_floor: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (write_zeros(r.fd, r.file_bytes) != 0) {
		perror("durable_floor: zeros");
		return 1;
	}
	if (pthread_create(&appender, NULL, appender_main, &r) != 0)
		return 1;
	end = now_us() + seconds * 1000000;
	/* The committer: a round over everything written, as spool.c's. */
	pthread_mutex_lock(&r.lock);
	while (now_us() < end) {
		uint64_t upto = r.written;
		int64_t start, done;

		if (upto == committed) {
			struct timespec until;

			/* timed: the appender ends if the file fills up */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 100 * 1000 * 1000;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r.written_cv, &r.lock, &until);
			continue;
		}
		pthread_mutex_unlock(&r.lock);
		start = now_us();
		if (fdatasync(r.fd) != 0) {
			perror("durable_floor: fdatasync");
			return 1;
		}
		done = now_us();
		sync_us[rounds++] = done - start;
		pthread_mutex_lock(&r.lock);
		for (uint64_t i = committed; i < upto; i++)
			latency[i] = done - r.write_us[i];
		committed = upto;
	}
	r.stop = 1;
	pthread_mutex_unlock(&r.lock);
	pthread_join(appender, NULL);
	qsort(latency, committed, sizeof(*latency), compare_i64);
	qsort(sync_us, rounds, sizeof(*sync_us), compare_i64);
	printf("floor_result records=%llu rounds=%zu p50_us=%lld p99_us=%lld "
	       "max_us=%lld fdatasync_p50_us=%lld fdatasync_p99_us=%lld\n",
	       (unsigned long long)committed, rounds,
	       (long long)percentile(latency, committed, 0.50),
	       (long long)percentile(latency, committed, 0.99),
	       (long long)(committed ? latency[committed - 1] : 0),
	       (long long)percentile(sync_us, rounds, 0.50),
	       (long long)percentile(sync_us, rounds, 0.99));
	return 0;
}
