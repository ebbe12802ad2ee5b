/* nats_url: checking the `url` setting before libnats sees it (libnats
 * accepts any text and only fails, or retries forever, when connecting),
 * and showing a URL without its password. */
#ifndef NATS_HANDLER_URL_H
#define NATS_HANDLER_URL_H

#include <stddef.h>

/* Checks a comma-separated list of nats://[user[:password]@]host[:port]
 * (or tls://) URLs. 0, or -1 with the reason in why (URLs shown without
 * their user information). */
int natsurl_check(const char *list, char *why, size_t whylen);

/* Writes url without any "user:password@" part into out. */
void natsurl_redact(const char *url, char *out, size_t cap);

#endif
