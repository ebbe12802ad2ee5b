/* Watching, killing and reaping a child started by proc_spawn. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

int64_t proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void proc_kill_group(struct proc *p, int sig)
{
	if (p->pid > 0 && !p->reaped)
		kill(-p->pid, sig);
}

int proc_try_reap(struct proc *p)
{
	siginfo_t info;

	if (p->pid <= 0 || p->reaped)
		return 1;
	/* Peek without reaping: the zombie keeps the group id from being
	 * reused while what the command left behind is killed. */
	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) !=
		0 &&
	    errno != EINTR)
		info.si_pid = p->pid; /* not our child any more: stop waiting */
	if (info.si_pid != p->pid)
		return 0;
	kill(-p->pid, SIGKILL);
	while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
		;
	p->reaped = 1;
	proc_close(&p->pidfd);
	return 1;
}

int proc_wait_until(struct proc *p, int64_t deadline_ms)
{
	while (!proc_try_reap(p)) {
		int64_t left = deadline_ms - proc_now_ms();
		struct timespec slice = {0, PROC_POLL_SLICE_MS * 1000000L};

		if (left <= 0)
			return 0;
		if (left < PROC_POLL_SLICE_MS)
			slice.tv_nsec = (long)left * 1000000L;
		nanosleep(&slice, NULL);
	}
	return 1;
}

void proc_destroy(struct proc *p)
{
	proc_kill_group(p, SIGKILL);
	/* A SIGKILLed process dies at once; the bound only guards against a
	 * process stuck in the kernel (uninterruptible I/O). */
	proc_wait_until(p, proc_now_ms() + 5000);
	proc_close_fds(p);
}

void proc_close_fds(struct proc *p)
{
	proc_close(&p->in_fd);
	proc_close(&p->out_fd);
	proc_close(&p->err_fd);
	proc_close(&p->pidfd);
}

void proc_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		/* sigdescr_np, unlike strsignal, is thread-safe. */
		const char *name = sigdescr_np(WTERMSIG(status));

		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 name != NULL ? name : "unknown");
	} else
		snprintf(buf, len, "wait status 0x%x", (unsigned)status);
}
