/* Module resolution: a bare name is looked up as <module_dir()>/<name>.so,
 * where module_dir() is $RTWEBHOOKD_MODULE_DIR when set and non-empty,
 * else the build tree's handler directory for a binary in the build tree
 * (as these tests are). A name with a '/' is a path used as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loader_util.h"
#include "module.h"

#define MODULE_DIR_ENV	 "RTWEBHOOKD_MODULE_DIR"
#define BUILD_MODULE_DIR RTW_BINARY_DIR "/handlers"

static int unset_module_dir_env(void **state)
{
	return unsetenv(MODULE_DIR_ENV);
}

static void open_or_fail(struct module *m, const char *name)
{
	char why[1024] = "";

	if (module_open(m, name, why, sizeof(why)) != 0)
		fail_msg("module_open(%s) refused: %s", name, why);
}

static void module_dir_is_the_environment_variable_when_set(void **state)
{
	setenv(MODULE_DIR_ENV, LOADER_MODULE_DIR, 1);
	assert_string_equal(module_dir(), LOADER_MODULE_DIR);
}

static void bare_name_loads_from_the_environment_module_dir(void **state)
{
	struct module m;

	setenv(MODULE_DIR_ENV, LOADER_MODULE_DIR, 1);
	open_or_fail(&m, "good");
	assert_string_equal(m.path, LOADER_MODULE_DIR "/good.so");
	module_close(&m);
}

static void
bare_name_is_only_looked_up_in_the_environment_module_dir(void **state)
{
	char why[1024] = "";
	struct module m;

	setenv(MODULE_DIR_ENV, LOADER_MODULE_DIR, 1);
	/* jsonl exists in the build tree, but not in LOADER_MODULE_DIR. */
	assert_int_equal(module_open(&m, "jsonl", why, sizeof(why)), -1);
	assert_contains(why, LOADER_MODULE_DIR "/jsonl.so");
}

static void empty_environment_variable_is_ignored(void **state)
{
	setenv(MODULE_DIR_ENV, "", 1);
	assert_string_equal(module_dir(), BUILD_MODULE_DIR);
}

static void binary_in_build_tree_uses_the_build_module_dir(void **state)
{
	assert_string_equal(module_dir(), BUILD_MODULE_DIR);
}

static void bare_builtin_name_loads_from_the_build_tree(void **state)
{
	struct module m;

	open_or_fail(&m, "jsonl");
	assert_string_equal(m.path, BUILD_MODULE_DIR "/jsonl.so");
	assert_string_equal(m.desc->name, "jsonl");
	module_close(&m);
}

static void unknown_bare_name_fails_naming_the_path_tried(void **state)
{
	char why[1024] = "";
	struct module m;

	assert_int_equal(module_open(&m, "no_such_handler", why, sizeof(why)),
			 -1);
	assert_contains(why, "'no_such_handler'");
	assert_contains(why, BUILD_MODULE_DIR "/no_such_handler.so");
}

static void name_with_a_slash_is_a_path_used_as_is(void **state)
{
	char *cwd = getcwd(NULL, 0);
	struct module m;

	assert_int_equal(chdir(LOADER_MODULE_DIR), 0);
	open_or_fail(&m, "./good.so");
	assert_string_equal(m.path, "./good.so");
	module_close(&m);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
}

#define ENV_TEST(f)                                                            \
	cmocka_unit_test_setup_teardown(f, NULL, unset_module_dir_env)
#define NO_ENV_TEST(f) cmocka_unit_test_setup(f, unset_module_dir_env)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ENV_TEST(module_dir_is_the_environment_variable_when_set),
	    ENV_TEST(bare_name_loads_from_the_environment_module_dir),
	    ENV_TEST(bare_name_is_only_looked_up_in_the_environment_module_dir),
	    ENV_TEST(empty_environment_variable_is_ignored),
	    NO_ENV_TEST(binary_in_build_tree_uses_the_build_module_dir),
	    NO_ENV_TEST(bare_builtin_name_loads_from_the_build_tree),
	    NO_ENV_TEST(unknown_bare_name_fails_naming_the_path_tried),
	    NO_ENV_TEST(name_with_a_slash_is_a_path_used_as_is),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
