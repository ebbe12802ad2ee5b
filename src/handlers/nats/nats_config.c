/* Reading and checking the nats handler's settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nats_config.h"
#include "nats_url.h"

enum key_type { KEY_STRING, KEY_INTEGER, KEY_BOOLEAN };

/* Every key the handler takes, its type and, for integers, its range. */
static const struct key_spec {
	const char *name;
	enum key_type type;
	long long min, max;
} keys[] = {
    {"url", KEY_STRING, 0, 0},
    {"subject", KEY_STRING, 0, 0},
    {"stream", KEY_STRING, 0, 0},
    {"create_stream", KEY_BOOLEAN, 0, 0},
    {"duplicate_window_s", KEY_INTEGER, 1, 7 * 86400},
    {"credentials", KEY_STRING, 0, 0},
    {"token", KEY_STRING, 0, 0},
    {"user", KEY_STRING, 0, 0},
    {"password", KEY_STRING, 0, 0},
    {"connect_timeout_ms", KEY_INTEGER, 10, 600000},
    {"publish_timeout_ms", KEY_INTEGER, 10, 600000},
    {"reconnect_wait_ms", KEY_INTEGER, 10, 600000},
    {"batch", KEY_BOOLEAN, 0, 0},
};

#define NKEYS (sizeof(keys) / sizeof(*keys))
#define KEYS_LIST                                                              \
	"url, subject, stream, create_stream, duplicate_window_s, "            \
	"credentials, token, user, password, connect_timeout_ms, "             \
	"publish_timeout_ms, reconnect_wait_ms, batch"

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

/* Refuses unknown keys, wrong types, empty strings and integers out of
 * range. */
