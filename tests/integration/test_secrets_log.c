/* "Secrets never appear in any log line" (DESIGN.md), against the real
 * daemon run with -v: requests that carry tokens and signing material in
 * every place a client can put them, rejected for every reason, and -t
 * runs on configurations with errors next to the secrets. Each test also
 * checks that the log it searched really holds the rejection lines, so an
 * empty log cannot pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "secrets.h"

#define EVENTS "/recall/events"
#define JSON "application/json"
#define CAP 4096

static const char event[] = "{\"event\":\"participant_events.join\","
			    "\"data\":{\"data\":{\"participant\":{\"id\":1}}}}";

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL || daemon_write(d, "token.txt", TOKEN_IN_FILE "\n") != 0 ||
	    daemon_configure(
		    d, "limits = { max_body_bytes = 4096; };\n"
		       "endpoints = (\n"
		       "  { path = \"" EVENTS "\"; tokens = [\"" TOKEN_INLINE
		       "\"];\n"
		       "    token_file = \"@DIR@/token.txt\"; },\n"
		       "  { path = \"/other\"; tokens = [\"" TOKEN_OTHER
		       "\"]; },\n"
		       "  { path = \"/signed\"; signing_secrets = [\"" SIGNING_SECRET
		       "\"]; }\n"
		       ");\n"
		       "handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
		       "  config = { path = \"@DIR@/events.jsonl\"; }; } );\n") !=
		    0 ||
	    daemon_start(d, "-v") != 0)
		goto fail;
	return 0;
fail:
	daemon_teardown(state); /* cmocka skips the teardown */
	return -1;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Stops the daemon and checks its whole output: no secret, and every line
 * of must_have present. */
static void check_daemon_output(struct daemon *d, const char *const *must_have)
{
	char *err, *out;

	assert_int_equal(daemon_stop(d), 0);
	err = daemon_log(d);
	out = daemon_stdout(d);
	assert_null(secret_found_in(err, "the daemon's stderr"));
	assert_null(secret_found_in(out, "the daemon's stdout"));
	for (size_t i = 0; must_have[i] != NULL; i++)
		if (strstr(err, must_have[i]) == NULL)
			fail_msg("the log lacks '%s'; log:\n%s", must_have[i],
				 err);
	free(err);
	free(out);
}

