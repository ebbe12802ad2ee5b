/* Recently active bots (see active_bots.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "active_bots.h"

struct slot {
	uint64_t key;	 /* digest of the bot id; 0: empty */
	int64_t seen_ms; /* its latest event */
};

struct active_bots {
	pthread_mutex_t lock;
	struct slot *slots;
	size_t cap; /* a power of two */
	size_t used;
};

#define INITIAL_SLOTS 1024

struct active_bots *active_bots_new(void)
{
	struct active_bots *ab = calloc(1, sizeof(*ab));

	if (ab == NULL)
		return NULL;
	ab->slots = calloc(INITIAL_SLOTS, sizeof(*ab->slots));
	if (ab->slots == NULL) {
		free(ab);
		return NULL;
	}
	ab->cap = INITIAL_SLOTS;
	pthread_mutex_init(&ab->lock, NULL);
	return ab;
}

void active_bots_free(struct active_bots *ab)
{
	if (ab == NULL)
		return;
	pthread_mutex_destroy(&ab->lock);
	free(ab->slots);
	free(ab);
}

static int is_stale(const struct slot *s, int64_t now_ms)
{
	return now_ms - s->seen_ms >= ACTIVE_BOTS_WINDOW_MS;
}

/* Puts key into slots (cap a power of two, key not there, room left). */
static void place(struct slot *slots, size_t cap, struct slot s)
{
	size_t i = (size_t)s.key & (cap - 1);

	while (slots[i].key != 0)
		i = (i + 1) & (cap - 1);
	slots[i] = s;
}

/* Rebuilds the table at cap slots without the stale entries. Under the
 * lock. 0, or -1 when out of memory (the table is unchanged). */
static int rebuild(struct active_bots *ab, size_t cap, int64_t now_ms)
{
	struct slot *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	ab->used = 0;
	for (size_t i = 0; i < ab->cap; i++)
		if (ab->slots[i].key != 0 && !is_stale(&ab->slots[i], now_ms)) {
			place(slots, cap, ab->slots[i]);
			ab->used++;
		}
	free(ab->slots);
	ab->slots = slots;
	ab->cap = cap;
	return 0;
}

/* Keeps the table at most half full: first by forgetting stale bots,
 * then by growing up to twice ACTIVE_BOTS_MAX slots. 0, or -1 when there
 * is no room for one more. */
static int make_room(struct active_bots *ab, int64_t now_ms)
{
	size_t cap = ab->cap;

	if ((ab->used + 1) * 2 <= ab->cap)
		return 0;
	if (rebuild(ab, cap, now_ms) == 0 && (ab->used + 1) * 2 <= cap)
		return 0;
	if (cap * 2 > 2 * (size_t)ACTIVE_BOTS_MAX ||
	    rebuild(ab, cap * 2, now_ms) != 0)
		return -1;
	return 0;
}

void active_bots_seen(struct active_bots *ab, const char *bot_id,
		      int64_t now_ms)
{
	uint64_t key;
	size_t i;

	if (bot_id == NULL)
		return;
	key = XXH3_64bits(bot_id, strlen(bot_id));
	key += key == 0; /* 0 marks an empty slot */
	pthread_mutex_lock(&ab->lock);
	for (i = (size_t)key & (ab->cap - 1); ab->slots[i].key != 0;
	     i = (i + 1) & (ab->cap - 1))
		if (ab->slots[i].key == key) {
			ab->slots[i].seen_ms = now_ms;
			pthread_mutex_unlock(&ab->lock);
			return;
		}
	if (make_room(ab, now_ms) == 0) {
		place(ab->slots, ab->cap, (struct slot){key, now_ms});
		ab->used++;
	}
	pthread_mutex_unlock(&ab->lock);
}

size_t active_bots_count(struct active_bots *ab, int64_t now_ms)
{
	size_t n = 0;

	pthread_mutex_lock(&ab->lock);
	for (size_t i = 0; i < ab->cap; i++)
		n += ab->slots[i].key != 0 && !is_stale(&ab->slots[i], now_ms);
	pthread_mutex_unlock(&ab->lock);
	return n;
}
