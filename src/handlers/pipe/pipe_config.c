/* The pipe handler's config group. */
#include <string.h>

#include "pipe.h"
#include "proc_config.h"

#define DEFAULT_ACK_TIMEOUT_MS	 10000
#define DEFAULT_WRITE_TIMEOUT_MS 10000
#define DEFAULT_RESTART_MAX_MS	 30000
#define DEFAULT_STOP_TIMEOUT_MS	 5000

int pipe_config_parse(const json_t *config, struct pipe_config *c,
		      struct rtw_error *err)
{
	static const char *const keys[] = {"command",
					   "ack",
					   "ack_timeout_s",
					   "write_timeout_s",
					   "restart_max_s",
					   "stop_timeout_s",
					   NULL};

	memset(c, 0, sizeof(*c));
	if (proc_config_keys(config, "pipe", keys, err) != 0 ||
	    proc_config_bool(config, "ack", 0, &c->ack, err) != 0 ||
	    proc_config_seconds(config, "ack_timeout_s", 3600,
				DEFAULT_ACK_TIMEOUT_MS, &c->ack_timeout_ms,
				err) != 0 ||
	    proc_config_seconds(config, "write_timeout_s", 3600,
				DEFAULT_WRITE_TIMEOUT_MS, &c->write_timeout_ms,
				err) != 0 ||
	    proc_config_seconds(config, "restart_max_s", 3600,
				DEFAULT_RESTART_MAX_MS, &c->restart_max_ms,
				err) != 0 ||
	    proc_config_seconds(config, "stop_timeout_s", 600,
				DEFAULT_STOP_TIMEOUT_MS, &c->stop_timeout_ms,
				err) != 0 ||
	    proc_config_argv(config, "command", &c->argv, err) != 0) {
		pipe_config_free(c);
		return -1;
	}
	return 0;
}

void pipe_config_free(struct pipe_config *c)
{
	proc_config_free_argv(c->argv);
	c->argv = NULL;
}
