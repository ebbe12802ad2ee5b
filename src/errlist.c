/* Collected configuration errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "errlist.h"

void errlist_add(struct errlist *list, const char *file, int line,
		 const char *fmt, ...)
{
	char msg[1024];
	char *entry = NULL;
	char **grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = asprintf(&entry, "%s:%d: %s", file ? file : "-", line, msg);
	else
		n = asprintf(&entry, "%s: %s", file ? file : "-", msg);
	if (n < 0)
		return; /* out of memory: the count still says it failed */
	grown = realloc(list->lines, (list->count + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(entry);
		return;
	}
	list->lines = grown;
	list->lines[list->count++] = entry;
}

void errlist_free(struct errlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->lines[i]);
	free(list->lines);
	list->lines = NULL;
	list->count = 0;
}
