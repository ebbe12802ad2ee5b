/* src/cpu.c: the HTTP pool's size for a CPU count, the CPUs a cgroup v2
 * quota allows (on a tree of files the test writes), and the scheduling
 * policy: SCHED_BATCH from SCHED_OTHER, anything else chosen by the
 * starter kept. Each policy test runs in a thread of its own, so the test
 * process keeps its policy. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cpu.h"
#include "unit_helpers.h"

static void the_pool_has_a_thread_per_cpu_between_2_and_16(void **state)
{
	(void)state;
	assert_int_equal(cpu_http_threads(0), 2);
	assert_int_equal(cpu_http_threads(1), 2);
	assert_int_equal(cpu_http_threads(2), 2);
	assert_int_equal(cpu_http_threads(3), 3);
	assert_int_equal(cpu_http_threads(16), 16);
	assert_int_equal(cpu_http_threads(64), 16);
}

/* A cgroup v2 tree: root/ with system.slice/rtw.service/ below it, and
 * the process's cgroup list saying it lives in the service's cgroup. */
struct cgroup_tree {
	char *root, *slice, *service, *self;
};

static int tree_setup(void **state)
{
	struct cgroup_tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->root = unit_tempdir_create();
	t->slice = unit_path_join(t->root, "system.slice");
	t->service = unit_path_join(t->slice, "rtw.service");
	assert_int_equal(mkdir(t->slice, 0700), 0);
	assert_int_equal(mkdir(t->service, 0700), 0);
	/* As on a hybrid system: v1 lines first, then the v2 one. */
	t->self = unit_write_file(t->root, "self_cgroup",
				  "3:cpu,cpuacct:/system.slice/rtw.service\n"
				  "0::/system.slice/rtw.service\n");
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct cgroup_tree *t = *state;

	unit_tempdir_remove(t->root);
	free(t->slice);
	free(t->service);
	free(t->self);
	free(t);
	return 0;
}

static void write_cpu_max(const char *dir, const char *text)
{
	free(unit_write_file(dir, "cpu.max", text));
}

static void no_cpu_max_anywhere_is_no_quota(void **state)
{
	struct cgroup_tree *t = *state;

	assert_int_equal(cpu_quota_cpus(t->root, t->self), 0);
	write_cpu_max(t->service, "max 100000\n");
	write_cpu_max(t->slice, "max 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 0);
}

/* CPUQuota=150% gives 2 threads' worth, 50% one. */
static void the_services_quota_counts_rounded_up(void **state)
{
	struct cgroup_tree *t = *state;

	write_cpu_max(t->service, "150000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 2);
	write_cpu_max(t->service, "50000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 1);
	write_cpu_max(t->service, "400000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 4);
}

static void a_parents_smaller_quota_limits_the_service(void **state)
{
	struct cgroup_tree *t = *state;

	write_cpu_max(t->service, "800000 100000\n");
	write_cpu_max(t->slice, "300000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 3);
	write_cpu_max(t->service, "max 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 3);
	write_cpu_max(t->service, "100000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 1);
}

/* In a container with its own cgroup namespace the process sees "0::/"
 * and its limit in the top's cpu.max. */
static void the_tops_quota_counts_in_a_container(void **state)
{
	struct cgroup_tree *t = *state;
	char *self = unit_write_file(t->root, "container_self", "0::/\n");

	write_cpu_max(t->root, "200000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, self), 2);
	free(self);
}

static void unreadable_or_v1_only_is_no_quota(void **state)
{
	struct cgroup_tree *t = *state;
	char *v1 = unit_write_file(t->root, "v1_self",
				   "3:cpu,cpuacct:/system.slice/rtw.service\n");
	char *missing = unit_path_join(t->root, "no_such_file");

	write_cpu_max(t->service, "100000 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, v1), 0);
	assert_int_equal(cpu_quota_cpus(t->root, missing), 0);
	/* Damaged files count as no quota, not as a wrong one. */
	write_cpu_max(t->service, "1e5 100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 0);
	write_cpu_max(t->service, "100000 0\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 0);
	write_cpu_max(t->service, "100000\n");
	assert_int_equal(cpu_quota_cpus(t->root, t->self), 0);
	free(v1);
	free(missing);
}

/* On this machine: at least one CPU, never more than the affinity mask. */
static void the_count_is_within_the_affinity_mask(void **state)
{
	cpu_set_t set;
	int n = cpu_count_allowed();

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	assert_in_range(n, 1, CPU_COUNT(&set));
}

struct policy_run {
	int before;	    /* the policy the thread starts with */
	int rc, after;
	int other_child; /* the policy of a thread it starts afterwards */
};

static void *report_policy(void *arg)
{
	*(int *)arg = sched_getscheduler(0);
	return NULL;
}

static void *run_policy(void *arg)
{
	struct policy_run *r = arg;
	struct sched_param none = {.sched_priority = 0};
	pthread_t child;

	if (sched_setscheduler(0, r->before, &none) != 0) {
		r->rc = -2;
		return NULL;
	}
	r->rc = cpu_policy_batch();
	r->after = sched_getscheduler(0);
	if (pthread_create(&child, NULL, report_policy, &r->other_child) == 0)
		pthread_join(child, NULL);
	return NULL;
}

static struct policy_run run_in_thread(int before)
{
	struct policy_run r = {.before = before, .other_child = -1};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, run_policy, &r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_not_equal(r.rc, -2); /* the test could set its policy */
	return r;
}

static void the_default_policy_becomes_batch_for_later_threads_too(
    void **state)
{
	struct policy_run r = run_in_thread(SCHED_OTHER);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.after, SCHED_BATCH);
	assert_int_equal(r.other_child, SCHED_BATCH);
}

/* chrt -i, or systemd's CPUSchedulingPolicy=idle: kept. */
static void a_policy_the_starter_chose_is_kept(void **state)
{
	struct policy_run r = run_in_thread(SCHED_IDLE);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.after, SCHED_IDLE);
	assert_int_equal(r.other_child, SCHED_IDLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_pool_has_a_thread_per_cpu_between_2_and_16),
		cmocka_unit_test_setup_teardown(no_cpu_max_anywhere_is_no_quota,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(
		    the_services_quota_counts_rounded_up, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(
		    a_parents_smaller_quota_limits_the_service, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(
		    the_tops_quota_counts_in_a_container, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(
		    unreadable_or_v1_only_is_no_quota, tree_setup,
		    tree_teardown),
		cmocka_unit_test(the_count_is_within_the_affinity_mask),
		cmocka_unit_test(
		    the_default_policy_becomes_batch_for_later_threads_too),
		cmocka_unit_test(a_policy_the_starter_chose_is_kept),
	};

	return cmocka_run_group_tests_name("unit_cpu", tests, NULL, NULL);
}
