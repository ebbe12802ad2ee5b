/* proxy_util: what the reverse-proxy tests share. */
#ifndef RTW_TEST_PROXY_UTIL_H
#define RTW_TEST_PROXY_UTIL_H

#include <sys/types.h>

#include "daemon_harness.h"

/* The daemon's configuration body behind a proxy: the two endpoints the
 * tests use (/recall/internal allows 10.0.0.0/8 only) and a jsonl sink,
 * after TRUSTED_AND_LIMITS (trusted_proxies and any limits). */
#define PROXY_DAEMON_BODY(TRUSTED_AND_LIMITS)                                  \
	TRUSTED_AND_LIMITS                                                     \
	"endpoints = (\n"                                                      \
	"  { path = \"/recall/events\"; tokens = [\"" HARNESS_TOKEN            \
	"\"]; },\n"                                                            \
	"  { path = \"/recall/internal\"; tokens = [\"" HARNESS_TOKEN "\"];\n" \
	"    allow_from = [\"10.0.0.0/8\"]; } );\n"                            \
	"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"             \
	"               config = { path = \"@DIR@/events.jsonl\"; }; } );\n"

/* A daemon with a proxy process in front of it. */
struct proxy {
	struct daemon *d;
	pid_t pid;	 /* the proxy's, or 0 */
	int stop_signal; /* what makes the proxy exit */
	int port;	 /* where the proxy listens */
};

/* cmocka teardown of a struct proxy in *state: stops the proxy, then the
 * daemon, and frees both. */
int proxy_teardown(void **state);

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int proxy_free_port(void);
/* 1 once GET /nothing-here on port answers 404 (the proxy is up), within
 * 5 s; else 0. */
int proxy_answers(int port);

/* Through the proxy on port, a request to /recall/internal (allow_from
 * 10.0.0.0/8) carrying "X-Forwarded-For: 10.9.9.9" must get 403, and the
 * daemon's log (err_log) name the real client, 127.0.0.1. */
void proxy_expect_forged_address_refused(int port, const char *err_log);

#endif
