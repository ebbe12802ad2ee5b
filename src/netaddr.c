/* Addresses, CIDR ranges and forwarded-for headers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d. */
static void unmap(struct netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->bytes, v4_mapped, 12) == 0) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

int netaddr_parse(const char *text, size_t len, struct netaddr *out)
{
	char buf[64];

	while (len > 0 && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
		out->family = AF_INET6;
		unmap(out);
		return 0;
	}
	return -1;
}

int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa != NULL && sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes,
		       &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->bytes,
		       &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		unmap(out);
		return 0;
	}
	return -1;
}

/* The prefix length after the slash: decimal digits only (no sign, no
 * space), at most max. */
static int parse_prefix(const char *text, unsigned max, unsigned *bits)
{
	unsigned long v = 0;

	if (*text == '\0' || strspn(text, "0123456789") != strlen(text) ||
	    strlen(text) > 3)
		return -1;
	v = strtoul(text, NULL, 10);
	if (v > max)
		return -1;
	*bits = (unsigned)v;
	return 0;
}

int cidr_parse(const char *text, struct cidr *out)
{
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	/* Written as IPv6 ("::ffff:10.0.0.0/104") even when it is unmapped
	 * to IPv4 like every address: the prefix counts 128 bits. */
	int written_v6 = memchr(text, ':', len) != NULL;
	unsigned max = written_v6 ? 128 : 32, bits;

	if (netaddr_parse(text, len, &out->net) != 0)
		return -1;
	if (slash == NULL) {
		out->prefix = out->net.family == AF_INET ? 32 : 128;
		return 0;
	}
	if (parse_prefix(slash + 1, max, &bits) != 0)
		return -1;
	if (written_v6 && out->net.family == AF_INET) {
		if (bits < 96)
			return -1; /* reaches beyond the mapped addresses */
		bits -= 96;
	}
	out->prefix = bits;
	return 0;
}

int cidr_contains(const struct cidr *c, const struct netaddr *a)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (c->net.family != a->family)
		return 0;
	if (memcmp(c->net.bytes, a->bytes, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->net.bytes[full] ^ a->bytes[full]) &
		(0xff << (8 - rest)) & 0xff) == 0;
}

int cidr_list_contains(const struct cidr *list, size_t n,
		       const struct netaddr *a)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&list[i], a))
			return 1;
	return 0;
}

const char *netaddr_format(const struct netaddr *a, char *buf, size_t len)
{
	if (a->family == 0 ||
	    inet_ntop(a->family, a->bytes, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* Walks X-Forwarded-For from the right. Returns 0 with *client set to the
 * first address not in trusted, or -1 when the header is malformed or
 * names only trusted proxies. */
static int from_forwarded_for(const char *header, const struct cidr *trusted,
			      size_t ntrusted, struct netaddr *client)
{
	const char *end = header + strlen(header);

	while (end > header) {
		const char *start = end;
		struct netaddr a;

		while (start > header && start[-1] != ',')
			start--;
		if (netaddr_parse(start, (size_t)(end - start), &a) != 0)
			return -1;
		if (!cidr_list_contains(trusted, ntrusted, &a)) {
			*client = a;
			return 0;
		}
		end = start > header ? start - 1 : start;
	}
	return -1;
}

void netaddr_client(const struct netaddr *peer, const struct cidr *trusted,
		    size_t ntrusted, const char *forwarded_for,
		    const char *real_ip, struct netaddr *client)
{
	*client = *peer;
	if (!cidr_list_contains(trusted, ntrusted, peer))
		return;
	if (forwarded_for != NULL &&
	    from_forwarded_for(forwarded_for, trusted, ntrusted, client) == 0)
		return;
	if (forwarded_for == NULL && real_ip != NULL &&
	    netaddr_parse(real_ip, strlen(real_ip), client) == 0)
		return;
	*client = *peer;
}