static int check_keys(const json_t *config, struct rtw_error *err)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)config, name, v)
	{
		const struct key_spec *k = spec_of(name);

		if (k == NULL) {
			rtw_error_set(err,
				      "unknown key '%s' in config (nats "
				      "takes: " KEYS_LIST ")",
				      name);
			return -1;
		}
		if (!has_type(v, k->type)) {
			rtw_error_set(err, "%s: must be %s", name,
				      type_name(k->type));
			return -1;
		}
		if (k->type == KEY_STRING && json_string_length(v) == 0) {
			rtw_error_set(err, "%s: must not be empty", name);
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

static const char *string_or(const json_t *config, const char *key,
			     const char *dflt)
{
	const char *s = json_string_value(json_object_get(config, key));

	return s != NULL ? s : dflt;
}

static long long integer_or(const json_t *config, const char *key,
			    long long dflt)
{
	const json_t *v = json_object_get(config, key);

	return v != NULL ? json_integer_value(v) : dflt;
}

/* strdup of the key's string, or NULL when absent; -1 when out of memory. */
static int copy_string(const json_t *config, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(config, key));

	*out = s != NULL ? strdup(s) : NULL;
	return s != NULL && *out == NULL ? -1 : 0;
}

/* A name JetStream accepts for a stream (it becomes a subject token and a
 * file name on the server). */
static int valid_stream_name(const char *s)
{
	for (; *s; s++)
		if (*s == '.' || *s == '*' || *s == '>' || *s == '/' ||
		    *s == '\\' || (unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static int read_credentials(const json_t *config, const char *dir,
			    struct natscfg *c, struct rtw_error *err)
{
	const char *path = string_or(config, "credentials", NULL);
	size_t len;

	if (path == NULL)
		return 0;
	if (path[0] != '/' && dir != NULL && dir[0] != '\0') {
		len = strlen(dir) + strlen(path) + 2;
		c->credentials = malloc(len);
		if (c->credentials != NULL)
			snprintf(c->credentials, len, "%s/%s", dir, path);
	} else {
		c->credentials = strdup(path);
	}
	if (c->credentials == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	if (access(c->credentials, R_OK) != 0) {
		rtw_error_set(err, "credentials: cannot read %s",
			      c->credentials);
		return -1;
	}
	return 0;
}

/* Authentication settings that cannot go together. */
static int check_auth(const struct natscfg *c, struct rtw_error *err)
{
	if (c->token != NULL && (c->user != NULL || c->credentials != NULL)) {
		rtw_error_set(err, "token: cannot be combined with user or "
				   "credentials");
		return -1;
	}
	if ((c->user != NULL) != (c->password != NULL)) {
		rtw_error_set(err, "%s: needs %s too",
			      c->user != NULL ? "user" : "password",
			      c->user != NULL ? "password" : "user");
		return -1;
	}
	if (c->user != NULL && c->credentials != NULL) {
		rtw_error_set(err, "credentials: cannot be combined with user "
				   "and password");
		return -1;
	}
	return 0;
}

static int read_subject(const json_t *config, struct natscfg *c,
			struct rtw_error *err)
{
	char why[400];

	c->subject = subject_compile(
	    string_or(config, "subject", NATSCFG_DEFAULT_SUBJECT), why,
	    sizeof(why));
	if (c->subject == NULL) {
		rtw_error_set(err, "subject: %s", why);
		return -1;
	}
	if (c->create_stream && subject_stream_filter(c->subject) == NULL) {
		rtw_error_set(err, "create_stream: the subject must start with "
				   "a fixed token (like \"recall.\") so the "
				   "stream can take <token>.>");
		return -1;
	}
	return 0;
}

static void read_scalars(const json_t *config, struct natscfg *c)
{
	c->create_stream =
	    json_is_true(json_object_get(config, "create_stream"));
	c->duplicate_window_s = integer_or(config, "duplicate_window_s",
					   NATSCFG_DEFAULT_DUPLICATES_S);
	c->connect_timeout_ms = (int)integer_or(config, "connect_timeout_ms",
						NATSCFG_DEFAULT_CONNECT_MS);
	c->publish_timeout_ms = (int)integer_or(config, "publish_timeout_ms",
						NATSCFG_DEFAULT_PUBLISH_MS);
	c->reconnect_wait_ms = (int)integer_or(config, "reconnect_wait_ms",
					       NATSCFG_DEFAULT_RECONNECT_MS);
	c->batch = !json_is_false(json_object_get(config, "batch"));
}

int natscfg_read(const json_t *config, const char *credentials_dir,
		 struct natscfg *c, struct rtw_error *err)
{
	char why[300];

	memset(c, 0, sizeof(*c));
	if (check_keys(config, err) != 0)
		return -1;
	if (json_object_get(config, "url") == NULL) {
		rtw_error_set(err, "url: missing (like \"nats://127.0.0.1:"
				   "4222\")");
		return -1;
	}
	read_scalars(config, c);
	if (copy_string(config, "url", &c->url) != 0 ||
	    copy_string(config, "token", &c->token) != 0 ||
	    copy_string(config, "user", &c->user) != 0 ||
	    copy_string(config, "password", &c->password) != 0 ||
	    (c->stream = strdup(string_or(config, "stream",
					  NATSCFG_DEFAULT_STREAM))) == NULL) {
		rtw_error_set(err, "out of memory");
		goto fail;
	}
	if (natsurl_check(c->url, why, sizeof(why)) != 0) {
		rtw_error_set(err, "url: %s", why);
		goto fail;
	}
	if (!valid_stream_name(c->stream)) {
		rtw_error_set(err,
			      "stream: '%s' is not a valid stream name "
			      "(no '.', '*', '>', '/', '\\' or spaces)",
			      c->stream);
		goto fail;
	}
	if (read_subject(config, c, err) != 0 ||
	    read_credentials(config, credentials_dir, c, err) != 0 ||
	    check_auth(c, err) != 0)
		goto fail;
	return 0;
fail:
	natscfg_clear(c);
	return -1;
}

static void free_secret(char *s)
{
	if (s == NULL)
		return;
	/* Keep secrets out of freed memory (core dumps, reuse). */
	explicit_bzero(s, strlen(s));
	free(s);
}

void natscfg_clear(struct natscfg *c)
{
	subject_free(c->subject);
	free(c->url);
	free(c->stream);
	free(c->credentials);
	free_secret(c->token);
	free(c->user);
	free_secret(c->password);
	memset(c, 0, sizeof(*c));
}
