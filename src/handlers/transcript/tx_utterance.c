/* tx_utterance: one transcript event (one utterance of one speaker) as a
 * .txt line and a WebVTT cue. Recall sends no sentence field: the words'
 * texts are joined with spaces; times come from the word timestamps. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "transcript.h"

/* Times beyond this (over 11 years) are clamped: no overflow in printing. */
#define TX_MAX_SECONDS 359999999.0
/* A cue whose words end no later than it starts stays this long on screen
 * (WebVTT wants the end after the start). */
#define TX_MIN_CUE_MS 1000

static int word_time(const json_t *word, const char *which, double *out)
{
	const json_t *rel =
	    json_object_get(json_object_get(word, which), "relative");

	if (!json_is_number(rel))
		return 0;
	*out = json_number_value(rel);
	return 1;
}

/* Appends the word's text; 1 when it had some, 0 when not, -1 when out
 * of memory. */
static int add_word_text(struct tx_buf *text, const json_t *word)
{
	const char *s = json_string_value(json_object_get(word, "text"));

	if (s == NULL || s[0] == '\0')
		return 0;
	if ((text->len > 0 && tx_buf_add(text, " ", 1) != 0) ||
	    tx_buf_add(text, s, strlen(s)) != 0)
		return -1;
	return 1;
}

/* The cue's end: the last word's end; when it has none, the latest time
 * any word carries. tx_format_cue keeps it after the start. */
static double utterance_end(const json_t *words, double start)
{
	double end = start, t;
	size_t n = json_array_size(words);

	if (n > 0 &&
	    word_time(json_array_get(words, n - 1), "end_timestamp", &t))
		end = t;
	else
		for (size_t i = 0; i < n; i++) {
			const json_t *w = json_array_get(words, i);

			if (word_time(w, "end_timestamp", &t) && t > end)
				end = t;
			if (word_time(w, "start_timestamp", &t) && t > end)
				end = t;
		}
	return end;
}

int tx_utterance_read(const json_t *payload, struct tx_utterance *u,
		      struct rtw_error *err)
{
	const json_t *words = json_object_get(payload, "words");
	int has_start = 0;
	size_t i;
	json_t *w;

	tx_buf_reset(&u->text);
	if (!json_is_array(words)) {
		rtw_error_set(err, "transcript event without a words array");
		return -1;
	}
	/* The start: the first written word's that carries one. */
	json_array_foreach(words, i, w)
	{
		int added = add_word_text(&u->text, w);

		if (added < 0) {
			rtw_error_set(err, "out of memory");
			return -1;
		}
		if (added && !has_start)
			has_start = word_time(w, "start_timestamp", &u->start);
	}
	if (u->text.len == 0)
		return 0;
	if (!has_start) {
		rtw_error_set(err, "transcript words carry no start time");
		return -1;
	}
	u->end = utterance_end(words, u->start);
	return 1;
}

void tx_utterance_free(struct tx_utterance *u)
{
	tx_buf_free(&u->text);
}

static long long clamp_ms(double rel)
{
	if (!(rel > 0)) /* negative (before the recording started), or NaN */
		return 0;
	if (rel > TX_MAX_SECONDS)
		rel = TX_MAX_SECONDS;
	return llround(rel * 1000.0);
}

void tx_format_clock(double rel, char *out)
{
	long long s = clamp_ms(rel) / 1000; /* the second it falls in */

	snprintf(out, 32, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60,
		 s % 60);
}

static void format_vtt_ms(long long ms, char *out)
{
	snprintf(out, 32, "%02lld:%02lld:%02lld.%03lld", ms / 3600000,
		 ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

void tx_format_vtt_time(double rel, char *out)
{
	format_vtt_ms(clamp_ms(rel), out);
}

int tx_format_line(struct tx_buf *out, const struct tx_utterance *u,
		   const char *speaker)
{
	char clock[32];

	tx_format_clock(u->start, clock);
	if (tx_buf_printf(out, "[%s] ", clock) != 0 ||
	    tx_buf_add_line_safe(out, speaker) != 0 ||
	    tx_buf_add(out, ": ", 2) != 0 ||
	    tx_buf_add_line_safe(out, u->text.data) != 0)
		return -1;
	return tx_buf_add(out, "\n", 1);
}

int tx_format_cue(struct tx_buf *out, const struct tx_utterance *u,
		  const char *speaker)
{
	long long start_ms = clamp_ms(u->start), end_ms = clamp_ms(u->end);
	char from[32], to[32];

	if (end_ms <= start_ms)
		end_ms = start_ms + TX_MIN_CUE_MS;
	format_vtt_ms(start_ms, from);
	format_vtt_ms(end_ms, to);
	if (tx_buf_printf(out, "%s --> %s\n<v ", from, to) != 0 ||
	    tx_buf_add_vtt_safe(out, speaker) != 0 ||
	    tx_buf_add(out, ">", 1) != 0 ||
	    tx_buf_add_vtt_safe(out, u->text.data) != 0)
		return -1;
	return tx_buf_add(out, "\n\n", 2);
}
