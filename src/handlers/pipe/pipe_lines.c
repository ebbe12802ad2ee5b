/* Splitting what a worker writes into lines. */
#include <errno.h>
#include <string.h>

#include "pipe.h"

void pipe_lines_reset(struct pipe_lines *l)
{
	l->start = l->len = 0;
}

int pipe_lines_fill(struct pipe_lines *l, int fd)
{
	if (l->start > 0) {
		memmove(l->data, l->data + l->start, l->len - l->start);
		l->len -= l->start;
		l->start = 0;
	}
	while (l->len < sizeof(l->data)) {
		ssize_t n =
		    proc_read(fd, l->data + l->len, sizeof(l->data) - l->len);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return 1;
		if (n < 0)
			return 0;
		l->len += (size_t)n;
	}
	return 0;
}

int pipe_lines_next(struct pipe_lines *l, int flush, const char **line,
		    size_t *len)
{
	char *from = l->data + l->start;
	size_t avail = l->len - l->start;
	char *nl = memchr(from, '\n', avail);

	if (nl == NULL) {
		/* A full buffer without a newline: give it as a piece. */
		if (avail == 0 || (!flush && avail < sizeof(l->data)))
			return 0;
		*line = from;
		*len = avail;
		l->start = l->len;
		return 1;
	}
	*line = from;
	*len = (size_t)(nl - from);
	if (*len > 0 && from[*len - 1] == '\r')
		(*len)--;
	l->start += (size_t)(nl - from) + 1;
	return 1;
}
