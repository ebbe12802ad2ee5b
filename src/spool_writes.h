/* spool_writes.c: records waiting in memory for the committer to write them.
 *
 * Why: a record that goes into a prewritten segment's zeros (spool_spare.h)
 * cannot fail for want of space, so the HTTP thread that appends it only
 * copies it here, under the spool's lock, and the committer writes every
 * record of a round with one pwrite(2) just before its fdatasync. One
 * system call per round instead of one per request, and a shorter hold of
 * the lock every append takes: at 256 connections on one core the daemon
 * spent 41.8-43.0 instead of 43.2-46.2 us of CPU per event (bench/README.md).
 * A record is durable, and readable, only once its round has written and
 * synced it, as before. The memory is bounded by the requests in flight:
 * a record waits here for its round with its request waiting too; only
 * those of failed rounds (answered 503) stay longer, and appends are
 * refused while rounds fail.
 *
 * An overwrite of zeros needs no new space on ext4 or XFS. On copy-on-write
 * or compressing file systems (btrfs, ZFS) it can still fail with ENOSPC:
 * the whole round fails then, as a failed fdatasync does, where an append
 * written at once would have failed only its own request.
 *
 * A write is a run of bytes bound for one file at one offset. Writes whose
 * round failed stay in memory and are written again by the next round, so a
 * failed round does not leave committed numbers pointing at zeros. (Unless
 * memory runs out on that path too: they are then written once more at
 * once and, should that fail, forgotten. Their requests were answered 503
 * and their numbers are suspect; the reader reports them lost.)
 *
 * Threads: none of their own. The spool's lock guards every spool_write and
 * spool_writes reachable from the spool; the committer owns the ones it has
 * taken out until it puts them back or frees them. */
#ifndef RTW_SPOOL_WRITES_H
#define RTW_SPOOL_WRITES_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct spool_write {
	int fd;             /* the segment file (not owned) */
	off_t at;           /* where buf[0] goes in it */
	unsigned char *buf; /* owned */
	size_t len, cap;
};

/* Writes in the order they are to be done (all of them before a sync). */
struct spool_writes {
	struct spool_write *v; /* owned, with their buffers */
	size_t n, cap;
};

/* Adds the iovcnt parts of one record (size bytes in all) to w. Returns 0,
 * or -1 with w unchanged: out of memory, or w is not empty and does not
 * end where the record starts (fd, at): the caller writes it at once. */
int write_add(struct spool_write *w, int fd, off_t at,
	      const struct iovec *iov, int iovcnt, size_t size);
/* Writes w's bytes to its file. Returns 0, or -1 with errno set (a short
 * write that makes no progress counts as ENOSPC). w is unchanged. */
int write_out(const struct spool_write *w);
/* Frees w's buffer; w is empty afterwards. */
void write_release(struct spool_write *w);

/* Room for more writes to be pushed without allocating: 0, or -1. */
int writes_reserve(struct spool_writes *l, size_t more);
/* Moves *w to the end of l (room reserved: cannot fail); *w is empty
 * afterwards. An empty w is not pushed. */
void writes_push(struct spool_writes *l, struct spool_write *w);
/* Writes every write of l in order; keeps going after a failure (each
 * may succeed on its own). Returns 0, or -1 with the first errno. */
int writes_out(const struct spool_writes *l);
/* Moves every write of *front before those of *l; *front is empty
 * afterwards. Returns 0, or -1 (out of memory: nothing moved). */
int writes_prepend(struct spool_writes *l, struct spool_writes *front);
/* After a failed round: the writes it took (taken, then cur) go back in
 * front of l, to be done again. Returns 0 (taken and cur are empty
 * afterwards), or -1 when out of memory (nothing moved). */
int writes_put_back(struct spool_writes *l, struct spool_writes *taken,
		    struct spool_write *cur);
/* Writes out (once, whatever the result) and removes every write of l bound
 * for fd: for a file about to be closed. */
void writes_settle_fd(struct spool_writes *l, int fd);
/* Frees every write and the list; l is empty afterwards. */
void writes_release(struct spool_writes *l);

#endif
