/* One run of the command: spawn, feed the body to its stdin, drain its
 * stdout and stderr (a child writing megabytes must never block on a full
 * pipe while we wait for it), and wait for its exit or the timeout, all
 * in one poll loop. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "exec.h"
#include "proc.h"

/* After the command exits, what it wrote is read for at most this long
 * (its leftovers are killed at the exit, so the pipes close at once
 * unless a detached process holds them). */
#define DRAIN_AFTER_EXIT_MS 100

enum { FD_IN, FD_OUT, FD_ERR, FD_EXIT, NFDS };

struct run {
	struct proc p;
	const char *body;
	size_t body_len, body_sent;
	int64_t deadline_ms;
	int64_t drain_until_ms; /* once exited */
	int exited;
	struct exec_outcome *out;
};

static void feed_stdin(struct run *r)
{
	ssize_t n = proc_write(r->p.in_fd, r->body + r->body_sent,
			       r->body_len - r->body_sent);

	if (n > 0)
		r->body_sent += (size_t)n;
	/* EPIPE: the command does not read its stdin; that is its choice. */
	if ((n < 0 && errno != EAGAIN) || r->body_sent == r->body_len)
		proc_close(&r->p.in_fd);
}

/* Reads what fd holds; keeps it in keep (of room *kept..cap) or drops it. */
static void drain(int *fd, char *keep, size_t *kept, size_t cap)
{
	char scratch[16384];

	for (;;) {
		size_t room = keep != NULL ? cap - *kept : 0;
		char *into = room > 0 ? keep + *kept : scratch;
		ssize_t n =
		    proc_read(*fd, into, room > 0 ? room : sizeof(scratch));

		if (n > 0 && room > 0)
			*kept += (size_t)n;
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			proc_close(fd);
			return;
		}
		if (n < 0 || (size_t)n < (room > 0 ? room : sizeof(scratch)))
			return;
	}
}

static void note_exit(struct run *r)
{
	if (r->exited || !proc_try_reap(&r->p))
		return;
	r->exited = 1;
	r->drain_until_ms = proc_now_ms() + DRAIN_AFTER_EXIT_MS;
	proc_close(&r->p.in_fd);
}

/* How long the next poll may wait. */
static int poll_wait_ms(const struct run *r, int64_t now)
{
	int64_t until = r->exited ? r->drain_until_ms : r->deadline_ms;
	int64_t wait = until - now;

	if (!r->exited && r->p.pidfd < 0 && wait > PROC_POLL_SLICE_MS)
		wait = PROC_POLL_SLICE_MS;
	if (wait > 60000)
		wait = 60000;
	return wait > 0 ? (int)wait : 0;
}

/* One round: wait for something to do, then do it. Returns 0 to go on,
 * 1 when the run is over. */
static int step(struct run *r)
{
	struct pollfd pfd[NFDS];
	int64_t now = proc_now_ms();

	if (r->exited &&
	    ((r->p.out_fd < 0 && r->p.err_fd < 0) || now >= r->drain_until_ms))
		return 1;
	if (!r->exited && now >= r->deadline_ms) {
		r->out->end = EXEC_TIMED_OUT;
		return 1;
	}
	pfd[FD_IN] = (struct pollfd){.fd = r->p.in_fd, .events = POLLOUT};
	pfd[FD_OUT] = (struct pollfd){.fd = r->p.out_fd, .events = POLLIN};
	pfd[FD_ERR] = (struct pollfd){.fd = r->p.err_fd, .events = POLLIN};
	pfd[FD_EXIT] = (struct pollfd){.fd = r->exited ? -1 : r->p.pidfd,
				       .events = POLLIN};
	if (poll(pfd, NFDS, poll_wait_ms(r, now)) < 0 && errno != EINTR)
		return 0; /* only EINTR/ENOMEM: try again */
	if (pfd[FD_IN].revents != 0)
		feed_stdin(r);
	if (pfd[FD_OUT].revents != 0)
		drain(&r->p.out_fd, NULL, NULL, 0);
	if (pfd[FD_ERR].revents != 0)
		drain(&r->p.err_fd, r->out->err_head, &r->out->err_len,
		      sizeof(r->out->err_head));
	if (!r->exited && (r->p.pidfd < 0 || pfd[FD_EXIT].revents != 0))
		note_exit(r);
	return 0;
}

void exec_run(char *const *argv, char *const *envp, const char *body,
	      size_t body_len, int64_t timeout_ms, atomic_int *no_pidfd,
	      struct exec_outcome *out)
{
	const struct proc_spec spec = {
	    .argv = argv,
	    .envp = envp,
	    .pipes = PROC_PIPE_STDIN | PROC_PIPE_STDOUT | PROC_PIPE_STDERR,
	    .no_pidfd = no_pidfd,
	};
	struct run r = {.body = body, .body_len = body_len, .out = out};

	memset(out, 0, sizeof(*out));
	out->spawn_errno = proc_spawn(&r.p, &spec);
	if (out->spawn_errno != 0) {
		out->end = EXEC_SPAWN_FAILED;
		return;
	}
	r.deadline_ms = proc_now_ms() + timeout_ms;
	if (body_len == 0)
		proc_close(&r.p.in_fd);
	out->end = EXEC_EXITED;
	while (step(&r) == 0)
		;
	/* On a timeout this kills the whole group; after an exit it only
	 * closes what is left open. */
	proc_destroy(&r.p);
	out->status = r.p.status;
}
