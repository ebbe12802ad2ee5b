/* spool_spare.c: the next segment file, written with zeros ahead of time.
 *
 * Why: on ext4 (and most journaling file systems) an fdatasync after an
 * append must commit the journal, because the file's size changed; after an
 * overwrite of blocks already on disk it only writes the data and flushes
 * the disk cache. Measured here (1.1 KB records, 4 per sync, with a jsonl
 * file and a progress file written alongside): 116 against 58 us of CPU
 * and a p50 of 315 against 155 us per fdatasync. So the committer writes
 * the next segment's zeros while the current one fills (a thread of its
 * own, the spare writer), and a new segment starts as that file, renamed. Records then overwrite zeros; recovery
 * reads an all-zero tail as space not yet used (spool.c).
 *
 * Threads: spare_step runs on the spare writer without the spool's lock,
 * and only while the spare is not ready; spare_take runs under the lock,
 * only once the spare writer has set ready (also under the lock). */
#ifndef RTW_SPOOL_SPARE_H
#define RTW_SPOOL_SPARE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

struct spool_spare {
	char path[PATH_MAX]; /* "<dir>/spare.tmp" */
	off_t size;          /* a whole segment */
	int fd;              /* -1 until a step opens it */
	off_t filled;        /* zeros written so far */
	int ready;           /* filled and synced (set under the spool lock) */
	int64_t retry_ms;    /* after a failure: no step before this */
};

/* Sets sp up for dir and removes a spare left by an earlier run: its zeros
 * cannot be trusted after a crash (it may even hold records, if the crash
 * came between the rename and the directory's sync). Returns 0 or -1. */
int spare_init(struct spool_spare *sp, const char *dir, off_t size);
/* 1 when a step has work to do at now_ms (mono_ms). */
int spare_wanted(const struct spool_spare *sp, int64_t now_ms);
/* One bounded step: opens the file (when the file system has four
 * segments free), or writes the next chunk of zeros, or (when all are
 * written) syncs it. Returns 1 when the spare is complete and synced: the
 * caller then sets ready under the spool's lock. On a failure (too little
 * room, disk full, ...) the file is dropped, the spool goes on with plain
 * appends, and the next attempt waits a while. */
int spare_step(struct spool_spare *sp, int64_t now_ms);
/* Renames the ready spare to seg_path and hands over its descriptor (the
 * caller owns it; its size is sp->size). Returns -1 when it cannot: the
 * caller creates an empty segment instead, and after a failed rename the
 * next spare waits a while (now_ms is mono_ms). A new spare is prepared
 * next. */
int spare_take(struct spool_spare *sp, const char *seg_path, int64_t now_ms);
/* Closes and removes the spare, whatever its state (spool_close). */
void spare_discard(struct spool_spare *sp);

#endif
