/* test_config_secrets.c: secrets read from files named by `token_file` and
 * `signing_secret_file`. A relative name resolves against
 * $CREDENTIALS_DIRECTORY when that is set (systemd LoadCredential=), else
 * against the working directory, never against the configuration's own
 * directory.
 *
 * Each test runs in a scratch tree, with the working directory in cwd/:
 *     cwd/    creds/    conf/main.conf
 * and CREDENTIALS_DIRECTORY unset unless the test sets it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit_helpers.h"

#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define SECRET_LINE 3 /* the line of the secret settings in main.conf */

struct tree {
	char *root, *cwd, *creds, *conf;
	char old_cwd[PATH_MAX];
};

static char *make_subdir(const char *root, const char *name)
{
	char *dir = unit_path_join(root, name);

	assert_int_equal(mkdir(dir, 0700), 0);
	return dir;
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_non_null(getcwd(t->old_cwd, sizeof(t->old_cwd)));
	t->root = unit_tempdir_create();
	t->cwd = make_subdir(t->root, "cwd");
	t->creds = make_subdir(t->root, "creds");
	t->conf = make_subdir(t->root, "conf");
	assert_int_equal(chdir(t->cwd), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;

	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(chdir(t->old_cwd), 0);
	free(t->cwd);
	free(t->creds);
	free(t->conf);
	unit_tempdir_remove(t->root);
	free(t);
	return 0;
}

/* Writes conf/main.conf with one endpoint whose secret settings are
 * `settings` (on line SECRET_LINE) and loads it. */
static struct config *load_endpoint(struct tree *t, const char *settings,
				    struct errlist *errs, char **conf_path)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "endpoints = (\n"
		 "  { path = \"/e\";\n"
		 "    %s }\n"
		 ");\n",
		 settings);
	*conf_path = unit_write_file(t->conf, "main.conf", text);
	return config_load(*conf_path, errs);
}

/* Loads an endpoint that must be accepted; returns the configuration. */
static struct config *load_endpoint_ok(struct tree *t, const char *settings)
{
	struct errlist errs = {0};
	char *conf_path = NULL;
	struct config *c = load_endpoint(t, settings, &errs, &conf_path);

	unit_errlist_print(&errs);
	assert_non_null(c);
	assert_int_equal(c->nendpoints, 1);
	errlist_free(&errs);
	free(conf_path);
	return c;
}

/* Loads an endpoint that must be refused with an error on SECRET_LINE. */
static void assert_endpoint_refused(struct tree *t, const char *settings,
				    const char *substring)
{
	struct errlist errs = {0};
	char *conf_path = NULL;
	struct config *c = load_endpoint(t, settings, &errs, &conf_path);
	char prefix[PATH_MAX + 16];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", conf_path, SECRET_LINE);
	if (!unit_errlist_has(&errs, prefix, substring)) {
		unit_errlist_print(&errs);
		fail_msg("no error \"%s...%s\"", prefix, substring);
	}
	assert_null(c);
	errlist_free(&errs);
	free(conf_path);
}

static int accepts(const struct config *c, const char *token)
{
	return secret_token_matches(c->endpoints[0].tokens,
				    c->endpoints[0].ntokens, token,
				    strlen(token));
}

/* Puts a tokens.txt holding a different token in each directory, so the
 * token accepted tells which file was read. */
static void write_decoy_token_files(struct tree *t)
{
	free(unit_write_file(t->cwd, "tokens.txt", "cwd-token\n"));
	free(unit_write_file(t->creds, "tokens.txt", "credential-token\n"));
	free(unit_write_file(t->conf, "tokens.txt", "conf-dir-token\n"));
}

static void test_token_file_lines_are_tokens_except_comments_and_blanks(
	void **state)
{
	struct tree *t = *state;
	struct config *c;

	free(unit_write_file(t->cwd, "tokens.txt",
			     "# rotated on Monday\n\nalpha\n   \nbeta\r\n"));
	c = load_endpoint_ok(t, "token_file = \"tokens.txt\";");
	assert_int_equal(c->endpoints[0].ntokens, 2);
	assert_true(accepts(c, "alpha"));
	assert_true(accepts(c, "beta"));
	assert_false(accepts(c, "# rotated on Monday"));
	assert_false(accepts(c, "beta\r"));
	config_free(c);
}

static void test_relative_token_file_resolves_against_cwd_without_credentials(
	void **state)
{
	struct tree *t = *state;
	struct config *c;

	write_decoy_token_files(t);
	c = load_endpoint_ok(t, "token_file = \"tokens.txt\";");
	assert_true(accepts(c, "cwd-token"));
	assert_false(accepts(c, "credential-token"));
	assert_false(accepts(c, "conf-dir-token"));
	config_free(c);
}

