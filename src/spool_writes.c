/* Records waiting in memory for the committer to write them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool_writes.h"

/* The first buffer: a round at full speed holds a few dozen 1 KB records. */
#define FIRST_CAP (64 * 1024)

static int grow(struct spool_write *w, size_t need)
{
	size_t cap = w->cap ? w->cap : FIRST_CAP;
	unsigned char *grown;

	while (cap < need)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	grown = realloc(w->buf, cap);
	if (grown == NULL)
		return -1;
	w->buf = grown;
	w->cap = cap;
	return 0;
}

int write_add(struct spool_write *w, int fd, off_t at,
	      const struct iovec *iov, int iovcnt, size_t size)
{
	/* Only right after what w holds: a record in between went to the
	 * file at once (no memory then), and w's bytes must not cover it. */
	if (w->len > 0 && (w->fd != fd || w->at + (off_t)w->len != at)) {
		errno = EINVAL;
		return -1;
	}
	if (grow(w, w->len + size) != 0)
		return -1;
	if (w->len == 0) {
		w->fd = fd;
		w->at = at;
	}
	for (int i = 0; i < iovcnt; i++) {
		memcpy(w->buf + w->len, iov[i].iov_base, iov[i].iov_len);
		w->len += iov[i].iov_len;
	}
	return 0;
}

int write_out(const struct spool_write *w)
{
	size_t done = 0;

	while (done < w->len) {
		ssize_t n = pwrite(w->fd, w->buf + done, w->len - done,
				   w->at + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

void write_release(struct spool_write *w)
{
	free(w->buf);
	*w = (struct spool_write){.fd = -1};
}

int writes_reserve(struct spool_writes *l, size_t more)
{
	size_t cap = l->cap ? l->cap : 4;
	struct spool_write *grown;

	while (cap < l->n + more)
		cap *= 2;
	if (cap == l->cap)
		return 0;
	grown = realloc(l->v, cap * sizeof(*grown));
	if (grown == NULL)
		return -1;
	l->v = grown;
	l->cap = cap;
	return 0;
}

void writes_push(struct spool_writes *l, struct spool_write *w)
{
	if (w->len == 0)
		return;
	l->v[l->n++] = *w;
	*w = (struct spool_write){.fd = -1};
}

int writes_out(const struct spool_writes *l)
{
	int saved = 0;

	for (size_t i = 0; i < l->n; i++)
		if (write_out(&l->v[i]) != 0 && saved == 0)
			saved = errno;
	errno = saved;
	return saved ? -1 : 0;
}

int writes_prepend(struct spool_writes *l, struct spool_writes *front)
{
	if (front->n == 0) {
		writes_release(front); /* only its list to free */
		return 0;
	}
	if (l->n == 0) {
		/* the usual case after a failed round: none queued since */
		free(l->v);
		*l = *front;
		*front = (struct spool_writes){0};
		return 0;
	}
	if (writes_reserve(l, front->n) != 0)
		return -1;
	memmove(l->v + front->n, l->v, l->n * sizeof(*l->v));
	memcpy(l->v, front->v, front->n * sizeof(*l->v));
	l->n += front->n;
	free(front->v);
	*front = (struct spool_writes){0};
	return 0;
}

int writes_put_back(struct spool_writes *l, struct spool_writes *taken,
		    struct spool_write *cur)
{
	if (writes_reserve(taken, 1) != 0)
		return -1;
	writes_push(taken, cur);
	write_release(cur); /* an empty one's buffer: not pushed */
	return writes_prepend(l, taken);
}

void writes_settle_fd(struct spool_writes *l, int fd)
{
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].fd != fd) {
			l->v[kept++] = l->v[i];
			continue;
		}
		(void)write_out(&l->v[i]);
		write_release(&l->v[i]);
	}
	l->n = kept;
}

void writes_release(struct spool_writes *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].buf);
	free(l->v);
	*l = (struct spool_writes){0};
}
