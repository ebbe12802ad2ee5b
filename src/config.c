/* Configuration: libconfig file -> validated struct config.
 *
 * Each group is read against a table of the keys it allows, so unknown keys
 * and wrong types are reported with the file and line of the setting. The
 * reader never stops at the first problem: it collects them all. */
#include <fnmatch.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <libconfig.h>

#include "config.h"
#include "log.h"

/* The context every reader passes along: where errors go. */
#define MAX_SECRET_FILES 16

struct reader {
	const char *file;
	struct errlist *errs;
	/* The files (the main one or @include'd ones) that hold inline
	 * tokens or secrets: each is checked for world-readability once. */
	const char *secret_files[MAX_SECRET_FILES];
	size_t nsecret_files;
};

/* Secrets in a file every user can read are not secret: say so. */
static void warn_if_world_readable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		log_warnx("%s holds secrets and is readable by every user "
			  "(chmod o-r %s)",
			  path, path);
}

static const char *setting_file(const struct reader *r,
				const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);

	return f != NULL ? f : r->file;
}

/* Notes that the file holding setting s has secrets written in it. */
static void note_secret_file(struct reader *r, const config_setting_t *s)
{
	const char *file = setting_file(r, s);

	for (size_t i = 0; i < r->nsecret_files; i++)
		if (strcmp(r->secret_files[i], file) == 0)
			return;
	if (r->nsecret_files < MAX_SECRET_FILES)
		r->secret_files[r->nsecret_files++] = file;
}

#define setting_error(r, s, ...)                                              \
	errlist_add((r)->errs, setting_file((r), (s)),                         \
		    config_setting_source_line(s), __VA_ARGS__)

/* Reports every member of group whose name is not in allowed (NULL-ended). */
static void check_keys(struct reader *r, const config_setting_t *group,
		       const char *where, const char *const *allowed)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		config_setting_t *m = config_setting_get_elem(group, i);
		const char *name = config_setting_name(m);
		int known = 0;

		for (const char *const *a = allowed; *a != NULL; a++)
			known |= strcmp(*a, name) == 0;
		if (!known)
			setting_error(r, m, "unknown key '%s' in %s", name,
				      where);
	}
}

static config_setting_t *member_of_type(struct reader *r,
					const config_setting_t *group,
					const char *key, int type,
					const char *type_name)
{
	config_setting_t *s = config_setting_get_member(group, key);

	if (s == NULL)
		return NULL;
	if (config_setting_type(s) != type &&
	    !(type == CONFIG_TYPE_INT &&
	      config_setting_type(s) == CONFIG_TYPE_INT64)) {
		setting_error(r, s, "'%s' must be %s", key, type_name);
		return NULL;
	}
	return s;
}

/* Replaces *out with the string at key, when present and a string. */
static void read_string(struct reader *r, const config_setting_t *group,
			const char *key, char **out)
{
	config_setting_t *s =
		member_of_type(r, group, key, CONFIG_TYPE_STRING, "a string");
	char *copy;

	if (s == NULL)
		return;
	copy = strdup(config_setting_get_string(s));
	if (copy == NULL) {
		setting_error(r, s, "out of memory");
		return;
	}
	free(*out);
	*out = copy;
}

static void read_int(struct reader *r, const config_setting_t *group,
		     const char *key, int64_t *out, int64_t min, int64_t max)
{
	config_setting_t *s =
		member_of_type(r, group, key, CONFIG_TYPE_INT, "an integer");
	long long v;

	if (s == NULL)
		return;
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		setting_error(r, s, "'%s' must be between %lld and %lld", key,
			      (long long)min, (long long)max);
		return;
	}
	*out = v;
}

