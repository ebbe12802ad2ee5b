/* How the daemon uses its CPUs: every thread SCHED_BATCH (a woken thread
 * does not preempt one in the middle of a request), unless whoever started
 * it chose a policy already; and an HTTP thread per CPU it may run on,
 * never fewer than two. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_harness.h"

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	return d != NULL && daemon_configure(d, HARNESS_DEFAULT_BODY) == 0
		       ? 0
		       : -1;
}

/* Every thread of d has policy; prints the first that has not. */
static void assert_all_threads_have(const struct daemon *d, int policy)
{
	struct daemon_thread *t;
	int n = daemon_threads(d, &t);

	assert_true(n >= 5); /* main, committer, reader, worker, HTTP */
	for (int i = 0; i < n; i++) {
		if (t[i].policy != policy)
			fprintf(stderr, "thread %s has policy %d\n",
				t[i].name, t[i].policy);
		assert_int_equal(t[i].policy, policy);
	}
	free(t);
}

static int expected_http_threads(void)
{
	cpu_set_t set;
	int n;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	n = CPU_COUNT(&set);
	return n < 2 ? 2 : n > 16 ? 16 : n;
}

static void every_thread_is_batch_and_http_has_one_per_cpu(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_all_threads_have(d, SCHED_BATCH);
	assert_int_equal(daemon_threads_named(d, "MHD-worker"),
			 expected_http_threads());
	assert_int_equal(daemon_stop(d), 0);
}

/* Started on one CPU (taskset -c 0, as bench/ does): two HTTP threads. */
static void one_cpu_still_gets_two_http_threads(void **state)
{
	struct daemon *d = *state;
	cpu_set_t all, one;
	int cpu = 0;

	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	while (!CPU_ISSET(cpu, &all))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(daemon_start(d, NULL), 0); /* inherits the mask */
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(daemon_threads_named(d, "MHD-worker"), 2);
	assert_int_equal(daemon_stop(d), 0);
}

/* An operator's choice (chrt, systemd's CPUSchedulingPolicy=) stays:
 * here SCHED_IDLE, which anyone may choose. */
static void a_policy_chosen_by_the_starter_stays(void **state)
{
	struct daemon *d = *state;
	struct sched_param none = {.sched_priority = 0};

	assert_int_equal(sched_setscheduler(0, SCHED_IDLE, &none), 0);
	assert_int_equal(daemon_start(d, NULL), 0); /* inherits it */
	(void)sched_setscheduler(0, SCHED_OTHER, &none); /* may need root */
	assert_all_threads_have(d, SCHED_IDLE);
	assert_int_equal(daemon_stop(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    every_thread_is_batch_and_http_has_one_per_cpu, setup,
		    daemon_teardown),
		cmocka_unit_test_setup_teardown(
		    one_cpu_still_gets_two_http_threads, setup,
		    daemon_teardown),
		cmocka_unit_test_setup_teardown(
		    a_policy_chosen_by_the_starter_stays, setup,
		    daemon_teardown),
	};

	return cmocka_run_group_tests_name("integration_cpu_policy", tests,
					   NULL, NULL);
}
