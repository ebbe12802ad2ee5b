/* Starting and stopping the worker process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipe.h"

/* After SIGTERM at a stop, how long the worker gets before SIGKILL. */
#define TERM_GRACE_MS 1000

static void worker_free(struct pipe_worker *w)
{
	proc_close(&w->stop_fd[0]);
	proc_close(&w->stop_fd[1]);
	pthread_cond_destroy(&w->exited_cv);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct pipe_worker *pipe_worker_start(const struct rtw_host *host,
				      char *const *argv, int ack,
				      atomic_int *no_pidfd,
				      struct rtw_error *err)
{
	extern char **environ;
	const struct proc_spec spec = {
	    .argv = argv,
	    .envp = environ,
	    .pipes = PROC_PIPE_STDIN | PROC_PIPE_STDOUT | PROC_PIPE_STDERR,
	    .no_pidfd = no_pidfd,
	};
	struct pipe_worker *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL) {
		rtw_error_set(err, "out of memory");
		return NULL;
	}
	w->host = host;
	w->log_stdout = !ack;
	w->stop_fd[0] = w->stop_fd[1] = -1;
	proc_init(&w->p);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->exited_cv, NULL);
	if (pipe2(w->stop_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		rtw_error_set(err, "cannot create a pipe: %s", strerror(errno));
		worker_free(w);
		return NULL;
	}
	rc = proc_spawn(&w->p, &spec);
	if (rc != 0) {
		rtw_error_set(err, "cannot start %s: %s", argv[0],
			      strerror(rc));
		worker_free(w);
		return NULL;
	}
	w->started_ms = proc_now_ms();
	rc = pthread_create(&w->watcher, NULL, pipe_watch_main, w);
	if (rc != 0) {
		proc_destroy(&w->p);
		rtw_error_set(err, "cannot start a thread: %s", strerror(rc));
		worker_free(w);
		return NULL;
	}
	w->watcher_started = 1;
	host->log(host, RTW_LOG_INFO, "worker %ld started: %s", (long)w->p.pid,
		  argv[0]);
	return w;
}

int pipe_worker_dead(struct pipe_worker *w)
{
	int dead;

	pthread_mutex_lock(&w->lock);
	dead = w->dead;
	pthread_mutex_unlock(&w->lock);
	return dead;
}

/* deadline_ms on the monotonic clock as an absolute CLOCK_REALTIME time,
 * for pthread_cond_timedwait. */
static struct timespec realtime_at(int64_t deadline_ms)
{
	int64_t left = deadline_ms - proc_now_ms();
	struct timespec ts;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (left < 0)
		left = 0;
	ns = (int64_t)ts.tv_nsec + left % 1000 * 1000000;
	ts.tv_sec += (time_t)(left / 1000 + ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	return ts;
}

/* Waits until the watcher reaped the worker or deadline_ms passes. */
static int wait_dead(struct pipe_worker *w, int64_t deadline_ms)
{
	struct timespec until = realtime_at(deadline_ms);
	int dead;

	pthread_mutex_lock(&w->lock);
	while (!w->dead &&
	       pthread_cond_timedwait(&w->exited_cv, &w->lock, &until) == 0)
		;
	dead = w->dead;
	pthread_mutex_unlock(&w->lock);
	return dead;
}

static void signal_group(struct pipe_worker *w, int sig)
{
	pthread_mutex_lock(&w->lock);
	if (!w->dead)
		proc_kill_group(&w->p, sig);
	pthread_mutex_unlock(&w->lock);
}

void pipe_worker_stop(struct pipe_worker *w, int graceful, int64_t grace_ms)
{
	if (w == NULL)
		return;
	if (graceful) {
		/* EOF on its stdin is the worker's cue to finish. */
		proc_close(&w->p.in_fd);
		if (!wait_dead(w, proc_now_ms() + grace_ms)) {
			w->host->log(w->host, RTW_LOG_WARNING,
				     "worker %ld still runs %lld ms after its "
				     "input closed; sending SIGTERM",
				     (long)w->p.pid, (long long)grace_ms);
			signal_group(w, SIGTERM);
			wait_dead(w, proc_now_ms() + TERM_GRACE_MS);
		}
	}
	signal_group(w, SIGKILL);
	if (w->watcher_started) {
		char stop = 1;

		if (write(w->stop_fd[1], &stop, 1) < 0 && errno != EAGAIN)
			w->host->log(w->host, RTW_LOG_ERR,
				     "cannot wake the watcher: %s",
				     strerror(errno));
		pthread_join(w->watcher, NULL);
	}
	/* The watcher is gone: reap here if it did not, and say how the
	 * worker ended (the watcher logs the exits it sees itself). */
	proc_destroy(&w->p);
	if (!w->dead && w->p.reaped) {
		char how[128];

		proc_describe_status(w->p.status, how, sizeof(how));
		w->host->log(w->host, RTW_LOG_NOTICE, "worker %ld exited: %s",
			     (long)w->p.pid, how);
	}
	worker_free(w);
}
