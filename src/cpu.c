/* The daemon's scheduling policy and CPU count (see cpu.h). */
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	int n = 1, quota;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		n = CPU_COUNT(&set);
	quota = cpu_quota_cpus("/sys/fs/cgroup", "/proc/self/cgroup");
	return quota > 0 && quota < n ? quota : n;
}

enum { CGROUP_PATH_MAX = 4096 };

/* This process's cgroup v2 path ("/system.slice/x.service", "" for the
 * top) from the "0::" line of self_cgroup. Returns 0, or -1 if there is
 * none (a cgroup v1 system) or it does not fit. */
static int own_cgroup_path(const char *self_cgroup, char *path, size_t size)
{
	char line[CGROUP_PATH_MAX + 8];
	FILE *f = fopen(self_cgroup, "re");
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *own = line + 3;
		size_t len;

		if (strncmp(line, "0::/", 4) != 0)
			continue;
		len = strcspn(own, "\n");
		while (len > 0 && own[len - 1] == '/')
			len--; /* "/" is the top: "" joins root and "/cpu.max" */
		if (len < size) {
			memcpy(path, own, len);
			path[len] = '\0';
			rc = 0;
		}
		break;
	}
	fclose(f);
	return rc;
}

/* The CPUs one cpu.max allows ("150000 100000": quota and period in
 * microseconds per period), rounded up, or 0 for "max" or a file that is
 * missing or not understood. */
static int cpus_of_cpu_max(const char *file)
{
	char quota[24], *end;
	long long period, us;
	FILE *f = fopen(file, "re");
	int fields;

	if (f == NULL)
		return 0;
	fields = fscanf(f, "%23s %lld", quota, &period);
	fclose(f);
	if (fields != 2 || period <= 0)
		return 0;
	us = strtoll(quota, &end, 10);
	if (*end != '\0' || us <= 0) /* "max", or not a number */
		return 0;
	us = (us + period - 1) / period;
	return us > INT_MAX ? INT_MAX : (int)us;
}

int cpu_quota_cpus(const char *cgroup_root, const char *self_cgroup)
{
	char path[CGROUP_PATH_MAX], file[CGROUP_PATH_MAX + 256];
	int least = 0;

	if (own_cgroup_path(self_cgroup, path, sizeof(path)) != 0)
		return 0;
	for (;;) {
		char *parent;
		int n, len = snprintf(file, sizeof(file), "%s%s/cpu.max",
				      cgroup_root, path);

		if (len < 0 || (size_t)len >= sizeof(file))
			return 0;
		n = cpus_of_cpu_max(file);
		if (n > 0 && (least == 0 || n < least))
			least = n;
		parent = strrchr(path, '/');
		if (parent == NULL)
			break; /* the top, "", was the last one read */
		*parent = '\0';
	}
	return least;
}

unsigned cpu_http_threads(int cpus)
{
	enum { MIN_THREADS = 2, MAX_THREADS = 16 };

	if (cpus < MIN_THREADS)
		return MIN_THREADS;
	return cpus > MAX_THREADS ? MAX_THREADS : (unsigned)cpus;
}
