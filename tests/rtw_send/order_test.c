/* Per-bot ordering as Recall delivers: each bot's events arrive in file
 * order and one at a time (checked on the server's recorded intervals),
 * while different bots are in flight together; --concurrency bounds how
 * many. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "send_fixture.h"

#define MAX_REQ 256

/* The event number in a "[b<bot>/e<ev>]" marker of body, or -1. */
static int event_number(const char *body)
{
	const char *m = strstr(body, "/e");
	int ev = -1;

	if (m == NULL || sscanf(m, "/e%d]", &ev) != 1)
		return -1;
	return ev;
}

/* Bot `bot`'s requests, by arrival: never overlapping, event numbers in
 * file order (a retry repeats the number, nothing goes back), and
 * delivered ends with every one of its events. */
static void assert_bot_in_order(struct send_fixture *fx, const char *bot_id,
				int nevents)
{
	size_t idx[MAX_REQ];
	size_t n = server_find_bot(&fx->server, bot_id, idx, MAX_REQ);
	const struct server_request *r = fx->server.reqs;
	int last = -1;

	assert_true(n >= (size_t)nevents && n <= MAX_REQ);
	for (size_t i = 0; i < n; i++) {
		int ev = event_number(r[idx[i]].body);

		if (i > 0 && r[idx[i]].start_us < r[idx[i - 1]].end_us)
			fail_msg("bot %s: two requests in flight at once",
				 bot_id ? bot_id : "(none)");
		if (ev != last && ev != last + 1)
			fail_msg("bot %s: event %d arrived after %d",
				 bot_id ? bot_id : "(none)", ev, last);
		if (ev == last && !r[idx[i - 1]].failed)
			fail_msg("bot %s: event %d sent again after success",
				 bot_id ? bot_id : "(none)", ev);
		last = ev;
	}
	assert_int_equal(last, nevents - 1);
}

static void run_ok(struct send_fixture *fx, const char *const *args)
{
	struct send_result r;

	send_fixture_start(fx);
	assert_int_equal(send_run(&r, args), 0);
	if (r.status != 0)
		fail_msg("rtw-send exited %d: %s", r.status, r.err);
	send_result_free(&r);
}

static void test_each_bot_in_file_order_one_at_a_time(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};

	/* A slow-ish answer leaves room for overlaps, were there any. */
	fx->server.answer_delay_ms = 3;
	assert_int_equal(write_events(fx->events, 6, 15, 1), 0);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 90);
	for (unsigned b = 0; b < 6; b++) {
		char id[40];

		test_bot_id(b, id);
		assert_bot_in_order(fx, id, 15);
	}
	/* Yet bots do not wait for each other. */
	assert_true(server_max_overlap(&fx->server) >= 2);
}

static void test_order_holds_across_retries(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--retry-interval-ms",
			      "50", fx->events, NULL};
	char marker[32];

	fx->server.answer_delay_ms = 1;
	assert_int_equal(write_events(fx->events, 3, 6, 0), 0);
	test_marker(1, 2, marker);
	server_fail(&fx->server, marker, 2, FAIL_CLOSE);
	test_marker(2, 4, marker);
	server_fail(&fx->server, marker, 1, FAIL_500);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 18 + 3);
	for (unsigned b = 0; b < 3; b++) {
		char id[40];

		test_bot_id(b, id);
		assert_bot_in_order(fx, id, 6);
	}
}

static void test_concurrency_bounds_requests_in_flight(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, "--concurrency", "1",
			      fx->events, NULL};

	fx->server.answer_delay_ms = 2;
	assert_int_equal(write_events(fx->events, 4, 5, 1), 0);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 20);
	assert_int_equal(server_max_overlap(&fx->server), 1);
}

static void test_events_without_a_bot_form_one_feed(void **state)
{
	struct send_fixture *fx = *state;
	const char *args[] = {"--url", fx->server.url, fx->events, NULL};
	FILE *f = fopen(fx->events, "w");

	fx->server.answer_delay_ms = 2;
	for (int e = 0; e < 8; e++) {
		char marker[32], id[40], *a, *b;

		snprintf(marker, sizeof(marker), "[none/e%d]", e);
		a = chat_event(NULL, marker, e);
		test_bot_id(0, id);
		test_marker(0, (unsigned)e, marker);
		b = chat_event(id, marker, e);
		fprintf(f, "%s\n%s\n", a, b);
		free(a);
		free(b);
	}
	fclose(f);
	run_ok(fx, args);
	assert_int_equal(fx->server.n, 16);
	assert_bot_in_order(fx, NULL, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_each_bot_in_file_order_one_at_a_time,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_order_holds_across_retries,
						send_fixture_setup,
						send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_concurrency_bounds_requests_in_flight,
			send_fixture_setup, send_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_events_without_a_bot_form_one_feed,
			send_fixture_setup, send_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
