/* test_config.c: configuration files accepted and refused, data-driven.
 *
 * Every .conf file in tests/config/valid loads with no error. Every .conf
 * file in tests/config/invalid is refused, and its first line announces the
 * error that must be among those reported:
 *     # expect: <line>: <substring>
 * meaning some error reads "<path>:<line>: ...<substring>...", or with line
 * 0 "<path>: ...<substring>..." (an error that belongs to no line). Each
 * file is one test case named after it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "unit_helpers.h"

#define CONFIG_DIR RTW_TEST_SOURCE_DIR "/config"
#define VALID_GLOB CONFIG_DIR "/valid/*.conf"
#define INVALID_GLOB CONFIG_DIR "/invalid/*.conf"

struct expectation {
	int line;
	char substring[512];
};

/* Parses "# expect: <line>: <substring>" from the first line of path. */
static int read_expectation(const char *path, struct expectation *e)
{
	char first[600];
	FILE *f = fopen(path, "r");
	int offset = 0;
	char *nl;

	if (f == NULL)
		return -1;
	if (fgets(first, sizeof(first), f) == NULL)
		first[0] = '\0';
	fclose(f);
	if ((nl = strchr(first, '\n')) != NULL)
		*nl = '\0';
	if (sscanf(first, "# expect: %d: %n", &e->line, &offset) != 1 ||
	    offset == 0 || first[offset] == '\0')
		return -1;
	snprintf(e->substring, sizeof(e->substring), "%s", first + offset);
	return 0;
}

/* "<path>:<line>: " or, for line 0, "<path>: ": how errlist_add starts. */
static void error_prefix(char *out, size_t len, const char *path, int line)
{
	if (line > 0)
		snprintf(out, len, "%s:%d: ", path, line);
	else
		snprintf(out, len, "%s: ", path);
}

/* Loads path, expecting refusal with an error that starts with the
 * location and holds substring. */
static void assert_refused_with(const char *path, int line,
				const char *substring)
{
	struct errlist errs = {0};
	struct config *conf = config_load(path, &errs);
	char prefix[PATH_MAX + 32];
	int found;

	error_prefix(prefix, sizeof(prefix), path, line);
	found = unit_errlist_has(&errs, prefix, substring);
	if (!found || conf != NULL) {
		print_message("expected \"%s...%s...\"\n", prefix, substring);
		unit_errlist_print(&errs);
	}
	config_free(conf);
	errlist_free(&errs);
	assert_null(conf);
	assert_true(found);
}

static void test_valid_file_loads_without_errors(void **state)
{
	const char *path = *state;
	struct errlist errs = {0};
	struct config *conf = config_load(path, &errs);

	if (errs.count > 0)
		unit_errlist_print(&errs);
	assert_int_equal(errs.count, 0);
	assert_non_null(conf);
	config_free(conf);
}

static void test_invalid_file_is_refused_with_expected_error(void **state)
{
	const char *path = *state;
	struct expectation e;

	if (read_expectation(path, &e) != 0)
		fail_msg("%s: first line is not '# expect: <line>: <text>'",
			 path);
	assert_refused_with(path, e.line, e.substring);
}

