/* test_secret.c: token comparison, signing-key decoding, secret files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"
#include "unit_helpers.h"

#define VECTOR_SECRET "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define VECTOR_KEY "test-recall-secret"

/* ---- tokens ---------------------------------------------------------- */

struct token_case {
	const char *given;
	int matches;
};

static const char *const known_tokens[] = {"first-token", "second-token",
					   "last-token"};
#define NKNOWN (sizeof(known_tokens) / sizeof(*known_tokens))

static void digest_all(struct token_digest *out, const char *const *tokens,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		secret_digest(tokens[i], strlen(tokens[i]), &out[i]);
}

static void assert_token_cases(const struct token_digest *tokens, size_t n,
			       const struct token_case *cases, size_t ncases)
{
	for (size_t i = 0; i < ncases; i++) {
		int got = secret_token_matches(tokens, n, cases[i].given,
					       strlen(cases[i].given));

		if (got != cases[i].matches)
			fail_msg("token \"%s\": matches=%d, expected %d",
				 cases[i].given, got, cases[i].matches);
	}
}

static void test_only_the_exact_token_matches_a_single_token(void **state)
{
	static const struct token_case cases[] = {
		{"first-token", 1},   {"first-tokeN", 0}, {"first-toke", 0},
		{"first-token!", 0},  {"", 0},            {" first-token", 0},
		{"second-token", 0},
	};
	struct token_digest d[1];

	digest_all(d, known_tokens, 1);
	assert_token_cases(d, 1, cases, sizeof(cases) / sizeof(*cases));
}

static void test_any_of_several_tokens_matches(void **state)
{
	static const struct token_case cases[] = {
		{"first-token", 1}, {"second-token", 1}, {"last-token", 1},
		{"last-tokens", 0}, {"other-token", 0},
	};
	struct token_digest d[NKNOWN];

	digest_all(d, known_tokens, NKNOWN);
	assert_token_cases(d, NKNOWN, cases, sizeof(cases) / sizeof(*cases));
}

static void test_no_tokens_match_nothing(void **state)
{
	assert_false(secret_token_matches(NULL, 0, "", 0));
	assert_false(secret_token_matches(NULL, 0, "first-token", 11));
}

static void test_token_comparison_uses_the_given_length(void **state)
{
	struct token_digest d[1];

	digest_all(d, known_tokens, 1);
	assert_true(secret_token_matches(d, 1, "first-token-and-more", 11));
	assert_false(secret_token_matches(d, 1, "first-token", 10));
}

static void test_token_holding_a_nul_byte_is_not_cut_short(void **state)
{
	struct token_digest d;

	secret_digest("abc\0def", 7, &d);
	assert_true(secret_token_matches(&d, 1, "abc\0def", 7));
	assert_false(secret_token_matches(&d, 1, "abc", 3));
}

/* ---- signing keys ---------------------------------------------------- */

struct decode_case {
	const char *text;
	const char *bytes; /* NULL: the text must be refused */
};

static void assert_decodes(const struct decode_case *c)
{
	struct signing_key key = {0};
	char why[128] = "";
	int rc = secret_signing_key_decode(c->text, &key, why, sizeof(why));
	size_t len = key.len;
	int same = rc == 0 && c->bytes != NULL && len == strlen(c->bytes) &&
		   memcmp(key.bytes, c->bytes, len) == 0;

	secret_signing_key_free(&key);
	if (c->bytes == NULL && rc == 0)
		fail_msg("\"%s\" decoded to %zu bytes, expected refusal",
			 c->text, len);
	if (c->bytes == NULL)
		assert_true(why[0] != '\0');
	else if (rc != 0)
		fail_msg("\"%s\" refused: %s", c->text, why);
	else if (!same)
		fail_msg("\"%s\" decoded to %zu wrong bytes", c->text, len);
}

