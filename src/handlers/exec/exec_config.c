/* The exec handler's config group. */
#include <string.h>

#include "exec.h"
#include "proc_config.h"

#define DEFAULT_TIMEOUT_MS	10000
#define MAX_TIMEOUT_S		86400.0
#define DEFAULT_MAX_CONCURRENCY 8
#define MAX_CONCURRENCY		256

int exec_config_parse(const json_t *config, struct exec_config *c,
		      struct rtw_error *err)
{
	static const char *const keys[] = {"command", "timeout_s",
					   "max_concurrency", NULL};

	memset(c, 0, sizeof(*c));
	if (proc_config_keys(config, "exec", keys, err) != 0 ||
	    proc_config_seconds(config, "timeout_s", MAX_TIMEOUT_S,
				DEFAULT_TIMEOUT_MS, &c->timeout_ms, err) != 0 ||
	    proc_config_int(config, "max_concurrency", 1, MAX_CONCURRENCY,
			    DEFAULT_MAX_CONCURRENCY, &c->max_concurrency,
			    err) != 0 ||
	    proc_config_argv(config, "command", &c->argv, err) != 0) {
		exec_config_free(c);
		return -1;
	}
	return 0;
}

void exec_config_free(struct exec_config *c)
{
	proc_config_free_argv(c->argv);
	c->argv = NULL;
}
