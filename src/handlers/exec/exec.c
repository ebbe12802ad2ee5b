/* exec: runs a command per event.
 *
 * The command is an argv list from the config (no shell unless the
 * operator names one). The event's body, byte for byte, is its stdin;
 * RTW_EVENT, RTW_SEQ, RTW_BOT_ID, RTW_RECORDING_ID, RTW_PARTICIPANT_ID and
 * RTW_PARTICIPANT_NAME describe the event in its environment (unset when
 * the event lacks them), on top of the daemon's own environment.
 *
 * Its answer is its exit: 0 = OK, 75 (EX_TEMPFAIL) = RETRY, anything else
 * or a signal = FAIL with the first lines of its stderr as the reason.
 * After timeout_s its whole process group is killed and the event is
 * retried. The module is thread-safe: with `workers = N` several bots'
 * commands run at once, at most max_concurrency of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "exec.h"
#include "proc.h"

#define EX_TEMPFAIL 75

struct exec {
	const struct rtw_host *host;
	struct exec_config config;
	struct exec_env env;
	struct exec_slots slots;
	atomic_int no_pidfd;
};

static void exec_fini(void *state)
{
	struct exec *x = state;

	if (x == NULL)
		return;
	exec_slots_destroy(&x->slots);
	exec_env_free(&x->env);
	exec_config_free(&x->config);
	free(x);
}

static int exec_init(const struct rtw_host *host, const json_t *config,
		     void **state, struct rtw_error *err)
{
	struct exec *x = calloc(1, sizeof(*x));

	if (x == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	x->host = host;
	if (exec_config_parse(config, &x->config, err) != 0) {
		free(x);
		return -1;
	}
	if (exec_env_init(&x->env) != 0) {
		exec_config_free(&x->config);
		free(x);
		rtw_error_set(err, "out of memory");
		return -1;
	}
	exec_slots_init(&x->slots, x->config.max_concurrency);
	*state = x;
	return 0;
}

/* "<what>; stderr: <first lines>" (or just what) into err. */
static void set_reason(struct rtw_error *err, const char *what,
		       const struct exec_outcome *o)
{
	char head[sizeof(err->message)];
	size_t n = strlen(what);

	if (n + 10 >= sizeof(head) ||
	    proc_text_head(head, sizeof(head) - n - 10, o->err_head, o->err_len,
			   EXEC_STDERR_LINES) == 0) {
		rtw_error_set(err, "%s", what);
		return;
	}
	rtw_error_set(err, "%s; stderr: %s", what, head);
}

/* Spawn errors that no retry can fix fail the event (it lands in the
 * dead letters); the others (no memory, too many processes) retry. */
static enum rtw_result spawn_failed(const struct exec *x, int e,
				    struct rtw_error *err)
{
	rtw_error_set(err, "cannot run %s: %s", x->config.argv[0], strerror(e));
	return e == ENOENT || e == EACCES || e == ENOEXEC || e == ENOTDIR ||
		       e == ELOOP || e == ENAMETOOLONG
		   ? RTW_FAIL
		   : RTW_RETRY;
}

/* Turns how the command ended into the handler's answer. */
static enum rtw_result judge(const struct exec *x, const struct exec_outcome *o,
			     struct rtw_error *err)
{
	char what[128];

	switch (o->end) {
	case EXEC_SPAWN_FAILED:
		return spawn_failed(x, o->spawn_errno, err);
	case EXEC_TIMED_OUT:
		snprintf(what, sizeof(what),
			 "timed out after %.3g s; process group killed",
			 (double)x->config.timeout_ms / 1000.0);
		set_reason(err, what, o);
		return RTW_RETRY;
	case EXEC_EXITED:
		break;
	}
	if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0)
		return RTW_OK;
	proc_describe_status(o->status, what, sizeof(what));
	if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == EX_TEMPFAIL) {
		strncat(what, " (EX_TEMPFAIL)",
			sizeof(what) - strlen(what) - 1);
		set_reason(err, what, o);
		return RTW_RETRY;
	}
	set_reason(err, what, o);
	return RTW_FAIL;
}

static enum rtw_result exec_handle(void *state, const struct rtw_event *ev,
				   struct rtw_error *err)
{
	struct exec *x = state;
	struct exec_outcome *o = malloc(sizeof(*o));
	char **envp = exec_env_for(&x->env, ev);
	enum rtw_result r;

	if (o == NULL || envp == NULL) {
		free(o);
		exec_env_release(&x->env, envp);
		rtw_error_set(err, "out of memory");
		return RTW_RETRY;
	}
	exec_slots_take(&x->slots);
	exec_run(x->config.argv, envp, ev->body, ev->body_len,
		 x->config.timeout_ms, &x->no_pidfd, o);
	exec_slots_give(&x->slots);
	r = judge(x, o, err);
	free(o);
	exec_env_release(&x->env, envp);
	return r;
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "exec",
	    .version = "1.0",
	    .flags = RTW_HANDLER_THREAD_SAFE,
	    .init = exec_init,
	    .handle = exec_handle,
	    .fini = exec_fini,
	};
	return &handler;
}
