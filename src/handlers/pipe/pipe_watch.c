/* The watcher thread of a worker: its stderr (and, without
 * acknowledgements, its stdout) goes to the daemon's log line by line,
 * and the worker is reaped as soon as it exits, so it never lingers as a
 * zombie while the handler is idle. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"

/* Without a pidfd the watcher checks for the exit this often. */
#define EXIT_CHECK_MS 100

enum { W_ERR, W_OUT, W_EXIT, W_STOP, W_NFDS };

struct stream {
	const char *name;
	int *fd;
	struct pipe_lines lines;
};

static void log_line(struct pipe_worker *w, const char *stream,
		     const char *line, size_t len)
{
	char clean[PIPE_LINE_MAX + 64];

	proc_text_clean(clean, sizeof(clean), line, len);
	w->host->log(w->host, RTW_LOG_INFO, "worker %ld %s: %s", (long)w->p.pid,
		     stream, clean);
}

/* Logs what s holds now; at its end (or with flush) the last partial
 * line too, and closes it at its end. */
static void drain(struct pipe_worker *w, struct stream *s, int flush)
{
	const char *line;
	size_t len;
	int eof;

	if (*s->fd < 0)
		return;
	do {
		eof = pipe_lines_fill(&s->lines, *s->fd);
		while (pipe_lines_next(&s->lines, eof || flush, &line, &len))
			log_line(w, s->name, line, len);
	} while (!eof && s->lines.len == sizeof(s->lines.data));
	if (eof)
		proc_close(s->fd);
}

/* Reaps the worker if it exited; logs how. Returns 1 once dead. */
static int check_exit(struct pipe_worker *w)
{
	char how[128];
	int reaped;

	pthread_mutex_lock(&w->lock);
	reaped = proc_try_reap(&w->p);
	if (reaped && !w->dead) {
		w->dead = 1;
		pthread_cond_broadcast(&w->exited_cv);
		pthread_mutex_unlock(&w->lock);
		proc_describe_status(w->p.status, how, sizeof(how));
		w->host->log(w->host, RTW_LOG_NOTICE, "worker %ld exited: %s",
			     (long)w->p.pid, how);
		return 1;
	}
	pthread_mutex_unlock(&w->lock);
	return reaped;
}

void *pipe_watch_main(void *arg)
{
	struct pipe_worker *w = arg;
	struct stream *s = calloc(2, sizeof(*s));
	int no_out = -1;

	if (s == NULL)
		return NULL;
	s[0] = (struct stream){.name = "stderr", .fd = &w->p.err_fd};
	s[1] = (struct stream){.name = "stdout",
			       .fd = w->log_stdout ? &w->p.out_fd : &no_out};
	for (;;) {
		struct pollfd pfd[W_NFDS] = {
		    [W_ERR] = {.fd = *s[0].fd, .events = POLLIN},
		    [W_OUT] = {.fd = *s[1].fd, .events = POLLIN},
		    [W_EXIT] = {.fd = w->p.pidfd, .events = POLLIN},
		    [W_STOP] = {.fd = w->stop_fd[0], .events = POLLIN},
		};

		if (poll(pfd, W_NFDS, w->p.pidfd < 0 ? EXIT_CHECK_MS : -1) <
			0 &&
		    errno != EINTR)
			break;
		if (pfd[W_ERR].revents)
			drain(w, &s[0], 0);
		if (pfd[W_OUT].revents)
			drain(w, &s[1], 0);
		if (pfd[W_STOP].revents ||
		    ((w->p.pidfd < 0 || pfd[W_EXIT].revents) && check_exit(w)))
			break;
	}
	/* What it wrote before it went is still worth logging. */
	drain(w, &s[0], 1);
	drain(w, &s[1], 1);
	free(s);
	return NULL;
}