static void string_list_free(struct string_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int string_list_add(struct string_list *l, const char *s)
{
	char **grown = realloc(l->items, (l->count + 1) * sizeof(*grown));
	char *copy = strdup(s);

	if (grown != NULL)
		l->items = grown;
	if (grown == NULL || copy == NULL) {
		free(copy);
		return -1;
	}
	l->items[l->count++] = copy;
	return 0;
}

/* Reads an array or list of strings. Returns the setting, or NULL when the
 * key is absent or wrong (the latter reported). */
static config_setting_t *read_string_list(struct reader *r,
					  const config_setting_t *group,
					  const char *key,
					  struct string_list *out)
{
	config_setting_t *s = config_setting_get_member(group, key);
	int n;

	if (s == NULL)
		return NULL;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		setting_error(r, s, "'%s' must be a list of strings", key);
		return NULL;
	}
	string_list_free(out);
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			setting_error(r, e, "'%s' must be a list of strings",
				      key);
			return NULL;
		}
		if (string_list_add(out, config_setting_get_string(e)) != 0) {
			setting_error(r, e, "out of memory");
			return NULL;
		}
	}
	return s;
}

/* Reads a list of CIDR ranges ("10.0.0.0/8", "::1"). */
static void read_cidrs(struct reader *r, const config_setting_t *group,
		       const char *key, struct cidr **out, size_t *count)
{
	struct string_list l = {0};
	config_setting_t *s = read_string_list(r, group, key, &l);

	if (s != NULL && l.count > 0) {
		*out = calloc(l.count, sizeof(**out));
		if (*out == NULL)
			setting_error(r, s, "out of memory");
	}
	for (size_t i = 0; *out != NULL && i < l.count; i++) {
		if (cidr_parse(l.items[i], &(*out)[*count]) == 0)
			(*count)++;
		else
			setting_error(r, s, "'%s': '%s' is not an address or "
					    "CIDR range",
				      key, l.items[i]);
	}
	string_list_free(&l);
}

static config_setting_t *group_member(struct reader *r,
				      const config_setting_t *parent,
				      const char *key,
				      const char *const *allowed)
{
	config_setting_t *g = member_of_type(r, parent, key, CONFIG_TYPE_GROUP,
					     "a group { ... }");

	if (g != NULL)
		check_keys(r, g, key, allowed);
	return g;
}

static void read_listen(struct reader *r, const config_setting_t *root,
			struct config *c)
{
	static const char *const keys[] = {"address", "port", NULL};
	config_setting_t *g = group_member(r, root, "listen", keys);

	if (g == NULL)
		return;
	read_string(r, g, "address", &c->listen_address);
	/* Port 0 binds an ephemeral port (logged at startup); tests use it. */
	read_int(r, g, "port", &c->listen_port, 0, 65535);
}

static void read_limits(struct reader *r, const config_setting_t *root,
			struct config *c)
{
	static const char *const keys[] = {
		"max_body_bytes",	    "max_connections",
		"max_connections_per_client", "max_header_bytes",
		"timeout_s",		    "request_timeout_s",
		"shutdown_timeout_s",	    "auth_failures_per_minute",
		"ready_max_handler_lag_s",  NULL};
	config_setting_t *g = group_member(r, root, "limits", keys);

	if (g == NULL)
		return;
	read_int(r, g, "max_body_bytes", &c->max_body_bytes, 64,
		 64 * 1024 * 1024);
	read_int(r, g, "max_connections", &c->max_connections, 1, 65536);
	read_int(r, g, "max_connections_per_client",
		 &c->max_connections_per_client, 0, 65536);
	read_int(r, g, "max_header_bytes", &c->max_header_bytes, 1024,
		 1024 * 1024);
	read_int(r, g, "timeout_s", &c->timeout_s, 1, 3600);
	read_int(r, g, "request_timeout_s", &c->request_timeout_s, 1, 3600);
	read_int(r, g, "shutdown_timeout_s", &c->shutdown_timeout_s, 1, 3600);
	read_int(r, g, "ready_max_handler_lag_s", &c->ready_max_handler_lag_s,
		 0, 7 * 86400);
	read_int(r, g, "auth_failures_per_minute",
		 &c->auth_failures_per_minute, 0, 1000000);
}

