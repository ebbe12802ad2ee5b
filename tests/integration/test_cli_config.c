/* The command line of DESIGN.md against the real binary: --version,
 * --help, usage errors, stopping on SIGTERM, `-t` on every example
 * configuration in conf/, and `-t` reporting every error as file:line. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define EXAMPLE_TOKEN "example-token-for-the-check"
#define EXAMPLE_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"

static void version_prints_the_name_and_version(void **state)
{
	const char *argv[] = {"--version", NULL};
	struct run_result r;

	assert_int_equal(harness_run(argv, NULL, NULL, &r), 0);
	assert_string_equal(r.out, "rtwebhookd " RTW_EXPECTED_VERSION "\n");
	run_result_free(&r);
}

static void help_exits_0_and_documents_c_and_t(void **state)
{
	const char *argv[] = {"--help", NULL};
	struct run_result r;

	assert_int_equal(harness_run(argv, NULL, NULL, &r), 0);
	assert_non_null(strstr(r.out, "-c"));
	assert_non_null(strstr(r.out, "-t"));
	run_result_free(&r);
}

static void usage_errors_exit_2(void **state)
{
	static const char *const cases[][4] = {
		{NULL},                       /* no -c */
		{"-t", NULL},                 /* -t without -c */
		{"-v", NULL},                 /* still no -c */
		{"--no-such-option", NULL},
		{"-c", NULL},                 /* -c without its argument */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result r;
		int status = harness_run(cases[i], NULL, NULL, &r);

		if (status != 2)
			fail_msg("case %zu (%s): exit %d, want 2; stderr:\n%s",
				 i, cases[i][0] ? cases[i][0] : "no arguments",
				 status, r.err);
		/* The usage goes to stderr, naming the required option. */
		assert_non_null(strstr(r.err, "-c"));
		run_result_free(&r);
	}
}

static void unreadable_config_file_exits_1_naming_it(void **state)
{
	const char *argv[] = {"-t", "-c", "/nonexistent/rtwebhookd.conf", NULL};
	struct run_result r;

	assert_int_equal(harness_run(argv, NULL, NULL, &r), 1);
	assert_non_null(strstr(r.err, "/nonexistent/rtwebhookd.conf"));
	assert_null(strstr(r.out, "configuration OK"));
	run_result_free(&r);
}

static int setup_daemon(void **state)
{
	return daemon_setup(state, HARNESS_DEFAULT_BODY, NULL);
}

static int teardown_daemon(void **state)
{
	return daemon_teardown(state);
}

/* Only sig is sent: the daemon must exit on it alone. */
static void stop_signal_exits_0(struct daemon *d, int sig)
{
	assert_int_equal(http_get(d->port, "/healthz"), 200);
	assert_int_equal(daemon_signal(d, sig), 0);
	assert_int_equal(daemon_wait(d, 20000), 0);
}

static void sigterm_stops_the_daemon_with_status_0(void **state)
{
	stop_signal_exits_0(*state, SIGTERM);
}

static void sigint_stops_the_daemon_with_status_0(void **state)
{
	stop_signal_exits_0(*state, SIGINT);
}

/* Writes the credential files a configuration names (token_file,
 * signing_secret_file) into creds, with valid example values. Returns the
 * number of files, or -1 when one is an absolute path (it cannot come from
 * $CREDENTIALS_DIRECTORY). */
static int write_credentials(const char *conf, const char *creds)
{
	static const struct {
		const char *key, *value;
	} kinds[] = {{"token_file", EXAMPLE_TOKEN "\n"},
		     {"signing_secret_file", EXAMPLE_SECRET "\n"}};
	int count = 0;

	for (size_t k = 0; k < 2; k++) {
		for (const char *p = conf; (p = strstr(p, kinds[k].key)) != NULL;
		     p += strlen(kinds[k].key)) {
			const char *v = p + strlen(kinds[k].key);
			char path[512];
			size_t len;

			if (p > conf && (p[-1] == '_' || p[-1] == '"'))
				continue; /* part of a longer name */
			v += strspn(v, " \t");
			if (*v != '=' && *v != ':')
				continue;
			v++;
			v += strspn(v, " \t");
			if (*v++ != '"')
				continue;
			len = strcspn(v, "\"");
			if (v[0] == '/') {
				print_error("credential path %.*s is absolute\n",
					    (int)len, v);
				return -1;
			}
			snprintf(path, sizeof(path), "%s/%.*s", creds, (int)len,
				 v);
			if (harness_write_file(path, kinds[k].value,
					       strlen(kinds[k].value)) != 0)
				return -1;
			count++;
		}
	}
	return count;
}

