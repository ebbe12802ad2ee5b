/* cpu.c: how the daemon uses the CPUs it is given: its scheduling policy
 * and the size of its HTTP thread pool. */
#ifndef RTW_CPU_H
#define RTW_CPU_H

/* Makes the calling thread, and every thread it creates afterwards,
 * SCHED_BATCH, unless an operator already chose a policy other than
 * SCHED_OTHER (systemd's CPUSchedulingPolicy=, chrt): that choice stays.
 * Why: a thread of a batch process woken by another (the committer by an
 * append, a connection's thread by its resume) waits for the running one
 * to reach a stopping point instead of preempting it mid-request, so each
 * wake-up finds more work to do at once. Call before starting threads.
 * Returns 0, or -1 with errno set (the policy is then unchanged; a
 * seccomp filter may forbid the call). */
int cpu_policy_batch(void);

/* How many CPUs this process may use, at least 1: its affinity mask, or
 * fewer if a cgroup v2 CPU quota allows fewer (cpu_quota_cpus on the
 * system's own files). So a service with systemd's CPUQuota=100%, or a
 * container given one CPU of a 64-CPU host, counts 1, not 64. */
int cpu_count_allowed(void);

/* The CPUs a cgroup v2 CPU quota lets this process use, rounded up (a
 * quota of 1.5 CPUs counts 2), or 0 when none applies: no cgroup v2
 * line in self_cgroup, no cpu.max file, "max" everywhere, or files that
 * cannot be read or parsed (no quota is better than a wrong one).
 * Walks from the process's cgroup up to the top of cgroup_root, since a
 * parent's quota limits its children, and takes the smallest.
 * cgroup_root: where cgroup v2 is mounted ("/sys/fs/cgroup");
 * self_cgroup: the process's cgroup list ("/proc/self/cgroup"). Both are
 * parameters so that tests can give a tree of their own. */
int cpu_quota_cpus(const char *cgroup_root, const char *self_cgroup);

/* The HTTP thread pool for cpus CPUs: one per CPU, at least 2 (a thread
 * held up, say by a slow write of a log line, leaves another serving), at
 * most 16. */
unsigned cpu_http_threads(int cpus);

#endif