static void read_spool(struct reader *r, const config_setting_t *root,
		       struct config *c)
{
	static const char *const keys[] = {"dir", "fsync", "ack",
					   "segment_bytes", NULL};
	static const char *const modes[] = {"always", "batch", "off"};
	config_setting_t *g = group_member(r, root, "spool", keys);
	config_setting_t *f;

	if (g == NULL)
		return;
	read_string(r, g, "dir", &c->spool_dir);
	read_int(r, g, "segment_bytes", &c->segment_bytes, 4096,
		 (int64_t)1 << 40);
	/* Only one acknowledgement mode exists: answer 2xx once the event is
	 * in the spool. The key is there so a config can say so. */
	f = member_of_type(r, g, "ack", CONFIG_TYPE_STRING, "a string");
	if (f != NULL && strcmp(config_setting_get_string(f), "spooled") != 0)
		setting_error(r, f, "'ack' must be \"spooled\"");
	f = member_of_type(r, g, "fsync", CONFIG_TYPE_STRING, "a string");
	if (f == NULL)
		return;
	for (size_t i = 0; i < 3; i++)
		if (strcmp(config_setting_get_string(f), modes[i]) == 0) {
			c->fsync = (enum fsync_mode)i;
			return;
		}
	setting_error(r, f, "'fsync' must be \"always\", \"batch\" or \"off\"");
}

/* log = { format = "text" | "json"; } */
static void read_log(struct reader *r, const config_setting_t *root,
		     struct config *c)
{
	static const char *const keys[] = {"format", NULL};
	config_setting_t *g = group_member(r, root, "log", keys);
	config_setting_t *f;

	if (g == NULL)
		return;
	f = member_of_type(r, g, "format", CONFIG_TYPE_STRING, "a string");
	if (f == NULL)
		return;
	if (strcmp(config_setting_get_string(f), "json") == 0)
		c->log_json = 1;
	else if (strcmp(config_setting_get_string(f), "text") != 0)
		setting_error(r, f, "'format' must be \"text\" or \"json\"");
}

/* metrics = { allow_from = [...]; }: replaces the loopback default. */
static void read_metrics(struct reader *r, const config_setting_t *root,
			 struct config *c)
{
	static const char *const keys[] = {"allow_from", NULL};
	config_setting_t *g = group_member(r, root, "metrics", keys);

	if (g == NULL || config_setting_get_member(g, "allow_from") == NULL)
		return;
	free(c->metrics_allow_from);
	c->metrics_allow_from = NULL;
	c->nmetrics_allow_from = 0;
	read_cidrs(r, g, "allow_from", &c->metrics_allow_from,
		   &c->nmetrics_allow_from);
}

static void read_dedup(struct reader *r, const config_setting_t *root,
		       struct config *c)
{
	static const char *const keys[] = {"window_s", NULL};
	config_setting_t *g = group_member(r, root, "dedup", keys);

	if (g != NULL)
		read_int(r, g, "window_s", &c->dedup_window_s, 0, 7 * 86400);
}

/* The endpoint being read, for the secret-file callbacks. */
struct endpoint_reader {
	struct endpoint_conf *ep;
	char why[256];
};

