/* Starting a child with posix_spawn: pipes, a new process group, a clean
 * signal state and no inherited descriptors (see proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "proc.h"

/* The two ends of the pipes of one child: child_end[i] goes to the child
 * as descriptor i, parent_end[i] stays here. */
struct proc_pipes {
	int child_end[3];
	int parent_end[3];
};

void proc_init(struct proc *p)
{
	*p = (struct proc){
	    .pid = -1, .pidfd = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1};
}

void proc_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A descriptor below 3 would be overwritten by the child's own dup2 onto
 * 0..2 before it is used: move it up (only when the daemon runs with a
 * standard stream closed). */
static int above_stdio(int fd)
{
	int moved;

	if (fd < 0 || fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

static void pipes_close(struct proc_pipes *pp)
{
	for (int i = 0; i < 3; i++) {
		proc_close(&pp->child_end[i]);
		proc_close(&pp->parent_end[i]);
	}
}

/* Creates the pipes asked for. Stream 0 is written by the parent, 1 and 2
 * are read by it; the parent's ends are non-blocking. */
static int pipes_open(struct proc_pipes *pp, unsigned which)
{
	for (int i = 0; i < 3; i++)
		pp->child_end[i] = pp->parent_end[i] = -1;
	for (int i = 0; i < 3; i++) {
		int fds[2];

		if (!(which & (1u << i)))
			continue;
		if (pipe2(fds, O_CLOEXEC) != 0)
			goto fail;
		pp->child_end[i] = above_stdio(i == 0 ? fds[0] : fds[1]);
		pp->parent_end[i] = above_stdio(i == 0 ? fds[1] : fds[0]);
		if (pp->child_end[i] < 0 || pp->parent_end[i] < 0 ||
		    fcntl(pp->parent_end[i], F_SETFL, O_NONBLOCK) != 0)
			goto fail;
	}
	return 0;
fail : {
	int saved = errno;

	pipes_close(pp);
	return saved;
}
}

/* The child's descriptors 0..2 from the pipes (or /dev/null), then every
 * descriptor above 2 closed. */
static int plan_fds(posix_spawn_file_actions_t *fa, const struct proc_pipes *pp)
{
	int rc = 0;

	for (int i = 0; i < 3 && rc == 0; i++)
		rc = pp->child_end[i] >= 0
			 ? posix_spawn_file_actions_adddup2(fa,
							    pp->child_end[i], i)
			 : posix_spawn_file_actions_addopen(
			       fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY,
			       0);
	return rc != 0 ? rc : posix_spawn_file_actions_addclosefrom_np(fa, 3);
}

/* A new process group, no blocked signals, every disposition default
 * (ignored signals would otherwise stay ignored across exec). */
static int plan_attrs(posix_spawnattr_t *attr)
{
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
						POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(attr, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(attr, &all);
	return rc;
}

static void open_pidfd(struct proc *p, atomic_int *no_pidfd)
{
	if (no_pidfd != NULL && atomic_load(no_pidfd))
		return;
	p->pidfd = pidfd_open(p->pid, 0);
	if (p->pidfd < 0 && no_pidfd != NULL && errno == ENOSYS)
		atomic_store(no_pidfd, 1);
}

int proc_spawn(struct proc *p, const struct proc_spec *spec)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct proc_pipes pp;
	int rc;

	proc_init(p);
	rc = pipes_open(&pp, spec->pipes);
	if (rc != 0)
		return rc;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	rc = plan_fds(&fa, &pp);
	if (rc == 0)
		rc = plan_attrs(&attr);
	if (rc == 0)
		rc = (strchr(spec->argv[0], '/') != NULL ? posix_spawn
							 : posix_spawnp)(
		    &p->pid, spec->argv[0], &fa, &attr, spec->argv, spec->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (int i = 0; i < 3; i++)
		proc_close(&pp.child_end[i]);
	if (rc != 0) {
		p->pid = -1;
		pipes_close(&pp);
		return rc;
	}
	p->in_fd = pp.parent_end[0];
	p->out_fd = pp.parent_end[1];
	p->err_fd = pp.parent_end[2];
	open_pidfd(p, spec->no_pidfd);
	return 0;
}
