/* spool_reader.c: reading committed records back by sequence number.
 * Each handler has its own reader; reading consecutive records costs one
 * pread each (the page cache usually still holds them). Not thread-safe:
 * one reader per thread. */
#ifndef RTW_SPOOL_READER_H
#define RTW_SPOOL_READER_H

#include "spool.h"

struct spool_reader;

/* What spool_reader_read() found. An I/O error may pass (the disk or the
 * directory back, descriptors freed): the caller should try again later.
 * The other failures are final. */
enum spool_read_result {
	SPOOL_READ_OK = 0,
	SPOOL_READ_GONE = 1, /* not (or no longer, or not yet) in the spool */
	SPOOL_READ_IO_ERROR = -1, /* could not read it now */
	SPOOL_READ_CORRUPT = -2, /* its bytes are not the record */
};

struct spool_reader *spool_reader_new(struct spool *s);
void spool_reader_free(struct spool_reader *rd);

/* Reads the committed record seq into *r (borrowing the reader's buffer
 * until the next call). Returns an enum spool_read_result; logs nothing
 * (the caller knows whether a failure is worth a warning). */
int spool_reader_read(struct spool_reader *rd, uint64_t seq,
		      struct spool_record *r);

/* Tells the reader where the record after a known one starts, so the next
 * read of pos->next_seq needs no search (e.g. after skipping records whose
 * contents were served from memory). */
void spool_reader_seek(struct spool_reader *rd,
		       const struct spool_position *pos);

#endif
