/* netaddr: CIDR ranges, and which address a request is "from" when a
 * trusted proxy forwards it. That address is what the logs show, what the
 * failed-authentication limit counts and what allow_from checks, so a
 * client must never be able to choose it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

static struct netaddr addr(const char *text)
{
	struct netaddr a;

	if (netaddr_parse(text, strlen(text), &a) != 0)
		fail_msg("test data: '%s' is not an address", text);
	return a;
}

static const char *fmt(const struct netaddr *a, char buf[64])
{
	return netaddr_format(a, buf, 64);
}

/* ---- CIDR ranges ----------------------------------------------------- */

struct contains_case {
	const char *range;
	const char *address;
	int inside;
};

static const struct contains_case contains_cases[] = {
	/* IPv4 /0: every IPv4 address, and no IPv6 one. */
	{"0.0.0.0/0", "0.0.0.0", 1},
	{"0.0.0.0/0", "255.255.255.255", 1},
	{"0.0.0.0/0", "2001:db8::1", 0},
	/* /8: both ends inside, both neighbours outside. */
	{"10.0.0.0/8", "10.0.0.0", 1},
	{"10.0.0.0/8", "10.255.255.255", 1},
	{"10.0.0.0/8", "9.255.255.255", 0},
	{"10.0.0.0/8", "11.0.0.0", 0},
	/* Host bits in the range are ignored: it is still the /8. */
	{"10.1.2.3/8", "10.200.0.1", 1},
	/* /32 and a bare address are one host. */
	{"192.0.2.7/32", "192.0.2.7", 1},
	{"192.0.2.7/32", "192.0.2.6", 0},
	{"192.0.2.7/32", "192.0.2.8", 0},
	{"192.0.2.7", "192.0.2.7", 1},
	{"192.0.2.7", "192.0.2.71", 0},
	/* /31: exactly two addresses (a prefix inside the last byte). */
	{"192.0.2.6/31", "192.0.2.6", 1},
	{"192.0.2.6/31", "192.0.2.7", 1},
	{"192.0.2.6/31", "192.0.2.5", 0},
	{"192.0.2.6/31", "192.0.2.8", 0},
	/* /23: a prefix inside the third byte. */
	{"198.51.100.0/23", "198.51.101.255", 1},
	{"198.51.100.0/23", "198.51.102.0", 0},
	/* IPv6 /128, a bare address, /64, /0. */
	{"::1/128", "::1", 1},
	{"::1/128", "::2", 0},
	{"::1", "::1", 1},
	{"2001:db8:1:2::/64", "2001:db8:1:2::", 1},
	{"2001:db8:1:2::/64", "2001:db8:1:2:ffff:ffff:ffff:ffff", 1},
	{"2001:db8:1:2::/64", "2001:db8:1:3::", 0},
	{"2001:db8:1:2::/64", "2001:db8:1:1:ffff:ffff:ffff:ffff", 0},
	{"::/0", "::1", 1},
	{"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
	/* Prefixes inside a byte, IPv6. */
	{"fc00::/7", "fdff:ffff::1", 1},
	{"fc00::/7", "fe00::", 0},
	{"2001:db8::/33", "2001:db8:7fff::1", 1},
	{"2001:db8::/33", "2001:db8:8000::", 0},
	/* An IPv6 range never holds an IPv4 address with the same bytes. */
	{"a00::/8", "10.0.0.1", 0},
	/* An IPv4-mapped IPv6 address is the IPv4 address, on either side
	 * (a dual-stack listener sees IPv4 peers in this form). */
	{"10.0.0.0/8", "::ffff:10.1.2.3", 1},
	{"10.0.0.0/8", "::ffff:11.1.2.3", 0},
	{"::ffff:10.1.2.3", "10.1.2.3", 1},
	{"::ffff:10.1.2.3/128", "10.1.2.4", 0},
	{"::ffff:10.1.2.0/120", "10.1.2.200", 1},
};

static void cidr_contains_holds_exactly_the_addresses_of_the_range(
	void **state)
{
	for (size_t i = 0; i < sizeof(contains_cases) / sizeof(*contains_cases);
	     i++) {
		const struct contains_case *t = &contains_cases[i];
		struct netaddr a = addr(t->address);
		struct cidr c;

		if (cidr_parse(t->range, &c) != 0)
			fail_msg("cidr_parse('%s') failed", t->range);
		if (cidr_contains(&c, &a) != t->inside)
			fail_msg("'%s' %s '%s'", t->range,
				 t->inside ? "does not hold" : "holds",
				 t->address);
	}
}

static const char *const not_ranges[] = {
	"10.0.0.0/33", /* prefixes longer than the address */
	"::1/129",
	"10.0.0.0/4294967304", /* 2^32 + 8 */
	"1.2.3",
	"1.2.3.4.5",
	"256.1.1.1",
	"abc",
	"",
	" ",
	"/8",
	"10.0.0.0/",
	"10.0.0.0/8x",
	"10.0.0.0/-1",
	"10.0.0.0/8/8",
	"1.2.3.4:80",
	"[::1]",
	"::1/",
	"2001:db8::/64/1",
	"2001:db8:::1",
};

static void cidr_parse_refuses_what_is_not_an_address_or_range(void **state)
{
	for (size_t i = 0; i < sizeof(not_ranges) / sizeof(*not_ranges); i++) {
		struct cidr c;

		if (cidr_parse(not_ranges[i], &c) == 0)
			fail_msg("cidr_parse accepted '%s'", not_ranges[i]);
	}
}

static void an_ipv4_mapped_peer_socket_address_is_the_ipv4_address(
	void **state)
{
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
	struct netaddr a;
	struct cidr c;
	char buf[64];

	assert_int_equal(
		inet_pton(AF_INET6, "::ffff:127.0.0.1", &sa6.sin6_addr), 1);
	assert_int_equal(netaddr_from_sockaddr((struct sockaddr *)&sa6, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(fmt(&a, buf), "127.0.0.1");
	assert_int_equal(cidr_parse("127.0.0.1/32", &c), 0);
	assert_true(cidr_contains(&c, &a));
}

/* ---- The client of a request ----------------------------------------- */

/* The trusted proxies of every case below. */
static const char *const trusted_text[] = {"127.0.0.1/32", "192.168.0.0/16",
					   "::1"};

struct client_case {
	const char *why;
	const char *peer;
	const char *forwarded_for; /* NULL: no X-Forwarded-For */
	const char *real_ip;	   /* NULL: no X-Real-IP */
	const char *client;	   /* expected */
};

static const struct client_case client_cases[] = {
	{"an untrusted peer is the client, whatever it claims",
	 "203.0.113.9", "198.51.100.1", "198.51.100.2", "203.0.113.9"},
	{"an untrusted peer claiming to be a trusted proxy's client",
	 "203.0.113.9", "127.0.0.1", NULL, "203.0.113.9"},
	{"a trusted peer without headers is the client", "127.0.0.1", NULL,
	 NULL, "127.0.0.1"},
	{"a trusted peer forwarding one client", "127.0.0.1", "198.51.100.4",
	 NULL, "198.51.100.4"},
	{"the rightmost untrusted address, after trusted proxies",
	 "127.0.0.1", "198.51.100.7, 198.51.100.8, 192.168.1.1", NULL,
	 "198.51.100.8"},
	{"a spoofed leftmost address never wins", "127.0.0.1",
	 "10.1.2.3, 198.51.100.8", NULL, "198.51.100.8"},
	{"a chain of trusted proxies is walked through", "127.0.0.1",
	 "198.51.100.9, 192.168.7.7, 192.168.1.1", NULL, "198.51.100.9"},
	{"only trusted addresses: the peer", "127.0.0.1",
	 "192.168.1.1, 192.168.1.2", NULL, "127.0.0.1"},
	{"malformed: not an address", "127.0.0.1", "not-an-address", NULL,
	 "127.0.0.1"},
	{"malformed: rightmost element", "127.0.0.1", "198.51.100.1, junk",
	 NULL, "127.0.0.1"},
	{"malformed: an address with a port", "127.0.0.1",
	 "198.51.100.1:4711", NULL, "127.0.0.1"},
	{"malformed: an empty last element", "127.0.0.1", "198.51.100.1,",
	 NULL, "127.0.0.1"},
	{"malformed: an empty header", "127.0.0.1", "", NULL, "127.0.0.1"},
	{"spaces and tabs around elements", "127.0.0.1",
	 " 198.51.100.1 ,\t198.51.100.2 ", NULL, "198.51.100.2"},
	{"only X-Real-IP: it", "127.0.0.1", NULL, "198.51.100.3",
	 "198.51.100.3"},
	{"a malformed X-Real-IP: the peer", "127.0.0.1", NULL, "garbage",
	 "127.0.0.1"},
	{"X-Forwarded-For takes precedence over X-Real-IP", "127.0.0.1",
	 "198.51.100.1", "198.51.100.3", "198.51.100.1"},
	{"X-Forwarded-For naming only proxies: X-Real-IP is not read either",
	 "127.0.0.1", "192.168.1.1", "198.51.100.3", "127.0.0.1"},
	{"an IPv6 trusted peer forwarding an IPv6 client", "::1",
	 "2001:db8::5", NULL, "2001:db8::5"},
	{"a trusted peer seen IPv4-mapped", "::ffff:127.0.0.1",
	 "198.51.100.4", NULL, "198.51.100.4"},
	{"a forwarded IPv4-mapped client is the IPv4 client", "127.0.0.1",
	 "::ffff:198.51.100.5", NULL, "198.51.100.5"},
};

static void netaddr_client_believes_only_trusted_proxies(
	void **state)
{
	struct cidr trusted[3];

	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cidr_parse(trusted_text[i], &trusted[i]), 0);
	for (size_t i = 0; i < sizeof(client_cases) / sizeof(*client_cases);
	     i++) {
		const struct client_case *t = &client_cases[i];
		struct netaddr peer = addr(t->peer), got;
		char want[64], have[64];
		struct netaddr expect = addr(t->client);

		netaddr_client(&peer, trusted, 3, t->forwarded_for, t->real_ip,
			       &got);
		fmt(&expect, want);
		if (strcmp(fmt(&got, have), want) != 0 ||
		    memcmp(&got, &expect, sizeof(got)) != 0)
			fail_msg("%s: peer %s, X-Forwarded-For '%s', "
				 "X-Real-IP '%s': client %s, expected %s",
				 t->why, t->peer,
				 t->forwarded_for ? t->forwarded_for : "(none)",
				 t->real_ip ? t->real_ip : "(none)", have,
				 want);
	}
}

static void netaddr_client_without_trusted_proxies_is_the_peer(void **state)
{
	struct netaddr peer = addr("127.0.0.1"), got;
	char buf[64];

	netaddr_client(&peer, NULL, 0, "198.51.100.1", "198.51.100.2", &got);
	assert_string_equal(fmt(&got, buf), "127.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			cidr_contains_holds_exactly_the_addresses_of_the_range),
		cmocka_unit_test(
			cidr_parse_refuses_what_is_not_an_address_or_range),
		cmocka_unit_test(
			an_ipv4_mapped_peer_socket_address_is_the_ipv4_address),
		cmocka_unit_test(
			netaddr_client_believes_only_trusted_proxies),
		cmocka_unit_test(
			netaddr_client_without_trusted_proxies_is_the_peer),
	};

	return cmocka_run_group_tests_name("security_netaddr", tests, NULL,
					   NULL);
}
