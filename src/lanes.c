/* Per-bot lanes: a hash map of FIFOs plus a ready list and a sleep list. */
#include <stdlib.h>
#include <string.h>

#include "lanes.h"

#define BUCKETS 1024

struct item {
	struct stored_event *se;
	struct item *next;
};

struct lane {
	char *bot;
	struct item *head, *tail;
	int busy, listed; /* listed: on the ready or the sleep list */
	int64_t wake_ms;
	long delay_ms;
	struct lane *hash_next, *list_next;
};

/* Empty lanes are kept for reuse (a busy bot empties and refills its lane
 * all the time) until there are this many, then swept. */
#define MAX_EMPTY_LANES 256

struct lanes {
	struct lane *buckets[BUCKETS];
	struct lane *ready_head, *ready_tail; /* FIFO: fairness among bots */
	struct lane *sleeping;
	struct item *spare;  /* freed items, reused without malloc */
	size_t events, empty;
};

static size_t bucket_of(const char *bot)
{
	size_t h = 5381;

	for (; *bot != '\0'; bot++)
		h = h * 33 + (unsigned char)*bot;
	return h % BUCKETS;
}

struct lanes *lanes_new(void)
{
	return calloc(1, sizeof(struct lanes));
}

static void lane_free(struct lane *l)
{
	while (l->head != NULL) {
		struct item *next = l->head->next;

		stored_event_unref(l->head->se);
		free(l->head);
		l->head = next;
	}
	free(l->bot);
	free(l);
}

void lanes_free(struct lanes *ls)
{
	if (ls == NULL)
		return;
	while (ls->spare != NULL) {
		struct item *next = ls->spare->next;

		free(ls->spare);
		ls->spare = next;
	}
	for (size_t i = 0; i < BUCKETS; i++)
		while (ls->buckets[i] != NULL) {
			struct lane *next = ls->buckets[i]->hash_next;

			lane_free(ls->buckets[i]);
			ls->buckets[i] = next;
		}
	free(ls);
}

static struct lane *lane_get(struct lanes *ls, const char *bot)
{
	size_t b = bucket_of(bot);
	struct lane *l;

	for (l = ls->buckets[b]; l != NULL; l = l->hash_next)
		if (strcmp(l->bot, bot) == 0) {
			if (l->head == NULL && !l->busy)
				ls->empty--;
			return l;
		}
	l = calloc(1, sizeof(*l));
	if (l == NULL || (l->bot = strdup(bot)) == NULL) {
		free(l);
		return NULL;
	}
	l->hash_next = ls->buckets[b];
	ls->buckets[b] = l;
	return l;
}

/* Frees every empty, idle lane. */
static void sweep_empty(struct lanes *ls)
{
	for (size_t b = 0; b < BUCKETS; b++) {
		struct lane **p = &ls->buckets[b];

		while (*p != NULL) {
			struct lane *l = *p;

			if (l->head == NULL && !l->busy && !l->listed) {
				*p = l->hash_next;
				lane_free(l);
			} else {
				p = &l->hash_next;
			}
		}
	}
	ls->empty = 0;
}

static struct item *item_new(struct lanes *ls)
{
	struct item *it = ls->spare;

	if (it == NULL)
		return malloc(sizeof(*it));
	ls->spare = it->next;
	return it;
}

static void item_free(struct lanes *ls, struct item *it)
{
	it->next = ls->spare;
	ls->spare = it;
}

static void make_ready(struct lanes *ls, struct lane *l)
{
	l->listed = 1;
	l->list_next = NULL;
	if (ls->ready_tail != NULL)
		ls->ready_tail->list_next = l;
	else
		ls->ready_head = l;
	ls->ready_tail = l;
}

int lanes_push(struct lanes *ls, struct stored_event *se)
{
	const char *bot = se->ev.view.bot_id ? se->ev.view.bot_id : "";
	struct item *it = item_new(ls);
	struct lane *l = it != NULL ? lane_get(ls, bot) : NULL;

	if (l == NULL) {
		if (it != NULL)
			item_free(ls, it);
		return -1;
	}
	it->se = se;
	it->next = NULL;
	if (l->tail != NULL)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
	ls->events++;
	if (!l->busy && !l->listed)
		make_ready(ls, l);
	return 0;
}

/* Moves lanes whose backoff has ended to the ready list. */
static void wake_sleepers(struct lanes *ls, int64_t now_ms, int64_t *wake_ms)
{
	struct lane **p = &ls->sleeping;

	*wake_ms = -1;
	while (*p != NULL) {
		struct lane *l = *p;

		if (l->wake_ms <= now_ms) {
			*p = l->list_next;
			make_ready(ls, l);
			continue;
		}
		if (*wake_ms < 0 || l->wake_ms < *wake_ms)
			*wake_ms = l->wake_ms;
		p = &l->list_next;
	}
}

struct lane *lanes_take(struct lanes *ls, int64_t now_ms, int64_t *wake_ms)
{
	struct lane *l;

	wake_sleepers(ls, now_ms, wake_ms);
	l = ls->ready_head;
	if (l == NULL)
		return NULL;
	ls->ready_head = l->list_next;
	if (ls->ready_head == NULL)
		ls->ready_tail = NULL;
	l->listed = 0;
	l->busy = 1;
	return l;
}

struct stored_event *lane_head(struct lane *l)
{
	return l->head->se;
}

struct stored_event *lanes_finish(struct lanes *ls, struct lane *l)
{
	struct item *it = l->head;
	struct stored_event *se = it->se;

	l->head = it->next;
	if (l->head == NULL)
		l->tail = NULL;
	item_free(ls, it);
	ls->events--;
	l->busy = 0;
	l->delay_ms = 0;
	if (l->head != NULL)
		make_ready(ls, l);
	else if (++ls->empty > MAX_EMPTY_LANES)
		sweep_empty(ls);
	return se;
}

void lanes_sleep(struct lanes *ls, struct lane *l, int64_t now_ms,
		 long delay_ms)
{
	l->busy = 0;
	l->wake_ms = now_ms + delay_ms;
	l->listed = 1;
	l->list_next = ls->sleeping;
	ls->sleeping = l;
}

long lanes_backoff(struct lanes *ls, struct lane *l, int64_t now_ms,
		   long first_ms, long max_ms)
{
	long delay = l->delay_ms > 0 ? l->delay_ms : first_ms;

	lanes_sleep(ls, l, now_ms, delay);
	l->delay_ms = delay * 2 > max_ms ? max_ms : delay * 2;
	return delay;
}

size_t lanes_events(const struct lanes *ls)
{
	return ls->events;
}
