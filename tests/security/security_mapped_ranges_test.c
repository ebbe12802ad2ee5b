/* Regression test for a fixed bug: cidr_parse refused valid IPv4-mapped IPv6
 * ranges such as "::ffff:10.0.0.0/104" or "::ffff:0:0/96".
 *
 * The address part is unmapped to IPv4 first, and the prefix is then
 * checked against 32 bits instead of the 128 it was written for, so any
 * prefix over 32 is refused ("'allow_from': '::ffff:10.0.0.0/104' is not
 * an address or CIDR range"). An operator whose dual-stack listener logs
 * peers as ::ffff:a.b.c.d and who copies that notation into allow_from
 * or trusted_proxies gets a configuration error for a correct range.
 * Expected: the prefix is taken as IPv6 bits and reduced by 96 when the
 * address is unmapped, so "::ffff:10.0.0.0/104" is 10.0.0.0/8.
 * (Fail-closed: the daemon refuses to start, nothing is let in.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "netaddr.h"

struct mapped_case {
	const char *range;
	const char *inside;
	const char *outside;
};

static const struct mapped_case cases[] = {
	{"::ffff:10.0.0.0/104", "10.1.2.3", "11.0.0.1"},
	{"::ffff:0:0/96", "203.0.113.5", "2001:db8::1"},
	{"::ffff:192.0.2.7/128", "192.0.2.7", "192.0.2.8"},
};

static void ipv4_mapped_ranges_with_ipv6_prefixes_are_accepted(
	void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct mapped_case *t = &cases[i];
		struct netaddr in, out;
		struct cidr c;

		assert_int_equal(
			netaddr_parse(t->inside, strlen(t->inside), &in), 0);
		assert_int_equal(
			netaddr_parse(t->outside, strlen(t->outside), &out), 0);
		if (cidr_parse(t->range, &c) != 0)
			fail_msg("cidr_parse refused '%s'", t->range);
		if (!cidr_contains(&c, &in) || cidr_contains(&c, &out))
			fail_msg("'%s' should hold %s and not %s", t->range,
				 t->inside, t->outside);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			ipv4_mapped_ranges_with_ipv6_prefixes_are_accepted),
	};

	return cmocka_run_group_tests_name("security_mapped_ranges", tests, NULL,
					   NULL);
}
