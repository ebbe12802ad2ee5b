/* --rate and --speed slow the sending down as asked. Lower bounds only:
 * a loaded machine may always be slower. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "send_fixture.h"

/* Times are measured from just before rtw-send started: a lower bound
 * that holds however late the server saw any request (on a loaded
 * machine an arrival can be recorded late, which would shrink a gap
 * measured between two arrivals). */
static int64_t last_arrival(struct send_fixture *fx,
			    const struct send_result *r)
{
	int64_t last = 0;

	for (size_t i = 0; i < fx->server.n; i++)
		if (fx->server.reqs[i].start_us > last)
			last = fx->server.reqs[i].start_us;
	return last - r->start_us;
}

static void test_rate_caps_requests_per_second(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--rate", "100",
			      fx->events, NULL};
	struct send_result r;

	/* 40 requests at 100/s: the last starts 390 ms after the first at
	 * the earliest (catch-up never runs ahead of the schedule). */
	assert_int_equal(write_events(fx->events, 4, 10, 1), 0);
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(fx->server.n, 40);
	assert_true(last_arrival(fx, &r) >= 380000);
	send_result_free(&r);
}

static void test_speed_replays_relative_time(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--speed", "4",
			      fx->events, NULL};
	struct send_result r;
	FILE *f = fopen(fx->events, "w");
	size_t idx[3];
	char id[40];

	/* One bot, relative times 10, 11, 13 s: at 4x, 250 and 500 ms. */
	test_bot_id(0, id);
	for (int e = 0; e < 3; e++) {
		static const double at[] = {10.0, 11.0, 13.0};
		char marker[32], *line;

		test_marker(0, (unsigned)e, marker);
		line = chat_event(id, marker, at[e]);
		fprintf(f, "%s\n", line);
		free(line);
	}
	fclose(f);
	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(server_find_bot(&fx->server, id, idx, 3), 3);
	assert_true(fx->server.reqs[idx[1]].start_us - r.start_us >= 250000);
	assert_true(fx->server.reqs[idx[2]].start_us - r.start_us >= 750000);
	send_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_rate_caps_requests_per_second, send_fixture_setup,
			send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_speed_replays_relative_time, send_fixture_setup,
			send_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
