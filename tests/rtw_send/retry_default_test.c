/* The default retry interval is Recall's one second: checked loosely on a
 * single failing event (at least 900 ms between the failed answer and the
 * next attempt; no upper bound, a loaded machine may be slow). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "send_fixture.h"

static void test_default_interval_is_about_a_second(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--json", fx->events,
			      NULL};
	struct send_result r;
	char marker[32];

	assert_int_equal(write_events(fx->events, 1, 1, 1), 0);
	test_marker(0, 0, marker);
	server_fail(&fx->server, marker, 1, FAIL_500);
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(arrivals(fx, marker), 2);
	assert_spaced(fx, marker, 900000);
	assert_int_equal(summary_int(&r, "retries"), 1);
	send_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_default_interval_is_about_a_second,
			send_fixture_setup, send_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
