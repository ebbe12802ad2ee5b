/* The spool: segments, appends, group commit, recovery and retention. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "spool.h"
#include "spool_spare.h"
#include "spool_suspect.h"
#include "spool_writes.h"

#define HEALTH_PROBE_INTERVAL_MS 1000
/* After a failed commit round, the next one waits this long at most. */
#define FAILED_ROUND_PAUSE_MS 100
/* A round's write buffer larger than this (a burst) is freed after it. */
#define KEEP_WRITE_BUFFER_BYTES (1024 * 1024)

struct segment {
	uint64_t first;    /* seq in the file name */
	uint64_t last;     /* last seq written to it; first - 1 when empty */
	int64_t newest_ms; /* received_ms of its newest record */
};

/* A segment left behind, until a commit round has cut its unused end and
 * synced it. */
struct retired {
	int fd;
	off_t keep; /* where its records end; -1: nothing to cut */
};

struct waiter {
	uint64_t seq;
	spool_commit_fn done;
	void *arg;
};

struct spool {
	struct spool_options opt;
	char *dir;
	int lock_fd;
	pthread_mutex_t lock;
	pthread_cond_t committed_cv; /* readers wait for commits */
	pthread_cond_t work_cv;      /* the committer waits for appends */
	pthread_cond_t spare_cv;     /* the spare writer waits for a need */
	pthread_t committer;
	pthread_t spare_writer;
	int committer_started, spare_writer_started, stopping;
	int removal_held; /* spool_hold_removal */

	struct segment *segs; /* oldest first; the last one is written */
	size_t nsegs;
	int fd;               /* the written segment, -1 if none yet */
	off_t offset;         /* where its records end */
	off_t file_size;      /* its size: larger while zeros follow */
	/* Records bound for the written segment's zeros, in memory until a
	 * commit round writes them (spool_writes.h); owed: those of segments
	 * left behind and of failed rounds, which the next round writes
	 * first; idle: the last round's buffer, kept for the next. */
	struct spool_write pend, idle;
	struct spool_writes owed;
	struct spool_spare spare;
	struct retired *retired; /* awaiting the next commit round */
	size_t nretired;
	int dir_dirty;        /* a segment was created: fsync the dir */
	/* A flush failed: appends are refused until a round succeeds (each
	 * would only fail too, and start a segment), then the next record
	 * starts a new segment (roll), away from pages that may never have
	 * reached the disk. */
	int flush_failed;
	int roll;
	/* The records of failed flushes (spool_suspect.h): the ranges, a
	 * version bumped at each change, the version the file holds, when a
	 * save was last tried and whether it failed. Saved by the committer,
	 * and by the stop once the committer has ended. */
	struct spool_suspect suspect;
	unsigned suspect_version, suspect_saved;
	int64_t suspect_tried_ms;
	int suspect_save_failing;

	uint64_t next_seq, written, committed, done;
	int error; /* errno of the last failure, 0 after a success */
	int64_t probed_ms; /* when spool_health last probed the directory */

	struct waiter *waiters;
	size_t nwaiters, capwaiters;
};

const char *spool_dir(const struct spool *s)
{
	return s->dir;
}

