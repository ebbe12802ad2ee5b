/* spool_suspect.c: which records a failed flush left unsure, kept across
 * a restart.
 *
 * Why: after fdatasync fails with an I/O error, the kernel may have
 * dropped the dirty pages (or marked them clean unwritten), and a later
 * fdatasync that succeeds does not report it again. The records written
 * before the failure and not yet committed may therefore never reach the
 * disk even once a later flush "commits" them; reads from the page cache
 * still find them. A sender's retry of such an event must be stored again
 * instead of being answered "duplicate" (ingest.c), also after a restart
 * without a reboot, when recovery finds the records in the page cache.
 *
 * One range of seqs per failure episode, at most SUSPECT_RANGES; beyond
 * that the oldest is merged into the next oldest (seqs only grow, so the
 * merge is a superset: at worst an event is stored once more). Saved to
 * "<spool dir>/suspect" (text, one "lo hi" per line, written aside and
 * renamed) by the committer whenever they changed: before the 503s of a
 * failed flush go out, and again every second while a save fails (the
 * disk that failed the flush may fail that too). Loaded at start; ranges
 * go once their segments are removed. Not thread-safe: the spool's lock
 * covers it. */
#ifndef RTW_SPOOL_SUSPECT_H
#define RTW_SPOOL_SUSPECT_H

#include <stdint.h>

#define SUSPECT_RANGES 8

struct spool_suspect {
	struct {
		uint64_t lo, hi; /* hi 0: unused */
	} r[SUSPECT_RANGES];
	unsigned next; /* where the next range goes (the oldest one) */
};

/* A loaded range that ends this far past the end of the spool is not
 * believed (no failed round writes that many records): the file is
 * damaged. */
#define SUSPECT_MAX_AHEAD ((uint64_t)1 << 24)

/* Records [lo, hi] as a new episode. */
void suspect_add(struct spool_suspect *ss, uint64_t lo, uint64_t hi);
/* Extends the newest episode up to hi (the same episode failing again);
 * adds [lo, hi] when there is none. */
void suspect_extend(struct spool_suspect *ss, uint64_t lo, uint64_t hi);
/* 1 when seq is in a range. */
int suspect_has(const struct spool_suspect *ss, uint64_t seq);
/* Drops the ranges that end before oldest (their records are gone).
 * Returns 1 when one was dropped. */
int suspect_prune(struct spool_suspect *ss, uint64_t oldest);
/* The highest seq in a range, 0 when there is none. */
uint64_t suspect_max(const struct spool_suspect *ss);

/* Writes the ranges to dir/suspect (aside, synced, renamed, the
 * directory synced), or removes the file when there is none. 0, or -1
 * with errno set. */
int suspect_save(const struct spool_suspect *ss, const char *dir);
/* Reads dir/suspect into ss (zeroed first), keeping the ranges that end
 * at or after oldest (the oldest seq still stored: the others are gone)
 * and not past next_seq + SUSPECT_MAX_AHEAD; removes the file when none
 * is left, and a suspect.tmp a crash left. Returns how many lines were
 * dropped or could not be parsed (the file should then be written
 * again), or -1 with errno set when the file exists but cannot be read. */
int suspect_load(struct spool_suspect *ss, const char *dir, uint64_t oldest,
		 uint64_t next_seq);

#endif
