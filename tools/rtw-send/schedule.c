/* A binary heap over feed pointers; ties go to the lower feed index so
 * runs are reproducible. */
#include <stdlib.h>

#include "schedule.h"

int schedule_init(struct schedule *s, size_t nfeeds)
{
	s->cap = nfeeds > 0 ? nfeeds : 1;
	s->heap = calloc(s->cap, sizeof(*s->heap));
	s->ring = calloc(s->cap, sizeof(*s->ring));
	s->nheap = s->head = s->nready = 0;
	if (s->heap == NULL || s->ring == NULL) {
		schedule_free(s);
		return -1;
	}
	return 0;
}

void schedule_free(struct schedule *s)
{
	free(s->heap);
	free(s->ring);
	s->heap = s->ring = NULL;
	s->cap = 0;
}

static int before(const struct feed *a, const struct feed *b)
{
	return a->due_us < b->due_us ||
	       (a->due_us == b->due_us && a->index < b->index);
}

static void sift_up(struct schedule *s, size_t i)
{
	struct feed *f = s->heap[i];

	while (i > 0 && before(f, s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = f;
}

static void sift_down(struct schedule *s, size_t i)
{
	struct feed *f = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!before(s->heap[c], f))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	s->heap[i] = f;
}

static void ready_push(struct schedule *s, struct feed *f)
{
	s->ring[(s->head + s->nready) % s->cap] = f;
	s->nready++;
}

void schedule_add(struct schedule *s, struct feed *f, int64_t now_us)
{
	if (f->due_us <= now_us) {
		ready_push(s, f);
		return;
	}
	s->heap[s->nheap] = f;
	sift_up(s, s->nheap++);
}

void schedule_promote(struct schedule *s, int64_t now_us)
{
	while (s->nheap > 0 && s->heap[0]->due_us <= now_us) {
		ready_push(s, s->heap[0]);
		if (--s->nheap > 0) {
			s->heap[0] = s->heap[s->nheap];
			sift_down(s, 0);
		}
	}
}

struct feed *schedule_peek_ready(const struct schedule *s)
{
	return s->nready > 0 ? s->ring[s->head] : NULL;
}

void schedule_pop_ready(struct schedule *s)
{
	if (s->nready == 0)
		return;
	s->head = (s->head + 1) % s->cap;
	s->nready--;
}

int64_t schedule_next_due(const struct schedule *s)
{
	return s->nheap > 0 ? s->heap[0]->due_us : INT64_MAX;
}

int schedule_empty(const struct schedule *s)
{
	return s->nheap == 0 && s->nready == 0;
}