static size_t count_matches(const char *pattern)
{
	glob_t g;
	size_t n;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

/* Guards the data-driven cases: an empty or misplaced directory would
 * otherwise make them vanish and the suite pass. */
static void test_case_directories_hold_cases(void **state)
{
	assert_true(count_matches(VALID_GLOB) >= 5);
	assert_true(count_matches(INVALID_GLOB) >= 30);
}

static void test_one_file_with_three_errors_reports_all_three(void **state)
{
	const char *path = CONFIG_DIR "/three_errors.conf";
	struct errlist errs = {0};
	struct config *conf = config_load(path, &errs);
	char p3[PATH_MAX], p6[PATH_MAX], p9[PATH_MAX];

	error_prefix(p3, sizeof(p3), path, 3);
	error_prefix(p6, sizeof(p6), path, 6);
	error_prefix(p9, sizeof(p9), path, 9);
	unit_errlist_print(&errs);
	assert_null(conf);
	assert_int_equal(errs.count, 3);
	assert_true(unit_errlist_has(&errs, p3, "'port' must be between"));
	assert_true(unit_errlist_has(&errs, p6, "'fsync' must be"));
	assert_true(unit_errlist_has(&errs, p9, "unknown key 'colour'"));
	errlist_free(&errs);
}

static void test_missing_file_is_reported_without_a_line(void **state)
{
	assert_refused_with(CONFIG_DIR "/no-such-file.conf", 0,
			    "cannot read the file");
}

static void test_valid_file_loads_when_error_list_already_holds_errors(
	void **state)
{
	struct errlist errs = {0};
	struct config *conf;

	errlist_add(&errs, "earlier-check", 1, "an unrelated earlier error");
	conf = config_load(CONFIG_DIR "/valid/minimal.conf", &errs);
	assert_non_null(conf);
	assert_int_equal(errs.count, 1);
	config_free(conf);
	errlist_free(&errs);
}

/* Loads file (under tests/config) and asserts that it is refused with an
 * error holding needle; frees everything before asserting, so a known
 * failure leaks nothing. */
static void assert_refused_mentioning(const char *file, const char *needle)
{
	struct errlist errs = {0};
	struct config *conf = config_load(file, &errs);
	int refused = conf == NULL;
	int found = unit_errlist_has(&errs, "", needle);

	if (!found) {
		print_message("expected an error holding \"%s\"\n", needle);
		unit_errlist_print(&errs);
	}
	config_free(conf);
	errlist_free(&errs);
	assert_true(refused);
	assert_true(found);
}

/* A URL pasted as the path carries the token after '?'; secrets never
 * appear in a message. */
static void test_path_with_query_is_refused_without_echoing_the_query(
	void **state)
{
	struct errlist errs = {0};
	struct config *conf = config_load(
		CONFIG_DIR "/invalid/path_with_query.conf", &errs);
	int echoed = unit_errlist_has(&errs, "", "pasted-secret");

	unit_errlist_print(&errs);
	config_free(conf);
	assert_null(conf);
	assert_true(errs.count > 0);
	errlist_free(&errs);
	assert_false(echoed);
}

/* libconfig 1.5 names an included file as the @include directive spells
 * it, so only the end of the location is checked. */
static void test_error_in_included_file_names_that_file(void **state)
{
	assert_refused_mentioning(
		CONFIG_DIR "/included_errors/unknown_key_main.conf",
		"unknown_key.inc:3: unknown key 'prot' in listen");
}

/* BUG: cross-section checks (duplicate handler names, duplicate endpoint
 * paths, unknown handler references) report the top-level file with the
 * line number of the setting in the included file. */
static void test_duplicate_handler_in_included_file_names_that_file(
	void **state)
{
	assert_refused_mentioning(
		CONFIG_DIR "/included_errors/duplicate_handler_main.conf",
		"duplicate_handler.inc:3: duplicate handler name 'archive'");
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_case_directories_hold_cases),
	cmocka_unit_test(test_one_file_with_three_errors_reports_all_three),
	cmocka_unit_test(test_missing_file_is_reported_without_a_line),
	cmocka_unit_test(
		test_valid_file_loads_when_error_list_already_holds_errors),
	cmocka_unit_test(
		test_path_with_query_is_refused_without_echoing_the_query),
	cmocka_unit_test(test_error_in_included_file_names_that_file),
	cmocka_unit_test(
		test_duplicate_handler_in_included_file_names_that_file),
};

/* Appends one test per file matching pattern, named "<dir>/<file>". */
static void add_file_cases(struct CMUnitTest *tests, size_t *n, glob_t *g,
			   CMUnitTestFunction fn)
{
	for (size_t i = 0; i < g->gl_pathc; i++) {
		char *path = g->gl_pathv[i];
		const char *name = path + strlen(CONFIG_DIR "/");

		tests[*n] = (struct CMUnitTest){.name = name, .test_func = fn,
						.initial_state = path};
		(*n)++;
	}
}

int main(void)
{
	size_t nfixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
	glob_t valid = {0}, invalid = {0};
	struct CMUnitTest *tests;
	size_t n = 0;
	int failed;

	glob(VALID_GLOB, 0, NULL, &valid);
	glob(INVALID_GLOB, 0, NULL, &invalid);
	tests = calloc(valid.gl_pathc + invalid.gl_pathc + nfixed,
		       sizeof(*tests));
	if (tests == NULL)
		return 1;
	add_file_cases(tests, &n, &valid, test_valid_file_loads_without_errors);
	add_file_cases(tests, &n, &invalid,
		       test_invalid_file_is_refused_with_expected_error);
	for (size_t i = 0; i < nfixed; i++)
		tests[n++] = fixed_tests[i];
	failed = _cmocka_run_group_tests("config_files", tests, n, NULL, NULL);
	free(tests);
	globfree(&valid);
	globfree(&invalid);
	return failed;
}
