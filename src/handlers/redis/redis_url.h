/* redis_url: the handler's `url` setting.
 *
 *   redis://HOST[:PORT][/DB]    TCP (HOST may be [IPv6]; PORT 6379)
 *   rediss://...                TLS (refused by this build, see config)
 *   unix:/PATH                  a Unix socket (unix:///PATH works too)
 *
 * Credentials are refused in the URL: they belong in `username` and
 * `password` / `password_file`, so a logged URL never carries a secret. */
#ifndef REDIS_URL_H
#define REDIS_URL_H

#include <stddef.h>

struct redis_url {
	char *host; /* TCP host, or NULL for a Unix socket */
	int port;
	char *unix_path; /* socket path, or NULL for TCP */
	int database;	 /* from /DB, or -1 when the URL names none */
	int tls;	 /* rediss:// */
};

/* Parses text into u (zeroed first). -1 with the reason in why. */
int redis_url_parse(const char *text, struct redis_url *u, char *why,
		    size_t why_len);
void redis_url_clear(struct redis_url *u);

#endif
