/* src/cpu.c: the HTTP pool's size for a CPU count, and the scheduling
 * policy: SCHED_BATCH from SCHED_OTHER, anything else chosen by the
 * starter kept. Each policy test runs in a thread of its own, so the test
 * process keeps its policy. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu.h"

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
		cmocka_unit_test(
		    the_default_policy_becomes_batch_for_later_threads_too),
		cmocka_unit_test(a_policy_the_starter_chose_is_kept),
	};

	return cmocka_run_group_tests_name("unit_cpu", tests, NULL, NULL);
}
