/* Child output turned into text that is safe in a log line and in a
 * dead-letter reason (which the host stores as a JSON string: jansson
 * refuses invalid UTF-8, so a raw byte there would lose the reason). */
#include <stdio.h>
#include <string.h>

#include "proc.h"

/* The length of the valid UTF-8 character at s[0..len), or 0 when s does
 * not start with one (RFC 3629: no overlongs, surrogates or values past
 * U+10FFFF, as jansson checks). Control characters count as invalid. */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (len < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* Cleans as much of src as fits; *used says how many bytes of src. */
static size_t clean_some(char *dst, size_t dstlen, const char *src, size_t len,
			 size_t *used)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;

	while (i < len) {
		size_t n = utf8_char_len(s + i, len - i);

		if (n == 0) {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, dstlen - o, "\\x%02x", s[i]);
			o += 4;
			i++;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	if (dstlen > 0)
		dst[o] = '\0';
	*used = i;
	return o;
}

size_t proc_text_clean(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t used;

	return dstlen > 0 ? clean_some(dst, dstlen, src, len, &used) : 0;
}

/* Appends piece to dst (length *o of dstlen) when it fits whole. */
static int append(char *dst, size_t dstlen, size_t *o, const char *piece)
{
	size_t n = strlen(piece);

	if (*o + n >= dstlen)
		return -1;
	memcpy(dst + *o, piece, n + 1);
	*o += n;
	return 0;
}

size_t proc_text_head(char *dst, size_t dstlen, const char *text, size_t len,
		      int max_lines)
{
	static const char more[] = "...";
	const char *p = text, *end = text + len;
	size_t o = 0, room;
	int lines = 0;

	if (dstlen < sizeof(more) + 1) {
		if (dstlen > 0)
			dst[0] = '\0';
		return 0;
	}
	dst[0] = '\0';
	room = dstlen - (sizeof(more) - 1); /* "..." always fits after */
	while (p < end && lines < max_lines) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p), used;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0) {
			if (lines > 0 && append(dst, room, &o, " | ") != 0)
				break;
			o += clean_some(dst + o, room - o, p, n, &used);
			lines++;
			if (used < n) {
				p += used; /* cut inside this line */
				break;
			}
		}
		p = nl ? nl + 1 : end;
	}
	while (p < end && (*p == '\n' || *p == '\r'))
		p++;
	if (p < end)
		append(dst, dstlen, &o, more);
	return o;
}
