/* The recent-events ring. */
#include <pthread.h>
#include <stdlib.h>

#include "recent.h"

struct slot {
	uint64_t seq;
	struct stored_event *se;
};

struct recent {
	pthread_mutex_t lock;
	struct slot slots[RECENT_CAPACITY];
};

struct recent *recent_new(void)
{
	struct recent *r = calloc(1, sizeof(*r));

	if (r != NULL)
		pthread_mutex_init(&r->lock, NULL);
	return r;
}

void recent_free(struct recent *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < RECENT_CAPACITY; i++)
		stored_event_unref(r->slots[i].se);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void recent_put(struct recent *r, uint64_t seq, struct stored_event *se)
{
	struct slot *slot = &r->slots[seq % RECENT_CAPACITY];
	struct stored_event *old;

	stored_event_ref(se);
	pthread_mutex_lock(&r->lock);
	old = slot->se;
	slot->seq = seq;
	slot->se = se;
	pthread_mutex_unlock(&r->lock);
	stored_event_unref(old);
}

struct stored_event *recent_get(struct recent *r, uint64_t seq)
{
	struct slot *slot = &r->slots[seq % RECENT_CAPACITY];
	struct stored_event *se = NULL;

	pthread_mutex_lock(&r->lock);
	if (slot->se != NULL && slot->seq == seq)
		se = stored_event_ref(slot->se);
	pthread_mutex_unlock(&r->lock);
	return se;
}
