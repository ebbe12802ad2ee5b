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

/* How many CPUs this process may run on (its affinity mask), at least 1.
 * A cgroup's CPU quota (cpu.max) is not counted: a container limited to
 * one CPU of a 64-CPU host sees 64. */
int cpu_count_allowed(void);

/* The HTTP thread pool for cpus CPUs: one per CPU, at least 2 (a thread
 * held up, say by a slow write of a log line, leaves another serving), at
 * most 16. */
unsigned cpu_http_threads(int cpus);

#endif
