/* A handler block's `workers` (threads calling handle at once) may exceed
 * 1 only for a module that declares RTW_HANDLER_THREAD_SAFE: the ABI
 * promises every other module that handle never runs concurrently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "loader_util.h"

static int open_with_workers(struct handler_setup *s, struct handler *h,
			     int64_t workers)
{
	s->conf.workers = workers;
	return handler_open(h, &s->conf, &s->config, &s->errs);
}

static void
several_workers_are_refused_for_a_module_not_thread_safe(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	char expected[2048];
	struct handler h;

	assert_int_equal(open_with_workers(s, &h, 2), -1);
	snprintf(expected, sizeof(expected),
		 "%s:%d: handler 'archive': module %s is not thread-safe, so "
		 "'workers' must be 1",
		 SETUP_CONF_FILE, SETUP_CONF_LINE, s->conf.module);
	assert_int_equal(s->errs.count, 1);
	assert_string_equal(s->errs.lines[0], expected);
	assert_false(still_loaded(s->conf.module));
	handler_setup_free(s);
}

static void one_worker_is_fine_for_any_module(void **state)
{
	struct handler_setup *s = handler_setup_new("archive", "good", "{}");
	struct handler h;

	assert_int_equal(open_with_workers(s, &h, 1), 0);
	handler_close(&h);
	handler_setup_free(s);
}

static void several_workers_are_accepted_for_a_thread_safe_module(void **state)
{
	struct handler_setup *s =
	    handler_setup_new("archive", "thread_safe", "{}");
	struct handler h;

	if (open_with_workers(s, &h, 4) != 0)
		fail_msg("refused: %s", s->errs.lines[0]);
	handler_close(&h);
	handler_setup_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		several_workers_are_refused_for_a_module_not_thread_safe),
	    cmocka_unit_test(one_worker_is_fine_for_any_module),
	    cmocka_unit_test(
		several_workers_are_accepted_for_a_thread_safe_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
