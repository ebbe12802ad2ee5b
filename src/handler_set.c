/* The handlers of one configuration. */
#include <stdlib.h>
#include <string.h>

#include "handler_set.h"

struct handler_set *handler_set_new(size_t n)
{
	struct handler_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->n = n;
	s->cap = n ? n : 1;
	s->handlers = calloc(s->cap, sizeof(*s->handlers));
	s->dispatchers = calloc(s->cap, sizeof(*s->dispatchers));
	if (s->handlers == NULL || s->dispatchers == NULL) {
		handler_set_free(s);
		return NULL;
	}
	return s;
}

void handler_set_free(struct handler_set *s)
{
	if (s == NULL)
		return;
	free(s->handlers);
	free(s->dispatchers);
	free(s);
}

int handler_set_find(const struct handler_set *s, const struct handler *h)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->handlers[i] == h)
			return (int)i;
	return -1;
}

int handler_set_find_name(const struct handler_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->handlers[i]->conf->name, name) == 0)
			return (int)i;
	return -1;
}

int handler_set_reserve(struct handler_set *s, size_t extra)
{
	size_t cap = s->n + extra;
	struct handler **hs;
	struct dispatcher **ds;

	if (cap <= s->cap)
		return 0;
	hs = realloc(s->handlers, cap * sizeof(*hs));
	if (hs == NULL)
		return -1;
	s->handlers = hs;
	ds = realloc(s->dispatchers, cap * sizeof(*ds));
	if (ds == NULL)
		return -1;
	s->dispatchers = ds;
	s->cap = cap;
	return 0;
}

int handler_set_append(struct handler_set *s, struct handler *h,
		       struct dispatcher *d)
{
	if (handler_set_reserve(s, 1) != 0)
		return -1;
	s->handlers[s->n] = h;
	s->dispatchers[s->n++] = d;
	return 0;
}

void handler_set_remove(struct handler_set *s, size_t i)
{
	size_t rest = s->n - i - 1;

	memmove(&s->handlers[i], &s->handlers[i + 1],
		rest * sizeof(*s->handlers));
	memmove(&s->dispatchers[i], &s->dispatchers[i + 1],
		rest * sizeof(*s->dispatchers));
	s->n--;
}
