/* exec config: every wrong key, type or range is refused with a reason
 * that names the key; good configs are accepted. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "modtest.h"

struct refused {
	const char *config;
	const char *reason; /* a part of the error message */
};

static const struct refused refused_configs[] = {
    {"{}", "config needs command"},
    {"{\"command\": \"/bin/true\"}", "config needs command"},
    {"{\"command\": []}", "config needs command"},
    {"{\"command\": [1]}", "'command'[0] must be a string"},
    {"{\"command\": [\"/bin/echo\", true]}", "'command'[1] must be a string"},
    {"{\"command\": [\"\"]}", "'command'[0] (the program) must not be empty"},
    {"{\"command\": [\"/nonexistent/program\"]}",
     "/nonexistent/program is not an executable file"},
    {"{\"command\": [\"/tmp\"]}", "/tmp is not an executable file"},
    {"{\"command\": [\"/bin/true\"], \"shell\": true}",
     "unknown key 'shell' in config (exec takes: command, timeout_s, "
     "max_concurrency)"},
    {"{\"command\": [\"/bin/true\"], \"timeout_s\": \"5\"}",
     "'timeout_s' must be a number of seconds"},
    {"{\"command\": [\"/bin/true\"], \"timeout_s\": 0}",
     "'timeout_s' must be a number of seconds"},
    {"{\"command\": [\"/bin/true\"], \"timeout_s\": -2.5}",
     "'timeout_s' must be a number of seconds"},
    {"{\"command\": [\"/bin/true\"], \"timeout_s\": 100000}",
     "'timeout_s' must be a number of seconds in (0, 86400]"},
    {"{\"command\": [\"/bin/true\"], \"max_concurrency\": 0}",
     "'max_concurrency' must be an integer from 1 to 256"},
    {"{\"command\": [\"/bin/true\"], \"max_concurrency\": 2.5}",
     "'max_concurrency' must be an integer"},
    {"{\"command\": [\"/bin/true\"], \"max_concurrency\": \"2\"}",
     "'max_concurrency' must be an integer"},
};

static const char *const accepted_configs[] = {
    "{\"command\": [\"/bin/true\"]}",
    "{\"command\": [\"sh\", \"-c\", \"exit 0\"]}", /* found in PATH */
    "{\"command\": [\"/bin/true\"], \"timeout_s\": 0.25, "
    "\"max_concurrency\": 3}",
    "{\"command\": [\"/bin/true\", \"\"], \"timeout_s\": 86400}",
};

static void bad_configs_are_refused_naming_the_key(void **state)
{
	for (size_t i = 0;
	     i < sizeof(refused_configs) / sizeof(*refused_configs); i++) {
		const struct refused *r = &refused_configs[i];
		struct rtw_error err = {{0}};
		struct mod_instance mi;
		int rc = mod_open(&mi, MODTEST_EXEC_SO, r->config, &err);

		mod_close(&mi);
		if (rc == 0)
			fail_msg("accepted %s", r->config);
		if (strstr(err.message, r->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", r->config,
				 err.message, r->reason);
	}
}

static void good_configs_are_accepted(void **state)
{
	for (size_t i = 0;
	     i < sizeof(accepted_configs) / sizeof(*accepted_configs); i++) {
		struct mod_instance mi;

		mod_open_ok(&mi, MODTEST_EXEC_SO, accepted_configs[i]);
		mod_close(&mi);
	}
}

static void module_declares_itself_thread_safe(void **state)
{
	struct mod_instance mi;

	mod_open_ok(&mi, MODTEST_EXEC_SO, accepted_configs[0]);
	assert_true(mi.module.desc->flags & RTW_HANDLER_THREAD_SAFE);
	assert_string_equal(mi.module.desc->name, "exec");
	mod_close(&mi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_configs_are_refused_naming_the_key),
	    cmocka_unit_test(good_configs_are_accepted),
	    cmocka_unit_test(module_declares_itself_thread_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
