/* dedup.c: remembers which events were accepted recently, so that a
 * sender's retry of an accepted event is answered 200 without being stored
 * or delivered again. Keys are 128-bit XXH3 digests of (endpoint, id), the
 * id being the webhook-id / svix-id header or, for unsigned requests, a
 * digest of the body. Two generations of hash tables rotate every window,
 * so memory is bounded by what arrives in two windows (and by max_entries:
 * past it the oldest generation is dropped early, shortening the window
 * rather than growing without bound). A table that outgrows itself is
 * moved into one twice its size a few slots per operation, never in one
 * go under the lock. Thread-safe. */
#ifndef RTW_DEDUP_H
#define RTW_DEDUP_H

#include <stddef.h>
#include <stdint.h>

struct dedup;

struct dedup_key {
	uint64_t lo, hi;
};

/* The key for an event arriving on `path` with the given id (NULL when the
 * request is unsigned: then the body digest is used). `text` (at least
 * DEDUP_TEXT_LEN bytes) receives the printable id stored in the spool, from
 * which dedup_key_from_text rebuilds the key after a restart. */
#define DEDUP_TEXT_LEN 300
void dedup_key_make(const char *path, const char *id, const char *body,
		    size_t body_len, struct dedup_key *key, char *text);
void dedup_key_from_text(const char *path, size_t path_len, const char *text,
			 size_t text_len, struct dedup_key *key);

struct dedup *dedup_new(int64_t window_ms, size_t max_entries);
void dedup_free(struct dedup *d);

enum dedup_result {
	DEDUP_NEW,     /* not seen: now reserved, with seq 0 (pending) */
	DEDUP_SEEN,    /* accepted before: *seq is its sequence number */
	DEDUP_PENDING, /* being stored right now by another request */
};

/* Looks key up among events received within the window before now_ms;
 * reserves it when new. */
enum dedup_result dedup_reserve(struct dedup *d, const struct dedup_key *k,
				int64_t now_ms, uint64_t *seq);
/* dedup_reserve answered DEDUP_SEEN with *seq, but that copy turned out
 * unsure (spool_suspect): reserves k again, so the event is stored again
 * (DEDUP_NEW; dedup_confirm or dedup_cancel follows), unless another
 * request got there first: DEDUP_PENDING while it stores, DEDUP_SEEN with
 * its *seq once stored. */
enum dedup_result dedup_reserve_again(struct dedup *d,
				      const struct dedup_key *k, int64_t now_ms,
				      uint64_t *seq);
/* Records the seq of a reserved key once stored. */
void dedup_confirm(struct dedup *d, const struct dedup_key *k, uint64_t seq);
/* Forgets a reserved key whose event could not be stored. */
void dedup_cancel(struct dedup *d, const struct dedup_key *k);
/* Inserts a stored event found in the spool at startup. */
void dedup_restore(struct dedup *d, const struct dedup_key *k, uint64_t seq,
		   int64_t received_ms, int64_t now_ms);

size_t dedup_count(struct dedup *d);

#endif
