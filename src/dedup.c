/* Dedup: two generations of open-addressing hash tables; the current one
 * grows incrementally. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup.h"

#define FIRST_SLOTS 1024
/* Slots of the outgrown table moved into its successor per operation. The
 * successor has twice the slots and is full again only after as many new
 * entries as the outgrown table held, by which time all of its slots (at
 * most twice its entries) have long been moved. */
#define MOVE_PER_OP 8

struct entry {
	struct dedup_key key;
	uint64_t seq;        /* 0 while pending */
	int64_t received_ms; /* 0: empty slot */
	int cancelled;
	int superseded; /* in the outgrown table: gen[0] has a newer one */
};

struct table {
	struct entry *slots;
	size_t nslots, used;
};

struct dedup {
	pthread_mutex_t lock;
	struct table gen[2]; /* gen[0] current, gen[1] previous */
	/* gen[0]'s outgrown table, moved into it MOVE_PER_OP slots at a time
	 * (a full rehash under the lock stalled every request: 9 ms at 65,536
	 * entries, 131 ms at a million). Its entries still count as gen[0]'s;
	 * used counts those not moved yet. Never emptied (a slot already moved
	 * keeps its copy, so probe chains stay intact), only marked
	 * superseded when gen[0] gets a newer entry for its key. */
	struct table moving;
	size_t moved; /* slots of moving already moved */
	/* Tables done with, freed by unlock() after the lock is released:
	 * returning tens of MB to the kernel takes milliseconds. */
	struct entry *garbage[2];
	int64_t window_ms, rotated_ms;
	size_t max_entries;
};

static void digest(const void *a, size_t alen, const void *b, size_t blen,
		   struct dedup_key *key)
{
	XXH3_state_t st;
	XXH128_hash_t h;

	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, a, alen);
	XXH3_128bits_update(&st, "\n", 1);
	XXH3_128bits_update(&st, b, blen);
	h = XXH3_128bits_digest(&st);
	key->lo = h.low64;
	key->hi = h.high64;
}

void dedup_key_make(const char *path, const char *id, const char *body,
		    size_t body_len, struct dedup_key *key, char *text)
{
	if (id != NULL && id[0] != '\0') {
		snprintf(text, DEDUP_TEXT_LEN, "id:%.280s", id);
	} else {
		XXH128_hash_t h = XXH3_128bits(body, body_len);

		snprintf(text, DEDUP_TEXT_LEN, "body:%016llx%016llx",
			 (unsigned long long)h.high64,
			 (unsigned long long)h.low64);
	}
	digest(path, strlen(path), text, strlen(text), key);
}

void dedup_key_from_text(const char *path, size_t path_len, const char *text,
			 size_t text_len, struct dedup_key *key)
{
	digest(path, path_len, text, text_len, key);
}

struct dedup *dedup_new(int64_t window_ms, size_t max_entries)
{
	struct dedup *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	d->window_ms = window_ms;
	d->max_entries = max_entries;
	return d;
}

void dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	free(d->gen[0].slots);
	free(d->gen[1].slots);
	free(d->moving.slots);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static struct entry *probe(const struct table *t, const struct dedup_key *k)
{
	size_t mask = t->nslots - 1;

	if (t->nslots == 0)
		return NULL;
	for (size_t i = k->lo & mask;; i = (i + 1) & mask) {
		struct entry *e = &t->slots[i];

		if (e->received_ms == 0 ||
		    (e->key.lo == k->lo && e->key.hi == k->hi))
			return e;
	}
}

/* Leaves slots for unlock() to free. Lock held. An operation discards at
 * most two tables (a finished move and, at a rotation, the retired
 * generation); a third would be freed here, under the lock. */
static void discard(struct dedup *d, struct entry *slots)
{
	if (slots == NULL)
		return;
	if (d->garbage[0] == NULL)
		d->garbage[0] = slots;
	else if (d->garbage[1] == NULL)
		d->garbage[1] = slots;
	else
		free(slots);
}

/* Releases the lock, then frees what the operation discarded. */
static void unlock(struct dedup *d)
{
	struct entry *garbage[2] = {d->garbage[0], d->garbage[1]};

	d->garbage[0] = d->garbage[1] = NULL;
	pthread_mutex_unlock(&d->lock);
	free(garbage[0]);
	free(garbage[1]);
}

/* Moves up to count slots of the outgrown table into gen[0]. An entry
 * replaced there meanwhile (a reservation after a cancel or past the
 * window) was marked superseded by insert and stays behind. Lock held. */
static void move_some(struct dedup *d, size_t count)
{
	struct table *from = &d->moving;

	for (; count > 0 && d->moved < from->nslots; count--) {
		const struct entry *e = &from->slots[d->moved++];

		if (e->received_ms == 0 || e->superseded)
			continue; /* a superseded one no longer counts */
		*probe(&d->gen[0], &e->key) = *e;
		d->gen[0].used++;
		from->used--;
	}
	if (from->slots != NULL && d->moved == from->nslots) {
		discard(d, from->slots);
		*from = (struct table){0};
		d->moved = 0;
	}
}

/* gen[0] is half full: a table twice its size takes its place, and its
 * entries follow a few at a time (move_some). Lock held. */
static int grow(struct dedup *d)
{
	struct table *t = &d->gen[0];
	size_t n = t->nslots ? t->nslots * 2 : FIRST_SLOTS;
	struct entry *slots;

	move_some(d, SIZE_MAX); /* not expected: see MOVE_PER_OP */
	slots = calloc(n, sizeof(struct entry));
	if (slots == NULL)
		return -1;
	if (t->used > 0)
		d->moving = *t;
	else
		free(t->slots);
	*t = (struct table){slots, n, 0};
	return 0;
}

