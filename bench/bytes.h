/* bench/bytes: a growing byte buffer, shared by the bench tools (the
 * ceiling's request bodies, the group commit's rounds, the sink follower's
 * partial line). Header only: each tool is one small executable. */
#ifndef RTW_BENCH_BYTES_H
#define RTW_BENCH_BYTES_H

#include <stdlib.h>
#include <string.h>

struct bytes {
	char *buf;
	size_t len, cap;
};

/* Appends size bytes, at least doubling the capacity when it must grow.
 * Returns 0, or -1 when memory ran out (b is unchanged then). */
static inline int bytes_append(struct bytes *b, const void *data, size_t size)
{
	if (b->len + size > b->cap) {
		size_t cap = b->cap * 2 > b->len + size ? b->cap * 2
							: b->len + size;
		char *grown = realloc(b->buf, cap);

		if (grown == NULL)
			return -1;
		b->buf = grown;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, size);
	b->len += size;
	return 0;
}

#endif
