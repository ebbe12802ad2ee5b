/* A scanner just strong enough to find where each top-level member of a
 * valid JSON object begins and ends: strings (with escapes) and nesting
 * are all it has to understand, since the parser vetted the rest. */
#include <string.h>

#include "jsonraw.h"

static size_t skip_space(const char *t, size_t i, size_t len)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' ||
			   t[i] == '\r'))
		i++;
	return i;
}

/* i is at an opening quote; returns the index after the closing one. */
static size_t skip_string(const char *t, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return len;
}

/* i is at the start of a value; returns the index just after it. */
static size_t skip_value(const char *t, size_t i, size_t len)
{
	int depth = 0;

	if (i < len && t[i] == '"')
		return skip_string(t, i, len);
	if (i < len && t[i] != '{' && t[i] != '[') {
		while (i < len && strchr(",}] \t\r\n", t[i]) == NULL)
			i++;
		return i;
	}
	for (; i < len; i++) {
		if (t[i] == '"')
			i = skip_string(t, i, len) - 1;
		else if (t[i] == '{' || t[i] == '[')
			depth++;
		else if ((t[i] == '}' || t[i] == ']') && --depth == 0)
			return i + 1;
	}
	return len;
}

static void cut(char *text, size_t *len, size_t from, size_t to)
{
	memmove(text + from, text + to, *len - to);
	*len -= to - from;
	text[*len] = '\0';
}

int jsonraw_remove_member(char *text, size_t *len, const char *key)
{
	size_t klen = strlen(key), i = skip_space(text, 0, *len);
	size_t prev_end = 0; /* just after the previous member's value */

	if (i >= *len || text[i] != '{')
		return 0;
	for (i = skip_space(text, i + 1, *len); i < *len && text[i] == '"';) {
		size_t start = i, end = skip_string(text, i, *len);
		int match = end - start == klen + 2 &&
			    memcmp(text + start + 1, key, klen) == 0;

		i = skip_space(text, end, *len) + 1; /* past the colon */
		end = skip_value(text, skip_space(text, i, *len), *len);
		i = skip_space(text, end, *len);
		if (match && i < *len && text[i] == ',') {
			/* Take the comma and the space before the next key. */
			cut(text, len, start, skip_space(text, i + 1, *len));
			return 1;
		}
		if (match) {
			/* The last member: take the comma before it. */
			cut(text, len, prev_end != 0 ? prev_end : start, end);
			return 1;
		}
		prev_end = end;
		if (i >= *len || text[i] != ',')
			return 0;
		i = skip_space(text, i + 1, *len);
	}
	return 0;
}
