/* The line a worker reads for one event: the received body with raw
 * newlines turned into spaces (in a JSON body they can only be
 * whitespace, so it stays valid JSON) and a first member carrying the
 * delivery metadata, as the jsonl handler writes it:
 *   {"_rtwebhookd":{"seq":42,"received_at_ms":1764174001480},"event":...}
 * The worker needs the seq to acknowledge the event and to recognise one
 * it is offered again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"

/* Makes room for need bytes. */
static int reserve(struct pipe_line *out, size_t need)
{
	char *grown;

	if (need <= out->cap)
		return 0;
	grown = realloc(out->buf, need);
	if (grown == NULL)
		return -1;
	out->buf = grown;
	out->cap = need;
	return 0;
}

/* The index just past the body's opening brace, and whether the object
 * is empty (then no comma may follow the metadata). */
static size_t after_brace(const struct rtw_event *ev, int *empty)
{
	size_t i = 0, j;

	while (i < ev->body_len && ev->body[i] != '{')
		i++; /* leading whitespace: the body is an object */
	i = i < ev->body_len ? i + 1 : ev->body_len;
	for (j = i; j < ev->body_len && strchr(" \t\r\n", ev->body[j]); j++)
		;
	*empty = j < ev->body_len && ev->body[j] == '}';
	return i;
}

int pipe_line_format(struct pipe_line *out, const struct rtw_event *ev)
{
	char meta[128];
	int empty, mlen;
	size_t from = after_brace(ev, &empty), o;

	mlen = snprintf(meta, sizeof(meta),
			"{\"_rtwebhookd\":{\"seq\":%" PRIu64
			",\"received_at_ms\":%" PRId64 "}%s",
			ev->seq, ev->received_at_ms, empty ? "" : ",");
	if (mlen < 0 || (size_t)mlen >= sizeof(meta) ||
	    reserve(out, (size_t)mlen + (ev->body_len - from) + 1) != 0)
		return -1;
	memcpy(out->buf, meta, (size_t)mlen);
	o = (size_t)mlen;
	for (size_t i = from; i < ev->body_len; i++)
		out->buf[o++] = ev->body[i] == '\n' || ev->body[i] == '\r'
				    ? ' '
				    : ev->body[i];
	out->buf[o++] = '\n';
	out->len = o;
	return 0;
}

void pipe_line_free(struct pipe_line *out)
{
	free(out->buf);
	out->buf = NULL;
	out->cap = out->len = 0;
}
