/* jsonl configuration: `path` is required (a file, or "-" for stdout);
 * anything else refuses init with a reason an operator can act on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "jsonl_util.h"
#include "scratch.h"

#define ARRAY_LEN(a)	 (sizeof(a) / sizeof((a)[0]))
#define MAX_NEEDLES	 3
#define MISSING_DIR_PATH "/nonexistent-rtw-test-dir/events.jsonl"

static const struct refused_config {
	const char *name;
	const char *config;
	const char *needles[MAX_NEEDLES]; /* all in the reason */
} refused[] = {
    {"unknown_key_is_refused_naming_the_key",
     "{\"path\": \"/dev/null\", \"colour\": \"red\"}",
     {"'colour'"}},
    {"missing_path_is_refused", "{}", {"path"}},
    {"empty_path_is_refused", "{\"path\": \"\"}", {"path"}},
    {"non_string_path_is_refused", "{\"path\": 42}", {"path"}},
    {"path_in_a_missing_directory_is_refused_with_the_os_reason",
     "{\"path\": \"" MISSING_DIR_PATH "\"}",
     {MISSING_DIR_PATH, "No such file or directory"}},
};

static void config_is_refused_with_a_reason(void **state)
{
	const struct refused_config *row = *state;
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;

	assert_int_equal(jsonl_open(&ji, row->config, &err), -1);
	for (size_t i = 0; i < MAX_NEEDLES && row->needles[i] != NULL; i++)
		assert_contains(err.message, row->needles[i]);
	jsonl_close(&ji);
}

static void path_alone_is_accepted(void **state)
{
	struct rtw_error err = {{0}};
	struct jsonl_instance ji;

	assert_int_equal(jsonl_open(&ji, "{\"path\": \"/dev/null\"}", &err), 0);
	assert_non_null(ji.state);
	jsonl_close(&ji);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_LEN(refused) + 1];

	for (size_t i = 0; i < ARRAY_LEN(refused); i++)
		tests[i] = (struct CMUnitTest){
		    .name = refused[i].name,
		    .test_func = config_is_refused_with_a_reason,
		    .initial_state = (void *)&refused[i],
		};
	tests[ARRAY_LEN(refused)] =
	    (struct CMUnitTest)cmocka_unit_test(path_alone_is_accepted);
	return _cmocka_run_group_tests("jsonl_config", tests, ARRAY_LEN(tests),
				       NULL, NULL);
}