static int add_token(const char *token, void *arg)
{
	struct endpoint_reader *er = arg;
	struct endpoint_conf *ep = er->ep;
	struct token_digest *grown;

	grown = realloc(ep->tokens, (ep->ntokens + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	ep->tokens = grown;
	secret_digest(token, strlen(token), &ep->tokens[ep->ntokens++]);
	return 0;
}

static int add_signing_key(const char *secret, void *arg)
{
	struct endpoint_reader *er = arg;
	struct endpoint_conf *ep = er->ep;
	struct signing_key key, *grown;

	if (secret_signing_key_decode(secret, &key, er->why,
				      sizeof(er->why)) != 0)
		return -1;
	grown = realloc(ep->signing_keys,
			(ep->nsigning_keys + 1) * sizeof(*grown));
	if (grown == NULL) {
		secret_signing_key_free(&key);
		return -1;
	}
	ep->signing_keys = grown;
	ep->signing_keys[ep->nsigning_keys++] = key;
	return 0;
}

/* Reads `list_key` (inline secrets) and `file_key` (a secret file) into the
 * endpoint through add. Inline values are wiped from libconfig's memory
 * once digested or decoded. */
static void read_secrets(struct reader *r, const config_setting_t *g,
			 struct endpoint_reader *er, const char *list_key,
			 const char *file_key,
			 int (*add)(const char *, void *))
{
	struct string_list values = {0};
	config_setting_t *s = read_string_list(r, g, list_key, &values);
	char *file = NULL;

	if (s != NULL && values.count > 0)
		note_secret_file(r, s);
	for (size_t i = 0; s != NULL && i < values.count; i++) {
		er->why[0] = '\0';
		if (values.items[i][0] == '\0')
			setting_error(r, s, "empty value in '%s'", list_key);
		else if (add(values.items[i], er) != 0)
			setting_error(r, s, "invalid value in '%s'%s%s",
				      list_key, er->why[0] ? ": " : "",
				      er->why);
		secret_wipe(values.items[i], strlen(values.items[i]));
	}
	string_list_free(&values);
	/* libconfig keeps its own copy of the text: wipe that one too. */
	for (int i = 0; s != NULL && i < config_setting_length(s); i++) {
		char *v = (char *)config_setting_get_string_elem(s, i);

		if (v != NULL)
			secret_wipe(v, strlen(v));
	}
	read_string(r, g, file_key, &file);
	if (file != NULL) {
		config_setting_t *fs = config_setting_get_member(g, file_key);

		int n = secret_read_file(file, setting_file(r, fs),
					 config_setting_source_line(fs),
					 r->errs, add, er);

		if (n == 0)
			setting_error(r, fs, "'%s' %s holds no secret",
				      file_key, file);
		else if (n > 0 && getenv("CREDENTIALS_DIRECTORY") == NULL)
			warn_if_world_readable(file);
	}
	free(file);
}

static void read_endpoint(struct reader *r, const config_setting_t *g,
			  struct endpoint_conf *ep)
{
	static const char *const keys[] = {
		"path", "tokens", "token_file", "signing_secrets",
		"signing_secret_file", "signature_tolerance_s", "handlers",
		"allow_from", NULL};
	struct endpoint_reader er = {.ep = ep};

	ep->file = strdup(setting_file(r, g));
	ep->line = config_setting_source_line(g);
	ep->signature_tolerance_s = 300;
	check_keys(r, g, "endpoint", keys);
	read_string(r, g, "path", &ep->path);
	if (ep->path == NULL)
		setting_error(r, g, "endpoint has no 'path'");
	else if (strchr(ep->path, '?') != NULL)
		/* Not quoted: a pasted URL carries its token after the '?'. */
		setting_error(r, g, "endpoint path '%.*s?...' must hold no "
				    "query string (put tokens in 'tokens')",
			      (int)(strchr(ep->path, '?') - ep->path),
			      ep->path);
	else if (ep->path[0] != '/')
		setting_error(r, g, "endpoint path '%s' must start with '/'",
			      ep->path);
	else if (strcmp(ep->path, "/healthz") == 0 ||
		 strcmp(ep->path, "/readyz") == 0 ||
		 strcmp(ep->path, "/metrics") == 0)
		setting_error(r, g, "endpoint path '%s' is reserved (the "
				    "daemon serves it)",
			      ep->path);
	read_secrets(r, g, &er, "tokens", "token_file", add_token);
	read_secrets(r, g, &er, "signing_secrets", "signing_secret_file",
		     add_signing_key);
	read_int(r, g, "signature_tolerance_s", &ep->signature_tolerance_s, 1,
		 86400);
	read_string_list(r, g, "handlers", &ep->handlers);
	read_cidrs(r, g, "allow_from", &ep->allow_from, &ep->nallow_from);
	if (ep->ntokens == 0 && ep->nsigning_keys == 0)
		setting_error(r, g, "endpoint '%s' has neither tokens nor "
				    "signing secrets: refusing to accept "
				    "unauthenticated events",
			      ep->path ? ep->path : "?");
}

static json_t *setting_to_json(const config_setting_t *s);

static json_t *aggregate_to_json(const config_setting_t *s, int as_object)
{
	json_t *out = as_object ? json_object() : json_array();
	int n = config_setting_length(s);

	for (int i = 0; out != NULL && i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		json_t *v = setting_to_json(e);
		int rc = as_object
				 ? json_object_set_new(out,
						       config_setting_name(e), v)
				 : json_array_append_new(out, v);

		if (v == NULL || rc != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* Converts a libconfig setting to JSON, so modules never see libconfig. */
static json_t *setting_to_json(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return aggregate_to_json(s, 1);
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		return aggregate_to_json(s, 0);
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return json_integer(config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		return json_real(config_setting_get_float(s));
	case CONFIG_TYPE_BOOL:
		return json_boolean(config_setting_get_bool(s));
	case CONFIG_TYPE_STRING:
		return json_string(config_setting_get_string(s));
	}
	return NULL;
}

static int valid_handler_name(const char *name)
{
	if (name[0] == '\0' || strlen(name) > 64)
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *p))
			return 0;
	return 1;
}

static void read_handler(struct reader *r, const config_setting_t *g,
			 struct handler_conf *h)
{
	static const char *const keys[] = {"name",	     "module",
					   "events",	     "config",
					   "workers",	     "retry_first_ms",
					   "retry_max_ms", NULL};
	config_setting_t *cfg;

	h->file = strdup(setting_file(r, g));
	h->line = config_setting_source_line(g);
	h->workers = 1;
	h->retry_first_ms = 100;
	h->retry_max_ms = 30000;
	check_keys(r, g, "handler", keys);
	read_int(r, g, "workers", &h->workers, 1, 64);
	read_int(r, g, "retry_first_ms", &h->retry_first_ms, 1, 3600 * 1000);
	read_int(r, g, "retry_max_ms", &h->retry_max_ms, 1, 3600 * 1000);
	read_string(r, g, "name", &h->name);
	read_string(r, g, "module", &h->module);
	if (h->name == NULL)
		setting_error(r, g, "handler has no 'name'");
	else if (!valid_handler_name(h->name))
		setting_error(r, g, "handler name '%s' must be 1-64 of "
				    "[A-Za-z0-9_.-]", h->name);
	if (h->module == NULL)
		setting_error(r, g, "handler '%s' has no 'module'",
			      h->name ? h->name : "?");
	if (read_string_list(r, g, "events", &h->events) == NULL &&
	    h->events.count == 0)
		string_list_add(&h->events, "*");
	cfg = member_of_type(r, g, "config", CONFIG_TYPE_GROUP,
			     "a group { ... }");
	h->config = cfg != NULL ? setting_to_json(cfg) : json_object();
	if (h->config == NULL)
		setting_error(r, g, "cannot convert 'config' to JSON");
}

/* Reads the list at key into an array of count elements of size elem,
 * calling read_one for each group in it. */
static void *read_groups(struct reader *r, const config_setting_t *root,
			 const char *key, size_t elem, size_t *count,
			 void (*read_one)(struct reader *,
					  const config_setting_t *, void *))
{
	config_setting_t *l = config_setting_get_member(root, key);
	char *items;
	int n;

	*count = 0;
	if (l == NULL)
		return NULL;
	if (!config_setting_is_list(l) && !config_setting_is_array(l)) {
		setting_error(r, l, "'%s' must be a list ( { ... }, ... )",
			      key);
		return NULL;
	}
	n = config_setting_length(l);
	items = calloc(n > 0 ? (size_t)n : 1, elem);
	if (items == NULL) {
		setting_error(r, l, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, i);

		if (!config_setting_is_group(g)) {
			setting_error(r, g, "each of '%s' must be a group "
					    "{ ... }", key);
			continue;
		}
		read_one(r, g, items + (*count)++ * elem);
	}
	return items;
}

static void read_endpoint_cb(struct reader *r, const config_setting_t *g,
			     void *out)
{
	read_endpoint(r, g, out);
}

static void read_handler_cb(struct reader *r, const config_setting_t *g,
			    void *out)
{
	read_handler(r, g, out);
}

int config_handler_index(const struct config *conf, const char *name)
{
	for (size_t i = 0; i < conf->nhandlers; i++)
		if (conf->handlers[i].name != NULL &&
		    strcmp(conf->handlers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Checks that hold across sections: unique names and paths, references. */
static void check_references(struct reader *r, struct config *c)
{
	if (c->nendpoints == 0)
		errlist_add(r->errs, r->file, 0,
			    "no endpoints: add one to 'endpoints'");
	if (c->nhandlers > CONFIG_MAX_HANDLERS)
		errlist_add(r->errs, c->handlers[0].file, c->handlers[0].line,
			    "at most %d handlers are supported",
			    CONFIG_MAX_HANDLERS);
	for (size_t i = 0; i < c->nhandlers; i++) {
		struct handler_conf *h = &c->handlers[i];

		if (h->name != NULL && config_handler_index(c, h->name) != (int)i)
			errlist_add(r->errs, h->file, h->line,
				    "duplicate handler name '%s'", h->name);
		for (size_t k = 0; k < h->events.count; k++)
			if (h->events.items[k][0] == '\0')
				errlist_add(r->errs, h->file, h->line,
					    "empty pattern in 'events'");
	}
	for (size_t i = 0; i < c->nendpoints; i++) {
		struct endpoint_conf *ep = &c->endpoints[i];

		for (size_t k = 0; k < i && ep->path != NULL; k++)
			if (c->endpoints[k].path != NULL &&
			    strcmp(c->endpoints[k].path, ep->path) == 0)
				errlist_add(r->errs, ep->file, ep->line,
					    "duplicate endpoint path '%s'",
					    ep->path);
		for (size_t k = 0; k < ep->handlers.count; k++)
			if (config_handler_index(c, ep->handlers.items[k]) < 0)
				errlist_add(r->errs, ep->file, ep->line,
					    "endpoint '%s' names unknown "
					    "handler '%s'",
					    ep->path ? ep->path : "?",
					    ep->handlers.items[k]);
	}
}

static struct config *config_defaults(const char *file)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->file = strdup(file);
	c->listen_address = strdup("127.0.0.1");
	c->listen_port = 8080;
	c->max_body_bytes = 1024 * 1024;
	c->max_connections = 1024;
	c->max_header_bytes = 8 * 1024;
	c->timeout_s = 10;
	c->request_timeout_s = 30;
	c->auth_failures_per_minute = 60;
	c->shutdown_timeout_s = 10;
	c->ready_max_handler_lag_s = 300;
	c->spool_dir = strdup("/var/lib/rtwebhookd/spool");
	c->fsync = FSYNC_BATCH;
	c->segment_bytes = 64 * 1024 * 1024;
	c->dedup_window_s = 900;
	c->metrics_allow_from = calloc(2, sizeof(*c->metrics_allow_from));
	if (c->metrics_allow_from != NULL &&
	    cidr_parse("127.0.0.1/8", &c->metrics_allow_from[0]) == 0 &&
	    cidr_parse("::1", &c->metrics_allow_from[1]) == 0)
		c->nmetrics_allow_from = 2;
	if (c->file == NULL || c->listen_address == NULL ||
	    c->spool_dir == NULL || c->nmetrics_allow_from != 2) {
		config_free(c);
		return NULL;
	}
	return c;
}

static void read_root(struct reader *r, const config_setting_t *root,
		      struct config *c)
{
	static const char *const keys[] = {"listen",    "limits",
					   "spool",     "dedup",
					   "endpoints", "handlers",
					   "trusted_proxies", "metrics", "log",
					   NULL};

	check_keys(r, root, "the top level", keys);
	read_cidrs(r, root, "trusted_proxies", &c->trusted_proxies,
		   &c->ntrusted_proxies);
	read_listen(r, root, c);
	read_limits(r, root, c);
	read_spool(r, root, c);
	read_dedup(r, root, c);
	read_metrics(r, root, c);
	read_log(r, root, c);
	c->endpoints = read_groups(r, root, "endpoints", sizeof(*c->endpoints),
				   &c->nendpoints, read_endpoint_cb);
	c->handlers = read_groups(r, root, "handlers", sizeof(*c->handlers),
				  &c->nhandlers, read_handler_cb);
	check_references(r, c);
}

/* Warns when a file holding inline secrets is world-readable. libconfig
 * names an @include'd file as written, relative to the include dir. */
static void warn_secret_file(const struct reader *r, const char *include_dir,
			     const char *name)
{
	char path[PATH_MAX];

	if (name[0] == '/' || strcmp(name, r->file) == 0) {
		warn_if_world_readable(name);
		return;
	}
	if (snprintf(path, sizeof(path), "%s/%s", include_dir, name) <
	    (int)sizeof(path))
		warn_if_world_readable(path);
}

struct config *config_load(const char *file, struct errlist *errs)
{
	struct reader r = {.file = file, .errs = errs};
	size_t errors_before = errs->count;
	char *dir_copy = strdup(file);
	struct config *c = config_defaults(file);
	const char *include_dir;
	config_t cf;

	if (c == NULL || dir_copy == NULL) {
		errlist_add(errs, file, 0, "out of memory");
		free(dir_copy);
		config_free(c);
		return NULL;
	}
	config_init(&cf);
	/* @include paths are relative to the including file's directory. */
	include_dir = dirname(dir_copy);
	config_set_include_dir(&cf, include_dir);
	if (config_read_file(&cf, file) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, file, 0, "cannot read the file");
		else
			errlist_add(errs, config_error_file(&cf) ?
				    config_error_file(&cf) : file,
				    config_error_line(&cf), "%s",
				    config_error_text(&cf));
	} else {
		read_root(&r, config_root_setting(&cf), c);
		for (size_t i = 0; i < r.nsecret_files; i++)
			warn_secret_file(&r, include_dir, r.secret_files[i]);
	}
	config_destroy(&cf);
	free(dir_copy);
	if (errs->count != errors_before) {
		config_free(c);
		return NULL;
	}
	return c;
}

void config_scramble_endpoint_secrets(struct config *c)
{
	for (size_t i = 0; i < c->nendpoints; i++) {
		struct endpoint_conf *ep = &c->endpoints[i];

		secret_scramble(ep->tokens, ep->ntokens * sizeof(*ep->tokens));
		for (size_t k = 0; k < ep->nsigning_keys; k++)
			secret_scramble(ep->signing_keys[k].bytes,
					ep->signing_keys[k].len);
	}
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nendpoints; i++) {
		struct endpoint_conf *ep = &c->endpoints[i];

		free(ep->path);
		free(ep->file);
		free(ep->allow_from);
		secret_wipe(ep->tokens, ep->ntokens * sizeof(*ep->tokens));
		free(ep->tokens);
		for (size_t k = 0; k < ep->nsigning_keys; k++)
			secret_signing_key_free(&ep->signing_keys[k]);
		free(ep->signing_keys);
		string_list_free(&ep->handlers);
	}
	for (size_t i = 0; i < c->nhandlers; i++) {
		free(c->handlers[i].name);
		free(c->handlers[i].module);
		free(c->handlers[i].file);
		string_list_free(&c->handlers[i].events);
		json_decref(c->handlers[i].config);
	}
	free(c->endpoints);
	free(c->handlers);
	free(c->trusted_proxies);
	free(c->metrics_allow_from);
	free(c->file);
	free(c->listen_address);
	free(c->spool_dir);
	free(c);
}
