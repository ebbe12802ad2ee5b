/* Reading a stream back in tests (see redis_stream.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_stream.h"

static char *field(const redisReply *fields, const char *name)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (strcmp(fields->element[i]->str, name) == 0)
			return strndup(fields->element[i + 1]->str,
				       fields->element[i + 1]->len);
	return NULL;
}

struct stream_entry *stream_read(const struct redis_server *s, int db,
				 const char *stream, size_t *n)
{
	redisContext *c = redis_server_client(s);
	redisReply *r = NULL;
	struct stream_entry *e = NULL;

	*n = 0;
	if (c == NULL)
		return NULL;
	if (db > 0)
		freeReplyObject(redisCommand(c, "SELECT %d", db));
	r = redisCommand(c, "XRANGE %s - +", stream);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		e = calloc(r->elements, sizeof(*e));
		for (size_t i = 0; e != NULL && i < r->elements; i++) {
			const redisReply *ent = r->element[i];
			const redisReply *f = ent->element[1];

			e[i].id = strdup(ent->element[0]->str);
			e[i].event = field(f, "event");
			e[i].bot_id = field(f, "bot_id");
			e[i].seq = field(f, "seq");
			e[i].key = field(f, "key");
			e[i].json = field(f, "json");
		}
		*n = e != NULL ? r->elements : 0;
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return e;
}

void stream_entries_free(struct stream_entry *e, size_t n)
{
	for (size_t i = 0; e != NULL && i < n; i++) {
		free(e[i].id);
		free(e[i].event);
		free(e[i].bot_id);
		free(e[i].seq);
		free(e[i].key);
		free(e[i].json);
	}
	free(e);
}

int stream_entry_idx(const struct stream_entry *e)
{
	const char *dash = e->key ? strrchr(e->key, '-') : NULL;

	return dash != NULL ? atoi(dash + 1) : -1;
}

int stream_check_range(const struct stream_entry *e, size_t n, const char *bot,
		       int first, int count)
{
	for (size_t i = 0; i < n && i < (size_t)count; i++) {
		if (e[i].bot_id == NULL || strcmp(e[i].bot_id, bot) != 0) {
			fprintf(stderr, "entry %zu is of bot %s, not %s\n", i,
				e[i].bot_id ? e[i].bot_id : "(none)", bot);
			return -1;
		}
		if (stream_entry_idx(&e[i]) != first + (int)i) {
			fprintf(stderr,
				"%s: entry %zu holds event %d, expected %d\n",
				bot, i, stream_entry_idx(&e[i]),
				first + (int)i);
			return -1;
		}
	}
	if (n != (size_t)count) {
		fprintf(stderr, "%s: %zu entries, expected %d\n", bot, n,
			count);
		return -1;
	}
	return 0;
}
