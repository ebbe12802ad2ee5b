/* Writing to and reading from a child's pipes. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* Modules may not install signal handlers, and the daemon's SIGPIPE
 * disposition is not theirs to rely on (a test host may leave it at
 * "terminate"): block SIGPIPE around the write, and take back a SIGPIPE
 * this write raised (unless one was already pending for someone else). */
ssize_t proc_write(int fd, const void *buf, size_t len)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_only, old, pending;
	int was_pending, saved;
	ssize_t n;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	was_pending =
	    sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_only, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

int proc_write_all(int fd, const char *buf, size_t len, int64_t deadline_ms,
		   size_t *written)
{
	*written = 0;
	while (*written < len) {
		ssize_t n = proc_write(fd, buf + *written, len - *written);
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int64_t left;

		if (n > 0) {
			*written += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return -1;
		left = deadline_ms - proc_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) < 0 &&
		    errno != EINTR)
			return -1;
	}
	return 0;
}

ssize_t proc_read(int fd, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}