static long send_request(struct daemon *d, const struct http_request *req)
{
	struct http_reply rep;
	long status;

	http_send(d->port, req, &rep);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

static long post(struct daemon *d, const char *target, const char *ctype,
		 const char *const *headers)
{
	struct http_request req = {.target = target,
				   .content_type = ctype,
				   .body = event,
				   .body_len = strlen(event),
				   .headers = headers};

	return send_request(d, &req);
}

static void rejected_requests_are_logged_without_secrets(void **state)
{
	static const char *const secret_headers[] = {
		"Authorization: Bearer " TOKEN_INLINE,
		"X-Webhook-Secret: " SIGNING_SECRET,
		"X-Token: " TOKEN_IN_FILE, NULL};
	static const char *const must_have[] = {
		"rejected 400", "rejected 401", "rejected 404", "rejected 405",
		"rejected 413", "rejected 415", NULL};
	struct daemon *d = *state;
	char *big = malloc(CAP + 1);
	struct http_request get = {.method = "GET",
				   .target = EVENTS "?token=" TOKEN_INLINE};
	struct http_request too_big = {.target = EVENTS "?token=" TOKEN_INLINE,
				       .content_type = JSON,
				       .body = big,
				       .body_len = CAP + 1,
				       .headers = secret_headers};
	struct http_request not_json = {.target = EVENTS "?token=" TOKEN_INLINE,
					.content_type = JSON,
					.body = "token=" TOKEN_INLINE,
					.body_len = 6 + strlen(TOKEN_INLINE)};

	assert_non_null(big);
	memset(big, ' ', CAP + 1);
	memcpy(big, event, strlen(event));
	/* Accepted, with either token: the secrets are really in use. */
	assert_int_equal(post(d, EVENTS "?token=" TOKEN_INLINE, JSON, NULL), 200);
	assert_int_equal(post(d, EVENTS "?token=" TOKEN_IN_FILE, JSON,
			      secret_headers),
			 200);
	assert_int_equal(post(d, EVENTS "?token=" TOKEN_WRONG, JSON, NULL), 401);
	assert_int_equal(post(d, EVENTS "?token=" TOKEN_OTHER, JSON, NULL), 401);
	assert_int_equal(post(d, EVENTS "?x=1&token=" TOKEN_WRONG "&y=" TOKEN_INLINE,
			      JSON, NULL),
			 401);
	assert_int_equal(post(d, "/nope?token=" TOKEN_INLINE, JSON, NULL), 404);
	assert_int_equal(post(d, EVENTS "/?token=" TOKEN_INLINE, JSON, NULL),
			 404);
	assert_int_equal(send_request(d, &get), 405);
	assert_int_equal(post(d, EVENTS "?token=" TOKEN_INLINE, "text/plain",
			      secret_headers),
			 415);
	assert_int_equal(send_request(d, &too_big), 413);
	too_big.chunked = 1;
	assert_int_equal(send_request(d, &too_big), 413);
	assert_int_equal(send_request(d, &not_json), 400);
	free(big);
	check_daemon_output(d, must_have);
}

static void signature_rejections_are_logged_without_secrets(void **state)
{
	static const char *const must_have[] = {"rejected 401", NULL};
	struct daemon *d = *state;
	char ts[32], stale[32], sig[64], h_id[64], h_ts[64], h_sig[128],
		h_stale[64];
	const char *headers[] = {h_id, h_ts, h_sig, NULL};
	const char *stale_headers[] = {h_id, h_stale, h_sig, NULL};
	const char *secret_as_signature[] = {
		h_id, h_ts, "webhook-signature: v1," SIGNING_B64 " " SIGNING_SECRET,
		NULL};

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(stale, sizeof(stale), "%lld", (long long)time(NULL) - 3600);
	assert_int_equal(harness_sign(SIGNING_KEY, "msg_secrets_1", ts, event,
				      strlen(event), sig),
			 0);
	snprintf(h_id, sizeof(h_id), "webhook-id: msg_secrets_1");
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %s", ts);
	snprintf(h_stale, sizeof(h_stale), "webhook-timestamp: %s", stale);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
	assert_int_equal(post(d, "/signed", JSON, headers), 200);
	assert_int_equal(post(d, "/signed", JSON, stale_headers), 401);
	assert_int_equal(post(d, "/signed", JSON, secret_as_signature), 401);
	assert_int_equal(post(d, "/signed?token=" TOKEN_INLINE, JSON, NULL),
			 401);
	check_daemon_output(d, must_have);
}

/* Requests no HTTP client sends; libmicrohttpd answers them itself and
 * logs through the daemon's logger. */
static void malformed_requests_are_logged_without_secrets(void **state)
{
	static const char *const requests[] = {
		"POST " EVENTS "?token=" TOKEN_INLINE " HTTP/1.1 extra\r\n\r\n",
		"GET " EVENTS "?token=" TOKEN_INLINE "\r\n\r\n",
		"POST\t" EVENTS "?token=" TOKEN_INLINE " HTTP/1.1\r\n"
		"Host: x\r\n\r\n",
		"POST " EVENTS "?token=" TOKEN_INLINE " HTTP/7.0\r\n"
		"Host: x\r\n\r\n",
		"POST " EVENTS "?token=" TOKEN_INLINE " HTTP/1.1\r\n"
		"Host: x\r\n" TOKEN_IN_FILE " " SIGNING_SECRET "\r\n\r\n",
		"POST " EVENTS "?token=" TOKEN_INLINE " HTTP/1.1\r\nHost: x\r\n"
		"Content-Length: " TOKEN_OTHER "\r\n\r\n",
		"POST " EVENTS "?token=" TOKEN_INLINE " HTTP/1.1\r\nHost: x\r\n"
		"Content-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\n\r\n" SIGNING_SECRET "\r\n",
	};
	static const char *const must_have[] = {"http: ", NULL};
	struct daemon *d = *state;
	char reply[4096];

	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		int fd = raw_connect(d->port);

		assert_true(fd >= 0);
		assert_int_equal(raw_send(fd, requests[i], strlen(requests[i])),
				 0);
		raw_read_reply(fd, reply, sizeof(reply), 5000);
		close(fd);
		if (raw_status(reply) < 400)
			fail_msg("request %zu: want an error status, got:\n%s",
				 i, reply);
	}
	check_daemon_output(d, must_have);
}

/* Headers and a URI too large for the daemon's header memory, made of
 * secrets. At 64 KiB they overflow libmicrohttpd's connection memory
 * (max_header_bytes + 8 KiB), so libmicrohttpd answers 414 or 431 itself
 * and logs through the daemon's logger. */
static void oversized_requests_are_logged_without_secrets(void **state)
{
	static const char *const must_have[] = {"http: ", NULL};
	struct daemon *d = *state;
	size_t size = 64 * 1024, n;
	char *request = malloc(size + 256), reply[4096];
	int fd;

	assert_non_null(request);
	for (int kind = 0; kind < 2; kind++) {
		n = (size_t)sprintf(request,
				    kind == 0 ? "POST " EVENTS "?token=%s"
					      : "POST " EVENTS "?token=%s "
						"HTTP/1.1\r\nX-Big: ",
				    TOKEN_INLINE);
		while (n + strlen(SIGNING_SECRET) < size)
			n += (size_t)sprintf(request + n, "%s", SIGNING_SECRET);
		n += (size_t)sprintf(request + n, kind == 0
						 ? " HTTP/1.1\r\n\r\n"
						 : "\r\n\r\n");
		fd = raw_connect(d->port);
		assert_true(fd >= 0);
		raw_send(fd, request, n); /* may be cut short by a reset */
		raw_read_reply(fd, reply, sizeof(reply), 5000);
		close(fd);
		if (raw_status(reply) < 400)
			fail_msg("oversized request %d: want an error status, "
				 "got:\n%s", kind, reply);
	}
	free(request);
	check_daemon_output(d, must_have);
}

