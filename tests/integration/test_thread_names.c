/* The daemon's own threads carry names (`top -H`, `ps -L`, perf): the
 * spool's committer, and each handler's spool reader and workers with the
 * handler's name. */
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
	return daemon_setup(state, HARNESS_DEFAULT_BODY, NULL);
}

static void the_daemons_threads_are_named(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(daemon_threads_named(d, "rtw-commit"), 1);
	assert_int_equal(daemon_threads_named(d, "rd:archive"), 1);
	/* workers = 1 */
	assert_int_equal(daemon_threads_named(d, "wk:archive"), 1);
	assert_int_equal(daemon_stop(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_daemons_threads_are_named,
						setup, daemon_teardown),
	};

	return cmocka_run_group_tests_name("integration_thread_names", tests,
					   NULL, NULL);
}
