/* Copying an event into a stream entry (see redis_xadd.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_key.h"
#include "redis_xadd.h"

/* Copies len bytes of s (plus a NUL) to *at and advances it. */
static char *put(char **at, const char *s, size_t len)
{
	char *p = *at;

	memcpy(p, s, len);
	p[len] = '\0';
	*at += len + 1;
	return p;
}

/* One allocation for the struct and every string it points to. */
static struct xadd *pack(const struct rtw_event *ev, const char *stream,
			 const char *guard, const char *key)
{
	const char *bot = ev->bot_id != NULL ? ev->bot_id : "";
	size_t stream_len = strlen(stream), key_len = strlen(key),
	       type_len = strlen(ev->type_name), bot_len = strlen(bot),
	       guard_len = guard != NULL ? strlen(guard) : 0;
	struct xadd *x = malloc(sizeof(*x) + stream_len + key_len + type_len +
				bot_len + guard_len + ev->body_len + 6);
	char *at;

	if (x == NULL)
		return NULL;
	at = (char *)(x + 1);
	x->stream = put(&at, stream, stream_len);
	x->guard = guard != NULL ? put(&at, guard, guard_len) : NULL;
	x->key = put(&at, key, key_len);
	x->type = put(&at, ev->type_name, type_len);
	x->bot_id = put(&at, bot, bot_len);
	x->seq = ev->seq;
	x->body_len = ev->body_len;
	x->body = put(&at, ev->body, ev->body_len);
	return x;
}

enum xadd_error xadd_new(const struct redis_config *c,
			 const struct rtw_event *ev, struct xadd **out,
			 char *why, size_t why_len)
{
	char fallback[EVENT_KEY_FALLBACK_LEN];
	const char *key = event_key(ev, fallback);
	char *stream, *guard = NULL;
	int oom;

	*out = NULL;
	stream = stream_name_expand(c->stream, ev, &oom, why, why_len);
	if (stream == NULL)
		return oom ? XADD_OOM : XADD_REFUSED;
	/* The guard shares the stream's hash slot: {<stream>}. */
	if (c->dedup_ttl_s > 0 &&
	    asprintf(&guard, "rtw:seen:{%s}:%s", stream, key) < 0)
		guard = NULL;
	else
		*out = pack(ev, stream, guard, key);
	free(guard);
	free(stream);
	if (*out == NULL) {
		snprintf(why, why_len, "out of memory");
		return XADD_OOM;
	}
	return XADD_OK;
}

void xadd_free(struct xadd *x)
{
	free(x);
}