static void test_signing_keys_decode_with_or_without_whsec_prefix(
	void **state)
{
	static const struct decode_case cases[] = {
		{VECTOR_SECRET, VECTOR_KEY},
		{"dGVzdC1yZWNhbGwtc2VjcmV0", VECTOR_KEY},
		{"whsec_QQ==", "A"},
		{"whsec_QUI=", "AB"},
		{"whsec_QUJD", "ABC"},
		{"QUJDRA==", "ABCD"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_decodes(&cases[i]);
}

static void test_signing_keys_that_are_not_padded_base64_are_refused(
	void **state)
{
	static const struct decode_case cases[] = {
		{"whsec_", NULL},      {"", NULL},          {"whsec_!!!!", NULL},
		{"whsec_QQ=", NULL},   {"whsec_QUJDR", NULL}, {"whsec_QQ", NULL},
		{"whsec_QU J", NULL}, {"whsec_QUJ*", NULL},
		{"whsec_dGVzdC1yZWNhbGwtc2VjcmV", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_decodes(&cases[i]);
}

/* The secret has a valid length, so the base64 check is what refuses. */
static void test_refusal_reason_does_not_echo_the_secret(void **state)
{
	const char *secret = "whsec_c2VjcmV0c2Vj*A==";
	struct signing_key key = {0};
	char why[256] = "";

	assert_int_equal(
		secret_signing_key_decode(secret, &key, why, sizeof(why)), -1);
	assert_true(why[0] != '\0');
	assert_null(strstr(why, "c2VjcmV0"));
}

static void test_freed_signing_key_is_emptied(void **state)
{
	struct signing_key key = {0};
	char why[64];

	assert_int_equal(
		secret_signing_key_decode(VECTOR_SECRET, &key, why, sizeof(why)),
		0);
	secret_signing_key_free(&key);
	assert_null(key.bytes);
	assert_int_equal(key.len, 0);
	secret_signing_key_free(&key); /* a second free is harmless */
}

/* BUG: EVP_DecodeBlock is lenient, so malformed base64 decodes to a key
 * that is silently wrong instead of being refused at config check. */
static void test_malformed_padding_is_refused(void **state)
{
	static const struct decode_case cases[] = {
		{"whsec_====", NULL}, /* accepted as one zero byte */
		{"whsec_QQ=A", NULL}, /* data after padding */
		{"whsec_=QQ=", NULL}, /* padding first */
		{"whsec_A===", NULL}, /* three padding characters */
		{"whsec_QQ==    ", NULL}, /* "A" plus two zero bytes */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_decodes(&cases[i]);
}

static void test_wipe_zeroes_memory(void **state)
{
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	secret_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	secret_wipe(NULL, 8); /* NULL is allowed */
}

/* ---- secret files ---------------------------------------------------- */

/* Collects the secrets secret_read_file hands over; refuses "bad". */
struct collected {
	char items[8][64];
	size_t count;
};

static int collect(const char *secret, void *arg)
{
	struct collected *c = arg;

	if (strcmp(secret, "bad") == 0)
		return -1;
	if (c->count < 8)
		snprintf(c->items[c->count++], 64, "%s", secret);
	return 0;
}

struct file_fixture {
	char *dir;
	struct errlist errs;
	struct collected got;
};

static int file_setup(void **state)
{
	struct file_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = unit_tempdir_create();
	unsetenv("CREDENTIALS_DIRECTORY");
	*state = f;
	return 0;
}

static int file_teardown(void **state)
{
	struct file_fixture *f = *state;

	unsetenv("CREDENTIALS_DIRECTORY");
	errlist_free(&f->errs);
	unit_tempdir_remove(f->dir);
	free(f);
	return 0;
}

/* Writes text to <dir>/secrets and reads it through path. */
static int read_secrets(struct file_fixture *f, const char *text,
			const char *path)
{
	free(unit_write_file(f->dir, "secrets", text));
	return secret_read_file(path, "main.conf", 7, &f->errs, collect,
				&f->got);
}

static void test_secret_file_yields_each_line_without_line_ends(void **state)
{
	struct file_fixture *f = *state;
	char *path = unit_path_join(f->dir, "secrets");

	assert_int_equal(read_secrets(f, "one\ntwo\r\nthree \t\nfour", path), 4);
	assert_string_equal(f->got.items[0], "one");
	assert_string_equal(f->got.items[1], "two");
	assert_string_equal(f->got.items[2], "three");
	assert_string_equal(f->got.items[3], "four");
	assert_int_equal(f->errs.count, 0);
	free(path);
}

static void test_secret_file_skips_comments_and_blank_lines(void **state)
{
	struct file_fixture *f = *state;
	char *path = unit_path_join(f->dir, "secrets");

	assert_int_equal(read_secrets(f, "# comment\n\n  \nkept\n#x\n", path), 1);
	assert_string_equal(f->got.items[0], "kept");
	free(path);
}

static void test_secret_file_without_secrets_counts_zero(void **state)
{
	struct file_fixture *f = *state;
	char *path = unit_path_join(f->dir, "secrets");

	assert_int_equal(read_secrets(f, "# nothing yet\n", path), 0);
	assert_int_equal(f->errs.count, 0);
	free(path);
}

static void test_relative_secret_file_is_found_in_credentials_directory(
	void **state)
{
	struct file_fixture *f = *state;

	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", f->dir, 1), 0);
	assert_int_equal(read_secrets(f, "from-credentials\n", "secrets"), 1);
	assert_string_equal(f->got.items[0], "from-credentials");
}

static void test_empty_credentials_directory_means_the_working_directory(
	void **state)
{
	struct file_fixture *f = *state;
	char old_cwd[PATH_MAX];
	int n;

	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
	n = read_secrets(f, "from-cwd\n", "secrets");
	assert_int_equal(chdir(old_cwd), 0);
	assert_int_equal(n, 1);
	assert_string_equal(f->got.items[0], "from-cwd");
}

static void test_unreadable_secret_file_reports_config_line_and_path(
	void **state)
{
	struct file_fixture *f = *state;
	char prefix[PATH_MAX + 64];

	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", f->dir, 1), 0);
	assert_int_equal(secret_read_file("absent", "main.conf", 7, &f->errs,
					  collect, &f->got),
			 -1);
	snprintf(prefix, sizeof(prefix), "main.conf:7: cannot read %s/absent",
		 f->dir);
	unit_errlist_print(&f->errs);
	assert_true(unit_errlist_has(&f->errs, prefix, ""));
}

static void test_refused_secret_fails_the_file_but_not_the_others(
	void **state)
{
	struct file_fixture *f = *state;
	char *path = unit_path_join(f->dir, "secrets");
	char expected[PATH_MAX + 64];

	assert_int_equal(read_secrets(f, "good\nbad\nalso-good\n", path), -1);
	assert_int_equal(f->got.count, 2);
	assert_string_equal(f->got.items[1], "also-good");
	/* The error names the file, never the refused secret. */
	snprintf(expected, sizeof(expected), "main.conf:7: invalid secret in %s",
		 path);
	assert_int_equal(f->errs.count, 1);
	assert_string_equal(f->errs.lines[0], expected);
	free(path);
}

#define FILE_TEST(f) cmocka_unit_test_setup_teardown(f, file_setup, file_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_the_exact_token_matches_a_single_token),
		cmocka_unit_test(test_any_of_several_tokens_matches),
		cmocka_unit_test(test_no_tokens_match_nothing),
		cmocka_unit_test(test_token_comparison_uses_the_given_length),
		cmocka_unit_test(test_token_holding_a_nul_byte_is_not_cut_short),
		cmocka_unit_test(
			test_signing_keys_decode_with_or_without_whsec_prefix),
		cmocka_unit_test(
			test_signing_keys_that_are_not_padded_base64_are_refused),
		cmocka_unit_test(test_refusal_reason_does_not_echo_the_secret),
		cmocka_unit_test(test_freed_signing_key_is_emptied),
		cmocka_unit_test(test_malformed_padding_is_refused),
		cmocka_unit_test(test_wipe_zeroes_memory),
		FILE_TEST(test_secret_file_yields_each_line_without_line_ends),
		FILE_TEST(test_secret_file_skips_comments_and_blank_lines),
		FILE_TEST(test_secret_file_without_secrets_counts_zero),
		FILE_TEST(
			test_relative_secret_file_is_found_in_credentials_directory),
		FILE_TEST(
			test_empty_credentials_directory_means_the_working_directory),
		FILE_TEST(
			test_unreadable_secret_file_reports_config_line_and_path),
		FILE_TEST(test_refused_secret_fails_the_file_but_not_the_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
