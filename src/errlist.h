/* errlist.c: a list of "file:line: message" errors, so that a config check
 * reports every problem at once instead of the first one. */
#ifndef RTW_ERRLIST_H
#define RTW_ERRLIST_H

#include <stddef.h>

struct errlist {
	char **lines;
	size_t count;
};

/* Appends "file:line: message" (or "file: message" when line <= 0). */
void errlist_add(struct errlist *list, const char *file, int line,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void errlist_free(struct errlist *list);

#endif