/* Runs -t on one example from a fresh working directory (relative paths
 * land there) with its credentials. Returns 0 when it passes. */
static int check_example(const char *file)
{
	char cwd[256], creds[300];
	char *text = harness_read_file(file, NULL);
	const char *argv[] = {"-t", "-c", file, NULL};
	struct run_result r = {0};
	int ok;

	if (text == NULL || harness_mkdtemp(cwd, sizeof(cwd)) != 0) {
		free(text);
		return -1;
	}
	snprintf(creds, sizeof(creds), "%s/credentials", cwd);
	ok = mkdir(creds, 0700) == 0 && write_credentials(text, creds) >= 0;
	if (ok) {
		harness_run(argv, cwd, creds, &r);
		ok = r.status == 0 && strstr(r.out, "configuration OK") != NULL;
		if (!ok)
			print_error("%s: exit %d\nstdout:\n%s\nstderr:\n%s\n",
				    file, r.status, r.out, r.err);
		run_result_free(&r);
	} else {
		print_error("%s: cannot provide its credentials\n", file);
	}
	harness_rmtree(cwd);
	free(text);
	return ok ? 0 : -1;
}

static void every_example_config_passes_the_check(void **state)
{
	char **files = harness_list(RTW_SOURCE_DIR "/conf", ".conf");
	size_t n = 0, failed = 0;

	assert_non_null(files);
	for (; files[n] != NULL; n++)
		failed += check_example(files[n]) != 0;
	harness_free_list(files);
	assert_true(n > 0);
	assert_int_equal(failed, 0);
}

static int setup_dir(void **state)
{
	*state = daemon_new();
	return *state != NULL ? 0 : -1;
}

static void config_with_three_errors_reports_each_as_file_line(void **state)
{
	struct daemon *d = *state;
	const char *argv[] = {"-t", "-c", d->conf, NULL};
	char mark[400];
	struct run_result r;

	assert_int_equal(
		daemon_write(d, "rtwebhookd.conf",
			     "listen = { address = \"127.0.0.1\"; port = 0; };\n"
			     "spool = { dir = \"@DIR@/spool\"; };\n"
			     "limits = { timeout_s = \"ten\"; };\n"
			     "endpoints = (\n"
			     "  { path = \"/a\"; tokens = [\"t\"];\n"
			     "    colour = \"blue\"; }\n"
			     ");\n"
			     "handlers = ( { name = \"archive\";"
			     " module = \"jsonl\";\n"
			     "  config = { path = \"@DIR@/x.jsonl\"; }; } );\n"
			     "spoool = { dir = \"/tmp\"; };\n"),
		0);
	assert_int_equal(harness_run(argv, d->dir, NULL, &r), 1);
	for (int i = 0; i < 3; i++) {
		static const int lines[] = {3, 6, 10};

		snprintf(mark, sizeof(mark), "%s:%d: ", d->conf, lines[i]);
		if (strstr(r.err, mark) == NULL)
			fail_msg("no error '%s...'; stderr:\n%s", mark, r.err);
	}
	/* Exactly three "file:" locations (a warning may name the file too,
	 * e.g. that it is world-readable, but not as a location). */
	snprintf(mark, sizeof(mark), "%s:", d->conf);
	assert_int_equal(harness_count(r.err, mark), 3);
	assert_null(strstr(r.out, "configuration OK"));
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_prints_the_name_and_version),
		cmocka_unit_test(help_exits_0_and_documents_c_and_t),
		cmocka_unit_test(usage_errors_exit_2),
		cmocka_unit_test(unreadable_config_file_exits_1_naming_it),
		cmocka_unit_test_setup_teardown(
			sigterm_stops_the_daemon_with_status_0, setup_daemon,
			teardown_daemon),
		cmocka_unit_test_setup_teardown(
			sigint_stops_the_daemon_with_status_0, setup_daemon,
			teardown_daemon),
		cmocka_unit_test(every_example_config_passes_the_check),
		cmocka_unit_test_setup_teardown(
			config_with_three_errors_reports_each_as_file_line,
			setup_dir, teardown_daemon),
	};

	return cmocka_run_group_tests_name("integration_cli_config", tests,
					   NULL, NULL);
}
