/* module_open: loading a handler module and checking its descriptor.
 * Every refusal names the file and says what was expected, and leaves
 * nothing loaded (RTLD_NOW | RTLD_LOCAL, full rollback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader_util.h"
#include "module.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_NEEDLES  4

/* The sizes the too_small refusal must quote, filled in by main(). */
static char too_small_size[64], abi_minimum[64];

static const struct refusal {
	const char *name;   /* the test's name */
	const char *module; /* fixture module */
	/* Besides the module's path, the reason must contain these. */
	const char *needles[MAX_NEEDLES];
} refusals[] = {
    {"module_open_refuses_another_abi_naming_both_versions",
     "wrong_abi",
     {"ABI 999", "ABI 1", "rebuild"}},
    {"module_open_refuses_a_descriptor_below_the_abi_minimum_size",
     "too_small",
     {too_small_size, abi_minimum}},
    {"module_open_refuses_a_library_without_the_entry_symbol",
     "missing_symbol",
     {"does not export rtw_handler_entry"}},
    {"module_open_refuses_an_entry_point_returning_null",
     "null_entry",
     {"rtw_handler_entry() returned NULL"}},
    {"module_open_refuses_a_descriptor_without_handle",
     "no_handle",
     {"handle", "required"}},
    {"module_open_reports_dlopen_failure_with_an_ldd_hint",
     "unresolved_dep",
     {"rtw_test_function_nobody_defines", "ldd "}},
    {"module_open_refuses_a_nonexistent_file", "does_not_exist", {"no file"}},
};

static void module_is_zeroed(const struct module *m)
{
	assert_null(m->dl);
	assert_null(m->desc);
	assert_null(m->path);
}

static void refusal_names_file_and_expectation(void **state)
{
	const struct refusal *row = *state;
	char *path = fixture_module(row->module);
	char why[1024] = "";
	struct module m;

	assert_int_equal(module_open(&m, path, why, sizeof(why)), -1);
	assert_contains(why, path);
	for (size_t i = 0; i < MAX_NEEDLES && row->needles[i] != NULL; i++)
		assert_contains(why, row->needles[i]);
	module_is_zeroed(&m);
	assert_false(still_loaded(path));
	free(path);
}

static void module_open_loads_a_good_module(void **state)
{
	char *path = fixture_module("good");
	char why[1024] = "";
	struct module m;

	if (module_open(&m, path, why, sizeof(why)) != 0)
		fail_msg("refused: %s", why);
	assert_non_null(m.dl);
	assert_string_equal(m.desc->name, "good");
	assert_string_equal(m.path, path);
	assert_true(still_loaded(path));
	module_close(&m);
	free(path);
}

static void module_close_unloads_the_module(void **state)
{
	char *path = fixture_module("good");
	char why[1024] = "";
	struct module m;

	assert_int_equal(module_open(&m, path, why, sizeof(why)), 0);
	module_close(&m);
	module_is_zeroed(&m);
	assert_false(still_loaded(path));
	free(path);
}

static void
module_open_accepts_a_descriptor_grown_by_a_later_minor(void **state)
{
	char *path = fixture_module("grown");
	char why[1024] = "";
	struct module m;

	if (module_open(&m, path, why, sizeof(why)) != 0)
		fail_msg("refused: %s", why);
	assert_true(m.desc->size > sizeof(struct rtw_handler));
	module_close(&m);
	free(path);
}

static void module_open_refuses_a_name_longer_than_a_path(void **state)
{
	char name[5000];
	char why[8192] = ""; /* the reason quotes the whole name */
	struct module m;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(module_open(&m, name, why, sizeof(why)), -1);
	assert_contains(why, "too long");
	module_is_zeroed(&m);
}

static int run_refusals(void)
{
	struct CMUnitTest tests[ARRAY_LEN(refusals)];

	snprintf(too_small_size, sizeof(too_small_size), "size %zu",
		 offsetof(struct rtw_handler, init));
	snprintf(abi_minimum, sizeof(abi_minimum), "minimum %zu",
		 offsetof(struct rtw_handler, fini) + sizeof(void (*)(void *)));
	for (size_t i = 0; i < ARRAY_LEN(refusals); i++)
		tests[i] = (struct CMUnitTest){
		    .name = refusals[i].name,
		    .test_func = refusal_names_file_and_expectation,
		    .initial_state = (void *)&refusals[i],
		};
	return _cmocka_run_group_tests("loader_module_refusals", tests,
				       ARRAY_LEN(tests), NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(module_open_loads_a_good_module),
	    cmocka_unit_test(module_close_unloads_the_module),
	    cmocka_unit_test(
		module_open_accepts_a_descriptor_grown_by_a_later_minor),
	    cmocka_unit_test(module_open_refuses_a_name_longer_than_a_path),
	};

	return run_refusals() + cmocka_run_group_tests(tests, NULL, NULL);
}
