/* Reading and checking the redis handler's settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_config.h"

enum key_type { KEY_STRING, KEY_INTEGER, KEY_BOOLEAN };

/* Every key the handler takes, its type and, for integers, its range. */
static const struct key_spec {
	const char *name;
	enum key_type type;
	long long min, max;
} keys[] = {
    {"url", KEY_STRING, 0, 0},
    {"stream", KEY_STRING, 0, 0},
    {"maxlen", KEY_INTEGER, 0, 1LL << 40},
    {"database", KEY_INTEGER, 0, 1 << 20},
    {"username", KEY_STRING, 0, 0},
    {"password", KEY_STRING, 0, 0},
    {"password_file", KEY_STRING, 0, 0},
    {"tls", KEY_BOOLEAN, 0, 0},
    {"dedup_ttl_s", KEY_INTEGER, 0, 365LL * 86400},
    {"timeout_ms", KEY_INTEGER, 10, 600000},
    {"connect_timeout_ms", KEY_INTEGER, 10, 600000},
    {"batch", KEY_BOOLEAN, 0, 0},
};

#define NKEYS (sizeof(keys) / sizeof(*keys))

static const struct key_spec *spec_of(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const char *type_name(enum key_type t)
{
	return t == KEY_STRING	  ? "a string"
	       : t == KEY_INTEGER ? "an integer"
				  : "a boolean";
}

static int has_type(const json_t *v, enum key_type t)
{
	return t == KEY_STRING	  ? json_is_string(v)
	       : t == KEY_INTEGER ? json_is_integer(v)
				  : json_is_boolean(v);
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
			    "unknown key '%s' in config (redis takes: "
			    "url, stream, maxlen, database, username, "
			    "password, password_file, tls, "
			    "dedup_ttl_s, timeout_ms, "
			    "connect_timeout_ms, batch)",
			    name);
			return -1;
		}
		if (!has_type(v, k->type)) {
			rtw_error_set(err, "%s: must be %s", name,
				      type_name(k->type));
			return -1;
		}
		if (k->type == KEY_INTEGER &&
		    (json_integer_value(v) < k->min ||
		     json_integer_value(v) > k->max)) {
			rtw_error_set(err, "%s: must be from %lld to %lld",
				      name, k->min, k->max);
			return -1;
		}
	}
	return 0;
}

static const char *string_or(const json_t *config, const char *key,
			     const char *dflt)
{
	const char *s = json_string_value(json_object_get(config, key));

	return s != NULL ? s : dflt;
}

static long long integer_or(const json_t *config, const char *key,
			    long long dflt)
{
	json_t *v = json_object_get(config, key);

	return v != NULL ? json_integer_value(v) : dflt;
}

/* The password file's first line; a relative path is taken under
 * $CREDENTIALS_DIRECTORY when set (systemd LoadCredential=). */
static char *read_password_file(const char *path, struct rtw_error *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char full[4096], line[1024];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s%s", path[0] != '/' && dir ? dir : "",
		 path[0] != '/' && dir ? "/" : "", path);
	f = fopen(full, "re");
	if (f == NULL) {
		rtw_error_set(err, "password_file: cannot open %s: %s", full,
			      strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0') {
		rtw_error_set(err, "password_file: %s is empty", full);
		return NULL;
	}
	return strdup(line);
}

static int read_credentials(const json_t *config, struct redis_config *c,
			    struct rtw_error *err)
{
	const char *user = string_or(config, "username", NULL);
	const char *pass = string_or(config, "password", NULL);
	const char *file = string_or(config, "password_file", NULL);

	if (pass != NULL && file != NULL) {
		rtw_error_set(err, "password and password_file: set only one");
		return -1;
	}
	if (user != NULL && pass == NULL && file == NULL) {
		rtw_error_set(err, "username: needs password or password_file");
		return -1;
	}
	if (file != NULL) {
		c->password = read_password_file(file, err);
		if (c->password == NULL)
			return -1;
	} else if (pass != NULL && (c->password = strdup(pass)) == NULL)
		goto oom;
	if (user != NULL && (c->username = strdup(user)) == NULL)
		goto oom;
	return 0;
oom:
	rtw_error_set(err, "out of memory");
	return -1;
}

/* Debian 12's libhiredis (0.14) has no TLS: say so instead of connecting
 * in clear text to a server the operator meant to reach over TLS. */
static int refuse_tls(const json_t *config, const struct redis_config *c,
		      struct rtw_error *err)
{
	if (json_is_true(json_object_get(config, "tls")) || c->url.tls) {
		rtw_error_set(err,
			      "%s: TLS is not available: this build's hiredis "
			      "(%s) has no TLS support; use a local TLS "
			      "tunnel (stunnel, spiped) or a Unix socket",
			      c->url.tls ? "url" : "tls", "libhiredis 0.14");
		return -1;
	}
	return 0;
}

static int read_target(const json_t *config, struct redis_config *c,
		       struct rtw_error *err)
{
	char why[sizeof(err->message)];
	json_t *db = json_object_get(config, "database");

	if (redis_url_parse(string_or(config, "url", REDIS_DEFAULT_URL),
			    &c->url, why, sizeof(why)) != 0) {
		rtw_error_set(err, "%s", why);
		return -1;
	}
	if (refuse_tls(config, c, err) != 0)
		return -1;
	if (db != NULL && c->url.database >= 0) {
		rtw_error_set(err, "database: the url names one already");
		return -1;
	}
	if (db != NULL)
		c->url.database = (int)json_integer_value(db);
	return 0;
}

int redis_config_read(const json_t *config, struct redis_config *c,
		      struct rtw_error *err)
{
	char why[sizeof(err->message)];

	memset(c, 0, sizeof(*c));
	c->url.database = -1;
	if (check_keys(config, err) != 0 || read_target(config, c, err) != 0 ||
	    read_credentials(config, c, err) != 0)
		goto fail;
	c->stream = stream_name_compile(
	    string_or(config, "stream", REDIS_DEFAULT_STREAM), why,
	    sizeof(why));
	if (c->stream == NULL) {
		rtw_error_set(err, "%s", why);
		goto fail;
	}
	c->maxlen = integer_or(config, "maxlen", 0);
	c->dedup_ttl_s =
	    integer_or(config, "dedup_ttl_s", REDIS_DEFAULT_DEDUP_TTL_S);
	c->timeout_ms =
	    (int)integer_or(config, "timeout_ms", REDIS_DEFAULT_TIMEOUT_MS);
	c->connect_timeout_ms = (int)integer_or(config, "connect_timeout_ms",
						REDIS_DEFAULT_CONNECT_MS);
	c->batch = !json_is_false(json_object_get(config, "batch"));
	return 0;
fail:
	redis_config_clear(c);
	return -1;
}

void redis_config_clear(struct redis_config *c)
{
	redis_url_clear(&c->url);
	stream_name_free(c->stream);
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->username);
	memset(c, 0, sizeof(*c));
	c->url.database = -1;
}
