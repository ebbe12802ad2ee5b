/* Regression tests for fixed bugs in the daemon's defences (each test
 * failed before its fix).
 *
 * 1. Only the first X-Forwarded-For header line is read. HTTP allows a
 *    header to be repeated (RFC 9110 5.3: the lines are one list, in
 *    order), and proxies such as HAProxy (option forwardfor) append a new
 *    "X-Forwarded-For: <peer>" line after the client's own. The client
 *    then chooses its address: it gets past allow_from, dodges the
 *    failed-authentication limit and forges the logged address.
 *    http.c request_client() uses MHD_lookup_connection_value(), which
 *    returns the first line. Expected: all lines joined with ", " in
 *    order, then read from the right as now.
 * 2. A client crossing auth_failures_per_minute with bad signatures is
 *    blocked but never logged: finish_request() ignores authlimit_fail()'s
 *    crossing result, which check_token() logs for bad tokens.
 * 3. max_header_bytes is the size of libmicrohttpd's per-connection memory
 *    pool, which also holds one record per header and the read buffer, so
 *    requests far below the documented limit ("request line plus headers;
 *    larger gets 431") get 431: at 4096, 64 short headers (about 1 KB);
 *    at the documented minimum 1024, a signed request through a proxy
 *    (12 headers, about 500 bytes).
 * 4. Inline secrets in an @include'd file: the world-readable check looks
 *    at the main file (config_load passes its own path), so a 0644
 *    included file holding the tokens is never warned about.
 *
 * 5. A percent-encoded newline in the path ("%0A") arrives decoded and
 *    was logged as is in the rejection line, so a client could forge log
 *    lines. Expected: control characters logged as \xNN.
 *
 * Each test also checks (in its teardown) that no token reached the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sec_util.h"

static const char allow_proxied[] =
	"trusted_proxies = [\"127.0.0.1/32\"];\n" SEC_ENDPOINT_OPEN
	"  allow_from = [\"10.0.0.0/8\"]; } );\n" SEC_HANDLERS;

static const char signed_limit[] =
	"limits = { auth_failures_per_minute = 3; };\n"
	"endpoints = (\n" SEC_SIGNED_ENDPOINT ");\n" SEC_HANDLERS;

#define EVENT "{\"event\":\"participant_events.join\",\"data\":{\"data\":{}}}"

/* Sends a POST of EVENT to target with the header lines given (each
 * ending in \r\n) on a new connection; returns the status, 0 for none. */
static int raw_post_with_headers(const struct daemon *d, const char *target,
				 const char *headers, size_t *request_bytes)
{
	char *req = NULL, reply[4096];
	int len, fd, status;

	len = asprintf(&req,
		       "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
		       "Content-Type: application/json\r\n"
		       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		       target, headers, strlen(EVENT), EVENT);
	assert_true(len > 0);
	if (request_bytes != NULL)
		*request_bytes = (size_t)len - strlen(EVENT);
	fd = raw_connect(d->port);
	assert_true(fd >= 0);
	assert_int_equal(raw_send(fd, req, (size_t)len), 0);
	raw_read_reply(fd, reply, sizeof(reply), 5000);
	close(fd);
	free(req);
	status = raw_status(reply);
	return status;
}

/* ---- 1 ---------------------------------------------------------------- */

static void repeated_x_forwarded_for_lines_are_read_as_one_list(
	void **state)
{
	struct daemon *d = *state;

	/* The client wrote the first line; the proxy appended the second,
	 * naming the real peer, which allow_from does not admit. */
	int status = raw_post_with_headers(d, SEC_GOOD,
					   "X-Forwarded-For: 10.1.2.3\r\n"
					   "X-Forwarded-For: 203.0.113.5\r\n",
					   NULL);

	if (status != 403)
		fail_msg("client 203.0.113.5 (appended by the proxy) posing "
			 "as 10.1.2.3 got %d, expected 403",
			 status);
}

/* ---- 2 ---------------------------------------------------------------- */

static void crossing_the_limit_with_bad_signatures_is_logged(
	void **state)
{
	struct daemon *d = *state;
	char ts[32], headers[256];

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	for (int i = 0; i < 3; i++) {
		snprintf(headers, sizeof(headers),
			 "webhook-id: msg_bug_%d\r\nwebhook-timestamp: %s\r\n"
			 "webhook-signature: v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			 "AAAAAAAAAAAA=\r\n",
			 i, ts);
		assert_int_equal(raw_post_with_headers(d, "/signed", headers,
						       NULL),
				 401);
	}
	assert_int_equal(raw_post_with_headers(d, "/signed", headers, NULL),
			 429);
	if (sec_wait_lines_with(d, "127.0.0.1 passed 3 failed authentications",
				"warning", 1, 2000) != 1)
		fail_msg("blocked after 3 bad signatures, but no warning "
			 "naming 127.0.0.1 in the log");
}

/* ---- 3 ---------------------------------------------------------------- */

struct header_case {
	const char *why;
	int cap;
	int short_headers; /* "X-Trace-NN: v" lines; or: */
	int long_headers;  /* "X-Pad-NN: " and 500 digits; or: */
	const char *headers;
};

