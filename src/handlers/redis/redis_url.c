/* Parsing the `url` setting (see redis_url.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_url.h"

#define DEFAULT_PORT 6379

void redis_url_clear(struct redis_url *u)
{
	free(u->host);
	free(u->unix_path);
	memset(u, 0, sizeof(*u));
	u->database = -1;
}

/* A decimal number in [min, max] spanning exactly [p, end). */
static int parse_number(const char *p, const char *end, long min, long max,
			long *out)
{
	char buf[16], *stop;

	if (end <= p || (size_t)(end - p) >= sizeof(buf) || p[0] == '-' ||
	    p[0] == '+')
		return -1;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	errno = 0;
	*out = strtol(buf, &stop, 10);
	return errno == 0 && *stop == '\0' && *out >= min && *out <= max ? 0
									 : -1;
}

/* HOST or [IPv6] from [p, end); the rest (":PORT") left in *rest. */
static int parse_host(const char *p, const char *end, struct redis_url *u,
		      const char **rest)
{
	const char *host_end;

	if (p < end && *p == '[') {
		host_end = memchr(p, ']', (size_t)(end - p));
		if (host_end == NULL)
			return -1;
		u->host = strndup(p + 1, (size_t)(host_end - p - 1));
		*rest = host_end + 1;
	} else {
		host_end = memchr(p, ':', (size_t)(end - p));
		if (host_end == NULL)
			host_end = end;
		u->host = strndup(p, (size_t)(host_end - p));
		*rest = host_end;
	}
	return u->host != NULL && u->host[0] != '\0' ? 0 : -1;
}

static int parse_tcp(const char *text, const char *p, struct redis_url *u,
		     char *why, size_t why_len)
{
	const char *slash = strchr(p, '/');
	const char *auth_end = strchr(p, '@');
	const char *end = slash ? slash : p + strlen(p), *rest;
	long n = DEFAULT_PORT;

	if (auth_end != NULL && auth_end < end) {
		snprintf(why, why_len,
			 "url: put credentials in username and password "
			 "(or password_file), not in the url");
		return -1;
	}
	if (parse_host(p, end, u, &rest) != 0 ||
	    (rest < end && (rest[0] != ':' ||
			    parse_number(rest + 1, end, 1, 65535, &n) != 0))) {
		snprintf(why, why_len,
			 "url: \"%s\" is not redis://HOST[:PORT][/DB]", text);
		return -1;
	}
	u->port = (int)n;
	if (slash != NULL && slash[1] != '\0') {
		if (parse_number(slash + 1, slash + strlen(slash), 0, 1 << 20,
				 &n) != 0) {
			snprintf(why, why_len,
				 "url: the database in \"%s\" is not a "
				 "number",
				 text);
			return -1;
		}
		u->database = (int)n;
	}
	return 0;
}

int redis_url_parse(const char *text, struct redis_url *u, char *why,
		    size_t why_len)
{
	memset(u, 0, sizeof(*u));
	u->database = -1;
	if (strncmp(text, "unix:", 5) == 0) {
		if (text[5] != '/') {
			snprintf(why, why_len,
				 "url: \"%s\" needs an absolute socket path "
				 "(unix:/run/redis/redis.sock)",
				 text);
			return -1;
		}
		u->unix_path = strdup(text + 5);
		if (u->unix_path == NULL) {
			snprintf(why, why_len, "out of memory");
			return -1;
		}
		return 0;
	}
	if (strncmp(text, "redis://", 8) == 0 ||
	    strncmp(text, "rediss://", 9) == 0) {
		u->tls = text[5] == 's';
		if (parse_tcp(text, text + (u->tls ? 9 : 8), u, why, why_len) ==
		    0)
			return 0;
		redis_url_clear(u);
		return -1;
	}
	snprintf(why, why_len,
		 "url: \"%s\" must start with redis://, rediss:// or unix:/",
		 text);
	return -1;
}