static void test_relative_token_file_resolves_against_credentials_directory(
	void **state)
{
	struct tree *t = *state;
	struct config *c;

	write_decoy_token_files(t);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", t->creds, 1), 0);
	c = load_endpoint_ok(t, "token_file = \"tokens.txt\";");
	assert_true(accepts(c, "credential-token"));
	assert_false(accepts(c, "cwd-token"));
	assert_false(accepts(c, "conf-dir-token"));
	config_free(c);
}

static void test_absolute_token_file_ignores_credentials_directory(
	void **state)
{
	struct tree *t = *state;
	char settings[PATH_MAX + 32];
	struct config *c;

	write_decoy_token_files(t);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", t->creds, 1), 0);
	snprintf(settings, sizeof(settings), "token_file = \"%s/tokens.txt\";",
		 t->conf);
	c = load_endpoint_ok(t, settings);
	assert_true(accepts(c, "conf-dir-token"));
	assert_false(accepts(c, "credential-token"));
	config_free(c);
}

static void test_inline_tokens_and_token_file_are_both_accepted(void **state)
{
	struct tree *t = *state;
	struct config *c;

	free(unit_write_file(t->cwd, "tokens.txt", "from-file\n"));
	c = load_endpoint_ok(t, "tokens = [\"inline\"]; "
				"token_file = \"tokens.txt\";");
	assert_int_equal(c->endpoints[0].ntokens, 2);
	assert_true(accepts(c, "inline"));
	assert_true(accepts(c, "from-file"));
	config_free(c);
}

static void test_token_file_without_a_token_is_an_error(void **state)
{
	static const char *const contents[] = {"", "\n\n", "# only a comment\n",
					       "  \t \n"};
	struct tree *t = *state;

	for (size_t i = 0; i < sizeof(contents) / sizeof(*contents); i++) {
		print_message("token file \"%s\"\n", contents[i]);
		free(unit_write_file(t->cwd, "tokens.txt", contents[i]));
		assert_endpoint_refused(t, "token_file = \"tokens.txt\";",
					"'token_file' tokens.txt holds no "
					"secret");
	}
}

static void test_missing_token_file_is_an_error_naming_the_path(void **state)
{
	struct tree *t = *state;
	char expected[PATH_MAX + 32];

	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", t->creds, 1), 0);
	snprintf(expected, sizeof(expected), "cannot read %s/absent.txt",
		 t->creds);
	assert_endpoint_refused(t, "token_file = \"absent.txt\";", expected);
}

static void test_signing_secret_file_alone_authenticates_an_endpoint(
	void **state)
{
	struct tree *t = *state;
	struct config *c;
	const struct endpoint_conf *ep;

	free(unit_write_file(t->cwd, "signing.txt",
			     "# current secret\n" VECTOR_SECRET "\n"));
	c = load_endpoint_ok(t, "signing_secret_file = \"signing.txt\";");
	ep = &c->endpoints[0];
	assert_int_equal(ep->ntokens, 0);
	assert_int_equal(ep->nsigning_keys, 1);
	assert_int_equal(ep->signing_keys[0].len, 18);
	assert_memory_equal(ep->signing_keys[0].bytes, "test-recall-secret",
			    18);
	config_free(c);
}

static void test_signing_secret_file_with_bad_base64_is_an_error(void **state)
{
	struct tree *t = *state;

	free(unit_write_file(t->cwd, "signing.txt", "whsec_!!!!\n"));
	assert_endpoint_refused(t, "signing_secret_file = \"signing.txt\";",
				"invalid secret in signing.txt");
}

static void test_empty_signing_secret_file_is_an_error(void **state)
{
	struct tree *t = *state;

	free(unit_write_file(t->cwd, "signing.txt", "\n"));
	assert_endpoint_refused(t, "signing_secret_file = \"signing.txt\";",
				"'signing_secret_file' signing.txt holds no "
				"secret");
}

#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TREE_TEST(
			test_token_file_lines_are_tokens_except_comments_and_blanks),
		TREE_TEST(
			test_relative_token_file_resolves_against_cwd_without_credentials),
		TREE_TEST(
			test_relative_token_file_resolves_against_credentials_directory),
		TREE_TEST(test_absolute_token_file_ignores_credentials_directory),
		TREE_TEST(test_inline_tokens_and_token_file_are_both_accepted),
		TREE_TEST(test_token_file_without_a_token_is_an_error),
		TREE_TEST(test_missing_token_file_is_an_error_naming_the_path),
		TREE_TEST(
			test_signing_secret_file_alone_authenticates_an_endpoint),
		TREE_TEST(test_signing_secret_file_with_bad_base64_is_an_error),
		TREE_TEST(test_empty_signing_secret_file_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
