/* The redis handler's init refuses bad configuration with a reason that
 * names the key, and accepts good configuration without needing a
 * reachable server (the daemon starts, and -t passes, while Redis is
 * down). Through the built module and a mock host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "redis_module.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct refusal {
	const char *config, *reason;
} refusals[] = {
    {"{\"path\": \"x\"}", "unknown key 'path'"},
    {"{\"url\": 6379}", "url: must be a string"},
    {"{\"url\": \"http://h\"}", "url: "},
    {"{\"url\": \"redis://u:pw@h\"}", "url: put credentials"},
    {"{\"stream\": \"recall:{bot}\"}", "stream: "},
    {"{\"stream\": \"\"}", "stream: must not be empty"},
    {"{\"stream\": true}", "stream: must be a string"},
    {"{\"maxlen\": -1}", "maxlen: must be from 0"},
    {"{\"maxlen\": \"1000\"}", "maxlen: must be an integer"},
    {"{\"database\": -2}", "database: must be from 0"},
    {"{\"url\": \"redis://h/1\", \"database\": 2}", "database: the url"},
    {"{\"tls\": true}", "tls: TLS is not available"},
    {"{\"tls\": \"yes\"}", "tls: must be a boolean"},
    {"{\"url\": \"rediss://h\"}", "url: TLS is not available"},
    {"{\"username\": \"u\"}", "username: needs password"},
    {"{\"password\": \"a\", \"password_file\": \"b\"}",
     "password and password_file"},
    {"{\"password_file\": \"/nonexistent/pw\"}", "password_file: cannot open"},
    {"{\"dedup_ttl_s\": -5}", "dedup_ttl_s: must be from 0"},
    {"{\"timeout_ms\": 1}", "timeout_ms: must be from 10"},
    {"{\"connect_timeout_ms\": 1.5}", "connect_timeout_ms: must be an integer"},
};

static void bad_config_is_refused_naming_the_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(refusals); i++) {
		struct redis_instance ri;
		struct rtw_error err = {{0}};

		if (redis_open(&ri, refusals[i].config, &err) == 0)
			fail_msg("%s accepted", refusals[i].config);
		if (strstr(err.message, refusals[i].reason) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"",
				 refusals[i].config, err.message,
				 refusals[i].reason);
		redis_close(&ri);
	}
}

static const char *const accepted[] = {
    "{}",
    "{\"url\": \"redis://127.0.0.1:1/15\", \"stream\": \"recall\","
    " \"maxlen\": 1000, \"dedup_ttl_s\": 0, \"timeout_ms\": 500,"
    " \"connect_timeout_ms\": 100, \"tls\": false}",
    "{\"url\": \"unix:/nonexistent/redis.sock\", \"database\": 3,"
    " \"username\": \"rtw\", \"password\": \"pw\","
    " \"stream\": \"rec:{recording_id}:{event}\"}",
};

static void good_config_is_accepted_with_no_server(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(accepted); i++) {
		struct redis_instance ri;

		redis_open_ok(&ri, accepted[i]);
		redis_close(&ri);
	}
}

static void password_file_is_read_and_never_logged(void **state)
{
	char dir[] = "/tmp/rtw-redis-pw-XXXXXX", path[64], conf[256];
	struct redis_instance ri;
	struct rtw_error err = {{0}};
	struct test_event te;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pw", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret-pw\n", f);
	fclose(f);
	/* Port 1 on loopback refuses: the connect fails at once. */
	snprintf(
	    conf, sizeof(conf),
	    "{\"url\": \"redis://127.0.0.1:1\", \"password_file\": \"%s\"}",
	    path);
	redis_open_ok(&ri, conf);
	test_event_chat(&te, "bot-a", 0, 1);
	assert_int_equal(redis_handle(&ri, &te, &err), RTW_RETRY);
	assert_null(strstr(err.message, "s3cret"));
	assert_null(strstr(ri.mock.last_log, "s3cret"));
	assert_true(ri.mock.nlogs >= 1); /* the outage is logged once */
	test_event_clear(&te);
	redis_close(&ri);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_config_is_refused_naming_the_key),
	    cmocka_unit_test(good_config_is_accepted_with_no_server),
	    cmocka_unit_test(password_file_is_read_and_never_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
