/* sqlite_words: one utterance from a transcript event's words: the text
 * (words joined with single spaces) and its start and end times. */
#ifndef SQLITE_WORDS_H
#define SQLITE_WORDS_H

#include <stddef.h>

#include <jansson.h>

/* A growable text buffer, reused from event to event. */
struct text_buf {
	char *data;
	size_t len, cap;
};

struct utterance {
	const char *text; /* points into the text_buf; NUL-terminated */
	size_t len;
	int has_start, has_end;
	double start_s, end_s;
	const char *start_at, *end_at; /* borrowed from the event, or NULL */
};

/* Builds the utterance of payload (data.data of transcript.data) into u,
 * its text into buf. Words that are not objects or carry no string text
 * are skipped. Returns 1 when there is some text, 0 when there is none
 * (no words, or not an array), -1 when out of memory. */
int words_utterance(const json_t *payload, struct text_buf *buf,
		    struct utterance *u);
void text_buf_free(struct text_buf *buf);

#endif
