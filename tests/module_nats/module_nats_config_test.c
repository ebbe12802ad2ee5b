/* The nats handler's configuration through the built module's init:
 * every mistake is refused with a reason that names the key, and a good
 * configuration initializes even while no server runs (the daemon must
 * start and spool while NATS is down). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nats_modtest.h"

/* A loopback port where nothing listens (connections are refused). */
#define NO_SERVER "\"url\":\"nats://127.0.0.1:1\""

static const struct bad_config {
	const char *json;
	const char *why; /* a part of the reason */
} bad_configs[] = {
    {"{}", "url: missing"},
    {"{" NO_SERVER ",\"colour\":\"red\"}", "unknown key 'colour'"},
    {"{\"url\":4222}", "url: must be a string"},
    {"{\"url\":\"\"}", "url: must not be empty"},
    {"{\"url\":\"127.0.0.1:4222\"}", "url: '127.0.0.1:4222' is not nats://"},
    {"{\"url\":\"nats://h:99999\"}", "url: 'nats://h:99999' is not"},
    {"{" NO_SERVER ",\"subject\":\"recall.{nope}\"}",
     "subject: 'recall.{nope}': unknown placeholder"},
    {"{" NO_SERVER ",\"subject\":\"recall.*\"}", "subject:"},
    {"{" NO_SERVER ",\"subject\":\"recall..x\"}", "empty token"},
    {"{" NO_SERVER ",\"stream\":\"A.B\"}", "stream: 'A.B' is not a valid"},
    {"{" NO_SERVER ",\"stream\":\"\"}", "stream: must not be empty"},
    {"{" NO_SERVER ",\"create_stream\":\"yes\"}",
     "create_stream: must be a boolean"},
    {"{" NO_SERVER ",\"create_stream\":true,\"subject\":\"{bot_id}.x\"}",
     "create_stream: the subject must start with a fixed token"},
    {"{" NO_SERVER ",\"duplicate_window_s\":0}",
     "duplicate_window_s: must be between"},
    {"{" NO_SERVER ",\"publish_timeout_ms\":1}",
     "publish_timeout_ms: must be between"},
    {"{" NO_SERVER ",\"connect_timeout_ms\":true}",
     "connect_timeout_ms: must be an integer"},
    {"{" NO_SERVER ",\"user\":\"u\"}", "user: needs password"},
    {"{" NO_SERVER ",\"password\":\"p\"}", "password: needs user"},
    {"{" NO_SERVER ",\"token\":\"t\",\"user\":\"u\",\"password\":\"p\"}",
     "token: cannot be combined"},
    {"{" NO_SERVER ",\"credentials\":\"/nonexistent/user.creds\"}",
     "credentials: cannot read /nonexistent/user.creds"},
};

static void test_bad_configs_are_refused_naming_the_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(*bad_configs);
	     i++) {
		struct nats_instance ni;
		struct rtw_error err = {{0}};
		int rc = nats_open(&ni, bad_configs[i].json, &err);

		nats_close(&ni);
		if (rc == 0)
			fail_msg("accepted: %s", bad_configs[i].json);
		if (strstr(err.message, bad_configs[i].why) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'",
				 bad_configs[i].json, err.message,
				 bad_configs[i].why);
	}
}

static void test_secrets_never_appear_in_errors(void **state)
{
	struct nats_instance ni;
	struct rtw_error err = {{0}};

	(void)state;
	assert_int_not_equal(nats_open(&ni,
				       "{" NO_SERVER
				       ",\"token\":\"s3cr3t-token\","
				       "\"credentials\":\"/nonexistent/c\"}",
				       &err),
			     0);
	nats_close(&ni);
	assert_null(strstr(err.message, "s3cr3t-token"));
	assert_int_not_equal(
	    nats_open(&ni, "{\"url\":\"nats://u:s3cr3t-pw@h:bad\"}", &err), 0);
	nats_close(&ni);
	assert_non_null(strstr(err.message, "url:"));
	assert_null(strstr(err.message, "s3cr3t-pw"));
}

static void test_good_config_initializes_without_a_server(void **state)
{
	struct nats_instance ni;
	int64_t start = nats_now_ms();

	(void)state;
	nats_open_ok(&ni, "{" NO_SERVER ",\"subject\":\"a.{event}\","
			  "\"stream\":\"S\",\"create_stream\":true,"
			  "\"duplicate_window_s\":900,\"token\":\"t\","
			  "\"connect_timeout_ms\":500,"
			  "\"publish_timeout_ms\":1000,"
			  "\"reconnect_wait_ms\":100}");
	nats_close(&ni);
	assert_true(nats_now_ms() - start < 5000);
}

static void
test_credentials_are_found_in_the_credentials_directory(void **state)
{
	char dir[] = "/tmp/rtw-nats-creds-XXXXXX", path[256];
	struct nats_instance ni;
	struct rtw_error err = {{0}};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/user.creds", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a real creds file\n", f);
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	/* relative: found there; the server is down, so init succeeds */
	assert_int_equal(nats_open(&ni,
				   "{" NO_SERVER ",\"credentials\":"
				   "\"user.creds\"}",
				   &err),
			 0);
	nats_close(&ni);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_not_equal(nats_open(&ni,
				       "{" NO_SERVER ",\"credentials\":"
				       "\"user.creds\"}",
				       &err),
			     0);
	nats_close(&ni);
	assert_non_null(strstr(err.message, "credentials: cannot read"));
	unlink(path);
	rmdir(dir);
}

static void test_event_without_server_is_retried_at_once(void **state)
{
	struct nats_instance ni;
	struct nats_test_event te;
	struct rtw_error err = {{0}};
	int64_t start;

	(void)state;
	nats_open_ok(&ni, "{" NO_SERVER "}");
	nats_event_chat(&te, "bot-a", 1, 1);
	start = nats_now_ms();
	assert_int_equal(nats_handle(&ni, &te, &err), RTW_RETRY);
	assert_true(nats_now_ms() - start < 1000);
	assert_non_null(strstr(err.message, "not connected to NATS"));
	nats_event_clear(&te);
	nats_close(&ni);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_configs_are_refused_naming_the_key),
	    cmocka_unit_test(test_secrets_never_appear_in_errors),
	    cmocka_unit_test(test_good_config_initializes_without_a_server),
	    cmocka_unit_test(
		test_credentials_are_found_in_the_credentials_directory),
	    cmocka_unit_test(test_event_without_server_is_retried_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
