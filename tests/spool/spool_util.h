/* spool_util: what the spool tests share: a scratch directory per test
 * (removed by the teardown even when the test fails), records whose
 * contents follow from a number so they can be checked after reading them
 * back, and small file helpers. Failures fail the running cmocka test. */
#ifndef RTW_TEST_SPOOL_UTIL_H
#define RTW_TEST_SPOOL_UTIL_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spool.h"
#include "spool_reader.h"

#define TEST_PATH	 "/recall/events"
#define TEST_RECEIVED_MS INT64_C(1700000000000) /* Nov 2023: in the past */
#define CENTURY_MS	 (INT64_C(100) * 365 * 86400 * 1000)
#define BIG_SEGMENT	 (64u * 1024 * 1024)

/* The state of every spool test: <root>/spool is the spool directory. */
struct fixture {
	char root[PATH_MAX / 2]; /* short enough for any name under it */
	char dir[PATH_MAX];
	struct spool *s;
	struct spool_reader *rd;
};

int fixture_setup(void **state);
/* Closes fx->rd and fx->s if set, removes the scratch tree. */
int fixture_teardown(void **state);

/* Options on dir with a retention of a century: the records (received in
 * 2023) are never old enough to be removed. */
struct spool_options test_options(const char *dir, enum fsync_mode mode,
				  uint64_t segment_bytes);

/* What spool_open's scan callback saw. */
struct scan_log {
	uint64_t count, first, last;
	int out_of_order; /* a seq did not follow the previous one */
};
void scan_log_record(const struct spool_record *r, void *arg);

/* Opens the spool (log may be NULL), failing the test when it cannot. */
struct spool *open_ok(const struct spool_options *o, struct scan_log *log);
/* Opens fx->s and fx->rd on fx->dir. */
void fixture_open(struct fixture *fx, enum fsync_mode mode,
		  uint64_t segment_bytes, struct scan_log *log);
/* The same on another directory (a copy of the spool). */
void fixture_open_dir(struct fixture *fx, const char *dir, enum fsync_mode mode,
		      uint64_t segment_bytes, struct scan_log *log);
/* fixture_open with prewritten segments (o.prewrite): a spare writer
 * starts; the spare is not waited for (wait_spare). */
void fixture_open_prewriting(struct fixture *fx, enum fsync_mode mode,
			     uint64_t segment_bytes, struct scan_log *log);
void fixture_close(struct fixture *fx);

/* The body of record n: len bytes of a pattern that depends on n (NULs
 * included). malloc'd. */
char *pattern_body(uint64_t n, size_t len);

/* spool_append that reports the end position into *end (may be NULL). */
int append_raw(struct spool *s, struct spool_record *r,
	       struct spool_position *end);
/* Appends record n (pattern body of len bytes) expecting a failure;
 * fails the test if it is stored. Returns the errno. */
int append_fails(struct spool *s, uint64_t n, size_t len);
/* Appends record n (key "id:msg_<n>", received TEST_RECEIVED_MS + n) with
 * body; fails the test unless it is stored. Returns its seq. */
uint64_t append_record(struct spool *s, uint64_t n, const char *body,
		       size_t len, struct spool_position *end);
/* Appends record n (as append_record, pattern body of len bytes): 0 with
 * *seq, or -1 with errno when the spool refuses it. */
int try_append_pattern(struct spool *s, uint64_t n, size_t len,
		       uint64_t *seq);
/* append_record with pattern_body(n, len). */
uint64_t append_pattern(struct spool *s, uint64_t n, size_t len,
			struct spool_position *end);
/* Reads seq and checks it is record n with body. */
void expect_record(struct spool_reader *rd, uint64_t seq, uint64_t n,
		   const char *body, size_t len);
void expect_pattern(struct spool_reader *rd, uint64_t seq, uint64_t n,
		    size_t len);

/* A commit callback's result (spool_commit_fn commit_outcome_record). */
struct commit_outcome {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int done, ok;
};
#define COMMIT_OUTCOME_INIT                                                    \
	{PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0}
void commit_outcome_record(void *outcome, int ok);
/* Registers for seq's commit and waits for the callback; returns 1 when
 * the record is durable, 0 when it cannot be. */
int commit_outcome(struct spool *s, uint64_t seq);

/* Waits (bounded: 10 s) until the spare segment is ready; fails the test
 * if not. */
void wait_spare(struct spool *s);

/* Waits (bounded: 10 s) until seq is committed; fails the test if not. */
void wait_committed(struct spool *s, uint64_t seq);

/* The first seqs of the segment files in dir, sorted; returns how many. */
size_t list_segments(const char *dir, uint64_t *firsts, size_t max);
/* "<dir>/<first as 20 digits>.seg" into out (PATH_MAX). */
void segment_file(const char *dir, uint64_t first, char *out);
off_t file_size(const char *path);
/* Copies every .seg file of from into the (new) directory to. */
void copy_segments(const char *from, const char *to);
/* XORs the byte at offset of path with 0x01. */
void flip_byte(const char *path, off_t offset);
void remove_tree(const char *dir);

#endif
