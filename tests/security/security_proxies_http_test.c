/* The client address over real HTTP: behind a trusted proxy (the test
 * itself, 127.0.0.1) the client X-Forwarded-For names is the one counted
 * by the failed-authentication limit, logged and checked against
 * allow_from; from any other peer the headers are ignored. Every test also
 * checks (in its teardown) that no token reached the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sec_util.h"

#define LIMIT 3
#define CLIENT_A "198.51.100.1"
#define CLIENT_B "198.51.100.2"
#define CLIENT_C "198.51.100.3"
#define XFF(a) "X-Forwarded-For: " a

static const char proxied[] = "trusted_proxies = [\"127.0.0.1/32\"];\n"
			      "limits = { auth_failures_per_minute = 3; };\n"
			      SEC_ENDPOINT_OPEN "  } );\n" SEC_HANDLERS;

static const char direct[] = "limits = { auth_failures_per_minute = 3; };\n"
			     SEC_ENDPOINT_OPEN "  } );\n" SEC_HANDLERS;

static const char allow_proxied[] =
	"trusted_proxies = [\"127.0.0.1/32\"];\n" SEC_ENDPOINT_OPEN
	"  allow_from = [\"10.0.0.0/8\"]; } );\n" SEC_HANDLERS;

static const char allow_loopback_direct[] =
	SEC_ENDPOINT_OPEN "  allow_from = [\"127.0.0.1/32\"]; } );\n"
	SEC_HANDLERS;

static const char allow_ten_direct[] =
	SEC_ENDPOINT_OPEN "  allow_from = [\"10.0.0.0/8\"]; } );\n"
	SEC_HANDLERS;

/* ---- The failed-authentication limit ---------------------------------- */

static void proxied_clients_are_counted_apart_by_the_limit(
	void **state)
{
	struct daemon *d = *state;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 401);
	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 429);
	/* Neither another forwarded client nor the proxy itself is blocked
	 * by CLIENT_A's failures. */
	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_B)), 401);
	assert_int_equal(sec_post(d, SEC_BAD, NULL), 401);
	assert_int_equal(sec_post_with(d, SEC_GOOD, XFF(CLIENT_B)), 200);
}

static void proxied_client_cannot_escape_the_limit_by_spoofing_the_left(
	void **state)
{
	struct daemon *d = *state;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 401);
	/* The proxy appends the real client on the right; what the client
	 * wrote itself on the left changes nothing. */
	assert_int_equal(
		sec_post_with(d, SEC_BAD, XFF(CLIENT_C ", " CLIENT_A)), 429);
}

static void proxied_rejections_log_the_forwarded_client(
	void **state)
{
	struct daemon *d = *state;

	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 401);
	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_B)), 401);
	assert_int_equal(sec_wait_lines_with(d, "rejected 401",
					     "from " CLIENT_A, 1, 2000),
			 1);
	assert_int_equal(sec_wait_lines_with(d, "rejected 401",
					     "from " CLIENT_B, 1, 2000),
			 1);
	assert_int_equal(sec_log_lines_with(d, "rejected", "from 127.0.0.1"),
			 0);
}

static void proxied_limit_warning_names_the_forwarded_client(
	void **state)
{
	struct daemon *d = *state;

	for (int i = 0; i < LIMIT; i++)
		assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 401);
	assert_int_equal(sec_wait_lines_with(d,
					     CLIENT_A " passed 3 failed "
						      "authentications",
					     NULL, 1, 2000),
			 1);
}

static void direct_x_forwarded_for_is_ignored_by_the_limit(
	void **state)
{
	struct daemon *d = *state;

	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 401);
	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_B)), 401);
	assert_int_equal(sec_post(d, SEC_BAD, NULL), 401);
	/* All three counted against the peer, 127.0.0.1. */
	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_C)), 429);
}

