/* Secrets that could reach the log by a side door: a query string that
 * arrives percent-encoded, and a token pasted into the config. DESIGN.md:
 * "secrets never appear in any log line".
 *
 * 1. libmicrohttpd hands the path over percent-decoded, so a request whose
 *    '?' arrives encoded ("/recall/events%3Ftoken=SECRET", e.g. a URL
 *    encoded twice by the operator or a proxy) would put the token in the
 *    "rejected 404" line unless the logged path is redacted.
 * 2. -t on an endpoint whose path holds a query (the operator pasted the
 *    whole Recall URL, "/recall/events?token=SECRET") must not print the
 *    token in its error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "secrets.h"

static int setup_dir(void **state)
{
	*state = daemon_new();
	return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static void token_after_an_encoded_question_mark_is_not_logged(void **state)
{
	static const char event[] = "{\"event\":\"x\",\"data\":{}}";
	struct daemon *d = *state;
	char *log;

	assert_int_equal(
		daemon_configure(
			d, "endpoints = ( { path = \"/recall/events\";"
			   " tokens = [\"" TOKEN_INLINE "\"]; } );\n"
			   "handlers = ( { name = \"archive\"; module = \"jsonl\";"
			   " config = { path = \"@DIR@/events.jsonl\"; }; } );\n"),
		0);
	assert_int_equal(daemon_start(d, NULL), 0);
	/* Not the endpoint: the path is "/recall/events?token=...". */
	assert_int_equal(http_post(d->port,
				   "/recall/events%3Ftoken=" TOKEN_INLINE,
				   "application/json", event, strlen(event)),
			 404);
	assert_int_equal(daemon_stop(d), 0);
	log = daemon_log(d);
	assert_non_null(strstr(log, "rejected 404"));
	assert_null(secret_found_in(log, "the daemon's stderr"));
	free(log);
}

static void config_error_for_a_path_with_a_query_does_not_print_it(
	void **state)
{
	struct daemon *d = *state;
	const char *argv[] = {"-t", "-c", d->conf, NULL};
	struct run_result r;

	assert_int_equal(
		daemon_write(
			d, "rtwebhookd.conf",
			"listen = { address = \"127.0.0.1\"; port = 0; };\n"
			"spool = { dir = \"@DIR@/spool\"; };\n"
			"endpoints = ( { path = \"/recall/events?token=" TOKEN_INLINE
			"\";\n"
			"  tokens = [\"" TOKEN_INLINE "\"]; } );\n"
			"handlers = ( { name = \"archive\"; module = \"jsonl\";"
			" config = { path = \"@DIR@/x.jsonl\"; }; } );\n"),
		0);
	assert_int_equal(harness_run(argv, d->dir, NULL, &r), 1);
	/* The error is reported, at the endpoint's line... */
	assert_non_null(strstr(r.err, "rtwebhookd.conf:3: "));
	/* ...without the token that came with the pasted URL. */
	assert_null(secret_found_in(r.err, "-t stderr"));
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			token_after_an_encoded_question_mark_is_not_logged,
			setup_dir, teardown),
		cmocka_unit_test_setup_teardown(
			config_error_for_a_path_with_a_query_does_not_print_it,
			setup_dir, teardown),
	};

	return cmocka_run_group_tests_name("integration_bug_secret_leaks",
					   tests, NULL, NULL);
}
