/* proc_config: reading the config keys the exec and pipe handlers share.
 * Each function names the key in its error and returns 0 / -1. */
#ifndef RTW_HANDLERS_PROC_CONFIG_H
#define RTW_HANDLERS_PROC_CONFIG_H

#include <stdint.h>

#include "rtwebhookd/handler.h"

/* Refuses any key of config not in allowed (NULL-terminated), naming the
 * key and listing what the module takes. */
int proc_config_keys(const json_t *config, const char *module,
		     const char *const *allowed, struct rtw_error *err);

/* `key` must be a non-empty array of non-empty strings without NUL
 * bytes: the program and its arguments. Its first element, when it holds
 * a '/', must name an executable file. *argv gets a malloc'd
 * NULL-terminated copy (free with proc_config_free_argv). */
int proc_config_argv(const json_t *config, const char *key, char ***argv,
		     struct rtw_error *err);
void proc_config_free_argv(char **argv);

/* Optional number of seconds (integer or real) in (0, max_s]; *ms gets it
 * in milliseconds (at least 1), or default_ms when the key is absent. */
int proc_config_seconds(const json_t *config, const char *key, double max_s,
			int64_t default_ms, int64_t *ms, struct rtw_error *err);
/* Optional integer in [min, max], or default_value when absent. */
int proc_config_int(const json_t *config, const char *key, long min, long max,
		    long default_value, long *value, struct rtw_error *err);
/* Optional boolean, or default_value when absent. */
int proc_config_bool(const json_t *config, const char *key, int default_value,
		     int *value, struct rtw_error *err);

#endif