static void direct_rejections_log_the_peer(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(sec_post_with(d, SEC_BAD, XFF(CLIENT_A)), 401);
	assert_int_equal(
		sec_post_with(d, SEC_BAD, "X-Real-IP: " CLIENT_B), 401);
	assert_int_equal(sec_wait_lines_with(d, "rejected 401",
					     "from 127.0.0.1", 2, 2000),
			 2);
	assert_int_equal(sec_log_lines(d, "198.51.100."), 0);
}

/* ---- allow_from ------------------------------------------------------- */

struct allow_case {
	const char *header; /* NULL: none */
	long status;
};

static void check_allow_cases(const struct daemon *d,
			      const struct allow_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* Always the right token: only allow_from can refuse. */
		long status = sec_post_with(d, SEC_GOOD, cases[i].header);

		if (status != cases[i].status)
			fail_msg("header '%s': %ld, expected %ld",
				 cases[i].header ? cases[i].header : "(none)",
				 status, cases[i].status);
	}
}

static void allow_from_behind_a_trusted_proxy_checks_the_forwarded_client(
	void **state)
{
	static const struct allow_case cases[] = {
		{XFF("10.1.2.3"), 200},
		{XFF("203.0.113.5"), 403},
		{NULL, 403}, /* the proxy itself, 127.0.0.1 */
		{XFF("10.1.2.3, 203.0.113.5"), 403}, /* spoofed on the left */
		{XFF("203.0.113.5, 10.1.2.3"), 200},
		{"X-Real-IP: 10.1.2.3", 200},
		{"X-Real-IP: 203.0.113.5", 403},
		{XFF("not-an-address"), 403}, /* malformed: the proxy */
	};

	check_allow_cases(*state, cases, sizeof(cases) / sizeof(*cases));
}

static void allow_from_refusals_log_the_forwarded_client(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(sec_post_with(d, SEC_GOOD, XFF("203.0.113.5")), 403);
	assert_int_equal(sec_wait_lines_with(d, "rejected 403",
					     "from 203.0.113.5", 1, 2000),
			 1);
}

static void allow_from_without_proxies_admits_a_listed_peer(void **state)
{
	static const struct allow_case cases[] = {
		{NULL, 200},
		{XFF("203.0.113.5"), 200}, /* ignored: no trusted proxy */
	};

	check_allow_cases(*state, cases, sizeof(cases) / sizeof(*cases));
}

static void allow_from_without_proxies_ignores_a_forwarded_address(
	void **state)
{
	static const struct allow_case cases[] = {
		{NULL, 403},
		{XFF("10.1.2.3"), 403},
		{"X-Real-IP: 10.1.2.3", 403},
	};

	check_allow_cases(*state, cases, sizeof(cases) / sizeof(*cases));
}

int main(void)
{
#define T(f, conf)                                                             \
	cmocka_unit_test_prestate_setup_teardown(f, sec_setup, sec_teardown,   \
						 (void *)(conf))
	const struct CMUnitTest tests[] = {
		T(proxied_clients_are_counted_apart_by_the_limit,
		  proxied),
		T(proxied_client_cannot_escape_the_limit_by_spoofing_the_left,
		  proxied),
		T(proxied_rejections_log_the_forwarded_client,
		  proxied),
		T(proxied_limit_warning_names_the_forwarded_client,
		  proxied),
		T(direct_x_forwarded_for_is_ignored_by_the_limit,
		  direct),
		T(direct_rejections_log_the_peer, direct),
		T(allow_from_behind_a_trusted_proxy_checks_the_forwarded_client,
		  allow_proxied),
		T(allow_from_refusals_log_the_forwarded_client, allow_proxied),
		T(allow_from_without_proxies_admits_a_listed_peer,
		  allow_loopback_direct),
		T(allow_from_without_proxies_ignores_a_forwarded_address,
		  allow_ten_direct),
	};
#undef T

	return cmocka_run_group_tests_name("security_proxies_http", tests, NULL,
					   NULL);
}
