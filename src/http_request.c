/* Request checks that do not need libmicrohttpd. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_request.h"

int request_find_endpoint(const struct config *conf, const char *path)
{
	for (size_t i = 0; i < conf->nendpoints; i++)
		if (strcmp(conf->endpoints[i].path, path) == 0)
			return (int)i;
	return -1;
}

int request_content_type_is_json(const char *value)
{
	const char *end, *slash;
	size_t len;

	while (*value == ' ' || *value == '\t')
		value++;
	end = strchr(value, ';');
	len = end != NULL ? (size_t)(end - value) : strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len == 16 && strncasecmp(value, "application/json", 16) == 0)
		return 1;
	slash = memchr(value, '/', len);
	return len > 17 && strncasecmp(value, "application/", 12) == 0 &&
	       slash == value + 11 &&
	       strncasecmp(value + len - 5, "+json", 5) == 0;
}

int request_parse_content_length(const char *value, uint64_t *len)
{
	uint64_t v = 0;

	if (*value == '\0')
		return -1;
	for (; *value != '\0'; value++) {
		uint64_t digit = (uint64_t)(*value - '0');

		if (!isdigit((unsigned char)*value) ||
		    v > (UINT64_MAX - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*len = v;
	return 0;
}

int request_check_token(const struct endpoint_conf *ep, const char *token,
			char *why, size_t whylen)
{
	if (ep->ntokens == 0)
		return 0;
	if (token == NULL) {
		snprintf(why, whylen, "no token in the query string");
		return -1;
	}
	if (!secret_token_matches(ep->tokens, ep->ntokens, token,
				  strlen(token))) {
		snprintf(why, whylen, "wrong token");
		return -1;
	}
	return 0;
}

int request_check_signature(const struct endpoint_conf *ep,
			    const struct signature_headers *h,
			    const char *body, size_t len, int64_t now,
			    char *why, size_t whylen)
{
	if (ep->nsigning_keys == 0)
		return 0;
	return signature_verify(ep->signing_keys, ep->nsigning_keys, h, body,
				len, now, ep->signature_tolerance_s, why,
				whylen);
}
