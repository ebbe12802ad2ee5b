/* The daemon's scheduling policy and CPU count (see cpu.h). */
#include <sched.h>

#include "cpu.h"

int cpu_policy_batch(void)
{
	struct sched_param param = {.sched_priority = 0};
	int policy = sched_getscheduler(0);

	if (policy < 0)
		return -1;
	if (policy != SCHED_OTHER)
		return 0; /* SCHED_BATCH already, or the operator's choice */
	return sched_setscheduler(0, SCHED_BATCH, &param);
}

int cpu_count_allowed(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? n : 1;
}

unsigned cpu_http_threads(int cpus)
{
	enum { MIN_THREADS = 2, MAX_THREADS = 16 };

	if (cpus < MIN_THREADS)
		return MIN_THREADS;
	return cpus > MAX_THREADS ? MAX_THREADS : (unsigned)cpus;
}
