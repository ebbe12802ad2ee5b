/* tx_config: reading and checking the handler's `config` group. */
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

#define TX_KEYS "dir, partials, fsync"

static int check_known_keys(const json_t *config, struct rtw_error *err)
{
	static const char *const known[] = {"dir", "partials", "fsync"};
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)config, key, value)
	{
		size_t i = 0;

		while (i < sizeof(known) / sizeof(known[0]) &&
		       strcmp(key, known[i]) != 0)
			i++;
		if (i == sizeof(known) / sizeof(known[0])) {
			rtw_error_set(err,
				      "unknown key '%s' in config "
				      "(transcript takes: " TX_KEYS ")",
				      key);
			return -1;
		}
	}
	return 0;
}

/* A boolean key: *out keeps its default when the key is absent. */
static int read_bool(const json_t *config, const char *key, int *out,
		     struct rtw_error *err)
{
	const json_t *v = json_object_get(config, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		rtw_error_set(err, "config key '%s' must be true or false",
			      key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int tx_config_parse(const json_t *config, struct tx_config *out,
		    struct rtw_error *err)
{
	const json_t *dir = json_object_get(config, "dir");

	memset(out, 0, sizeof(*out));
	out->fsync = 1;
	if (check_known_keys(config, err) != 0)
		return -1;
	if (dir == NULL) {
		rtw_error_set(err, "config needs dir = \"DIRECTORY\" "
				   "(where the transcripts go)");
		return -1;
	}
	if (!json_is_string(dir) || json_string_value(dir)[0] == '\0') {
		rtw_error_set(err, "config key 'dir' must be a non-empty "
				   "string");
		return -1;
	}
	if (read_bool(config, "partials", &out->partials, err) != 0 ||
	    read_bool(config, "fsync", &out->fsync, err) != 0)
		return -1;
	out->dir = strdup(json_string_value(dir));
	if (out->dir == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	return 0;
}

void tx_config_free(struct tx_config *c)
{
	free(c->dir);
	c->dir = NULL;
}
