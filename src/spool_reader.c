/* Sequential reads of the spool by seq. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool_reader.h"

#define READ_CHUNK (64 * 1024)

struct spool_reader {
	struct spool *spool;
	int fd;
	uint64_t segment; /* first seq of the open segment */
	struct spool_position pos; /* where the next record starts */
	int pos_valid;
	unsigned char *buf;
	size_t cap;
};

struct spool_reader *spool_reader_new(struct spool *s)
{
	struct spool_reader *rd = calloc(1, sizeof(*rd));

	if (rd == NULL)
		return NULL;
	rd->spool = s;
	rd->fd = -1;
	return rd;
}

void spool_reader_free(struct spool_reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->fd >= 0)
		close(rd->fd);
	free(rd->buf);
	free(rd);
}

void spool_reader_seek(struct spool_reader *rd,
		       const struct spool_position *pos)
{
	rd->pos = *pos;
	rd->pos_valid = 1;
}

static int open_segment(struct spool_reader *rd, uint64_t segment)
{
	char path[PATH_MAX];

	if (rd->fd >= 0 && rd->segment == segment)
		return 0;
	if (rd->fd >= 0)
		close(rd->fd);
	rd->fd = -1;
	spool_segment_path(spool_dir(rd->spool), segment, path, sizeof(path));
	rd->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rd->fd < 0)
		return -1;
	rd->segment = segment;
	return 0;
}

/* Decodes the record at offset of the open segment into r. Returns its
 * size, 0 at the end of the file, SPOOL_READ_IO_ERROR when it could not be
 * read, SPOOL_READ_CORRUPT when the bytes are not a valid record. */
static ssize_t read_at(struct spool_reader *rd, off_t offset,
		       struct spool_record *r)
{
	size_t want = READ_CHUNK, need = 0;

	for (;;) {
		ssize_t got, n;

		if (want > rd->cap) {
			unsigned char *grown = realloc(rd->buf, want);

			if (grown == NULL)
				return SPOOL_READ_IO_ERROR;
			rd->buf = grown;
			rd->cap = want;
		}
		got = pread(rd->fd, rd->buf, want, offset);
		if (got < 0)
			return SPOOL_READ_IO_ERROR;
		if (got == 0)
			return 0;
		n = spool_record_decode(rd->buf, (size_t)got, r, &need);
		if (n > 0)
			return n;
		if (n < 0 || (size_t)got < want)
			return SPOOL_READ_CORRUPT; /* or ends inside a record */
		want = need;
	}
}

/* Positions the reader at the start of seq by scanning its segment.
 * Returns a spool_reader_read() result. */
static int find(struct spool_reader *rd, uint64_t seq)
{
	struct spool_record r;
	uint64_t segment;
	off_t off = 0;
	ssize_t n;

	if (spool_segment_of(rd->spool, seq, &segment) != 0)
		return SPOOL_READ_GONE;
	if (open_segment(rd, segment) != 0)
		return SPOOL_READ_IO_ERROR;
	while ((n = read_at(rd, off, &r)) > 0 && r.seq < seq)
		off += n;
	if (n < 0)
		return (int)n;
	if (n == 0 || r.seq != seq)
		return SPOOL_READ_CORRUPT; /* its segment lacks it */
	rd->pos = (struct spool_position){segment, off, seq};
	rd->pos_valid = 1;
	return 0;
}

int spool_reader_read(struct spool_reader *rd, uint64_t seq,
		      struct spool_record *r)
{
	ssize_t n = 0;
	int rc;

	if (seq > spool_committed(rd->spool))
		return SPOOL_READ_GONE;
	if (rd->pos_valid && rd->pos.next_seq == seq &&
	    open_segment(rd, rd->pos.segment) == 0)
		n = read_at(rd, rd->pos.offset, r);
	if (n <= 0 || r->seq != seq) {
		/* Not where expected (first read, or the record starts the
		 * next segment): look it up. */
		rc = find(rd, seq);
		if (rc != SPOOL_READ_OK)
			return rc;
		n = read_at(rd, rd->pos.offset, r);
		if (n < 0)
			return (int)n;
		if (n == 0 || r->seq != seq)
			return SPOOL_READ_CORRUPT;
	}
	rd->pos.offset += n;
	rd->pos.next_seq = seq + 1;
	return SPOOL_READ_OK;
}
