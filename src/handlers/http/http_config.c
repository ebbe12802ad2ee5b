/* Reading and checking the http handler's settings. Every error names its
 * key; none quotes the signing secret, a header value or the URL's
 * credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http_fwd.h"

#define KEY_LIST                                                               \
	"url, timeout_ms, headers, signing_secret, max_retry_after_s, "        \
	"retry_after_scope"

enum key_type { KEY_STRING, KEY_INTEGER, KEY_ARRAY };

/* Every key the handler takes, its type and, for integers, its range. */
static const struct key_spec {
	const char *name;
	enum key_type type;
	long long min, max;
} keys[] = {
    {"url", KEY_STRING, 0, 0},
    {"timeout_ms", KEY_INTEGER, 10, 600000},
    {"headers", KEY_ARRAY, 0, 0},
    {"signing_secret", KEY_STRING, 0, 0},
    {"max_retry_after_s", KEY_INTEGER, 0, 86400},
    {"retry_after_scope", KEY_STRING, 0, 0},
};

#define NKEYS (sizeof(keys) / sizeof(*keys))

/* Headers the handler always sends. "Expect:" turns off curl's
 * "Expect: 100-continue" for bodies over 1 KiB, which would cost a round
 * trip per event. */
static const char *const fixed_headers[] = {
    "Content-Type: application/json",
    "Expect:",
};

static const struct key_spec *spec_of(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int has_type(const json_t *v, enum key_type t)
{
	return t == KEY_STRING	  ? json_is_string(v)
	       : t == KEY_INTEGER ? json_is_integer(v)
				  : json_is_array(v);
}

static const char *type_name(enum key_type t)
{
	return t == KEY_STRING	  ? "a string"
	       : t == KEY_INTEGER ? "an integer"
				  : "a list of strings";
}

/* A JSON string may hold \u0000, which C would silently cut there. */
static int has_nul(const json_t *v)
{
	return strlen(json_string_value(v)) != json_string_length(v);
}

/* Refuses unknown keys, wrong types and integers out of range. */
static int check_keys(const json_t *config, struct rtw_error *err)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)config, name, v)
	{
		const struct key_spec *k = spec_of(name);

		if (k == NULL) {
			rtw_error_set(
			    err,
			    "unknown key '%s' in config (http takes: " KEY_LIST
			    ")",
			    name);
			return -1;
		}
		if (!has_type(v, k->type)) {
			rtw_error_set(err, "%s: must be %s", name,
				      type_name(k->type));
			return -1;
		}
		if (k->type == KEY_STRING && has_nul(v)) {
			rtw_error_set(err, "%s: holds a NUL byte", name);
			return -1;
		}
		if (k->type == KEY_INTEGER &&
		    (json_integer_value(v) < k->min ||
		     json_integer_value(v) > k->max)) {
			rtw_error_set(err, "%s: must be between %lld and %lld",
				      name, k->min, k->max);
			return -1;
		}
	}
	return 0;
}

static long long int_or(const json_t *config, const char *key, long long def)
{
	const json_t *v = json_object_get(config, key);

	return v != NULL ? json_integer_value(v) : def;
}

static int append_header(struct curl_slist **list, const char *line,
			 struct rtw_error *err)
{
	struct curl_slist *grown = curl_slist_append(*list, line);

	if (grown == NULL) {
		rtw_error_set(err, "headers: out of memory");
		return -1;
	}
	*list = grown;
	return 0;
}

/* The fixed headers, then the operator's, each checked. */
static int read_headers(const json_t *config, struct http_config *c,
			struct rtw_error *err)
{
	const json_t *list = json_object_get(config, "headers");
	const json_t *item;
	size_t i;

	for (i = 0; i < sizeof(fixed_headers) / sizeof(*fixed_headers); i++)
		if (append_header(&c->headers, fixed_headers[i], err) != 0)
			return -1;
	json_array_foreach(list, i, item)
	{
		struct rtw_error why = {{0}};

		if (!json_is_string(item) || has_nul(item)) {
			rtw_error_set(err,
				      "headers[%zu]: must be a string "
				      "\"Name: value\"",
				      i);
			return -1;
		}
		if (http_header_check(json_string_value(item), &why) != 0) {
			rtw_error_set(err, "headers[%zu]: %s", i, why.message);
			return -1;
		}
		if (append_header(&c->headers, json_string_value(item), err))
			return -1;
	}
	return 0;
}

static int read_url(const json_t *config, struct http_config *c,
		    struct rtw_error *err)
{
	const json_t *v = json_object_get(config, "url");
	struct rtw_error why = {{0}};

	if (v == NULL) {
		rtw_error_set(err, "url: missing (the downstream to POST "
				   "events to, e.g. \"http://127.0.0.1:9000/"
				   "events\")");
		return -1;
	}
	c->url_redacted = http_url_check(json_string_value(v), &why);
	if (c->url_redacted == NULL) {
		rtw_error_set(err, "url: %s", why.message);
		return -1;
	}
	c->url = strdup(json_string_value(v));
	if (c->url == NULL) {
		rtw_error_set(err, "url: out of memory");
		return -1;
	}
	return 0;
}

static int read_secret(const json_t *config, struct http_config *c,
		       struct rtw_error *err)
{
	const json_t *v = json_object_get(config, "signing_secret");
	struct rtw_error why = {{0}};

	if (v == NULL)
		return 0;
	if (http_secret_decode(json_string_value(v), &c->key, &c->key_len,
			       &why) != 0) {
		rtw_error_set(err, "signing_secret: %s", why.message);
		return -1;
	}
	c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (c->hmac == NULL) {
		rtw_error_set(err, "signing_secret: libcrypto has no HMAC");
		return -1;
	}
	return 0;
}

/* Whom a Retry-After pauses: "handler" (every bot, the default) or
 * "bot". */
static int read_scope(const json_t *config, struct http_config *c,
		      struct rtw_error *err)
{
	const json_t *v = json_object_get(config, "retry_after_scope");

	if (v == NULL || strcmp(json_string_value(v), "handler") == 0)
		c->retry_after_scope = HTTP_SCOPE_HANDLER;
	else if (strcmp(json_string_value(v), "bot") == 0)
		c->retry_after_scope = HTTP_SCOPE_BOT;
	else {
		rtw_error_set(err, "retry_after_scope: must be \"handler\" (a "
				   "Retry-After pauses every bot) or \"bot\"");
		return -1;
	}
	return 0;
}

int http_config_read(const json_t *config, struct http_config *c,
		     struct rtw_error *err)
{
	memset(c, 0, sizeof(*c));
	if (check_keys(config, err) != 0 || read_url(config, c, err) != 0 ||
	    read_headers(config, c, err) != 0 ||
	    read_secret(config, c, err) != 0 ||
	    read_scope(config, c, err) != 0) {
		http_config_clear(c);
		return -1;
	}
	c->timeout_ms =
	    (long)int_or(config, "timeout_ms", HTTP_DEFAULT_TIMEOUT_MS);
	c->max_retry_after_ms = (long)int_or(config, "max_retry_after_s",
					     HTTP_DEFAULT_MAX_RETRY_AFTER_S) *
				1000L;
	return 0;
}

void http_config_clear(struct http_config *c)
{
	free(c->url);
	free(c->url_redacted);
	curl_slist_free_all(c->headers);
	if (c->key != NULL)
		OPENSSL_cleanse(c->key, c->key_len);
	free(c->key);
	EVP_MAC_free(c->hmac);
	memset(c, 0, sizeof(*c));
}
