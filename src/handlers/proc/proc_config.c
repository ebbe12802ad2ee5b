/* Config keys shared by the exec and pipe handlers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_config.h"

int proc_config_keys(const json_t *config, const char *module,
		     const char *const *allowed, struct rtw_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)config, key, value)
	{
		char list[256] = "";
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		for (i = 0; allowed[i] != NULL; i++) {
			if (i > 0)
				strncat(list, ", ",
					sizeof(list) - strlen(list) - 1);
			strncat(list, allowed[i],
				sizeof(list) - strlen(list) - 1);
		}
		rtw_error_set(err, "unknown key '%s' in config (%s takes: %s)",
			      key, module, list);
		return -1;
	}
	return 0;
}

void proc_config_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Checks one element of the command array. */
static int check_arg(const json_t *arg, const char *key, size_t i,
		     struct rtw_error *err)
{
	if (!json_is_string(arg)) {
		rtw_error_set(err, "'%s'[%zu] must be a string", key, i);
		return -1;
	}
	if (i == 0 && json_string_length(arg) == 0) {
		rtw_error_set(err, "'%s'[0] (the program) must not be empty",
			      key);
		return -1;
	}
	if (strlen(json_string_value(arg)) != json_string_length(arg)) {
		rtw_error_set(err, "'%s'[%zu] holds a NUL byte", key, i);
		return -1;
	}
	return 0;
}

/* A program named by path must exist and be executable now: an operator
 * learns about a typo from `rtwebhookd -t`, not from dead letters. A bare
 * name is looked up in PATH at each start. */
static int check_program(const char *program, const char *key,
			 struct rtw_error *err)
{
	struct stat st;

	if (strchr(program, '/') == NULL)
		return 0;
	if (stat(program, &st) == 0 && !S_ISREG(st.st_mode))
		errno = EISDIR;
	else if (stat(program, &st) == 0 && access(program, X_OK) == 0)
		return 0;
	rtw_error_set(err, "'%s'[0]: %s is not an executable file: %s", key,
		      program, strerror(errno));
	return -1;
}

int proc_config_argv(const json_t *config, const char *key, char ***argv,
		     struct rtw_error *err)
{
	const json_t *list = json_object_get(config, key);
	size_t n = json_array_size(list);

	*argv = NULL;
	if (!json_is_array(list) || n == 0) {
		rtw_error_set(err,
			      "config needs %s = [\"/path/to/program\", "
			      "\"arg\", ...] (a non-empty list of strings)",
			      key);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (check_arg(json_array_get(list, i), key, i, err) != 0)
			return -1;
	if (check_program(json_string_value(json_array_get(list, 0)), key,
			  err) != 0)
		return -1;
	*argv = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; *argv != NULL && i < n; i++)
		if (((*argv)[i] = strdup(
			 json_string_value(json_array_get(list, i)))) == NULL) {
			proc_config_free_argv(*argv);
			*argv = NULL;
		}
	if (*argv == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	return 0;
}

int proc_config_seconds(const json_t *config, const char *key, double max_s,
			int64_t default_ms, int64_t *ms, struct rtw_error *err)
{
	const json_t *v = json_object_get(config, key);
	double s;

	*ms = default_ms;
	if (v == NULL)
		return 0;
	s = json_number_value(v);
	if (!json_is_number(v) || !isfinite(s) || s <= 0 || s > max_s) {
		rtw_error_set(err,
			      "'%s' must be a number of seconds in (0, %g]",
			      key, max_s);
		return -1;
	}
	*ms = (int64_t)(s * 1000.0 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

int proc_config_int(const json_t *config, const char *key, long min, long max,
		    long default_value, long *value, struct rtw_error *err)
{
	const json_t *v = json_object_get(config, key);

	*value = default_value;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		rtw_error_set(err, "'%s' must be an integer from %ld to %ld",
			      key, min, max);
		return -1;
	}
	*value = (long)json_integer_value(v);
	return 0;
}

int proc_config_bool(const json_t *config, const char *key, int default_value,
		     int *value, struct rtw_error *err)
{
	const json_t *v = json_object_get(config, key);

	*value = default_value;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		rtw_error_set(err, "'%s' must be true or false", key);
		return -1;
	}
	*value = json_is_true(v);
	return 0;
}
