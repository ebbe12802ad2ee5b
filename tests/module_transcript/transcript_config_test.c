/* The transcript handler's `config` group: what init accepts, and that
 * every refusal names the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "scratch.h"
#include "txtest.h"

static void refusals_name_the_key(void **state)
{
	static const struct {
		const char *config, *needle;
	} cases[] = {
	    {"{}", "dir"},
	    {"{\"dir\": \"\"}", "'dir'"},
	    {"{\"dir\": 7}", "'dir'"},
	    {"{\"dir\": \"/tmp/x\", \"partials\": \"yes\"}", "'partials'"},
	    {"{\"dir\": \"/tmp/x\", \"fsync\": 1}", "'fsync'"},
	    {"{\"dir\": \"/tmp/x\", \"path\": \"/tmp/y\"}",
	     "unknown key 'path'"},
	    {"{\"dir\": \"/proc/no/such/dir\"}", "'dir'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tx_instance ti;
		struct rtw_error err = {{0}};

		if (txt_open(&ti, cases[i].config, &err) == 0)
			fail_msg("init accepted %s", cases[i].config);
		if (strstr(err.message, cases[i].needle) == NULL)
			fail_msg("for %s the reason '%s' does not name %s",
				 cases[i].config, err.message, cases[i].needle);
		txt_close(&ti);
	}
}

static void a_missing_directory_is_created_with_its_parents(void **state)
{
	char *top = scratch_dir();
	char *dir = scratch_path(top, "a/b/transcripts");
	char *config = NULL;
	struct tx_instance ti;
	struct rtw_error err = {{0}};
	struct stat st;

	(void)state;
	assert_true(asprintf(&config,
			     "{\"dir\": \"%s\", \"partials\": true, "
			     "\"fsync\": false}",
			     dir) > 0);
	if (txt_open(&ti, config, &err) != 0)
		fail_msg("init refused %s: %s", config, err.message);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	txt_close(&ti);
	free(config);
	free(dir);
	scratch_remove(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(refusals_name_the_key),
	    cmocka_unit_test(a_missing_directory_is_created_with_its_parents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
