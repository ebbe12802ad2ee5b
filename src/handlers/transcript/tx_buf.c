/* tx_buf: a growing text buffer, and the two ways text enters an output
 * line: made safe for one line (.txt), and also escaped for WebVTT. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

static int buf_reserve(struct tx_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap = b->cap ? b->cap : 256;
	char *grown;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (grown == NULL)
		return -1;
	b->data = grown;
	b->cap = cap;
	return 0;
}

int tx_buf_add(struct tx_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return -1;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int tx_buf_printf(struct tx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* The length of a line break or control character starting at p (1 for
 * C0 and DEL, 2 for C1 such as NEL, 3 for U+2028 and U+2029), or 0.
 * jansson hands over valid UTF-8 only, so the lead bytes suffice. */
static size_t breaking_char_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

static const char *vtt_escape(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	default:
		return NULL;
	}
}

static int add_safe(struct tx_buf *b, const char *s, int for_vtt)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t brk = breaking_char_len(p);
		const char *esc = for_vtt ? vtt_escape(*p) : NULL;
		int rc;

		if (brk > 0)
			rc = tx_buf_add(b, " ", 1);
		else if (esc != NULL)
			rc = tx_buf_add(b, esc, strlen(esc));
		else
			rc = tx_buf_add(b, (const char *)p, 1);
		if (rc != 0)
			return -1;
		p += brk > 0 ? brk : 1;
	}
	return 0;
}

int tx_buf_add_line_safe(struct tx_buf *b, const char *s)
{
	return add_safe(b, s, 0);
}

int tx_buf_add_vtt_safe(struct tx_buf *b, const char *s)
{
	return add_safe(b, s, 1);
}

void tx_buf_reset(struct tx_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void tx_buf_free(struct tx_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