/* Starts a new generation when the current one is a window old or full.
 * The new one starts at the size the last one reached: at a steady rate
 * it would grow back to it anyway, through every doubling, each a full
 * rehash under the lock that the request path waits for (tens of ms at a
 * million entries). Its pages are only touched as entries arrive. */
static void maybe_rotate(struct dedup *d, int64_t now_ms)
{
	size_t nslots = d->gen[0].nslots;

	if (d->rotated_ms == 0)
		d->rotated_ms = now_ms;
	if (now_ms - d->rotated_ms < d->window_ms &&
	    d->gen[0].used + d->moving.used < d->max_entries)
		return;
	/* The generation retires whole (rare: once a window). */
	move_some(d, SIZE_MAX);
	discard(d, d->gen[1].slots);
	d->gen[1] = d->gen[0];
	d->gen[0] = (struct table){0};
	if (nslots > FIRST_SLOTS) {
		d->gen[0].slots = calloc(nslots, sizeof(struct entry));
		d->gen[0].nslots = d->gen[0].slots != NULL ? nslots : 0;
	}
	d->rotated_ms = now_ms;
}

/* The newest entry for k: gen[0], the part of it not moved yet, gen[1]. */
static struct entry *find(struct dedup *d, const struct dedup_key *k)
{
	const struct table *order[] = {&d->gen[0], &d->moving, &d->gen[1]};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct entry *e = probe(order[i], k);

		if (e != NULL && e->received_ms != 0 && !e->superseded)
			return e;
	}
	return NULL;
}

/* An entry for k still waiting in the outgrown table is replaced by the
 * one going into gen[0]: marked so the move skips it, and no longer
 * counted (counted twice, it made the max_entries rotation come early).
 * Lock held. */
static void supersede_unmoved(struct dedup *d, const struct dedup_key *k)
{
	struct entry *e = probe(&d->moving, k);

	if (e == NULL || e->received_ms == 0 || e->superseded ||
	    (size_t)(e - d->moving.slots) < d->moved)
		return;
	e->superseded = 1;
	d->moving.used--;
}

static struct entry *insert(struct dedup *d, const struct dedup_key *k,
			    int64_t received_ms)
{
	struct table *t = &d->gen[0];
	struct entry *e;

	if ((t->used + 1) * 2 > t->nslots && grow(d) != 0)
		return NULL;
	supersede_unmoved(d, k);
	e = probe(t, k);
	if (e->received_ms == 0)
		t->used++;
	*e = (struct entry){.key = *k, .received_ms = received_ms};
	return e;
}

enum dedup_result dedup_reserve(struct dedup *d, const struct dedup_key *k,
				int64_t now_ms, uint64_t *seq)
{
	enum dedup_result r = DEDUP_NEW;
	struct entry *e;

	pthread_mutex_lock(&d->lock);
	move_some(d, MOVE_PER_OP);
	maybe_rotate(d, now_ms);
	e = find(d, k);
	if (e != NULL && !e->cancelled &&
	    now_ms - e->received_ms <= d->window_ms) {
		*seq = e->seq;
		r = e->seq == 0 ? DEDUP_PENDING : DEDUP_SEEN;
	} else {
		/* When the table cannot grow, the event is still accepted:
		 * losing dedup for it is better than refusing it. */
		insert(d, k, now_ms);
	}
	unlock(d);
	return r;
}

enum dedup_result dedup_reserve_again(struct dedup *d,
				      const struct dedup_key *k, int64_t now_ms,
				      uint64_t *seq)
{
	enum dedup_result r = DEDUP_NEW;
	struct entry *e;

	pthread_mutex_lock(&d->lock);
	e = find(d, k);
	if (e != NULL && !e->cancelled && e->seq != *seq) {
		r = e->seq == 0 ? DEDUP_PENDING : DEDUP_SEEN;
		*seq = e->seq;
	} else {
		/* into gen[0]: over the entry if it is there, else found
		 * before the older one. When the table cannot grow, nothing
		 * is reserved and the event is stored anyway (a duplicate
		 * rather than a refusal, as in dedup_reserve). */
		insert(d, k, now_ms);
	}
	unlock(d);
	return r;
}

void dedup_confirm(struct dedup *d, const struct dedup_key *k, uint64_t seq)
{
	struct entry *e;

	pthread_mutex_lock(&d->lock);
	e = find(d, k);
	if (e != NULL)
		e->seq = seq;
	unlock(d);
}

void dedup_cancel(struct dedup *d, const struct dedup_key *k)
{
	struct entry *e;

	pthread_mutex_lock(&d->lock);
	e = find(d, k);
	if (e != NULL)
		e->cancelled = 1;
	unlock(d);
}

void dedup_restore(struct dedup *d, const struct dedup_key *k, uint64_t seq,
		   int64_t received_ms, int64_t now_ms)
{
	struct entry *e;

	if (now_ms - received_ms > d->window_ms || received_ms <= 0)
		return;
	pthread_mutex_lock(&d->lock);
	move_some(d, MOVE_PER_OP);
	maybe_rotate(d, now_ms);
	e = insert(d, k, received_ms);
	if (e != NULL)
		e->seq = seq;
	unlock(d);
}

size_t dedup_count(struct dedup *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->gen[0].used + d->moving.used + d->gen[1].used;
	unlock(d);
	return n;
}
