/* authlimit: failed authentications per client address in one-minute
 * windows. Time is passed explicitly (now_ms), so windows are tested
 * without waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "authlimit.h"

#define LIMIT 3
#define WINDOW_MS 60000
/* Any time but 0 (the daemon passes wall-clock milliseconds). */
#define T0 INT64_C(1700000000000)

static struct netaddr addr(const char *text)
{
	struct netaddr a;

	if (netaddr_parse(text, strlen(text), &a) != 0)
		fail_msg("test data: '%s' is not an address", text);
	return a;
}

static int setup(void **state)
{
	*state = authlimit_new(LIMIT);
	return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	authlimit_free(*state);
	return 0;
}

static void a_client_under_the_limit_is_not_blocked(void **state)
{
	struct authlimit *al = *state;
	struct netaddr a = addr("198.51.100.1");

	assert_false(authlimit_blocked(al, &a, T0));
	for (int i = 1; i < LIMIT; i++) {
		authlimit_fail(al, &a, T0 + i);
		assert_false(authlimit_blocked(al, &a, T0 + i));
	}
}

static void reaching_the_limit_blocks_and_fail_reports_the_crossing_once(
	void **state)
{
	struct authlimit *al = *state;
	struct netaddr a = addr("198.51.100.1");

	for (int i = 1; i <= LIMIT + 5; i++) {
		int crossed = authlimit_fail(al, &a, T0 + i);

		if (crossed != (i == LIMIT))
			fail_msg("failure %d: authlimit_fail returned %d", i,
				 crossed);
		if (authlimit_blocked(al, &a, T0 + i) != (i >= LIMIT))
			fail_msg("after failure %d: blocked is %d", i,
				 !(i >= LIMIT));
	}
}

static void another_client_is_not_affected(void **state)
{
	struct authlimit *al = *state;
	const char *others[] = {"198.51.100.2", "2001:db8::1",
				/* An IPv6 address whose first bytes are
				 * those of the blocked IPv4 address. */
				"c633:6401::"};
	struct netaddr a = addr("198.51.100.1");

	for (int i = 0; i < LIMIT; i++)
		authlimit_fail(al, &a, T0);
	assert_true(authlimit_blocked(al, &a, T0));
	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
		struct netaddr b = addr(others[i]);

		if (authlimit_blocked(al, &b, T0))
			fail_msg("%s is blocked by 198.51.100.1's failures",
				 others[i]);
	}
}

static void a_blocked_client_is_unblocked_when_its_window_ends(void **state)
{
	struct authlimit *al = *state;
	struct netaddr a = addr("198.51.100.1");

	for (int i = 0; i < LIMIT; i++)
		authlimit_fail(al, &a, T0);
	assert_true(authlimit_blocked(al, &a, T0 + WINDOW_MS - 1));
	assert_false(authlimit_blocked(al, &a, T0 + WINDOW_MS));
}

static void the_window_starts_at_the_first_failure(void **state)
{
	struct authlimit *al = *state;
	struct netaddr a = addr("198.51.100.1");

	/* Spread over almost a minute: still one window. */
	authlimit_fail(al, &a, T0);
	authlimit_fail(al, &a, T0 + 30000);
	authlimit_fail(al, &a, T0 + WINDOW_MS - 1000);
	assert_true(authlimit_blocked(al, &a, T0 + WINDOW_MS - 1000));
	/* A minute after the first failure it ends, however recent the
	 * last one was. */
	assert_false(authlimit_blocked(al, &a, T0 + WINDOW_MS));
}

static void a_new_window_counts_from_zero_and_crosses_again(void **state)
{
	struct authlimit *al = *state;
	struct netaddr a = addr("198.51.100.1");
	int64_t t1 = T0 + WINDOW_MS;

	for (int i = 0; i < LIMIT; i++)
		authlimit_fail(al, &a, T0);
	assert_int_equal(authlimit_fail(al, &a, t1), 0);
	assert_false(authlimit_blocked(al, &a, t1));
	for (int i = 1; i < LIMIT - 1; i++)
		assert_int_equal(authlimit_fail(al, &a, t1), 0);
	assert_int_equal(authlimit_fail(al, &a, t1), 1);
	assert_true(authlimit_blocked(al, &a, t1));
}

static void limit_zero_never_blocks(void **state)
{
	struct authlimit *al = authlimit_new(0);
	struct netaddr a = addr("198.51.100.1");

	assert_non_null(al);
	for (int i = 0; i < 1000; i++)
		if (authlimit_fail(al, &a, T0) != 0)
			fail_msg("limit 0: failure %d reported a crossing", i);
	assert_false(authlimit_blocked(al, &a, T0));
	authlimit_free(al);
}

static struct netaddr numbered(uint32_t n)
{
	struct netaddr a = {.family = AF_INET};

	/* 10.x.y.z: distinct for every n below 2^24. */
	a.bytes[0] = 10;
	a.bytes[1] = (unsigned char)(n >> 16);
	a.bytes[2] = (unsigned char)(n >> 8);
	a.bytes[3] = (unsigned char)n;
	return a;
}

/* An attacker with many addresses (an IPv6 /64 has 2^64) must not make
 * the table grow: it is bounded, the oldest windows are forgotten. */
static void many_distinct_clients_keep_the_table_bounded(void **state)
{
	struct authlimit *al = *state;
	const uint32_t clients = 100000;
	struct mallinfo2 before, after;
	struct netaddr last = numbered(clients - 1);

	before = mallinfo2();
	for (uint32_t i = 0; i < clients; i++) {
		struct netaddr a = numbered(i);

		for (int k = 0; k < LIMIT; k++)
			authlimit_fail(al, &a, T0 + i);
	}
	after = mallinfo2();
	/* No allocation per client. */
	assert_int_equal(after.uordblks, before.uordblks);
	/* And the table still works: the latest client is blocked, a client
	 * never seen is not. */
	assert_true(authlimit_blocked(al, &last, T0 + clients));
	last = numbered(clients);
	assert_false(authlimit_blocked(al, &last, T0 + clients));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_client_under_the_limit_is_not_blocked),
		T(reaching_the_limit_blocks_and_fail_reports_the_crossing_once),
		T(another_client_is_not_affected),
		T(a_blocked_client_is_unblocked_when_its_window_ends),
		T(the_window_starts_at_the_first_failure),
		T(a_new_window_counts_from_zero_and_crosses_again),
		cmocka_unit_test(limit_zero_never_blocks),
		T(many_distinct_clients_keep_the_table_bounded),
	};
#undef T

	return cmocka_run_group_tests_name("security_authlimit", tests, NULL,
					   NULL);
}
