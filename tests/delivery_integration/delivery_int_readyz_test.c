/* GET /readyz: 200 while events can be stored and every handler keeps up;
 * 503 naming the handler once its oldest unhandled event is older than
 * limits.ready_max_handler_lag_s; 200 again once it caught up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dint_util.h"

static const char config[] =
    "limits = { ready_max_handler_lag_s = 1; };\n"
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  retry_first_ms = 20; retry_max_ms = 50;\n"
    "  config = { out = \"@DIR@/out.txt\"; retry_bot = \"bot-r\";\n"
    "             down_file = \"@DIR@/down\"; }; } );\n";

static int setup(void **state)
{
	return dint_setup(state, config);
}

static int ready_is(struct daemon *d, long want)
{
	return http_get(d->port, "/readyz") == want;
}

static int is_ready(void *arg)
{
	return ready_is(arg, 200);
}

static int is_not_ready(void *arg)
{
	return ready_is(arg, 503);
}

static void a_handler_left_behind_makes_readyz_fail(void **state)
{
	struct daemon *d = *state;
	char down[512], body[2048];
	size_t len;

	assert_int_equal(http_get(d->port, "/readyz"), 200);

	daemon_path(d, "down", down, sizeof(down));
	assert_int_equal(harness_write_file(down, "", 0), 0);
	len = dint_event("bot-r", 0, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	if (!dint_wait_until(is_not_ready, d, 5000))
		fail_msg("/readyz stayed 200 with a handler stuck over 1 s");
	assert_true(
	    harness_wait_count(d->err_log, "handler flaky is", 1, 1000) >= 1);
	/* /healthz is about storing only: still fine. */
	assert_int_equal(http_get(d->port, "/healthz"), 200);

	assert_int_equal(unlink(down), 0);
	if (!dint_wait_until(is_ready, d, 5000))
		fail_msg("/readyz stayed 503 after the handler caught up");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_handler_left_behind_makes_readyz_fail, setup,
		daemon_teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_readyz", tests, NULL,
					   NULL);
}
