/* exec: runs a command per event (see docs/handlers/exec.md). Internal
 * declarations shared by the module's files. */
#ifndef RTW_HANDLERS_EXEC_H
#define RTW_HANDLERS_EXEC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rtwebhookd/handler.h"

/* How much of a command's stderr is kept for the failure reason. */
#define EXEC_STDERR_KEEP 4096
/* How many stderr lines the failure reason quotes. */
#define EXEC_STDERR_LINES 5

struct exec_config {
	char **argv; /* the command, NULL-terminated */
	int64_t timeout_ms;
	long max_concurrency;
};

/* Parses and checks the handler's config group. */
int exec_config_parse(const json_t *config, struct exec_config *c,
		      struct rtw_error *err);
void exec_config_free(struct exec_config *c);

/* The environment commands get: the daemon's, taken once at init, minus
 * any RTW_* variable, plus the event's own RTW_* variables. */
struct exec_env {
	char **base; /* NULL-terminated copies */
	size_t nbase;
};

int exec_env_init(struct exec_env *e);
void exec_env_free(struct exec_env *e);
/* A NULL-terminated envp for ev, malloc'd, with the event's variables
 * malloc'd too; free with exec_env_release. NULL when out of memory. */
char **exec_env_for(const struct exec_env *e, const struct rtw_event *ev);
void exec_env_release(const struct exec_env *e, char **envp);

/* How one run of the command ended. */
enum exec_end {
	EXEC_EXITED,	   /* status holds the wait status */
	EXEC_TIMED_OUT,	   /* killed with its process group */
	EXEC_SPAWN_FAILED, /* spawn_errno says why */
};

struct exec_outcome {
	enum exec_end end;
	int status;
	int spawn_errno;
	char err_head[EXEC_STDERR_KEEP]; /* the start of its stderr */
	size_t err_len;
};

/* Runs argv with envp, the body on its stdin, until it exits or
 * timeout_ms pass (then its process group is killed). Its stdout is read
 * and dropped, its stderr's start kept; the child is always reaped. */
void exec_run(char *const *argv, char *const *envp, const char *body,
	      size_t body_len, int64_t timeout_ms, atomic_int *no_pidfd,
	      struct exec_outcome *out);

/* The concurrency bound: at most `limit` commands run at once. */
struct exec_slots {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	long running, limit;
};

void exec_slots_init(struct exec_slots *s, long limit);
void exec_slots_destroy(struct exec_slots *s);
void exec_slots_take(struct exec_slots *s);
void exec_slots_give(struct exec_slots *s);

#endif
