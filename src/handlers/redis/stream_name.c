/* The `stream` template: literal text and placeholders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_name.h"

#define MAX_PARTS 16
#define ABSENT	  "%none"

enum part_kind { PART_LITERAL, PART_BOT_ID, PART_RECORDING_ID, PART_EVENT };

struct part {
	enum part_kind kind;
	char *text; /* PART_LITERAL only */
};

struct stream_name {
	struct part parts[MAX_PARTS];
	size_t nparts;
	size_t literal_len; /* sum of the literal parts */
};

static const struct {
	const char *name;
	enum part_kind kind;
} placeholders[] = {
    {"{bot_id}", PART_BOT_ID},
    {"{recording_id}", PART_RECORDING_ID},
    {"{event}", PART_EVENT},
};

void stream_name_free(struct stream_name *sn)
{
	if (sn == NULL)
		return;
	for (size_t i = 0; i < sn->nparts; i++)
		free(sn->parts[i].text);
	free(sn);
}

int stream_name_is_fixed(const struct stream_name *sn)
{
	for (size_t i = 0; i < sn->nparts; i++)
		if (sn->parts[i].kind != PART_LITERAL)
			return 0;
	return 1;
}

/* The placeholder starting at p, or -1. */
static int placeholder_at(const char *p, size_t *len)
{
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(*placeholders);
	     i++) {
		size_t n = strlen(placeholders[i].name);

		if (strncmp(p, placeholders[i].name, n) == 0) {
			*len = n;
			return (int)i;
		}
	}
	return -1;
}

static int add_part(struct stream_name *sn, enum part_kind kind,
		    const char *text, size_t len)
{
	struct part *pt = &sn->parts[sn->nparts];

	pt->kind = kind;
	if (kind == PART_LITERAL) {
		pt->text = strndup(text != NULL ? text : "", len);
		if (pt->text == NULL)
			return -1;
		sn->literal_len += len;
	}
	sn->nparts++;
	return 0;
}

/* Checks the literal bytes: printable ASCII other than space and braces
 * (a brace here would be a typo'd placeholder or a cluster hash tag). */
static const char *bad_literal(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == '{' || p[i] == '}')
			return p + i;
	return NULL;
}

static int compile_into(struct stream_name *sn, const char *t, char *why,
			size_t why_len)
{
	const char *p = t;

	while (*p != '\0') {
		size_t lit = strcspn(p, "{}"), plen;
		const char *bad = bad_literal(p, lit);
		int ph;

		if (bad != NULL) {
			snprintf(why, why_len,
				 "stream: \"%s\" holds a space, control or "
				 "non-ASCII byte at offset %zu",
				 t, (size_t)(bad - t));
			return -1;
		}
		if (sn->nparts + 2 > MAX_PARTS) {
			snprintf(why, why_len,
				 "stream: \"%s\" has too many parts", t);
			return -1;
		}
		if (lit > 0 && add_part(sn, PART_LITERAL, p, lit) != 0)
			goto oom;
		p += lit;
		if (*p == '\0')
			break;
		ph = placeholder_at(p, &plen);
		if (ph < 0) {
			snprintf(why, why_len,
				 "stream: \"%s\": unknown placeholder or stray "
				 "brace at offset %zu (placeholders: {bot_id}, "
				 "{recording_id}, {event})",
				 t, (size_t)(p - t));
			return -1;
		}
		if (add_part(sn, placeholders[ph].kind, NULL, 0) != 0)
			goto oom;
		p += plen;
	}
	return 0;
oom:
	snprintf(why, why_len, "out of memory");
	return -1;
}

struct stream_name *stream_name_compile(const char *template, char *why,
					size_t why_len)
{
	struct stream_name *sn;

	if (template[0] == '\0') {
		snprintf(why, why_len, "stream: must not be empty");
		return NULL;
	}
	sn = calloc(1, sizeof(*sn));
	if (sn == NULL) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	if (compile_into(sn, template, why, why_len) != 0) {
		stream_name_free(sn);
		return NULL;
	}
	return sn;
}

static int kept_as_is(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

long stream_name_encode(const char *value, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (kept_as_is(*p)) {
			if (o + 1 >= len)
				return -1;
			out[o++] = (char)*p;
			continue;
		}
		if (o + 3 >= len)
			return -1;
		out[o++] = '%';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 15];
	}
	if (o >= len)
		return -1;
	out[o] = '\0';
	return (long)o;
}

static const char *value_of(enum part_kind kind, const struct rtw_event *ev)
{
	switch (kind) {
	case PART_BOT_ID:
		return ev->bot_id;
	case PART_RECORDING_ID:
		return ev->recording_id;
	case PART_EVENT:
		return ev->type_name;
	case PART_LITERAL:
		break;
	}
	return NULL;
}

static const char *kind_name(enum part_kind kind)
{
	return kind == PART_BOT_ID	   ? "bot id"
	       : kind == PART_RECORDING_ID ? "recording id"
					   : "event type";
}

char *stream_name_expand(const struct stream_name *sn,
			 const struct rtw_event *ev, int *oom, char *why,
			 size_t why_len)
{
	size_t cap = sn->literal_len + sn->nparts * (STREAM_VALUE_MAX + 1) + 1;
	char *out = malloc(cap);
	size_t o = 0;

	*oom = out == NULL;
	if (out == NULL) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sn->nparts; i++) {
		const struct part *pt = &sn->parts[i];
		const char *value = value_of(pt->kind, ev);
		long n;

		if (pt->kind == PART_LITERAL) {
			n = (long)strlen(pt->text);
			memcpy(out + o, pt->text, (size_t)n);
		} else if (value == NULL) {
			n = (long)strlen(ABSENT);
			memcpy(out + o, ABSENT, (size_t)n);
		} else {
			n = stream_name_encode(value, out + o,
					       STREAM_VALUE_MAX + 1);
			if (n < 0) {
				snprintf(why, why_len,
					 "the %s is too long for a stream name "
					 "(over %d bytes once encoded)",
					 kind_name(pt->kind), STREAM_VALUE_MAX);
				free(out);
				return NULL;
			}
		}
		o += (size_t)n;
	}
	out[o] = '\0';
	return out;
}
