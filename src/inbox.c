/* A bounded FIFO of (seq, event) offers. */
#include <pthread.h>
#include <stdlib.h>

#include "inbox.h"

/* An offer of an unwanted event: distinct from "no slot". */
#define UNWANTED ((struct stored_event *)&unwanted_marker)
static const int unwanted_marker;

struct slot {
	uint64_t seq;
	struct stored_event *se;
};

struct inbox {
	pthread_mutex_t lock;
	struct slot slots[INBOX_CAPACITY];
	size_t head, count;
};

struct inbox *inbox_new(void)
{
	struct inbox *in = calloc(1, sizeof(*in));

	if (in != NULL)
		pthread_mutex_init(&in->lock, NULL);
	return in;
}

static void drop(struct stored_event *se)
{
	if (se != UNWANTED)
		stored_event_unref(se);
}

void inbox_free(struct inbox *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->count; i++)
		drop(in->slots[(in->head + i) % INBOX_CAPACITY].se);
	pthread_mutex_destroy(&in->lock);
	free(in);
}

void inbox_offer(struct inbox *in, uint64_t seq, struct stored_event *se)
{
	int full;

	pthread_mutex_lock(&in->lock);
	full = in->count == INBOX_CAPACITY;
	if (!full) {
		in->slots[(in->head + in->count) % INBOX_CAPACITY] =
			(struct slot){seq, se != NULL ? se : UNWANTED};
		in->count++;
	}
	pthread_mutex_unlock(&in->lock);
	if (full)
		stored_event_unref(se);
}

enum inbox_take inbox_take(struct inbox *in, uint64_t seq,
			   struct stored_event **se)
{
	enum inbox_take r = INBOX_MISSING;
	struct stored_event *stale[16];
	size_t nstale = 0;

	*se = NULL;
	for (;;) {
		int more = 0;

		pthread_mutex_lock(&in->lock);
		while (in->count > 0) {
			struct slot *s = &in->slots[in->head];

			if (s->seq > seq)
				break;
			if (s->seq < seq && nstale == 16) {
				more = 1; /* free these first, then go on */
				break;
			}
			in->head = (in->head + 1) % INBOX_CAPACITY;
			in->count--;
			if (s->seq == seq) {
				r = s->se == UNWANTED ? INBOX_UNWANTED
						      : INBOX_EVENT;
				*se = r == INBOX_EVENT ? s->se : NULL;
				break;
			}
			/* Older than asked (handled from the spool): free
			 * it outside the lock. */
			stale[nstale++] = s->se;
		}
		pthread_mutex_unlock(&in->lock);
		for (size_t i = 0; i < nstale; i++)
			drop(stale[i]);
		nstale = 0;
		if (!more)
			return r;
	}
}
