/* spool.c: the durable, append-only, segmented event journal.
 *
 * HTTP threads append records under a lock (into memory when the record
 * goes into a prewritten segment's zeros, spool_writes.h; else a write(2)
 * at once) and register a callback for the moment their record is
 * durable. A committer thread turns appends into durable records: it
 * writes what waits in memory, then with fsync "batch" one fdatasync
 * covers every record appended while the previous one ran (group commit);
 * with "always" each record gets its own fdatasync; with "off" records are
 * written at once and count as committed then. Readers only ever see committed
 * records. The same thread removes segments every handler has finished,
 * once they are older than the dedup window. With options.prewrite a
 * second thread writes the next segment's zeros ahead (spool_spare.h).
 * See spool_format.h for the file format. */
#ifndef RTW_SPOOL_H
#define RTW_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "spool_format.h"

struct spool;

struct spool_options {
	const char *dir;
	enum fsync_mode fsync;
	uint64_t segment_bytes; /* roll over to a new segment past this */
	int64_t retain_ms;      /* keep finished segments this long */
	int prewrite;           /* segments start as files of zeros written
				 * ahead (spool_spare.h); not with fsync off */
};

/* Where a record ends: a reader positioned there reads the next one. */
struct spool_position {
	uint64_t segment; /* the segment's first seq */
	off_t offset;
	uint64_t next_seq;
};

/* Called by spool_open for every valid record found, in seq order. */
typedef void (*spool_scan_fn)(const struct spool_record *r, void *arg);
/* Called once a record is durable (ok = 1) or cannot be (ok = 0). Runs on
 * the committer thread, or inline in spool_on_commit. Must not block. */
typedef void (*spool_commit_fn)(void *arg, int ok);

/* Opens (creating) the spool directory, recovers it: every record is
 * checked, a torn or corrupt tail is cut off; the list of suspect records
 * is read (spool_suspect.h) and the numbers of suspect records recovery
 * did not find are not used again. Starts the committer. Returns NULL
 * with the reason in why. */
struct spool *spool_open(const struct spool_options *o, spool_scan_fn scan,
			 void *scan_arg, char *why, size_t whylen);
/* Stops the committer after a last flush and closes everything. */
void spool_close(struct spool *s);

/* Called by spool_append with the record's seq and end position once it is
 * written, under the spool's lock and before any reader can see the
 * record: the place to publish in-memory copies readers should find. */
typedef void (*spool_written_fn)(void *arg, uint64_t seq,
				 const struct spool_position *end);

/* Appends r, assigning r->seq, and calls written(arg, ...) when not NULL.
 * Returns 0, or -1 with errno set (the spool cannot be written now: disk
 * full, I/O error, directory gone); nothing of the record remains then. */
int spool_append(struct spool *s, struct spool_record *r,
		 spool_written_fn written, void *arg);

/* Calls done(arg, ok) when seq is durable (at once if it already is),
 * or with ok = 0 when it cannot be: its flush failed, even if a later
 * one committed it (spool_suspect), or the spool stops. */
void spool_on_commit(struct spool *s, uint64_t seq, spool_commit_fn done,
		     void *arg);

/* 1 when seq was written before a flush that failed (whether or not a
 * later one has committed it since): its record may not be on disk,
 * though reads from the page cache still find it (the kernel reports a
 * lost write-back once). After many failure episodes the oldest ranges
 * merge and cover acknowledged records too. A sender's retry of such an
 * event is stored again (ingest.c). Kept across restarts
 * (spool_suspect.h). */
int spool_suspect(struct spool *s, uint64_t seq);

/* The highest committed seq (0: none), the oldest seq still stored. */
uint64_t spool_committed(struct spool *s);
uint64_t spool_oldest(struct spool *s);
/* Waits up to timeout_ms for seq to be committed; returns 1 if it is. */
int spool_wait(struct spool *s, uint64_t seq, int timeout_ms);
/* Wakes every spool_wait (for shutdown). */
void spool_wake(struct spool *s);

/* Every handler is done with all seqs <= seq: their segments may go. */
void spool_set_done(struct spool *s, uint64_t seq);
/* While held, no segment is removed (a reload starting a handler whose
 * progress the done mark does not count yet). */
void spool_hold_removal(struct spool *s, int hold);
/* Returns once every spool_written_fn running now has returned: after
 * it, the callbacks see whatever the caller published before. */
void spool_barrier(struct spool *s);

/* 0 while appends succeed; the errno of the last failed append or flush
 * otherwise (cleared by the next success). */
int spool_error(struct spool *s);
/* The size of the segment files on disk, in bytes. */
uint64_t spool_bytes(struct spool *s);
/* spool_error, but while it reports a failure, the directory is probed
 * (at most once a second) and the error cleared when it has room for a
 * record of record_bytes (the largest the caller may append). */
int spool_health(struct spool *s, size_t record_bytes);

/* Finds the segment that holds seq: 0 with its first seq, or -1. */
int spool_segment_of(struct spool *s, uint64_t seq, uint64_t *segment);
const char *spool_dir(const struct spool *s);

/* 1 when a spare segment of zeros is ready for the next roll-over
 * (options.prewrite); tests wait for it. */
int spool_spare_ready(struct spool *s);

#endif