/* A configuration whose errors sit next to secrets. */
static const char config_with_errors[] =
	"listen = { address = \"127.0.0.1\"; port = 0; };\n"
	"spool = { dir = \"@DIR@/spool\"; };\n"
	"endpoints = (\n"
	"  { path = \"/a\"; tokens = [\"" TOKEN_INLINE "\"]; tokenz = [\"" TOKEN_OTHER "\"]; },\n"
	"  { path = \"/b\"; tokens = \"" TOKEN_OTHER "\"; },\n"
	"  { path = \"/c\"; tokens = (\"" TOKEN_WRONG "\", 5); },\n"
	"  { path = \"/d\"; signing_secrets = [\"" SECRET_INVALID "\"]; },\n"
	"  { path = \"/e\"; signing_secrets = [\"" SIGNING_B64 "!\"]; },\n"
	"  { path = \"/f\"; signing_secret_file = \"@DIR@/bad_secret.txt\"; },\n"
	"  { path = \"/g\"; token_file = \"@DIR@/token.txt\"; handlers = [\"none\"]; }\n"
	");\n"
	"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
	"  config = { path = \"@DIR@/x.jsonl\"; }; } );\n";

/* A valid configuration whose handler init fails next to a secret. */
static const char config_with_init_error[] =
	"listen = { address = \"127.0.0.1\"; port = 0; };\n"
	"spool = { dir = \"@DIR@/spool\"; };\n"
	"endpoints = ( { path = \"/a\"; tokens = [\"" TOKEN_INLINE "\"];\n"
	"  signing_secrets = [\"" SIGNING_SECRET "\"]; } );\n"
	"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
	"  config = { path = \"@DIR@/x.jsonl\"; token = \"" TOKEN_OTHER "\"; }; } );\n";

static const char config_ok[] =
	"listen = { address = \"127.0.0.1\"; port = 0; };\n"
	"spool = { dir = \"@DIR@/spool\"; };\n"
	"endpoints = ( { path = \"/a\"; tokens = [\"" TOKEN_INLINE "\"];\n"
	"  token_file = \"@DIR@/token.txt\";\n"
	"  signing_secrets = [\"" SIGNING_SECRET "\"]; } );\n"
	"handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
	"  config = { path = \"@DIR@/x.jsonl\"; }; } );\n";

/* Writes text as the whole configuration and runs -t on it. */
static void run_config_check(struct daemon *d, const char *text,
			     struct run_result *r)
{
	const char *argv[] = {"-t", "-c", d->conf, NULL};

	assert_int_equal(daemon_write(d, "rtwebhookd.conf", text), 0);
	harness_run(argv, d->dir, NULL, r);
}

static int setup_dir(void **state)
{
	*state = daemon_new();
	return *state != NULL ? 0 : -1;
}

static void config_check_errors_do_not_print_secrets(void **state)
{
	struct daemon *d = *state;
	struct run_result r;

	assert_int_equal(daemon_write(d, "token.txt", TOKEN_IN_FILE "\n"), 0);
	assert_int_equal(daemon_write(d, "bad_secret.txt", SECRET_INVALID "\n"),
			 0);
	run_config_check(d, config_with_errors, &r);
	assert_int_equal(r.status, 1);
	/* Seven errors, one or more per endpoint line 4-10. */
	for (int line = 4; line <= 10; line++) {
		char mark[64];

		snprintf(mark, sizeof(mark), "rtwebhookd.conf:%d: ", line);
		if (strstr(r.err, mark) == NULL)
			fail_msg("no error for line %d; stderr:\n%s", line,
				 r.err);
	}
	assert_null(secret_found_in(r.err, "-t stderr"));
	assert_null(secret_found_in(r.out, "-t stdout"));
	run_result_free(&r);

	run_config_check(d, config_with_init_error, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "rtwebhookd.conf:5: "));
	assert_null(secret_found_in(r.err, "-t stderr"));
	assert_null(secret_found_in(r.out, "-t stdout"));
	run_result_free(&r);
}

static void config_check_ok_does_not_print_secrets(void **state)
{
	struct daemon *d = *state;
	struct run_result r;

	assert_int_equal(daemon_write(d, "token.txt", TOKEN_IN_FILE "\n"), 0);
	run_config_check(d, config_ok, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "configuration OK"));
	assert_null(secret_found_in(r.err, "-t stderr"));
	assert_null(secret_found_in(r.out, "-t stdout"));
	run_result_free(&r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(rejected_requests_are_logged_without_secrets),
		T(signature_rejections_are_logged_without_secrets),
		T(malformed_requests_are_logged_without_secrets),
		T(oversized_requests_are_logged_without_secrets),
		cmocka_unit_test_setup_teardown(
			config_check_errors_do_not_print_secrets, setup_dir,
			teardown),
		cmocka_unit_test_setup_teardown(
			config_check_ok_does_not_print_secrets, setup_dir,
			teardown),
	};

	return cmocka_run_group_tests_name("integration_secrets_log", tests,
					   NULL, NULL);
}
