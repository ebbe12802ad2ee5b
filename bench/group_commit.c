/* bench/group_commit: see group_commit.h. */
#include "group_commit.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZERO_CHUNK (1 << 20)

/* The records of one round and the waiters they answer. */
struct round {
	struct bytes records;
	struct group_commit_waiter *waiters, **tail;
};

struct group_commit {
	int fd;
	off_t file_bytes;
	off_t at; /* where the next round goes; the committer's alone */

	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct round filling; /* under lock */
	int closing;
	pthread_t committer;
};

static void round_reset(struct round *r)
{
	r->records.len = 0;
	r->waiters = NULL;
	r->tail = &r->waiters;
}

static int write_all(int fd, const char *p, size_t len, off_t at)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ENOSPC; /* no progress: the disk is full */
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

/* One round: the records at the log's position (from the start when
 * they would pass its end), one fdatasync, then every waiter told. A
 * round larger than the whole file fails: writing it would grow the
 * file, which the log promises never to do. */
static void commit(struct group_commit *g, struct round *r)
{
	size_t len = r->records.len;
	int durable = 0;

	if (g->at + (off_t)len > g->file_bytes)
		g->at = 0;
	if ((off_t)len <= g->file_bytes)
		durable = write_all(g->fd, r->records.buf, len, g->at) == 0 &&
			  fdatasync(g->fd) == 0;
	g->at += (off_t)len;
	for (struct group_commit_waiter *w = r->waiters, *next; w; w = next) {
		next = w->next; /* done may free w */
		w->done(w, durable);
	}
	round_reset(r);
}

static void *committer_main(void *arg)
{
	struct group_commit *g = arg;
	struct round taken = {0}, swap;

	round_reset(&taken);
	pthread_mutex_lock(&g->lock);
	for (;;) {
		/* Waiters, not bytes: an empty record has a waiter too. */
		while (g->filling.waiters == NULL && !g->closing)
			pthread_cond_wait(&g->wake, &g->lock);
		if (g->filling.waiters == NULL)
			break; /* closing, and nothing left */
		/* Swap buffers: appends go on into the other one. */
		swap = g->filling;
		g->filling = taken;
		round_reset(&g->filling);
		taken = swap;
		pthread_mutex_unlock(&g->lock);
		commit(g, &taken);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	free(taken.records.buf);
	return NULL;
}

/* The file of zeros, written and synced before the first record, so a
 * round's flush writes data only. */
static int write_zeros(int fd, off_t bytes)
{
	char *zeros = calloc(1, ZERO_CHUNK);
	int rc = zeros != NULL ? 0 : -1;

	for (off_t at = 0; rc == 0 && at < bytes; at += ZERO_CHUNK)
		rc = write_all(fd, zeros, ZERO_CHUNK, at);
	free(zeros);
	return rc == 0 ? fdatasync(fd) : -1;
}

struct group_commit *group_commit_open(const char *dir, size_t file_bytes)
{
	struct group_commit *g = calloc(1, sizeof(*g));
	char path[4096];

	if (g == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/group-commit.log", dir);
	g->file_bytes = (off_t)(file_bytes + ZERO_CHUNK - 1) / ZERO_CHUNK *
			ZERO_CHUNK;
	g->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (g->fd < 0 || write_zeros(g->fd, g->file_bytes) != 0) {
		fprintf(stderr, "group_commit: %s: %s\n", path,
			strerror(errno));
		if (g->fd >= 0)
			close(g->fd);
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	round_reset(&g->filling);
	if (pthread_create(&g->committer, NULL, committer_main, g) != 0) {
		fprintf(stderr, "group_commit: cannot start the committer\n");
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->wake);
		close(g->fd);
		free(g);
		return NULL;
	}
	return g;
}

int group_commit_append(struct group_commit *g, const void *record,
			size_t len, struct group_commit_waiter *w)
{
	int rc = -1;

	pthread_mutex_lock(&g->lock);
	if (!g->closing &&
	    bytes_append(&g->filling.records, record, len) == 0) {
		w->next = NULL;
		*g->filling.tail = w;
		g->filling.tail = &w->next;
		pthread_cond_signal(&g->wake);
		rc = 0;
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

void group_commit_stop(struct group_commit *g)
{
	pthread_mutex_lock(&g->lock);
	g->closing = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->committer, NULL);
}

void group_commit_free(struct group_commit *g)
{
	free(g->filling.records.buf);
	close(g->fd);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->wake);
	free(g);
}
