/* Failed-authentication windows per client address. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "authlimit.h"

#define SLOTS 4096 /* clients tracked at once */
#define WINDOW_MS 60000

struct slot {
	struct netaddr addr;
	int64_t window_start; /* 0: free */
	unsigned failures;
};

struct authlimit {
	pthread_mutex_t lock;
	unsigned limit;
	struct slot slots[SLOTS];
};

struct authlimit *authlimit_new(unsigned limit)
{
	struct authlimit *al = calloc(1, sizeof(*al));

	if (al != NULL) {
		pthread_mutex_init(&al->lock, NULL);
		al->limit = limit;
	}
	return al;
}

void authlimit_free(struct authlimit *al)
{
	if (al == NULL)
		return;
	pthread_mutex_destroy(&al->lock);
	free(al);
}

static size_t hash(const struct netaddr *a)
{
	size_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return h;
}

static int live(const struct slot *s, int64_t now_ms)
{
	return s->window_start != 0 && now_ms - s->window_start < WINDOW_MS;
}

/* The slot of client, or NULL. With create, claims one among a few
 * probes: a free or expired slot, else the one with the oldest window. */
static struct slot *find(struct authlimit *al, const struct netaddr *client,
			 int64_t now_ms, int create)
{
	size_t h = hash(client);
	struct slot *victim = NULL;

	for (size_t i = 0; i < 8; i++) {
		struct slot *s = &al->slots[(h + i) % SLOTS];

		if (live(s, now_ms) &&
		    memcmp(&s->addr, client, sizeof(*client)) == 0)
			return s;
		if (victim == NULL ||
		    (live(victim, now_ms) &&
		     (!live(s, now_ms) ||
		      s->window_start < victim->window_start)))
			victim = s;
	}
	if (!create)
		return NULL;
	*victim = (struct slot){.addr = *client, .window_start = now_ms};
	return victim;
}

int authlimit_blocked(struct authlimit *al, const struct netaddr *client,
		      int64_t now_ms)
{
	struct slot *s;
	int blocked;

	if (al == NULL || al->limit == 0)
		return 0;
	pthread_mutex_lock(&al->lock);
	s = find(al, client, now_ms, 0);
	blocked = s != NULL && s->failures >= al->limit;
	pthread_mutex_unlock(&al->lock);
	return blocked;
}

int authlimit_fail(struct authlimit *al, const struct netaddr *client,
		   int64_t now_ms)
{
	struct slot *s;
	int crossed;

	if (al == NULL || al->limit == 0)
		return 0;
	pthread_mutex_lock(&al->lock);
	s = find(al, client, now_ms, 1);
	crossed = ++s->failures == al->limit;
	pthread_mutex_unlock(&al->lock);
	return crossed;
}
