/* pending.c: the events a batching handler answered RTW_PENDING for and
 * that wait for its next flush, as a growing list of sequence numbers.
 * Not thread-safe: the dispatcher holds its lock around every call. */
#ifndef RTW_PENDING_H
#define RTW_PENDING_H

#include <stddef.h>
#include <stdint.h>

struct pending {
	uint64_t *seqs;
	size_t count, cap;
	int64_t oldest_ms; /* when the first of them was added (monotonic) */
};

/* Adds seq; 0, or -1 when out of memory. */
int pending_add(struct pending *p, uint64_t seq, int64_t now_ms);
/* Moves every entry into *taken (emptying p), for a flush. */
void pending_take(struct pending *p, struct pending *taken);
/* After a failed flush: puts taken back in front of what was added since. */
int pending_restore(struct pending *p, struct pending *taken);
void pending_free(struct pending *p);

#endif
