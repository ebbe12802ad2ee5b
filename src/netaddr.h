/* netaddr.c: addresses and CIDR ranges, and which address a request is
 * "from": the peer, or, when the peer is a trusted proxy, the client it
 * names in X-Forwarded-For / X-Real-IP. That address is what logs, the
 * failed-authentication limit and allow_from see. */
#ifndef RTW_NETADDR_H
#define RTW_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

struct netaddr {
	int family; /* AF_INET or AF_INET6; IPv4-mapped IPv6 becomes IPv4 */
	unsigned char bytes[16];
};

struct cidr {
	struct netaddr net;
	unsigned prefix; /* bits */
};

/* Parses "1.2.3.4", "10.0.0.0/8", "::1", "fd00::/8". Returns 0 or -1. */
int cidr_parse(const char *text, struct cidr *out);
/* Parses a numeric address (surrounding spaces allowed). 0 or -1. */
int netaddr_parse(const char *text, size_t len, struct netaddr *out);
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);
int cidr_contains(const struct cidr *c, const struct netaddr *a);
int cidr_list_contains(const struct cidr *list, size_t n,
		       const struct netaddr *a);
/* Formats a into buf (at least 46 bytes). */
const char *netaddr_format(const struct netaddr *a, char *buf, size_t len);

/* The client a request comes from. When peer is one of the trusted
 * proxies, X-Forwarded-For is read from the right, skipping trusted
 * proxies, and its first untrusted address is the client (an address
 * the client wrote itself further left is never believed); without that
 * header, X-Real-IP; with neither, or a malformed value, the peer. */
void netaddr_client(const struct netaddr *peer, const struct cidr *trusted,
		    size_t ntrusted, const char *forwarded_for,
		    const char *real_ip, struct netaddr *client);

#endif