static const struct header_case header_cases[] = {
	{"64 short headers, about a quarter of the cap", 4096, 64, 0, NULL},
	{"30 long headers, 15.3 KB, just under the default cap", 16384, 0, 30,
	 NULL},
	{"a signed request through a proxy, at the documented minimum", 1024,
	 0, 0,
	 "User-Agent: Recall.ai-Webhooks/1.0\r\nAccept: */*\r\n"
	 "webhook-id: msg_2pVDbWq3zXn4YkSrT8LmA0cE1\r\n"
	 "webhook-timestamp: 1731705121\r\n"
	 "webhook-signature: "
	 "v1,/Tpb01gdtwsQOKZ92HQ+9qzHEHG5ZxDXmPhaxPG4yFs=\r\n"
	 "X-Forwarded-For: 203.0.113.5\r\nX-Forwarded-Proto: https\r\n"
	 "X-Real-IP: 203.0.113.5\r\nVia: 1.1 proxy\r\n"},
};

static void requests_under_max_header_bytes_are_accepted(void **state)
{
	int failures = 0;

	/* Every case is tried and reported before the test fails. */
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(*header_cases);
	     i++) {
		const struct header_case *c = &header_cases[i];
		char body[1024], headers[20480] = "";
		struct daemon *d = NULL;
		size_t bytes = 0;
		void *st = NULL;
		int status;

		snprintf(body, sizeof(body),
			 "limits = { max_header_bytes = %d; };\n"
			 SEC_ENDPOINT_OPEN "  } );\n" SEC_HANDLERS,
			 c->cap);
		assert_int_equal(daemon_setup(&st, body, NULL), 0);
		d = st;
		for (int k = 0; k < c->short_headers; k++)
			snprintf(headers + strlen(headers),
				 sizeof(headers) - strlen(headers),
				 "X-Trace-%02d: v\r\n", k);
		for (int k = 0; k < c->long_headers; k++)
			snprintf(headers + strlen(headers),
				 sizeof(headers) - strlen(headers),
				 "X-Pad-%02d: %0500d\r\n", k, 0);
		if (c->headers != NULL)
			snprintf(headers, sizeof(headers), "%s", c->headers);
		status = raw_post_with_headers(d, SEC_GOOD, headers, &bytes);
		assert_int_equal(sec_teardown(&st), 0);
		if (status != 200) {
			print_error("%s: %zu bytes of request line and headers "
				    "under max_header_bytes = %d got %d\n",
				    c->why, bytes, c->cap, status);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- 4 ---------------------------------------------------------------- */

static void world_readable_included_secrets_are_warned(
	void **state)
{
	struct daemon *d = daemon_new();
	const char *argv[] = {"-t", "-c", NULL, NULL};
	char included[512], mark[600];
	struct run_result r;
	int warned;

	assert_non_null(d);
	argv[2] = d->conf;
	assert_int_equal(
		daemon_write(d, "secrets.conf",
			     "endpoints = ( { path = \"" SEC_PATH "\";\n"
			     "  tokens = [\"" SEC_TOKEN "\"]; } );\n"),
		0);
	assert_int_equal(
		daemon_write(d, "rtwebhookd.conf",
			     "listen = { address = \"127.0.0.1\";"
			     " port = 0; };\n"
			     "spool = { dir = \"@DIR@/spool\"; };\n"
			     "@include \"secrets.conf\"\n" SEC_HANDLERS),
		0);
	daemon_path(d, "secrets.conf", included, sizeof(included));
	assert_int_equal(chmod(d->conf, 0600), 0);
	assert_int_equal(chmod(included, 0644), 0);
	assert_int_equal(harness_run(argv, d->dir, NULL, &r), 0);
	snprintf(mark, sizeof(mark),
		 "%s holds secrets and is readable by every user", included);
	warned = strstr(r.err, mark) != NULL;
	if (!warned)
		print_error("the world-readable %s holds the tokens, no "
			    "warning names it; stderr:\n%s\n",
			    included, r.err);
	run_result_free(&r);
	daemon_free(d); /* before failing: no directory left behind */
	assert_true(warned);
}

/* ---- 5 ---------------------------------------------------------------- */

static void a_client_cannot_forge_log_lines(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(raw_post_with_headers(
				 d, "/x%0Artwebhookd:%20warning:%20forged%1b[2J",
				 "", NULL),
			 404);
	assert_int_equal(sec_wait_lines_with(d, "rejected 404",
					     "\\x0artwebhookd: warning: "
					     "forged\\x1b[2J",
					     1, 2000),
			 1);
	/* The raw escape byte never reaches the log. */
	assert_int_equal(sec_log_lines(d, "\x1b"), 0);
}

int main(void)
{
#define T(f, conf)                                                             \
	cmocka_unit_test_prestate_setup_teardown(f, sec_setup, sec_teardown,   \
						 (void *)(conf))
	const struct CMUnitTest tests[] = {
		T(repeated_x_forwarded_for_lines_are_read_as_one_list,
		  allow_proxied),
		T(crossing_the_limit_with_bad_signatures_is_logged,
		  signed_limit),
		cmocka_unit_test(
			requests_under_max_header_bytes_are_accepted),
		cmocka_unit_test(
			world_readable_included_secrets_are_warned),
		T(a_client_cannot_forge_log_lines, allow_proxied),
	};
#undef T

	return cmocka_run_group_tests_name("security_regressions_http", tests, NULL,
					   NULL);
}
