/* handler_set.c: the handlers one configuration runs, in its order, with
 * their dispatchers. The request path and the scrapes walk the current
 * set; a reload builds a new one, reusing the handlers it does not change,
 * and the runtime swaps it in whole (runtime.h). A set only refers to its
 * handlers and dispatchers: the runtime opens and frees those, so one
 * handler can belong to a set and to the set that replaces it. */
#ifndef RTW_HANDLER_SET_H
#define RTW_HANDLER_SET_H

#include <stddef.h>

#include "handler.h"

struct dispatcher;

struct handler_set {
	size_t n, cap;
	struct handler **handlers;       /* the configuration's order */
	/* NULL until started; the set the request path sees (after
	 * runtime_start, or made current by a reload) has every one. */
	struct dispatcher **dispatchers;
};

/* A set of n empty slots, or NULL when out of memory. */
struct handler_set *handler_set_new(size_t n);
/* Frees the set, not its handlers or dispatchers. */
void handler_set_free(struct handler_set *s);

/* The slot of h in s, or -1 when s does not run it. */
int handler_set_find(const struct handler_set *s, const struct handler *h);
/* The slot of the handler named name, or -1. */
int handler_set_find_name(const struct handler_set *s, const char *name);
/* Makes room for extra more slots, so that as many appends cannot fail.
 * 0, or -1 when out of memory. */
int handler_set_reserve(struct handler_set *s, size_t extra);
/* Adds a slot at the end; 0, or -1 when out of memory. */
int handler_set_append(struct handler_set *s, struct handler *h,
		       struct dispatcher *d);
/* Drops slot i, keeping the others' order. */
void handler_set_remove(struct handler_set *s, size_t i);

#endif
