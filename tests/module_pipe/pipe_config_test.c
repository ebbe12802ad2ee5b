/* pipe config: wrong keys, types and ranges are refused naming the key;
 * good configs are accepted; init starts no process (rtwebhookd -t runs
 * it too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modtest.h"
#include "scratch.h"

struct refused {
	const char *config;
	const char *reason;
};

static const struct refused refused_configs[] = {
    {"{}", "config needs command"},
    {"{\"command\": \"cat\"}", "config needs command"},
    {"{\"command\": [\"cat\", 2]}", "'command'[1] must be a string"},
    {"{\"command\": [\"/nonexistent/worker\"]}",
     "/nonexistent/worker is not an executable file"},
    {"{\"command\": [\"cat\"], \"acks\": true}",
     "unknown key 'acks' in config (pipe takes: command, ack, "
     "ack_timeout_s, write_timeout_s, restart_max_s, stop_timeout_s)"},
    {"{\"command\": [\"cat\"], \"ack\": 1}", "'ack' must be true or false"},
    {"{\"command\": [\"cat\"], \"ack\": \"yes\"}",
     "'ack' must be true or false"},
    {"{\"command\": [\"cat\"], \"ack_timeout_s\": 0}",
     "'ack_timeout_s' must be a number of seconds in (0, 3600]"},
    {"{\"command\": [\"cat\"], \"write_timeout_s\": \"1\"}",
     "'write_timeout_s' must be a number of seconds"},
    {"{\"command\": [\"cat\"], \"restart_max_s\": -1}",
     "'restart_max_s' must be a number of seconds"},
    {"{\"command\": [\"cat\"], \"stop_timeout_s\": 601}",
     "'stop_timeout_s' must be a number of seconds in (0, 600]"},
};

static const char *const accepted_configs[] = {
    "{\"command\": [\"cat\"]}",
    "{\"command\": [\"/bin/cat\"], \"ack\": false}",
    "{\"command\": [\"/bin/sh\", \"-c\", \"cat\"], \"ack\": true, "
    "\"ack_timeout_s\": 0.5, \"write_timeout_s\": 2, \"restart_max_s\": 60, "
    "\"stop_timeout_s\": 1}",
};

static void bad_configs_are_refused_naming_the_key(void **state)
{
	for (size_t i = 0;
	     i < sizeof(refused_configs) / sizeof(*refused_configs); i++) {
		const struct refused *r = &refused_configs[i];
		struct rtw_error err = {{0}};
		struct mod_instance mi;
		int rc = mod_open(&mi, MODTEST_PIPE_SO, r->config, &err);

		mod_close(&mi);
		if (rc == 0)
			fail_msg("accepted %s", r->config);
		if (strstr(err.message, r->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", r->config,
				 err.message, r->reason);
	}
}

static void good_configs_are_accepted(void **state)
{
	for (size_t i = 0;
	     i < sizeof(accepted_configs) / sizeof(*accepted_configs); i++) {
		struct mod_instance mi;

		mod_open_ok(&mi, MODTEST_PIPE_SO, accepted_configs[i]);
		mod_close(&mi);
	}
}

static void init_and_fini_start_no_worker(void **state)
{
	char *dir = scratch_dir();
	char *script = modtest_script(dir, "worker.sh",
				      "#!/bin/sh\ntouch @DIR@/started\ncat\n");
	char *started = scratch_path(dir, "started");
	char *quoted = modtest_json_string(script);
	char config[512];
	struct mod_instance mi;

	snprintf(config, sizeof(config), "{\"command\": [%s]}", quoted);
	mod_open_ok(&mi, MODTEST_PIPE_SO, config);
	assert_false(mi.module.desc->flags & RTW_HANDLER_THREAD_SAFE);
	mod_close(&mi);
	modtest_sleep_ms(100);
	assert_false(modtest_wait_file(started, 0));
	free(quoted);
	free(started);
	free(script);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_configs_are_refused_naming_the_key),
	    cmocka_unit_test(good_configs_are_accepted),
	    cmocka_unit_test(init_and_fini_start_no_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
