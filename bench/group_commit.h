/* bench/group_commit: the least durable storage a receiver can have, for
 * the durable ceiling (bench/ceiling --durable). Records are copied into
 * memory by the request's thread; one committer thread writes all the
 * records waiting at the start of a round with one pwrite into a file of
 * zeros written and synced ahead, runs fdatasync, and then calls each
 * record's waiter. This is the work rtwebhookd's spool does for
 * fsync = "batch" (src/spool_writes.h) without any of its bookkeeping:
 * no record format, no checksum, no index, no segments, no recovery. The
 * file is reused from its start when it is full (the blocks stay
 * allocated, so a flush never changes the file's size). */
#ifndef RTW_BENCH_GROUP_COMMIT_H
#define RTW_BENCH_GROUP_COMMIT_H

#include <stddef.h>

struct group_commit;

/* Told once, on the committer thread, whether its record is durable. */
struct group_commit_waiter {
	struct group_commit_waiter *next; /* the log's own link */
	void (*done)(struct group_commit_waiter *w, int durable);
};

/* Creates DIR/group-commit.log of file_bytes zeros, syncs it, and starts
 * the committer. Returns NULL with a message on stderr on failure. */
struct group_commit *group_commit_open(const char *dir, size_t file_bytes);

/* Copies the record and queues w; w->done runs after the round that
 * covers the record (possibly before this returns on another thread).
 * Returns 0, or -1 when the log is closing or memory ran out: then w is
 * not queued and its done never runs. Any thread. */
int group_commit_append(struct group_commit *g, const void *record,
			size_t len, struct group_commit_waiter *w);

/* Stops taking records (appends fail from now on), commits what is
 * queued (each waiter is told) and ends the committer. */
void group_commit_stop(struct group_commit *g);

/* Closes the file and frees the log, once stopped and once no thread can
 * call group_commit_append any more. */
void group_commit_free(struct group_commit *g);

#endif
