/* sec_util: what the security integration tests share on top of the
 * daemon harness: distinctive secrets (and the check that none of them is
 * ever in the daemon's log), a cmocka setup taking the configuration as
 * its prestate, posts of fresh events, log lines, and raw sockets watched
 * for the server closing them. Every wait is bounded. */
#ifndef SEC_UTIL_H
#define SEC_UTIL_H

#include <stddef.h>
#include <time.h>

#include "daemon_harness.h"

/* The endpoint /recall/events accepts SEC_TOKEN; SEC_WRONG is sent and
 * configured nowhere. /signed accepts signatures by SEC_SIGNING_KEY. */
#define SEC_TOKEN "sec-tok-Jx7Qm2Vr9Lb4"
#define SEC_WRONG "sec-bad-Ty5Kw8Nd3Hp6"
#define SEC_SIGNING_KEY "sec-sigkey-Wq3Zp7Lc"
#define SEC_SIGNING_B64 "c2VjLXNpZ2tleS1XcTNacDdMYw=="
#define SEC_SIGNING_SECRET "whsec_" SEC_SIGNING_B64

#define SEC_PATH "/recall/events"
#define SEC_GOOD SEC_PATH "?token=" SEC_TOKEN
#define SEC_BAD SEC_PATH "?token=" SEC_WRONG

/* Configuration pieces: the token endpoint (then more keys, then "} );"),
 * the signature-only endpoint, and the one handler. */
#define SEC_ENDPOINT_OPEN                                                      \
	"endpoints = ( { path = \"" SEC_PATH "\";\n"                           \
	"                tokens = [\"" SEC_TOKEN "\"];\n"
#define SEC_SIGNED_ENDPOINT                                                    \
	"  { path = \"/signed\";\n"                                            \
	"    signing_secrets = [\"" SEC_SIGNING_SECRET "\"]; }\n"
#define SEC_HANDLERS                                                           \
	"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"             \
	"               config = { path = \"@DIR@/events.jsonl\"; }; } );\n"

/* cmocka setup: *state holds the configuration body (a prestate); starts
 * a daemon with it. sec_teardown fails the test when a secret is in the
 * daemon's log, then frees the daemon. */
int sec_setup(void **state);
int sec_teardown(void **state);

/* The first secret (or a distinctive part of one) found in text, or NULL;
 * prints the line holding it, what names the text. */
const char *sec_secret_in(const char *text, const char *what);

/* POSTs a new event (never a duplicate) as JSON to target, with extra
 * headers (NULL-terminated, or NULL). Returns the status, 0 for none. */
long sec_post(const struct daemon *d, const char *target,
	      const char *const *headers);
/* The same with one extra header line ("Name: value"). */
long sec_post_with(const struct daemon *d, const char *target,
		   const char *header);

/* Lines of the daemon's log holding needle, and those holding both a and
 * b. sec_wait_lines waits (bounded) until at least n lines hold a and b. */
size_t sec_log_lines(const struct daemon *d, const char *needle);
size_t sec_log_lines_with(const struct daemon *d, const char *a,
			  const char *b);
size_t sec_wait_lines_with(const struct daemon *d, const char *a,
			   const char *b, size_t n, long timeout_ms);

/* Milliseconds since start (CLOCK_MONOTONIC). */
long sec_ms_since(const struct timespec *start);
void sec_sleep_ms(long ms);

/* Waits up to timeout_ms for the server to close fd (EOF or reset);
 * bytes it sent meanwhile are counted in *received (may be NULL).
 * Returns 1 when closed, 0 when still open at the end. */
int sec_wait_closed(int fd, long timeout_ms, size_t *received);
/* 1 while fd is open: nothing to read yet and not closed. */
int sec_still_open(int fd);
/* Sends a complete keep-alive POST of a new event to target on fd. */
int sec_raw_post(int fd, const char *target);
/* Reads one whole response (headers and Content-Length bytes) within
 * timeout_ms; returns its status, 0 when none arrived. */
int sec_read_response(int fd, long timeout_ms);

#endif
