/* The sqlite handler's settings:
 *   path             = "var/events.db";  (required)
 *   synchronous      = "normal" | "full";   default "normal"
 *   busy_timeout_ms  = 0..60000;            default 2000
 *   checkpoint_pages = 100..1000000;        default 4000
 * Unknown keys and wrong types are refused, naming the key. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_config.h"

#define KNOWN_KEYS "path, synchronous, busy_timeout_ms, checkpoint_pages"

static int parse_path(const json_t *v, struct sqlite_config *cfg,
		      struct rtw_error *err)
{
	const char *s = json_string_value(v);

	if (s == NULL || s[0] == '\0') {
		rtw_error_set(err, "'path' must be a non-empty string (the "
				   "database file)");
		return -1;
	}
	cfg->path = strdup(s);
	if (cfg->path == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static int parse_synchronous(const json_t *v, struct sqlite_config *cfg,
			     struct rtw_error *err)
{
	const char *s = json_string_value(v);

	if (s != NULL && strcmp(s, "normal") == 0)
		cfg->synchronous_full = 0;
	else if (s != NULL && strcmp(s, "full") == 0)
		cfg->synchronous_full = 1;
	else {
		rtw_error_set(err, "'synchronous' must be \"normal\" or "
				   "\"full\"");
		return -1;
	}
	return 0;
}

static int parse_int(const json_t *v, const char *key, long min, long max,
		     int *out, struct rtw_error *err)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < min ||
	    n > max) {
		rtw_error_set(err, "'%s' must be an integer from %ld to %ld",
			      key, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int parse_busy_timeout(const json_t *v, struct sqlite_config *cfg,
			      struct rtw_error *err)
{
	return parse_int(v, "busy_timeout_ms", 0, 60000, &cfg->busy_timeout_ms,
			 err);
}

static int parse_checkpoint_pages(const json_t *v, struct sqlite_config *cfg,
				  struct rtw_error *err)
{
	return parse_int(v, "checkpoint_pages", 100, 1000000,
			 &cfg->checkpoint_pages, err);
}

static const struct {
	const char *key;
	int (*parse)(const json_t *v, struct sqlite_config *cfg,
		     struct rtw_error *err);
} keys[] = {
    {"path", parse_path},
    {"synchronous", parse_synchronous},
    {"busy_timeout_ms", parse_busy_timeout},
    {"checkpoint_pages", parse_checkpoint_pages},
};

static int parse_key(const char *key, const json_t *v,
		     struct sqlite_config *cfg, struct rtw_error *err)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return keys[i].parse(v, cfg, err);
	rtw_error_set(err, "unknown key '%s' in config (sqlite takes: %s)", key,
		      KNOWN_KEYS);
	return -1;
}

int sqlite_config_parse(const json_t *config, struct sqlite_config *cfg,
			struct rtw_error *err)
{
	const char *key;
	json_t *value;

	memset(cfg, 0, sizeof(*cfg));
	cfg->busy_timeout_ms = 2000;
	cfg->checkpoint_pages = 4000;
	json_object_foreach((json_t *)config, key, value)
	{
		if (parse_key(key, value, cfg, err) != 0)
			goto fail;
	}
	if (cfg->path == NULL) {
		rtw_error_set(err, "config needs path = \"FILE\" (the "
				   "database file)");
		goto fail;
	}
	return 0;
fail:
	sqlite_config_free(cfg);
	return -1;
}

void sqlite_config_free(struct sqlite_config *cfg)
{
	free(cfg->path);
	cfg->path = NULL;
}
