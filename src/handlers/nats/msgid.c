/* Nats-Msg-Id and header values (see msgid.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "msgid.h"

static int needs_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '%';
}

long header_escape(const char *value, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (n + (needs_escape(*p) ? 3 : 1) >= cap)
			return -1;
		if (!needs_escape(*p)) {
			out[n++] = (char)*p;
			continue;
		}
		out[n++] = '%';
		out[n++] = hex[*p >> 4];
		out[n++] = hex[*p & 0xf];
	}
	if (n >= cap)
		return -1;
	out[n] = '\0';
	return (long)n;
}

/* FNV-1a, 128 bits (offset basis and prime from the FNV specification),
 * computed on two 64-bit halves. Not cryptographic: ids only need to
 * differ for different events, and senders are authenticated. */
void msgid_digest(const void *data, size_t len, char out[MSGID_MAX])
{
	const unsigned char *p = data;
	unsigned __int128 h = ((unsigned __int128)0x6c62272e07bb0142ULL << 64) |
			      0x62b821756295c58dULL;
	const unsigned __int128 prime =
	    ((unsigned __int128)0x0000000001000000ULL << 64) | 0x13bULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= prime;
	}
	snprintf(out, MSGID_MAX, "fnv:%016llx%016llx",
		 (unsigned long long)(h >> 64), (unsigned long long)h);
}

static const char *host_key(const struct rtw_event *ev)
{
	if (!RTW_HAS_FIELD(ev, struct rtw_event, dedup_key))
		return NULL;
	return ev->dedup_key != NULL && ev->dedup_key[0] != '\0' ? ev->dedup_key
								 : NULL;
}

void msgid_make(const struct rtw_event *ev, char out[MSGID_MAX])
{
	const char *key = host_key(ev);

	if (key != NULL && header_escape(key, out, MSGID_MAX) >= 0)
		return;
	if (key != NULL)
		msgid_digest(key, strlen(key), out);
	else
		msgid_digest(ev->body, ev->body_len, out);
}
