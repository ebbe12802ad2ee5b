/* proc: child processes for the exec and pipe handlers.
 *
 * The daemon is multi-threaded, so children are started with posix_spawn
 * (glibc's runs only async-signal-safe code between clone and exec) and
 * every setting the child must not inherit is reset there:
 *  - a new process group whose id is the child's pid, so a timeout can kill
 *    the command together with everything it started (kill(-pgid));
 *  - an empty signal mask and default dispositions (the daemon blocks
 *    SIGTERM/SIGINT/SIGHUP in every thread and ignores SIGPIPE; a child
 *    must not inherit either);
 *  - every descriptor above 2 closed (closefrom), whatever other threads
 *    opened without O_CLOEXEC.
 *
 * Not thread-safe on one struct proc: callers serialize (the pipe handler
 * holds a mutex around reaping and killing, so a group id is never
 * signalled after its leader was reaped and the id could be reused). */
#ifndef RTW_HANDLERS_PROC_H
#define RTW_HANDLERS_PROC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Which standard streams of the child are pipes to the parent; the others
 * are /dev/null. */
#define PROC_PIPE_STDIN	 0x1u
#define PROC_PIPE_STDOUT 0x2u
#define PROC_PIPE_STDERR 0x4u

struct proc {
	pid_t pid;  /* also its process group id; -1 when none */
	int pidfd;  /* readable once the child exits; -1 without pidfd */
	int in_fd;  /* parent ends, O_NONBLOCK and O_CLOEXEC; -1 when */
	int out_fd; /* closed or not piped */
	int err_fd;
	int reaped; /* 1 once waitpid collected the child */
	int status; /* its wait status, once reaped */
};

struct proc_spec {
	char *const *argv; /* argv[0] is the program; searched in PATH
			      when it holds no '/' */
	char *const *envp;
	unsigned pipes; /* PROC_PIPE_* */
	/* Set to 1 by proc_spawn when pidfd_open is missing (old kernel, or
	 * valgrind, which does not know the call), so it is not tried again
	 * for this handler. Callers then poll every PROC_POLL_SLICE_MS. */
	atomic_int *no_pidfd;
};

/* How often a caller without a pidfd checks whether the child exited. */
#define PROC_POLL_SLICE_MS 10

void proc_init(struct proc *p);
/* Starts the child described by spec. Returns 0, or an errno value (the
 * exec's own error, such as ENOENT, is reported here too). */
int proc_spawn(struct proc *p, const struct proc_spec *spec);

/* Reaps the child if it has exited, without blocking. Leftovers of its
 * process group are killed first (while the zombie leader still pins the
 * group id). Returns 1 once reaped (also on later calls), 0 while it
 * runs. */
int proc_try_reap(struct proc *p);
/* Sends sig to the child's whole process group, unless it was reaped. */
void proc_kill_group(struct proc *p, int sig);
/* Waits until the child is reaped or the monotonic clock reaches
 * deadline_ms; returns 1 when reaped. */
int proc_wait_until(struct proc *p, int64_t deadline_ms);
/* SIGKILLs the group and reaps the child (bounded; a SIGKILLed process
 * dies at once). Then closes every descriptor. */
void proc_destroy(struct proc *p);
/* Closes every parent end still open. */
void proc_close_fds(struct proc *p);
void proc_close(int *fd);

/* Milliseconds on the monotonic clock. */
int64_t proc_now_ms(void);
/* "exit status 3" or "killed by signal 9 (Killed)" into buf. */
void proc_describe_status(int status, char *buf, size_t len);

/* write() that never raises SIGPIPE in the calling process, whatever the
 * disposition: SIGPIPE is blocked for the call and a SIGPIPE it caused is
 * consumed. A closed reader is reported as -1 with errno EPIPE. */
ssize_t proc_write(int fd, const void *buf, size_t len);
/* Writes all of buf to a non-blocking fd before deadline_ms. Returns 0,
 * or -1 with errno (ETIMEDOUT at the deadline, EPIPE when the reader is
 * gone); *written says how much went out either way. */
int proc_write_all(int fd, const char *buf, size_t len, int64_t deadline_ms,
		   size_t *written);
/* Reads what is available from a non-blocking fd into buf. Returns the
 * count, 0 at end of file, -1 when nothing is available now (EAGAIN) or
 * on an error. */
ssize_t proc_read(int fd, char *buf, size_t len);

/* Copies src[0..len) into dst as one line of valid UTF-8 text: control
 * characters and bytes that are not valid UTF-8 become \xNN, and nothing
 * is cut inside a character or an escape. Returns the length written
 * (dst is always NUL-terminated when dstlen > 0). */
size_t proc_text_clean(char *dst, size_t dstlen, const char *src, size_t len);
/* The first max_lines non-empty lines of text, cleaned and joined with
 * " | ", into dst; "..." ends it when anything was left out. Returns the
 * length written. */
size_t proc_text_head(char *dst, size_t dstlen, const char *text, size_t len,
		      int max_lines);

#endif
