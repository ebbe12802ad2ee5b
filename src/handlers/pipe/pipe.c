/* pipe: feeds every event to one long-running worker process, one line
 * each (NDJSON) on its stdin, for scripts that must not pay a fork per
 * event.
 *
 * Without acknowledgements an event is handled once its line is written
 * whole. With `ack = true` the worker answers each line with
 * "ok|retry|fail <seq> [reason]" on its stdout and the event is handled
 * only then; no answer within ack_timeout_s retries the event and
 * restarts the worker. A worker that dies is restarted with backoff
 * (100 ms doubling up to restart_max_s; never a tight fork loop); the
 * event in hand is retried, so the host offers it again. Its stderr goes
 * to the daemon's log. One worker, one event at a time: the module is
 * not thread-safe (workers = 1), which keeps the worker's input in
 * acknowledgement order across all bots. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"
#include "proc_config.h"

#define RESTART_FIRST_MS 100
/* A worker that ran this long before dying starts the backoff afresh. */
#define RESTART_RESET_AFTER_MS 10000

struct pipe {
	const struct rtw_host *host;
	struct pipe_config config;
	struct pipe_worker *worker; /* NULL while none runs */
	struct pipe_line line;
	int64_t next_start_ms;	  /* no start before this */
	int64_t restart_delay_ms; /* the last backoff step */
	atomic_int no_pidfd;
};

static int pipe_init(const struct rtw_host *host, const json_t *config,
		     void **state, struct rtw_error *err)
{
	struct pipe *pp = calloc(1, sizeof(*pp));

	if (pp == NULL) {
		rtw_error_set(err, "out of memory");
		return -1;
	}
	if (pipe_config_parse(config, &pp->config, err) != 0) {
		free(pp);
		return -1;
	}
	/* The worker starts with the first event, not here: `rtwebhookd -t`
	 * runs init too and must not start anything. */
	pp->host = host;
	*state = pp;
	return 0;
}

static void pipe_fini(void *state)
{
	struct pipe *pp = state;

	if (pp == NULL)
		return;
	pipe_worker_stop(pp->worker, 1, pp->config.stop_timeout_ms);
	pipe_line_free(&pp->line);
	pipe_config_free(&pp->config);
	free(pp);
}

/* Sets the earliest next start after a worker that ran lived_ms died
 * (or could not start: 0): the backoff doubles while workers die young. */
static void schedule_restart(struct pipe *pp, int64_t lived_ms)
{
	if (lived_ms >= RESTART_RESET_AFTER_MS || pp->restart_delay_ms == 0)
		pp->restart_delay_ms = RESTART_FIRST_MS;
	else if (pp->restart_delay_ms * 2 <= pp->config.restart_max_ms)
		pp->restart_delay_ms *= 2;
	else
		pp->restart_delay_ms = pp->config.restart_max_ms;
	if (pp->restart_delay_ms > pp->config.restart_max_ms)
		pp->restart_delay_ms = pp->config.restart_max_ms;
	pp->next_start_ms = proc_now_ms() + pp->restart_delay_ms;
}

/* Stops the worker (it died, or misbehaved: why) and schedules its
 * restart. */
static void drop_worker(struct pipe *pp, const char *why)
{
	int64_t lived = proc_now_ms() - pp->worker->started_ms;

	if (why != NULL)
		pp->host->log(pp->host, RTW_LOG_WARNING,
			      "stopping worker %ld: %s",
			      (long)pp->worker->p.pid, why);
	pipe_worker_stop(pp->worker, 0, 0);
	pp->worker = NULL;
	schedule_restart(pp, lived);
}

/* A running worker, started if none runs and the backoff allows. NULL
 * with err set (the event is then retried). */
static struct pipe_worker *running_worker(struct pipe *pp,
					  struct rtw_error *err)
{
	int64_t now = proc_now_ms();

	if (pp->worker != NULL && pipe_worker_dead(pp->worker))
		drop_worker(pp, NULL);
	if (pp->worker != NULL)
		return pp->worker;
	if (now < pp->next_start_ms) {
		rtw_error_set(err, "worker restarts in %lld ms",
			      (long long)(pp->next_start_ms - now));
		return NULL;
	}
	pp->worker = pipe_worker_start(pp->host, pp->config.argv,
				       pp->config.ack, &pp->no_pidfd, err);
	if (pp->worker == NULL) {
		pp->host->log(pp->host, RTW_LOG_ERR, "%s", err->message);
		schedule_restart(pp, 0);
	}
	return pp->worker;
}

/* Writes the event's line; on any failure the worker is dropped (a
 * partly written line would corrupt the stream). */
static int send_line(struct pipe *pp, struct rtw_error *err)
{
	struct pipe_worker *w = pp->worker;
	size_t written;

	if (proc_write_all(w->p.in_fd, pp->line.buf, pp->line.len,
			   proc_now_ms() + pp->config.write_timeout_ms,
			   &written) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		rtw_error_set(err,
			      "worker did not read its input within "
			      "%.3g s; restarting it",
			      (double)pp->config.write_timeout_ms / 1000.0);
	else
		rtw_error_set(err, "cannot write to the worker: %s",
			      strerror(errno));
	drop_worker(pp, err->message);
	return -1;
}

static enum rtw_result await_ack(struct pipe *pp, uint64_t seq,
				 struct rtw_error *err)
{
	int exited, result;

	result = pipe_ack_wait(pp->worker, seq,
			       proc_now_ms() + pp->config.ack_timeout_ms,
			       &exited, err);
	if (result >= 0)
		return (enum rtw_result)result;
	if (!exited)
		rtw_error_set(err,
			      "no acknowledgement of event %" PRIu64
			      " within %.3g s; restarting the worker",
			      seq, (double)pp->config.ack_timeout_ms / 1000.0);
	drop_worker(pp, err->message);
	return RTW_RETRY;
}

static enum rtw_result pipe_handle(void *state, const struct rtw_event *ev,
				   struct rtw_error *err)
{
	struct pipe *pp = state;

	if (pipe_line_format(&pp->line, ev) != 0) {
		rtw_error_set(err, "out of memory");
		return RTW_RETRY;
	}
	if (running_worker(pp, err) == NULL || send_line(pp, err) != 0)
		return RTW_RETRY;
	if (!pp->config.ack)
		return RTW_OK;
	return await_ack(pp, ev->seq, err);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
	    .abi_version = RTW_HANDLER_ABI_VERSION,
	    .size = sizeof(struct rtw_handler),
	    .name = "pipe",
	    .version = "1.0",
	    .flags = 0,
	    .init = pipe_init,
	    .handle = pipe_handle,
	    .fini = pipe_fini,
	};
	return &handler;
}