static int add_segment(struct spool *s, uint64_t first)
{
	struct segment *grown =
		realloc(s->segs, (s->nsegs + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	s->segs = grown;
	s->segs[s->nsegs++] =
		(struct segment){.first = first, .last = first - 1};
	return 0;
}

/* ---- recovery ---------------------------------------------------------- */

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The first seqs of every segment file in the directory, sorted. */
static uint64_t *list_segments(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	uint64_t *firsts = NULL, first;
	struct dirent *e;

	*count = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		uint64_t *grown;

		if (spool_segment_name_parse(e->d_name, &first) != 0)
			continue;
		grown = realloc(firsts, (*count + 1) * sizeof(*grown));
		if (grown == NULL)
			break;
		firsts = grown;
		firsts[(*count)++] = first;
	}
	closedir(d);
	if (*count > 0)
		qsort(firsts, *count, sizeof(*firsts), compare_u64);
	return firsts;
}

/* 1 when len bytes at p are all zero. */
static int all_zero(const unsigned char *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* What follows the last valid record of a segment: a torn or corrupt
 * record is cut off; zeros are space a prewritten segment has not used
 * yet: kept in the segment being written, cut off in older ones (the cut
 * at the roll-over did not reach the disk before a crash). */
static void settle_tail(int fd, const char *path, int is_last, off_t off,
			off_t size, int zeros)
{
	if (off == size)
		return;
	if (zeros && is_last)
		return;
	if (zeros)
		log_debug("spool: %s: cutting %lld unused byte(s)", path,
			  (long long)(size - off));
	else
		log_msg(is_last ? RTW_LOG_NOTICE : RTW_LOG_ERR,
			"spool: %s: %s at offset %lld; cutting %lld byte(s)",
			path, is_last ? "torn tail" : "corrupt record",
			(long long)off, (long long)(size - off));
	if (ftruncate(fd, off) != 0 || fdatasync(fd) != 0)
		log_warn("spool: cannot cut %s", path);
}

/* Checks every record of one segment, cuts it at the first bad one.
 * Returns 0 or -1 (cannot read the file). */
static int recover_segment(struct spool *s, uint64_t first, int is_last,
			   spool_scan_fn scan, void *arg)
{
	char path[PATH_MAX];
	struct segment *seg;
	unsigned char *map = MAP_FAILED;
	struct stat st;
	off_t off = 0;
	int fd, zeros = 0;

	spool_segment_path(s->dir, first, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || add_segment(s, first) != 0) {
		log_warn("spool: cannot open %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	seg = &s->segs[s->nsegs - 1];
	if (st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			   0);
	if (st.st_size > 0 && map == MAP_FAILED) {
		/* Unread is not torn: cutting here would drop the file. */
		log_warn("spool: cannot map %s", path);
		close(fd);
		return -1;
	}
	while (map != MAP_FAILED && off < st.st_size) {
		struct spool_record r;
		size_t need;
		ssize_t n = spool_record_decode(map + off,
						(size_t)(st.st_size - off), &r,
						&need);

		if (n <= 0 || r.seq != seg->last + 1)
			break;
		seg->last = r.seq;
		seg->newest_ms = r.received_ms;
		if (scan != NULL)
			scan(&r, arg);
		off += n;
	}
	if (map != MAP_FAILED) {
		zeros = all_zero(map + off, (size_t)(st.st_size - off));
		munmap(map, (size_t)st.st_size);
	}
	settle_tail(fd, path, is_last, off, st.st_size, zeros);
	if (is_last && seg->last >= seg->first) {
		s->fd = fd;
		s->offset = off;
		s->file_size = zeros ? st.st_size : off;
	} else {
		close(fd);
	}
	return 0;
}

static int recover(struct spool *s, spool_scan_fn scan, void *arg)
{
	size_t count;
	uint64_t *firsts = list_segments(s->dir, &count);

	for (size_t i = 0; i < count; i++)
		if (recover_segment(s, firsts[i], i + 1 == count, scan, arg) !=
		    0) {
			free(firsts);
			return -1;
		}
	free(firsts);
	s->next_seq = 1;
	/* Drop a trailing empty segment: the next append starts a fresh one.
	 * Its name still tells where numbering goes on. */
	if (s->nsegs > 0 && s->segs[s->nsegs - 1].last <
				    s->segs[s->nsegs - 1].first) {
		char path[PATH_MAX];

		s->next_seq = s->segs[s->nsegs - 1].first;
		spool_segment_path(s->dir, s->next_seq, path, sizeof(path));
		unlink(path);
		s->nsegs--;
	}
	if (s->nsegs > 0 && s->segs[s->nsegs - 1].last + 1 > s->next_seq)
		s->next_seq = s->segs[s->nsegs - 1].last + 1;
	s->written = s->next_seq - 1;
	s->committed = s->written;
	return 0;
}

/* ---- appending --------------------------------------------------------- */

/* The file of a new segment: the spare of zeros when the spare writer has it
 * ready, else an empty file (unless spare_only: then -1). Lock held. */
static int open_segment_file(struct spool *s, const char *path,
			     off_t *size, int spare_only)
{
	int fd = spare_take(&s->spare, path, mono_ms());

	*size = fd >= 0 ? s->spare.size : 0;
	if (fd >= 0 || spare_only)
		return fd;
	/* By path, not by a directory fd kept open: if the directory is
	 * removed or replaced, appends fail (503) instead of writing into a
	 * directory nobody will read. */
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

/* Room in the retired list for the segment about to be left, and in the
 * owed writes for its records not written yet, taken before anything
 * changes: once the new segment is in place there is no way back. Lock
 * held. */
static int reserve_retired(struct spool *s)
{
	struct retired *grown =
	    realloc(s->retired, (s->nretired + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	s->retired = grown;
	return writes_reserve(&s->owed, 1);
}

/* The segment being left behind, queued (room reserved) for the next
 * commit round, which cuts its unused zeros (recovery would cut them too;
 * this keeps the disk usage honest) outside the lock, then syncs it; with
 * fsync "off" the committer cuts and closes it unsynced. Lock held. */
static void retire_segment(struct spool *s)
{
	s->retired[s->nretired++] = (struct retired){
	    s->fd, s->file_size > s->offset ? s->offset : -1};
	writes_push(&s->owed, &s->pend); /* written before its sync */
	pthread_cond_signal(&s->work_cv); /* the committer takes it */
}

/* Starts a new segment whose first record will be seq; with spare_only,
 * only as the spare (-1 when that cannot be taken). Lock held. */
static int start_segment(struct spool *s, uint64_t seq, int spare_only)
{
	char path[PATH_MAX];
	off_t size;
	int fd;

	if (spool_segment_path(s->dir, seq, path, sizeof(path)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (s->fd >= 0 && reserve_retired(s) != 0) {
		errno = ENOMEM;
		return -1;
	}
	fd = open_segment_file(s, path, &size, spare_only);
	if (fd < 0)
		return -1;
	if (add_segment(s, seq) != 0) {
		close(fd);
		unlink(path);
		errno = ENOMEM;
		return -1;
	}
	if (s->fd >= 0)
		retire_segment(s);
	s->fd = fd;
	s->offset = 0;
	s->file_size = size;
	s->dir_dirty = 1;
	s->roll = 0;
	pthread_cond_signal(&s->spare_cv); /* time for the next spare */
	return 0;
}

/* Writes the record at the end of the segment now. Lock held. */
static int write_now(struct spool *s, const struct iovec *iov, size_t size)
{
	ssize_t n = pwritev(s->fd, iov, 4, s->offset);

	if (n == (ssize_t)size)
		return 0;
	if (n >= 0)
		errno = ENOSPC; /* a short write: the disk is full */
	/* Leave no partial record behind. */
	{
		int saved = errno;

		if (ftruncate(s->fd, s->offset) != 0)
			log_warn("spool: cannot cut a partial record");
		else
			s->file_size = s->offset;
		errno = saved;
	}
	return -1;
}

/* A record that fits in the zeros ahead cannot fail for want of space:
 * it waits in memory for the commit round, which writes all of them in
 * one call (spool_writes.h). A growing segment (whose appends may find
 * the disk full: the request must learn it) and fsync "off" (no round
 * follows) write at once, as does a record that finds no memory. Returns
 * 0, or -1 with errno set and nothing of the record left. Lock held. */
static int store_record(struct spool *s, const struct spool_record *r,
			size_t *size)
{
	unsigned char hdr[SPOOL_FRAME_LEN + SPOOL_FIXED_LEN];
	struct iovec iov[4];

	*size = spool_record_encode(r, hdr, iov);
	if (s->opt.fsync != FSYNC_OFF &&
	    s->file_size - s->offset >= (off_t)*size &&
	    write_add(&s->pend, s->fd, s->offset, iov, 4, *size) == 0)
		return 0;
	return write_now(s, iov, *size);
}

enum segment_need {
	SEGMENT_KEEP,     /* the record goes into the segment being written */
	SEGMENT_REQUIRED, /* none yet, a roll after a failed flush, no room */
	SEGMENT_SPARE,    /* better in the spare, if it can be taken */
};

/* Does the record of size bytes start a new segment? A segment that grows
 * by appends (no zeros ahead of its records: an empty spool's first, or
 * one begun while no spare was ready) is left for the spare once that is
 * ready: a flush of a growing file also writes its new blocks and size.
 * A fresh daemon at 8,400 events/s spent a p50 of 1.9 ms per fdatasync in
 * such a segment, 0.7-1.2 ms after moving to the spare (bench setup,
 * ext4 without a journal on a virtio disk, perf trace). Lock held. */
static enum segment_need segment_due(const struct spool *s, size_t size)
{
	int growing = s->offset > 0 && s->file_size <= s->offset;

	if (s->fd < 0 || s->roll ||
	    (s->offset > 0 &&
	     (uint64_t)s->offset + size > s->opt.segment_bytes))
		return SEGMENT_REQUIRED;
	return growing && s->spare.ready ? SEGMENT_SPARE : SEGMENT_KEEP;
}

int spool_append(struct spool *s, struct spool_record *r,
		 spool_written_fn written, void *arg)
{
	struct spool_position end;
	size_t size = SPOOL_FRAME_LEN + SPOOL_FIXED_LEN + r->path_len +
		      r->key_len + r->body_len;
	int rc = -1;

	if (r->path_len > SPOOL_MAX_PATH || r->key_len > SPOOL_MAX_KEY ||
	    r->body_len > SPOOL_MAX_BODY) {
		errno = EMSGSIZE;
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (s->flush_failed) {
		errno = s->error ? s->error : EIO;
		goto out;
	}
	r->seq = s->next_seq;
	switch (segment_due(s, size)) {
	case SEGMENT_REQUIRED:
		if (start_segment(s, r->seq, 0) != 0)
			goto out;
		break;
	case SEGMENT_SPARE:
		/* Optional: when the spare cannot be taken (it is dropped
		 * and retried later), the growing segment takes the record. */
		(void)start_segment(s, r->seq, 1);
		break;
	case SEGMENT_KEEP:
		break;
	}
	if (store_record(s, r, &size) != 0)
		goto out;
	s->offset += (off_t)size;
	if (s->file_size < s->offset)
		s->file_size = s->offset;
	s->segs[s->nsegs - 1].last = r->seq;
	s->segs[s->nsegs - 1].newest_ms = r->received_ms;
	s->written = r->seq;
	s->next_seq++;
	s->error = 0;
	end = (struct spool_position){.segment = s->segs[s->nsegs - 1].first,
				     .offset = s->offset,
				     .next_seq = r->seq + 1};
	if (written != NULL)
		written(arg, r->seq, &end);
	if (s->opt.fsync == FSYNC_OFF) {
		s->committed = s->written;
		pthread_cond_broadcast(&s->committed_cv);
	} else {
		pthread_cond_signal(&s->work_cv);
	}
	rc = 0;
out:
	if (rc != 0)
		s->error = errno;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---- suspect records ----------------------------------------------------- */

int spool_suspect(struct spool *s, uint64_t seq)
{
	int found;

	pthread_mutex_lock(&s->lock);
	found = suspect_has(&s->suspect, seq);
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* After a failed flush: what was written and not committed is suspect.
 * While flushes keep failing nothing is appended, so one episode is one
 * range. Lock held. */
static void mark_suspect(struct spool *s)
{
	if (s->written <= s->committed)
		return;
	if (!s->flush_failed)
		suspect_add(&s->suspect, s->committed + 1, s->written);
	else if (suspect_max(&s->suspect) == s->written)
		return; /* the same episode, nothing new */
	else
		suspect_extend(&s->suspect, s->committed + 1, s->written);
	s->suspect_version++;
}

/* Writes the ranges to their file when they changed since the file was
 * last written, without the lock (the disk may be failing: slow). A save
 * that fails is tried again, at most once a second unless now. Committer
 * thread (or the stop, after it ended); lock held on entry and exit. */
static void save_suspect(struct spool *s, int now)
{
	unsigned version = s->suspect_version;
	struct spool_suspect copy = s->suspect;
	int rc;

	if (version == s->suspect_saved ||
	    (!now && mono_ms() - s->suspect_tried_ms < 1000))
		return;
	s->suspect_tried_ms = mono_ms();
	pthread_mutex_unlock(&s->lock);
	rc = suspect_save(&copy, s->dir);
	pthread_mutex_lock(&s->lock);
	if (rc == 0) {
		if (s->suspect_save_failing)
			log_info("spool: saved the list of unsure records");
		s->suspect_saved = version;
		s->suspect_save_failing = 0;
	} else if (!s->suspect_save_failing) {
		/* tried again every second: one warning per outage */
		log_warn("spool: cannot save which records a failed flush "
			 "left unsure; trying again");
		s->suspect_save_failing = 1;
	}
}

/* After recovery: numbers of suspect records recovery did not find (their
 * pages never reached the disk) are not handed out again, since handlers
 * may have read those records from the page cache before the restart and
 * moved past them. Lock not needed (before the threads start). */
static void skip_lost_suspects(struct spool *s)
{
	uint64_t top = suspect_max(&s->suspect);

	if (top < s->next_seq)
		return;
	log_warnx("spool: events %" PRIu64 "-%" PRIu64 ", written before a "
		  "flush that failed, did not reach the disk; numbering goes "
		  "on after them",
		  s->next_seq, top);
	s->next_seq = top + 1;
	s->written = top;
	s->committed = top;
	/* a new segment: recovery reads a gap inside one as its end */
	s->roll = s->fd >= 0;
}

/* Reads the list of suspect records at the start (before the threads):
 * damaged lines make the committer write it again, lost numbers are
 * skipped. 0, or -1 with the reason in why when it cannot be read (the
 * start stops rather than forget which records are unsure). */
static int load_suspects(struct spool *s, char *why, size_t whylen)
{
	int dropped = suspect_load(&s->suspect, s->dir,
				   s->nsegs > 0 ? s->segs[0].first
						: s->next_seq,
				   s->next_seq);

	if (dropped < 0) {
		snprintf(why, whylen, "cannot read %s/suspect: %s", s->dir,
			 strerror(errno));
		return -1;
	}
	if (dropped > 0)
		s->suspect_version++; /* the committer rewrites the file */
	skip_lost_suspects(s);
	return 0;
}

void spool_on_commit(struct spool *s, uint64_t seq, spool_commit_fn done,
		     void *arg)
{
	int now = 0, ok = 1;

	pthread_mutex_lock(&s->lock);
	if (suspect_has(&s->suspect, seq)) {
		/* its flush failed (perhaps before this request got here):
		 * a later commit does not make it sure */
		now = 1;
		ok = 0;
	} else if (seq <= s->committed) {
		now = 1;
	} else if (s->stopping) {
		now = 1;
		ok = 0;
	} else if (s->nwaiters == s->capwaiters) {
		size_t cap = s->capwaiters ? s->capwaiters * 2 : 64;
		struct waiter *grown = realloc(s->waiters, cap * sizeof(*grown));

		if (grown == NULL) {
			now = 1;
			ok = 0;
		} else {
			s->waiters = grown;
			s->capwaiters = cap;
		}
	}
	if (!now)
		s->waiters[s->nwaiters++] = (struct waiter){seq, done, arg};
	pthread_mutex_unlock(&s->lock);
	if (now)
		done(arg, ok);
}

/* ---- the committer ----------------------------------------------------- */

/* Takes the waiters whose fate is known (seq <= upto) out of the list into
 * *out. Lock held. */
static size_t take_waiters(struct spool *s, uint64_t upto,
			   struct waiter **out)
{
	size_t n = 0, kept = 0;

	*out = malloc((s->nwaiters ? s->nwaiters : 1) * sizeof(**out));
	for (size_t i = 0; i < s->nwaiters; i++) {
		if (s->waiters[i].seq <= upto && *out != NULL)
			(*out)[n++] = s->waiters[i];
		else
			s->waiters[kept++] = s->waiters[i];
	}
	s->nwaiters = kept;
	return n;
}

static void notify(struct waiter *w, size_t n, int ok)
{
	for (size_t i = 0; i < n; i++)
		w[i].done(w[i].arg, ok);
	free(w);
}

/* Cuts the zeros after a left-behind segment's records. */
static void cut_unused_end(const struct retired *r)
{
	if (r->keep >= 0 && ftruncate(r->fd, r->keep) != 0)
		log_warn("spool: cannot cut the unused end of a segment");
}

/* Cuts and syncs the retired segments; returns nonzero on a failure. */
static int sync_retired(const struct retired *old, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		cut_unused_end(&old[i]);
		rc |= fdatasync(old[i].fd);
	}
	return rc;
}

/* After a failed round: what it was to sync is owed by the next one (the
 * directory entry of a new segment above all: without it a power cut can
 * lose the file). Lock held. */
static void requeue(struct spool *s, struct retired *old, size_t nold,
		    int dir_dirty)
{
	struct retired *all;

	s->dir_dirty |= dir_dirty;
	if (nold == 0)
		return; /* (a realloc to 0 bytes may answer NULL) */
	all = realloc(old, (nold + s->nretired) * sizeof(*all));
	if (all == NULL) {
		/* Out of memory: closed unsynced. Nothing acknowledged is
		 * in them (their round failed); what follows is not either
		 * until a round succeeds. */
		log_warn("spool: out of memory keeping segments to sync");
		for (size_t i = 0; i < nold; i++) {
			/* no write may outlive its descriptor (a reused
			 * number would take it into another file) */
			writes_settle_fd(&s->owed, old[i].fd);
			close(old[i].fd);
		}
		free(old);
		return;
	}
	if (s->nretired > 0)
		memcpy(all + nold, s->retired, s->nretired * sizeof(*all));
	free(s->retired);
	s->retired = all;
	s->nretired += nold;
}

static void close_retired(struct retired *old, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(old[i].fd);
	free(old);
}

/* Takes the writes a round is to do (owed first, then the written
 * segment's own), handing that segment the idle buffer. Lock held. */
static void take_writes(struct spool *s, struct spool_writes *owed,
			struct spool_write *cur)
{
	*owed = s->owed;
	*cur = s->pend;
	s->owed = (struct spool_writes){0};
	s->pend = s->idle;
	s->idle = (struct spool_write){.fd = -1};
}

/* After a successful round: its buffers are done with; the segment's own
 * is kept for a later round unless a burst made it large. Lock held. */
static void writes_done(struct spool *s, struct spool_writes *owed,
			struct spool_write *cur)
{
	writes_release(owed);
	if (cur->cap > KEEP_WRITE_BUFFER_BYTES) {
		write_release(cur);
		return;
	}
	cur->len = 0;
	s->idle = *cur;
}

/* After a failed round: its writes are owed again, before any queued
 * since (a segment left during the round), so that a later round that
 * commits these records has written them. Lock held. */
static void owe_again(struct spool *s, struct spool_writes *owed,
		      struct spool_write *cur)
{
	if (writes_put_back(&s->owed, owed, cur) == 0)
		return;
	/* Out of memory: one more try now, then they are forgotten; their
	 * records are suspect, as those of any failed flush. */
	log_warn("spool: out of memory keeping records to write again");
	(void)writes_out(owed);
	(void)write_out(cur);
	writes_release(owed);
	write_release(cur);
}

/* A round whose flush failed. After a failed fdatasync the kernel may
 * have dropped the pages: nothing unsynced can be promised. Its requests
 * fail (503; the sender retries them), what it owed is owed again, and
 * its records are suspect. Lock held on entry and exit. */
static void fail_round(struct spool *s, struct retired *old, size_t nold,
		       int dir_dirty)
{
	unsigned version = s->suspect_version;
	struct waiter *w;
	size_t n;

	s->error = errno ? errno : EIO;
	mark_suspect(s);
	if (!s->flush_failed)
		log_warn("spool: flush failed; refusing events until a flush "
			 "succeeds");
	s->flush_failed = 1;
	requeue(s, old, nold, dir_dirty);
	n = take_waiters(s, s->written, &w);
	/* a new list on disk before the 503s (a retry may follow at once);
	 * an old one that failed to save waits for its second */
	save_suspect(s, s->suspect_version != version);
	pthread_mutex_unlock(&s->lock);
	notify(w, n, 0);
	pthread_mutex_lock(&s->lock);
}

/* One round: make everything written so far durable. Returns 0, or -1
 * when a flush failed. Lock held on entry and exit; released during the
 * flushes. */
static int commit_round(struct spool *s)
{
	/* "always" makes one record durable per round; never past what is
	 * written (a round can run for a new segment with nothing in it). */
	uint64_t target = s->opt.fsync == FSYNC_ALWAYS &&
					  s->written > s->committed
				  ? s->committed + 1
				  : s->written;
	size_t nold = s->nretired;
	struct retired *old = s->retired;
	int fd = s->fd, dir_dirty = s->dir_dirty;
	struct spool_writes owed;
	struct spool_write cur;
	struct waiter *w;
	int rc;
	size_t n;

	s->retired = NULL;
	s->nretired = 0;
	s->dir_dirty = 0;
	take_writes(s, &owed, &cur);
	pthread_mutex_unlock(&s->lock);
	rc = writes_out(&owed); /* before the cuts and syncs below */
	rc |= write_out(&cur);
	rc |= sync_retired(old, nold);
	if (fd >= 0)
		rc |= fdatasync(fd);
	if (dir_dirty)
		rc |= sync_dir(s->dir);
	pthread_mutex_lock(&s->lock);
	if (rc != 0) {
		owe_again(s, &owed, &cur);
		fail_round(s, old, nold, dir_dirty);
		return -1;
	}
	writes_done(s, &owed, &cur);
	if (s->flush_failed) {
		/* Records after this go to a new segment: should the failed
		 * pages never reach the disk, recovery cuts the old segment
		 * there, and no acknowledged record with them. */
		log_info("spool: flushes work again");
		s->flush_failed = 0;
		/* (no append ran since the failure: the segment holds only
		 * what was written before it; an empty one needs no roll) */
		s->roll = s->offset > 0;
	}
	s->committed = target;
	pthread_cond_broadcast(&s->committed_cv);
	n = take_waiters(s, target, &w);
	pthread_mutex_unlock(&s->lock);
	close_retired(old, nold);
	notify(w, n, 1);
	pthread_mutex_lock(&s->lock);
	return 0;
}

static int removable(const struct spool *s, const struct segment *seg,
		     int64_t cutoff)
{
	return seg->last <= s->done && seg->last <= s->committed &&
	       seg->newest_ms < cutoff;
}

/* Puts segments whose file could not be removed back at the front of the
 * list (they are older than all the others), for the next pass. */
static void put_back(struct spool *s, const struct segment *segs, size_t n)
{
	struct segment *grown =
		realloc(s->segs, (s->nsegs + n) * sizeof(*grown));

	if (grown == NULL)
		return; /* forgotten until the next start finds them */
	memmove(grown + n, grown, s->nsegs * sizeof(*grown));
	memcpy(grown, segs, n * sizeof(*grown));
	s->segs = grown;
	s->nsegs += n;
}

/* Removes the oldest segments every handler has finished, once they are
 * older than the retention time. Lock held on entry and exit, released
 * while the files are unlinked: freeing a large file's blocks can take
 * milliseconds, and every append waits for this lock. The segment being
 * written is never removed. */
static void remove_finished(struct spool *s)
{
	int64_t cutoff = now_ms() - s->opt.retain_ms;
	size_t n = 0, failed = 0;
	struct segment *gone;

	if (s->removal_held)
		return;
	while (n + 1 < s->nsegs && removable(s, &s->segs[n], cutoff))
		n++;
	if (n == 0 || (gone = malloc(n * sizeof(*gone))) == NULL)
		return;
	memcpy(gone, s->segs, n * sizeof(*gone));
	memmove(s->segs, s->segs + n, (s->nsegs - n) * sizeof(*s->segs));
	s->nsegs -= n;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		spool_segment_path(s->dir, gone[i].first, path, sizeof(path));
		if (unlink(path) == 0 || errno == ENOENT) {
			log_debug("spool: removed %s", path);
			continue;
		}
		log_warn("spool: cannot remove %s", path);
		gone[failed++] = gone[i];
	}
	pthread_mutex_lock(&s->lock);
	if (failed > 0)
		put_back(s, gone, failed);
	free(gone);
	if (s->nsegs > 0 && suspect_prune(&s->suspect, s->segs[0].first))
		s->suspect_version++;
}

/* A failing disk: the next round, but not in a busy loop (an append or
 * the stop wakes it sooner). Lock held. */
static void pause_after_failure(struct spool *s)
{
	struct timespec until = mono_deadline(FAILED_ROUND_PAUSE_MS);

	pthread_cond_timedwait(&s->work_cv, &s->lock, &until);
}

/* With fsync "off" nothing is synced, but a segment left behind is still
 * cut and closed: kept open, its descriptor stayed until the stop and its
 * disk space even after its removal. Lock held on entry and exit. */
static void close_left_behind(struct spool *s)
{
	struct retired *old = s->retired;
	size_t n = s->nretired;

	s->retired = NULL;
	s->nretired = 0;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		cut_unused_end(&old[i]);
	close_retired(old, n);
	pthread_mutex_lock(&s->lock);
}

static void *committer_main(void *arg)
{
	struct spool *s = arg;
	int64_t last_cleanup = 0;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		int pending = s->opt.fsync != FSYNC_OFF &&
			      (s->written > s->committed || s->dir_dirty ||
			       s->nretired > 0);

		if (pending) {
			if (commit_round(s) != 0) {
				if (s->stopping)
					break; /* it fails: the exit goes on */
				pause_after_failure(s);
			}
		} else if (s->nretired > 0) {
			close_left_behind(s); /* fsync "off" */
		} else if (s->stopping) {
			break;
		} else {
			struct timespec until = mono_deadline(1000);

			pthread_cond_timedwait(&s->work_cv, &s->lock, &until);
		}
		if (mono_ms() - last_cleanup >= 1000) {
			remove_finished(s);
			last_cleanup = mono_ms();
		}
		save_suspect(s, 0); /* a change, or a save that failed */
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- the spare writer ---------------------------------------------------- */

/* A thread of its own: a step may wait for the disk (each chunk is written
 * back before the next, so the zeros never crowd the queue in front of the
 * committer's flushes), and no commit round ever waits behind it. */
static void *spare_writer_main(void *arg)
{
	struct spool *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int ready;

		if (!spare_wanted(&s->spare, mono_ms())) {
			struct timespec until = mono_deadline(1000);

			pthread_cond_timedwait(&s->spare_cv, &s->lock, &until);
			continue;
		}
		pthread_mutex_unlock(&s->lock);
		ready = spare_step(&s->spare, mono_ms());
		pthread_mutex_lock(&s->lock);
		s->spare.ready = ready;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Only with a flush to speed up (not with fsync off). */
static int start_spare_writer(struct spool *s)
{
	if (!s->opt.prewrite || s->opt.fsync == FSYNC_OFF)
		return 0;
	if (thread_start(&s->spare_writer, spare_writer_main, s, "rtw-spare",
			 NULL) != 0)
		return -1;
	s->spare_writer_started = 1;
	return 0;
}

/* ---- lifecycle and queries --------------------------------------------- */

/* One daemon per spool: a second one would interleave appends. */
static int lock_dir(struct spool *s, char *why, size_t whylen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/lock", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(why, whylen, "spool %s is in use by another process",
			 s->dir);
		return -1;
	}
	return 0;
}

struct spool *spool_open(const struct spool_options *o, spool_scan_fn scan,
			 void *scan_arg, char *why, size_t whylen)
{
	struct spool *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->dir = strdup(o->dir)) == NULL) {
		free(s);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	s->opt = *o;
	s->opt.dir = s->dir;
	s->fd = -1;
	s->pend.fd = s->idle.fd = -1;
	s->lock_fd = -1;
	s->spare.fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	cond_init_monotonic(&s->committed_cv);
	cond_init_monotonic(&s->work_cv);
	cond_init_monotonic(&s->spare_cv);
	if (make_dirs(s->dir, 0700) != 0) {
		snprintf(why, whylen, "cannot create %s: %s", s->dir,
			 strerror(errno));
		goto fail;
	}
	if (lock_dir(s, why, whylen) != 0)
		goto fail;
	if (spare_init(&s->spare, s->dir, (off_t)o->segment_bytes) != 0) {
		snprintf(why, whylen, "cannot remove %s: %s", s->spare.path,
			 strerror(errno));
		goto fail;
	}
	if (recover(s, scan, scan_arg) != 0) {
		snprintf(why, whylen, "cannot read the spool in %s", s->dir);
		goto fail;
	}
	if (load_suspects(s, why, whylen) != 0)
		goto fail;
	if (thread_start(&s->committer, committer_main, s, "rtw-commit",
			 NULL) != 0) {
		snprintf(why, whylen, "cannot start the committer thread");
		goto fail;
	}
	s->committer_started = 1;
	if (start_spare_writer(s) != 0) {
		snprintf(why, whylen, "cannot start the spare writer thread");
		goto fail;
	}
	return s;
fail:
	spool_close(s);
	return NULL;
}

void spool_close(struct spool *s)
{
	struct waiter *w;
	size_t n;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->work_cv);
	pthread_cond_broadcast(&s->committed_cv);
	pthread_cond_broadcast(&s->spare_cv);
	pthread_mutex_unlock(&s->lock);
	if (s->committer_started)
		pthread_join(s->committer, NULL);
	if (s->spare_writer_started)
		pthread_join(s->spare_writer, NULL);
	n = take_waiters(s, UINT64_MAX, &w);
	notify(w, n, 0);
	spare_discard(&s->spare);
	pthread_mutex_lock(&s->lock);
	save_suspect(s, 1); /* a last try, if the file is behind */
	pthread_mutex_unlock(&s->lock);
	/* Records no round wrote (a failed one, or appends after the last):
	 * their requests failed; written unsynced, as an append without
	 * spool_writes.h would have left them in the page cache. */
	(void)writes_out(&s->owed);
	(void)write_out(&s->pend);
	writes_release(&s->owed);
	write_release(&s->pend);
	write_release(&s->idle);
	/* A last chance for segments a failed round left unsynced. */
	sync_retired(s->retired, s->nretired);
	close_retired(s->retired, s->nretired);
	s->retired = NULL;
	if (s->fd >= 0)
		close(s->fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_cond_destroy(&s->committed_cv);
	pthread_cond_destroy(&s->work_cv);
	pthread_cond_destroy(&s->spare_cv);
	pthread_mutex_destroy(&s->lock);
	free(s->retired);
	free(s->waiters);
	free(s->segs);
	free(s->dir);
	free(s);
}

uint64_t spool_committed(struct spool *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->committed;
	pthread_mutex_unlock(&s->lock);
	return v;
}

uint64_t spool_bytes(struct spool *s)
{
	uint64_t total = 0, *firsts;
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nsegs;
	firsts = calloc(n ? n : 1, sizeof(*firsts));
	for (size_t i = 0; firsts != NULL && i < n; i++)
		firsts[i] = s->segs[i].first;
	pthread_mutex_unlock(&s->lock);
	/* stat outside the lock: appends never wait for a scrape. */
	for (size_t i = 0; firsts != NULL && i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		spool_segment_path(s->dir, firsts[i], path, sizeof(path));
		if (stat(path, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	free(firsts);
	return total;
}

int spool_spare_ready(struct spool *s)
{
	int ready;

	pthread_mutex_lock(&s->lock);
	ready = s->spare.ready;
	pthread_mutex_unlock(&s->lock);
	return ready;
}

uint64_t spool_oldest(struct spool *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->nsegs > 0 ? s->segs[0].first : s->next_seq;
	pthread_mutex_unlock(&s->lock);
	return v;
}

int spool_wait(struct spool *s, uint64_t seq, int timeout_ms)
{
	struct timespec until = mono_deadline(timeout_ms);
	int ready;

	pthread_mutex_lock(&s->lock);
	/* One wait: spool_wake and spurious wake-ups return early, and the
	 * caller, which loops anyway, checks its own reasons to stop. */
	if (s->committed < seq && !s->stopping)
		pthread_cond_timedwait(&s->committed_cv, &s->lock, &until);
	ready = s->committed >= seq;
	pthread_mutex_unlock(&s->lock);
	return ready;
}

void spool_wake(struct spool *s)
{
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->committed_cv);
	pthread_mutex_unlock(&s->lock);
}

void spool_set_done(struct spool *s, uint64_t seq)
{
	/* Not only upwards: a handler added by a reload starts below the
	 * others, and the segments it still has to read must stay. */
	pthread_mutex_lock(&s->lock);
	s->done = seq;
	pthread_mutex_unlock(&s->lock);
}

void spool_hold_removal(struct spool *s, int hold)
{
	pthread_mutex_lock(&s->lock);
	s->removal_held = hold;
	pthread_mutex_unlock(&s->lock);
}

void spool_barrier(struct spool *s)
{
	pthread_mutex_lock(&s->lock);
	pthread_mutex_unlock(&s->lock);
}

int spool_error(struct spool *s)
{
	int e;

	pthread_mutex_lock(&s->lock);
	e = s->error;
	pthread_mutex_unlock(&s->lock);
	return e;
}

/* While the spool is failing, checks at most once a second (the health
 * probe is unauthenticated) whether the directory takes a record of
 * record_bytes again, so that the health turns good without waiting for
 * the next event. */
int spool_health(struct spool *s, size_t record_bytes)
{
	int64_t now = mono_ms();
	int e;

	pthread_mutex_lock(&s->lock);
	e = s->error;
	if (e != 0 && now - s->probed_ms >= HEALTH_PROBE_INTERVAL_MS) {
		s->probed_ms = now;
		pthread_mutex_unlock(&s->lock);
		if (probe_writable_dir(s->dir, record_bytes) != 0)
			return e;
		pthread_mutex_lock(&s->lock);
		if (s->error == e)
			s->error = 0;
		e = s->error;
	}
	pthread_mutex_unlock(&s->lock);
	return e;
}

int spool_segment_of(struct spool *s, uint64_t seq, uint64_t *segment)
{
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	for (size_t i = s->nsegs; i-- > 0;)
		if (s->segs[i].first <= seq) {
			if (seq <= s->segs[i].last) {
				*segment = s->segs[i].first;
				rc = 0;
			}
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return rc;
}
