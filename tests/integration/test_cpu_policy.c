/* How the daemon uses its CPUs: every thread SCHED_BATCH (a woken thread
 * does not preempt one in the middle of a request), and an HTTP thread per
 * CPU it may run on, never fewer than two. (A policy chosen by whoever
 * starts it is kept: tests/unit/test_cpu.c, in a thread of the test, since
 * a daemon started at SCHED_IDLE can starve on a busy machine.) */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu.h"
#include "daemon_harness.h"

#define NAMING_TIMEOUT_MS 10000L

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

static int cpus_of_this_process(void)
{
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	return CPU_COUNT(&set);
}

static void every_thread_is_batch_and_http_has_one_per_cpu(void **state)
{
	struct daemon *d = *state;
	int http_threads = (int)cpu_http_threads(cpus_of_this_process());

	if (sched_getscheduler(0) != SCHED_OTHER)
		skip(); /* the daemon would keep the policy it inherits */
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(daemon_wait_threads_named(d, "MHD-worker",
						   http_threads,
						   NAMING_TIMEOUT_MS),
			 http_threads);
	assert_all_threads_have(d, SCHED_BATCH);
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
	assert_int_equal(daemon_wait_threads_named(d, "MHD-worker", 2,
						   NAMING_TIMEOUT_MS),
			 2);
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
	};

	return cmocka_run_group_tests_name("integration_cpu_policy", tests,
					   NULL, NULL);
}
