/* The list of events waiting for a handler's flush. */
#include <stdlib.h>
#include <string.h>

#include "pending.h"

static int reserve(struct pending *p, size_t need)
{
	size_t cap = p->cap ? p->cap : 64;
	uint64_t *grown;

	if (need <= p->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	grown = realloc(p->seqs, cap * sizeof(*grown));
	if (grown == NULL)
		return -1;
	p->seqs = grown;
	p->cap = cap;
	return 0;
}

int pending_add(struct pending *p, uint64_t seq, int64_t now_ms)
{
	if (reserve(p, p->count + 1) != 0)
		return -1;
	if (p->count == 0)
		p->oldest_ms = now_ms;
	p->seqs[p->count++] = seq;
	return 0;
}

void pending_take(struct pending *p, struct pending *taken)
{
	*taken = *p;
	*p = (struct pending){0};
}

int pending_restore(struct pending *p, struct pending *taken)
{
	size_t newer = p->count;

	if (taken->count == 0) {
		pending_free(taken);
		return 0;
	}
	if (reserve(taken, taken->count + newer) != 0)
		return -1;
	if (newer > 0) /* memcpy from NULL is undefined, even for 0 bytes */
		memcpy(taken->seqs + taken->count, p->seqs,
		       newer * sizeof(*p->seqs));
	taken->count += newer;
	pending_free(p);
	*p = *taken;
	*taken = (struct pending){0};
	return 0;
}

void pending_free(struct pending *p)
{
	free(p->seqs);
	*p = (struct pending){0};
}
