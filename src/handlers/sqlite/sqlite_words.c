/* Transcript words -> one utterance. Recall sends no sentence field: one
 * event is one utterance by one speaker, and its text is words[].text
 * joined with spaces (RECALL_EVENTS.md, "Transcript events"). */
#include <stdlib.h>
#include <string.h>

#include "sqlite_words.h"

static int text_append(struct text_buf *buf, const char *s, size_t n)
{
	size_t need = buf->len + n + 2; /* a space and the NUL */

	if (need > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 256;
		char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(buf->data, cap);
		if (grown == NULL)
			return -1;
		buf->data = grown;
		buf->cap = cap;
	}
	if (buf->len > 0)
		buf->data[buf->len++] = ' ';
	memcpy(buf->data + buf->len, s, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
	return 0;
}

/* The relative and absolute parts of a {"relative":..,"absolute":..}. */
static int read_time(const json_t *ts, double *rel, const char **abs)
{
	const json_t *r = json_object_get(ts, "relative");
	const char *a = json_string_value(json_object_get(ts, "absolute"));

	if (a != NULL)
		*abs = a;
	if (!json_is_number(r))
		return 0;
	*rel = json_number_value(r);
	return 1;
}

/* The first word's start and the last word's end (its start when the end
 * is null: Recall may leave end_timestamp null). */
static void note_times(const json_t *word, int first, struct utterance *u)
{
	const json_t *start = json_object_get(word, "start_timestamp");
	const json_t *end = json_object_get(word, "end_timestamp");
	double s = 0, e = 0;
	const char *sa = NULL, *ea = NULL;
	int has_s = read_time(start, &s, &sa);
	int has_e = read_time(end, &e, &ea);

	if (first) {
		u->has_start = has_s;
		u->start_s = s;
		u->start_at = sa;
	}
	if (has_e || ea != NULL) {
		u->has_end = has_e;
		u->end_s = e;
		u->end_at = ea;
	} else {
		u->has_end = has_s;
		u->end_s = s;
		u->end_at = sa;
	}
}

int words_utterance(const json_t *payload, struct text_buf *buf,
		    struct utterance *u)
{
	const json_t *words = json_object_get(payload, "words");
	int first = 1;
	size_t i;
	json_t *word;

	memset(u, 0, sizeof(*u));
	buf->len = 0;
	json_array_foreach(words, i, word)
	{
		const json_t *text = json_object_get(word, "text");

		if (!json_is_string(text) || json_string_length(text) == 0)
			continue;
		if (text_append(buf, json_string_value(text),
				strlen(json_string_value(text))) != 0)
			return -1;
		note_times(word, first, u);
		first = 0;
	}
	if (buf->len == 0)
		return 0;
	u->text = buf->data;
	u->len = buf->len;
	return 1;
}

void text_buf_free(struct text_buf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
