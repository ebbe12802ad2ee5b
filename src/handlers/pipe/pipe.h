/* pipe: feeds events to one long-running worker process, one line each
 * (see docs/handlers/pipe.md). Internal declarations shared by the
 * module's files. */
#ifndef RTW_HANDLERS_PIPE_H
#define RTW_HANDLERS_PIPE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"
#include "rtwebhookd/handler.h"

struct pipe_config {
	char **argv; /* the worker's command, NULL-terminated */
	int ack;     /* wait for "ok|retry|fail <seq>" lines */
	int64_t ack_timeout_ms;
	int64_t write_timeout_ms;
	int64_t restart_max_ms;	 /* cap of the restart backoff */
	int64_t stop_timeout_ms; /* grace after closing its stdin at stop */
};

int pipe_config_parse(const json_t *config, struct pipe_config *c,
		      struct rtw_error *err);
void pipe_config_free(struct pipe_config *c);

/* Lines read from a non-blocking descriptor. A line longer than the
 * buffer comes out in buffer-sized pieces. */
#define PIPE_LINE_MAX 4096

struct pipe_lines {
	char data[PIPE_LINE_MAX];
	size_t start, len; /* unread bytes are data[start..len) */
};

void pipe_lines_reset(struct pipe_lines *l);
/* Reads what fd holds. Returns 1 at end of file (or a read error), 0
 * otherwise. */
int pipe_lines_fill(struct pipe_lines *l, int fd);
/* The next whole line, without its "\n" or "\r\n": *line points into l
 * until the next call. With flush set, a last unterminated line counts
 * too. Returns 1 when it gave a line. */
int pipe_lines_next(struct pipe_lines *l, int flush, const char **line,
		    size_t *len);

/* One event as the worker sees it: the body on one line, with a first
 * member "_rtwebhookd" holding seq and received_at_ms. */
struct pipe_line {
	char *buf;
	size_t cap, len;
};

int pipe_line_format(struct pipe_line *out, const struct rtw_event *ev);
void pipe_line_free(struct pipe_line *out);

/* A running worker: the process and the watcher thread that logs its
 * stderr (and its stdout when it does not acknowledge) and reaps it the
 * moment it exits. `lock` orders reaping (watcher) against signalling
 * the group (handle, fini), so a reused group id is never signalled. */
struct pipe_worker {
	const struct rtw_host *host;
	struct proc p;
	int log_stdout;
	pthread_mutex_t lock;
	pthread_cond_t exited_cv;
	int dead;	/* reaped; under lock */
	int stop_fd[2]; /* written to make the watcher finish */
	pthread_t watcher;
	int watcher_started;
	int64_t started_ms;
	struct pipe_lines acks; /* its stdout, in ack mode (handle only) */
};

/* Starts argv as a worker. NULL with err set on failure. */
struct pipe_worker *pipe_worker_start(const struct rtw_host *host,
				      char *const *argv, int ack,
				      atomic_int *no_pidfd,
				      struct rtw_error *err);
/* 1 once the worker process has exited (and been reaped). */
int pipe_worker_dead(struct pipe_worker *w);
/* Stops and frees w. graceful: close its stdin, wait up to grace_ms for
 * it to exit, then SIGTERM, then SIGKILL; otherwise SIGKILL at once. */
void pipe_worker_stop(struct pipe_worker *w, int graceful, int64_t grace_ms);

/* The watcher thread's body (pipe_watch.c). */
void *pipe_watch_main(void *arg);

/* Waits for the worker's acknowledgement of seq until deadline_ms.
 * Returns RTW_OK / RTW_RETRY / RTW_FAIL as it answered (with its reason
 * in err), or -1 with err set when it did not answer: *exited tells
 * whether its stdout ended (it died) or the deadline passed. */
int pipe_ack_wait(struct pipe_worker *w, uint64_t seq, int64_t deadline_ms,
		  int *exited, struct rtw_error *err);

#endif
