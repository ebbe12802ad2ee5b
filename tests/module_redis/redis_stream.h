/* redis_stream: reading a stream back in tests. */
#ifndef RTW_TEST_REDIS_STREAM_H
#define RTW_TEST_REDIS_STREAM_H

#include <stddef.h>

#include "redis_server.h"

/* One stream entry's fields (NULL when absent), strings owned. */
struct stream_entry {
	char *id, *event, *bot_id, *seq, *key, *json;
};

/* XRANGE stream - + on database db; *n entries (0 and NULL when the
 * stream does not exist). Free with stream_entries_free. */
struct stream_entry *stream_read(const struct redis_server *s, int db,
				 const char *stream, size_t *n);
void stream_entries_free(struct stream_entry *e, size_t n);

/* The event index in an entry's key "id:<bot>-<idx>", or -1. */
int stream_entry_idx(const struct stream_entry *e);

/* 0 when the entries are exactly the indices first..first+count-1 of bot,
 * in order, each once; else -1 with the first difference on stderr. */
int stream_check_range(const struct stream_entry *e, size_t n, const char *bot,
		       int first, int count);

#endif
