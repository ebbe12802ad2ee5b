/* The subject template: compiled into literal and placeholder parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subject.h"

enum part_kind { PART_LITERAL, PART_EVENT, PART_BOT_ID, PART_RECORDING_ID };

static const struct placeholder {
	const char *name;
	enum part_kind kind;
} placeholders[] = {
    {"event", PART_EVENT},
    {"bot_id", PART_BOT_ID},
    {"recording_id", PART_RECORDING_ID},
};

#define NPLACEHOLDERS (sizeof(placeholders) / sizeof(*placeholders))

struct part {
	enum part_kind kind;
	size_t start, len; /* a literal: its bytes in text */
};

struct subject_template {
	char *text;
	char *filter; /* see subject_stream_filter, or NULL */
	struct part *parts;
	size_t nparts;
};

/* Bytes that cannot appear inside a subject token (besides '.', which
 * separates tokens). */
static int forbidden_in_token(unsigned char c)
{
	return c == '*' || c == '>' || c <= ' ' || c == 0x7f;
}

static int lookup_placeholder(const char *name, size_t len,
			      enum part_kind *kind)
{
	for (size_t i = 0; i < NPLACEHOLDERS; i++)
		if (strlen(placeholders[i].name) == len &&
		    memcmp(placeholders[i].name, name, len) == 0) {
			*kind = placeholders[i].kind;
			return 0;
		}
	return -1;
}

static int add_part(struct subject_template *t, enum part_kind kind,
		    size_t start, size_t len)
{
	struct part *grown =
	    realloc(t->parts, (t->nparts + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	t->parts = grown;
	t->parts[t->nparts++] = (struct part){kind, start, len};
	return 0;
}

/* Checks the literal bytes and the token structure of the whole text. */
static int check_literals(const char *text, char *why, size_t whylen)
{
	size_t len = strlen(text);

	if (len == 0 || text[0] == '.' || text[len - 1] == '.' ||
	    strstr(text, "..") != NULL) {
		snprintf(why, whylen,
			 "'%s' has an empty token (subjects "
			 "are non-empty tokens separated by '.')",
			 text);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (forbidden_in_token((unsigned char)text[i])) {
			snprintf(why, whylen,
				 "'%s' holds a wildcard, space or "
				 "control byte at offset %zu",
				 text, i);
			return -1;
		}
	return 0;
}

static int parse_parts(struct subject_template *t, char *why, size_t whylen)
{
	const char *s = t->text;
	size_t i = 0, lit = 0;

	while (s[i] != '\0') {
		const char *close;
		enum part_kind kind;

		if (s[i] == '}') {
			snprintf(why, whylen, "'%s': '}' without '{'", s);
			return -1;
		}
		if (s[i] != '{') {
			i++;
			continue;
		}
		close = strchr(s + i, '}');
		if (close == NULL ||
		    lookup_placeholder(s + i + 1, (size_t)(close - s) - i - 1,
				       &kind) != 0) {
			snprintf(why, whylen,
				 "'%s': unknown placeholder at "
				 "offset %zu (known: {event}, "
				 "{bot_id}, {recording_id})",
				 s, i);
			return -1;
		}
		if ((i > lit && add_part(t, PART_LITERAL, lit, i - lit) != 0) ||
		    add_part(t, kind, 0, 0) != 0)
			goto oom;
		i = (size_t)(close - s) + 1;
		lit = i;
	}
	if (i > lit && add_part(t, PART_LITERAL, lit, i - lit) != 0)
		goto oom;
	return 0;
oom:
	snprintf(why, whylen, "out of memory");
	return -1;
}

/* The leading placeholder-free tokens + ".>", or the text itself when it
 * has no placeholder at all. */
static int make_filter(struct subject_template *t)
{
	const char *brace = strchr(t->text, '{');
	size_t keep;

	if (brace == NULL) {
		t->filter = strdup(t->text);
		return t->filter != NULL ? 0 : -1;
	}
	for (keep = (size_t)(brace - t->text); keep > 0; keep--)
		if (t->text[keep - 1] == '.')
			break;
	if (keep == 0)
		return 0; /* the first token is variable: no filter */
	t->filter = malloc(keep + 2);
	if (t->filter == NULL)
		return -1;
	memcpy(t->filter, t->text, keep);
	memcpy(t->filter + keep, ">", 2);
	return 0;
}

struct subject_template *subject_compile(const char *text, char *why,
					 size_t whylen)
{
	struct subject_template *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->text = strdup(text)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if (check_literals(text, why, whylen) != 0 ||
	    parse_parts(t, why, whylen) != 0)
		goto fail;
	if (make_filter(t) != 0) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	return t;
fail:
	subject_free(t);
	return NULL;
}

void subject_free(struct subject_template *t)
{
	if (t == NULL)
		return;
	free(t->parts);
	free(t->filter);
	free(t->text);
	free(t);
}

long subject_token(const char *value, char *out, size_t cap)
{
	size_t n = 0;

	if (value == NULL || value[0] == '\0')
		value = "_";
	for (; value[n] != '\0'; n++) {
		unsigned char c = (unsigned char)value[n];

		if (n + 1 >= cap)
			return -1;
		out[n] = c == '.' || forbidden_in_token(c) ? '_' : (char)c;
	}
	if (n >= cap)
		return -1;
	out[n] = '\0';
	return (long)n;
}

static const char *value_of(enum part_kind kind, const struct rtw_event *ev)
{
	switch (kind) {
	case PART_EVENT:
		return ev->type_name;
	case PART_BOT_ID:
		return ev->bot_id;
	case PART_RECORDING_ID:
		return ev->recording_id;
	case PART_LITERAL:
		break;
	}
	return NULL;
}

long subject_render(const struct subject_template *t,
		    const struct rtw_event *ev, char *out, size_t cap)
{
	size_t used = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < t->nparts; i++) {
		const struct part *p = &t->parts[i];
		long n;

		if (p->kind != PART_LITERAL) {
			n = subject_token(value_of(p->kind, ev), out + used,
					  cap - used);
			if (n < 0)
				return -1;
			used += (size_t)n;
			continue;
		}
		if (used + p->len >= cap)
			return -1;
		memcpy(out + used, t->text + p->start, p->len);
		used += p->len;
		out[used] = '\0';
	}
	return (long)used;
}

const char *subject_stream_filter(const struct subject_template *t)
{
	return t->filter;
}
