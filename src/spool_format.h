/* spool_format.c: the on-disk record of the spool and how a segment file
 * is scanned.
 *
 * A segment is a file "<first seq, 20 digits>.seg" holding records back to
 * back. A record is a 12-byte frame followed by its payload:
 *
 *   u32 magic "RTW1"   u32 payload length   u32 CRC-32 of the payload
 *   payload: u64 seq  i64 received_ms  u16 path_len  u16 key_len
 *            u32 body_len  path  key  body
 *
 * All integers little-endian. A crash can leave a torn record at the end of
 * the last segment: the length or the CRC then disagrees, and recovery cuts
 * the file there. */
#ifndef RTW_SPOOL_FORMAT_H
#define RTW_SPOOL_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SPOOL_MAGIC 0x31575452u /* "RTW1" read as little-endian u32 */
#define SPOOL_FRAME_LEN 12
#define SPOOL_FIXED_LEN 24 /* payload before the variable parts */
#define SPOOL_MAX_PATH 1024
#define SPOOL_MAX_KEY 1024
#define SPOOL_MAX_BODY (64u * 1024 * 1024)

/* A record as written or read; the pointers borrow the caller's memory. */
struct spool_record {
	uint64_t seq;
	int64_t received_ms;
	const char *path; /* the endpoint path the event arrived on */
	size_t path_len;
	const char *key;  /* the dedup key */
	size_t key_len;
	const char *body;
	size_t body_len;
};

/* Fills frame (SPOOL_FRAME_LEN + SPOOL_FIXED_LEN bytes) and iov[0..3] so
 * that writev(iov, 4) writes the record. Returns the record's total size. */
size_t spool_record_encode(const struct spool_record *r, unsigned char *hdr,
			   struct iovec iov[4]);

/* Decodes the record at buf (len bytes available). Returns its total size,
 * 0 when buf holds only the beginning of a record (need more bytes:
 * *need is set), or -1 when the bytes are not a valid record. */
ssize_t spool_record_decode(const unsigned char *buf, size_t len,
			    struct spool_record *r, size_t *need);

/* "<dir>/<seq as 20 digits>.seg" into out. Returns 0 or -1. */
int spool_segment_path(const char *dir, uint64_t first_seq, char *out,
		       size_t outlen);
/* Parses a segment file name; returns 0 with *first_seq, or -1. */
int spool_segment_name_parse(const char *name, uint64_t *first_seq);

#endif
