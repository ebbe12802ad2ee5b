/* The http handler's config through its ABI (mock host): every refusal
 * names the key; secrets and URL credentials never appear in a reason or
 * a log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_modtest.h"

#define URL "http://127.0.0.1:9/hook"

static const struct {
	const char *config;
	const char *reason; /* a part of init's reason */
} refused[] = {
    {"{}", "url: missing"},
    {"{\"url\": 5}", "url: must be a string"},
    {"{\"url\": \"ftp://h/x\"}", "url: scheme ftp"},
    {"{\"url\": \"/just/a/path\"}", "url: not a valid absolute URL"},
    {"{\"url\": \"" URL "\", \"bogus\": 1}", "unknown key 'bogus'"},
    {"{\"url\": \"" URL "\", \"timeout_ms\": \"5\"}",
     "timeout_ms: must be an integer"},
    {"{\"url\": \"" URL "\", \"timeout_ms\": 0}",
     "timeout_ms: must be between 10 and 600000"},
    {"{\"url\": \"" URL "\", \"max_retry_after_s\": -1}",
     "max_retry_after_s: must be between"},
    {"{\"url\": \"" URL "\", \"headers\": \"X: y\"}",
     "headers: must be a list of strings"},
    {"{\"url\": \"" URL "\", \"headers\": [\"X: y\", 3]}",
     "headers[1]: must be a string"},
    {"{\"url\": \"" URL "\", \"headers\": [\"X: a\\r\\nY: b\"]}",
     "headers[0]: header X: the value holds a CR or LF"},
    {"{\"url\": \"" URL "\", \"headers\": [\"X: a\\u0000b\"]}",
     "headers[0]: must be a string"},
    {"{\"url\": \"" URL "\", \"headers\": [\"Content-Type: text/plain\"]}",
     "headers[0]: header Content-Type: set by the handler"},
    {"{\"url\": \"" URL "\", \"signing_secret\": \"hunter2hunter2\"}",
     "signing_secret: must be \"whsec_\""},
    {"{\"url\": \"" URL "\", \"signing_secret\": true}",
     "signing_secret: must be a string"},
    {"{\"url\": \"" URL "\", \"retry_after_scope\": 1}",
     "retry_after_scope: must be a string"},
    {"{\"url\": \"" URL "\", \"retry_after_scope\": \"all\"}",
     "retry_after_scope: must be \"handler\""},
};

static void test_bad_configs_are_refused_naming_the_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		struct http_instance hi;
		struct rtw_error err = {{0}};

		if (hi_open(&hi, refused[i].config, &err) == 0)
			fail_msg("config %zu accepted: %s", i,
				 refused[i].config);
		if (strstr(err.message, refused[i].reason) == NULL)
			fail_msg("config %zu: reason '%s' lacks '%s'", i,
				 err.message, refused[i].reason);
		assert_null(strstr(err.message, "hunter2"));
		hi_close(&hi);
	}
}

static void test_good_config_logs_the_url_without_credentials(void **state)
{
	struct http_instance hi;

	(void)state;
	hi_open_ok(&hi,
		   "{\"url\": \"http://alice:pa55word@127.0.0.1:9/h"
		   "?key=topsecret\", \"timeout_ms\": 250, \"headers\": "
		   "[\"Authorization: Bearer tok3n\"], \"signing_secret\": "
		   "\"" VECTOR_SECRET "\", \"max_retry_after_s\": 0}");
	assert_non_null(strstr(hi_log(&hi), "forwarding to http://***:***@"
					    "127.0.0.1:9/h?***"));
	assert_non_null(strstr(hi_log(&hi), "signed"));
	assert_null(strstr(hi_log(&hi), "pa55word"));
	assert_null(strstr(hi_log(&hi), "topsecret"));
	assert_null(strstr(hi_log(&hi), "dGVzdC1yZWNhbGwtc2VjcmV0"));
	assert_null(strstr(hi_log(&hi), "tok3n"));
	hi_close(&hi);
}

/* "bot" relies on the host sleeping the one event for the delay; an
 * older host cannot, and would silently get no Retry-After at all. */
static void test_bot_scope_needs_a_host_with_retry_after(void **state)
{
	static const enum mock_host_kind old[] = {MOCK_HOST_1_0,
						  MOCK_HOST_NO_RETRY_AFTER};
	static const char config[] =
	    "{\"url\": \"" URL "\", \"retry_after_scope\": \"bot\"}";
	struct http_instance current;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct http_instance hi;
		struct rtw_error err = {{0}};

		assert_int_not_equal(hi_open_host(&hi, config, old[i], &err),
				     0);
		assert_non_null(strstr(err.message, "retry_after_scope: "
						    "\"bot\" needs"));
		hi_close(&hi);
		/* The default scope works there (the module-wide hold). */
		hi_open_host_ok(&hi, "{\"url\": \"" URL "\"}", old[i]);
		hi_close(&hi);
	}
	hi_open_ok(&current, config); /* and the current host takes it */
	assert_non_null(strstr(hi_log(&current), "Retry-After pauses one bot"));
	hi_close(&current);
}

static void test_thread_safe_flag_is_declared(void **state)
{
	struct http_instance hi;

	(void)state;
	hi_open_ok(&hi, "{\"url\": \"" URL "\"}");
	assert_true(hi.module.desc->flags & RTW_HANDLER_THREAD_SAFE);
	hi_close(&hi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_configs_are_refused_naming_the_key),
	    cmocka_unit_test(test_good_config_logs_the_url_without_credentials),
	    cmocka_unit_test(test_bot_scope_needs_a_host_with_retry_after),
	    cmocka_unit_test(test_thread_safe_flag_is_declared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
