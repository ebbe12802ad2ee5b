/* Recall's retry behaviour, against a server that fails the first K
 * attempts of chosen events: K retries spaced by the interval whatever
 * the failure (500, closed connection, timeout), and the give-up after
 * --max-retries that kills only that bot's feed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "send_fixture.h"

#define INTERVAL_MS "100"
#define INTERVAL_US 100000

static int64_t last_arrival(struct send_fixture *fx, const char *marker)
{
	size_t idx[8], n = server_find(&fx->server, marker, idx, 8);
	int64_t last = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		if (fx->server.reqs[idx[i]].start_us > last)
			last = fx->server.reqs[idx[i]].start_us;
	return last;
}

static void run_send(struct send_fixture *fx, struct send_result *r,
		     const char *max_retries, const char *timeout_ms)
{
	const char *args[] = {"--url", fx->server.url, "--json",
			      "--retry-interval-ms", INTERVAL_MS,
			      "--max-retries", max_retries, "--timeout-ms",
			      timeout_ms, fx->events, NULL};

	assert_int_equal(send_run(r, args), 0);
}

/* Fails event 1 of bot 0 k times by `how`, then checks: k + 1 attempts
 * spaced by the interval, k retries reported, everything delivered. */
static void check_k_failures(struct send_fixture *fx, unsigned k,
			     enum server_failure how)
{
	struct send_result r;
	char marker[32];

	assert_int_equal(write_events(fx->events, 2, 4, 1), 0);
	test_marker(0, 1, marker);
	server_fail(&fx->server, marker, k, how);
	send_fixture_start(fx);
	run_send(fx, &r, "60", "15000");
	assert_int_equal(r.status, 0);
	assert_int_equal(arrivals(fx, marker), k + 1);
	assert_spaced(fx, marker, INTERVAL_US);
	assert_int_equal(summary_int(&r, "retries"), k);
	assert_int_equal(summary_int(&r, "acknowledged"), 8);
	assert_int_equal(summary_int(&r, "attempts"), 8 + k);
	assert_int_equal(fx->server.n, 8 + k);
	send_result_free(&r);
}

static void test_retries_after_500_k_times(void **state)
{
	check_k_failures(*state, 3, FAIL_500);
}

static void test_retries_after_a_closed_connection_k_times(void **state)
{
	check_k_failures(*state, 2, FAIL_CLOSE);
}

static void test_retries_after_a_timeout(void **state)
{
	struct send_fixture *fx = *state;
	struct send_result r;
	char marker[32];

	assert_int_equal(write_events(fx->events, 1, 3, 1), 0);
	test_marker(0, 1, marker);
	fx->server.slow_ms = 1200;
	server_fail(&fx->server, marker, 1, FAIL_SLOW);
	send_fixture_start(fx);
	run_send(fx, &r, "60", "300");
	assert_int_equal(r.status, 0);
	assert_int_equal(server_wait_for(&fx->server, 4, 5000), 0);
	assert_int_equal(arrivals(fx, marker), 2);
	assert_int_equal(summary_int(&r, "retries"), 1);
	/* The retry came after the timeout (300 ms) and the interval,
	 * counted from before rtw-send started: the slow first request is
	 * recorded only when its late answer is written. */
	assert_true(last_arrival(fx, marker) - r.start_us >=
		    300000 + INTERVAL_US);
	send_result_free(&r);
}

static void test_succeeds_on_the_last_allowed_retry(void **state)
{
	struct send_fixture *fx = *state;
	struct send_result r;
	char marker[32];

	assert_int_equal(write_events(fx->events, 1, 2, 1), 0);
	test_marker(0, 0, marker);
	server_fail(&fx->server, marker, 3, FAIL_500);
	send_fixture_start(fx);
	run_send(fx, &r, "3", "15000");
	assert_int_equal(r.status, 0);
	assert_int_equal(arrivals(fx, marker), 4);
	assert_int_equal(summary_int(&r, "bots_failed"), 0);
	assert_int_equal(summary_int(&r, "acknowledged"), 2);
	send_result_free(&r);
}

static void test_gives_up_after_max_retries_and_only_on_that_bot(void **state)
{
	struct send_fixture *fx = *state;
	struct send_result r;
	char marker[32], bot0[40];

	assert_int_equal(write_events(fx->events, 2, 5, 1), 0);
	test_marker(0, 1, marker);
	server_fail(&fx->server, marker, 1000, FAIL_500);
	send_fixture_start(fx);
	run_send(fx, &r, "3", "15000");
	assert_int_equal(r.status, 1);
	/* The first attempt and three retries, then nothing of bot 0. */
	assert_int_equal(arrivals(fx, marker), 4);
	assert_spaced(fx, marker, INTERVAL_US);
	for (unsigned e = 2; e < 5; e++) {
		test_marker(0, e, marker);
		assert_int_equal(arrivals(fx, marker), 0);
	}
	/* Bot 1 is unaffected: every event once. */
	for (unsigned e = 0; e < 5; e++) {
		test_marker(1, e, marker);
		assert_int_equal(arrivals(fx, marker), 1);
	}
	assert_int_equal(summary_int(&r, "bots_failed"), 1);
	assert_int_equal(summary_int(&r, "acknowledged"), 6);
	assert_int_equal(summary_int(&r, "unsent"), 3);
	assert_int_equal(summary_int(&r, "retries"), 3);
	test_bot_id(0, bot0);
	assert_non_null(strstr(r.err, bot0));
	assert_non_null(strstr(r.err, "gave up"));
	send_result_free(&r);
}

static void test_max_retries_zero_gives_up_at_the_first_failure(void **state)
{
	struct send_fixture *fx = *state;
	struct send_result r;
	char marker[32];

	assert_int_equal(write_events(fx->events, 1, 2, 1), 0);
	test_marker(0, 0, marker);
	server_fail(&fx->server, marker, 1, FAIL_CLOSE);
	send_fixture_start(fx);
	run_send(fx, &r, "0", "15000");
	assert_int_equal(r.status, 1);
	assert_int_equal(fx->server.n, 1);
	assert_int_equal(summary_int(&r, "unsent"), 1);
	send_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retries_after_500_k_times,
						send_fixture_setup,
						send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_retries_after_a_closed_connection_k_times,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_retries_after_a_timeout,
						send_fixture_setup,
						send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_succeeds_on_the_last_allowed_retry,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_gives_up_after_max_retries_and_only_on_that_bot,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_max_retries_zero_gives_up_at_the_first_failure,
			send_fixture_setup, send_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
