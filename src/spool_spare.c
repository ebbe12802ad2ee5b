/* The spare segment: a file of zeros written ahead of need. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "spool_spare.h"

/* One step writes this much and waits until it is on disk: at most this
 * much of the spare is ever queued ahead of the committer's flushes. */
#define SPARE_CHUNK (256 * 1024)
/* Free space needed to go on writing a spare, in segments, the spare
 * included (room_for_spare). */
#define SPARE_ROOM_FACTOR 4
/* After a failure (disk full, quota), plain appends for this long. */
#define SPARE_RETRY_MS 10000

/* Never written (not const: that would put 256 KiB of zeros in the
 * binary instead of the zero page). */
static unsigned char zeros[SPARE_CHUNK];

int spare_init(struct spool_spare *sp, const char *dir, off_t size)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	sp->size = size;
	if (snprintf(sp->path, sizeof(sp->path), "%s/spare.tmp", dir) >=
	    (int)sizeof(sp->path))
		return -1;
	return unlink(sp->path) == 0 || errno == ENOENT ? 0 : -1;
}

int spare_wanted(const struct spool_spare *sp, int64_t now_ms)
{
	return !sp->ready && now_ms >= sp->retry_ms;
}

/* Closes the file and starts over (the file itself stays). */
static void forget(struct spool_spare *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	sp->filled = 0;
}

static void drop(struct spool_spare *sp)
{
	forget(sp);
	unlink(sp->path);
}

static int fail(struct spool_spare *sp, int64_t now_ms, const char *what)
{
	log_debug("spool: cannot %s %s: %s; segments are appended to until "
		  "a later attempt",
		  what, sp->path, strerror(errno));
	drop(sp);
	sp->retry_ms = now_ms + SPARE_RETRY_MS;
	return 0;
}

/* Room for the spare with SPARE_ROOM_FACTOR - 1 segments to spare: on a
 * nearly full disk the zeros would take the space records need, and
 * writing them up to ENOSPC would fail appends meanwhile. Then segments
 * are appended to, as without a spare. */
static int room_for_spare(const struct spool_spare *sp, int fd)
{
	struct statvfs st;

	if (fstatvfs(fd, &st) != 0)
		return 0;
	/* What is written of the spare already counts as used. */
	return (double)st.f_bavail * (double)st.f_frsize >=
	       (double)(SPARE_ROOM_FACTOR - 1) * (double)sp->size +
		   (double)(sp->size - sp->filled);
}

static int open_spare(struct spool_spare *sp, int64_t now_ms)
{
	sp->fd = open(sp->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	return sp->fd < 0 ? fail(sp, now_ms, "create") : 0;
}

int spare_step(struct spool_spare *sp, int64_t now_ms)
{
	size_t len;
	ssize_t n;

	if (sp->fd < 0)
		return open_spare(sp, now_ms);
	if (sp->filled == sp->size)
		return fdatasync(sp->fd) == 0 ? 1 : fail(sp, now_ms, "sync");
	/* Checked at every chunk: other writers may fill the disk meanwhile. */
	if (!room_for_spare(sp, sp->fd)) {
		errno = ENOSPC;
		return fail(sp, now_ms, "make room for");
	}
	len = (size_t)(sp->size - sp->filled);
	if (len > SPARE_CHUNK)
		len = SPARE_CHUNK;
	n = pwrite(sp->fd, zeros, len, sp->filled);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = ENOSPC; /* a short write: the disk is full */
		return fail(sp, now_ms, "write");
	}
	/* Written back a chunk at a time: the disk never gets a whole
	 * segment at once, and the final sync has little left. */
	/* Its error must be taken here: the wait consumes it, and the final
	 * fdatasync would succeed over zeros that never reached the disk. */
	if (sync_file_range(sp->fd, sp->filled, (off_t)len,
			    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER) != 0)
		return fail(sp, now_ms, "write back");
	sp->filled += (off_t)len;
	return 0;
}

int spare_take(struct spool_spare *sp, const char *seg_path, int64_t now_ms)
{
	int fd = sp->fd;

	if (!sp->ready)
		return -1;
	sp->ready = 0;
	if (rename(sp->path, seg_path) != 0) {
		/* Not unlinked here (under the spool lock, freeing a
		 * segment's blocks takes milliseconds): the next attempt
		 * truncates it, the close removes it. And not at once. */
		log_warn("spool: cannot rename %s to %s", sp->path, seg_path);
		forget(sp);
		sp->retry_ms = now_ms + SPARE_RETRY_MS;
		return -1;
	}
	sp->fd = -1;
	sp->filled = 0;
	return fd;
}

void spare_discard(struct spool_spare *sp)
{
	if (sp->path[0] != '\0')
		drop(sp);
	sp->ready = 0;
}
