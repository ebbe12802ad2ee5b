/* The `url` setting (see nats_url.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nats_url.h"

static const char *const schemes[] = {"nats://", "tls://"};

void natsurl_redact(const char *url, char *out, size_t cap)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme != NULL ? scheme + 3 : url;
	const char *at = strchr(host, '@');
	const char *end = host + strcspn(host, "/,");

	if (at != NULL && at < end)
		snprintf(out, cap, "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(out, cap, "%s", url);
}

static size_t scheme_length(const char *url)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			return strlen(schemes[i]);
	return 0;
}

static int valid_port(const char *p, size_t len)
{
	long port = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		port = port * 10 + (p[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* One URL of len bytes (trimmed). */
static int check_one(const char *url, size_t len)
{
	size_t skip = scheme_length(url);
	const char *host = url + skip, *end = url + len, *at, *colon;

	if (skip == 0 || skip >= len)
		return -1;
	at = memchr(host, '@', (size_t)(end - host));
	if (at != NULL)
		host = at + 1;
	if (host < end && *host == '[') { /* an IPv6 address */
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (close == NULL || close == host + 1 ||
		    (close + 1 < end && close[1] != ':'))
			return -1;
		return close + 1 == end ||
			       valid_port(close + 2, (size_t)(end - close - 2))
			   ? 0
			   : -1;
	}
	colon = memchr(host, ':', (size_t)(end - host));
	if (colon == host || host == end)
		return -1; /* no host */
	for (const char *p = host; p < (colon ? colon : end); p++)
		if (isspace((unsigned char)*p) || *p == '/')
			return -1;
	return colon == NULL || valid_port(colon + 1, (size_t)(end - colon - 1))
		   ? 0
		   : -1;
}

int natsurl_check(const char *list, char *why, size_t whylen)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		char shown[256], *one;

		while (len > 0 && isspace((unsigned char)*p))
			p++, len--;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		one = strndup(p, len);
		if (one == NULL || check_one(one, len) != 0) {
			natsurl_redact(one != NULL ? one : "", shown,
				       sizeof(shown));
			snprintf(why, whylen,
				 "'%s' is not nats://host:port "
				 "(or tls://host:port)",
				 shown);
			free(one);
			return -1;
		}
		free(one);
		p += strcspn(p, ",");
		if (*p == '\0')
			return 0;
		p++;
	}
}
