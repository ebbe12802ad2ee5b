/* The HTTP status table of DESIGN.md, row by row, against the real daemon:
 * routing, methods, authentication by token, Content-Type, /healthz.
 * Bodies (fixtures, invalid and hostile bodies, size limits) are in
 * test_bodies.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define EVENTS "/recall/events"
#define WITH_TOKEN EVENTS "?token=" HARNESS_TOKEN
#define JSON "application/json"

static const char join_event[] =
	"{\"event\":\"participant_events.join\",\"data\":{\"data\":{"
	"\"participant\":{\"id\":7,\"name\":\"Ada\"},\"timestamp\":"
	"{\"relative\":1.5,\"absolute\":\"2026-11-26T16:19:50.500Z\"}},"
	"\"bot\":{\"id\":\"b0\",\"metadata\":{}}}}";
static const char leave_event[] =
	"{\"event\":\"participant_events.leave\",\"data\":{\"data\":{"
	"\"participant\":{\"id\":7,\"name\":\"Ada\"},\"timestamp\":"
	"{\"relative\":9.5,\"absolute\":\"2026-11-26T16:19:58.500Z\"}},"
	"\"bot\":{\"id\":\"b0\",\"metadata\":{}}}}";

static int start_with(void **state, const char *body)
{
	return daemon_setup(state, body, NULL);
}

static int setup_default(void **state)
{
	return start_with(state, HARNESS_DEFAULT_BODY);
}

/* Two endpoints, each with its own token and its own jsonl sink. */
static int setup_two_endpoints(void **state)
{
	return start_with(
		state,
		"endpoints = (\n"
		"  { path = \"/a\"; tokens = [\"token-of-a\"];"
		" handlers = [\"sink_a\"]; },\n"
		"  { path = \"/b\"; tokens = [\"token-of-b\"];"
		" handlers = [\"sink_b\"]; }\n"
		");\n"
		"handlers = (\n"
		"  { name = \"sink_a\"; module = \"jsonl\";"
		" config = { path = \"@DIR@/a.jsonl\"; }; },\n"
		"  { name = \"sink_b\"; module = \"jsonl\";"
		" config = { path = \"@DIR@/b.jsonl\"; }; }\n"
		");\n");
}

/* Files may not grow past 64 KiB: the spool fills up like a full disk. */
static int setup_full_disk(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL || daemon_configure(d, HARNESS_DEFAULT_BODY) != 0)
		goto fail;
	d->file_size_limit = 64 * 1024;
	if (daemon_start(d, NULL) != 0)
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

static long post_join(struct daemon *d, const char *target,
		      const char *content_type)
{
	return http_post(d->port, target, content_type, join_event,
			 strlen(join_event));
}

/* --- accepted requests --- */

static void json_with_charset_parameter_is_accepted(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(post_join(d, WITH_TOKEN, "application/json; charset=utf-8"),
			 200);
}

/* Written by hand on a raw socket, so no client adds a Content-Type. */
static void request_without_content_type_is_accepted(void **state)
{
	struct daemon *d = *state;
	char request[1024], reply[4096];
	int fd = raw_connect(d->port);

	assert_true(fd >= 0);
	snprintf(request, sizeof(request),
		 "POST " WITH_TOKEN " HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\n"
		 "Content-Length: %zu\r\n"
		 "Connection: close\r\n"
		 "\r\n%s",
		 strlen(join_event), join_event);
	assert_int_equal(raw_send(fd, request, strlen(request)), 0);
	raw_read_reply(fd, reply, sizeof(reply), 5000);
	close(fd);
	assert_int_equal(raw_status(reply), 200);
}

/* --- 401: token --- */

static void missing_or_wrong_token_is_401(void **state)
{
	static const char *const targets[] = {
		EVENTS,
		EVENTS "?",
		EVENTS "?token=",
		EVENTS "?token=wrong-token",
		EVENTS "?token=" HARNESS_TOKEN "x",
		EVENTS "?token=integration-test-toke",
		EVENTS "?tok=" HARNESS_TOKEN,
	};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		long status = post_join(d, targets[i], JSON);

		if (status != 401)
			fail_msg("POST %s: got %ld, want 401", targets[i],
				 status);
	}
	/* The right token on the same daemon is accepted: the 401s above
	 * are about the token, not a daemon that refuses everything. */
	assert_int_equal(post_join(d, WITH_TOKEN, JSON), 200);
}

static void token_of_another_endpoint_is_401(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(post_join(d, "/a?token=token-of-b", JSON), 401);
	assert_int_equal(post_join(d, "/b?token=token-of-a", JSON), 401);
	assert_int_equal(post_join(d, "/a?token=token-of-a", JSON), 200);
	assert_int_equal(post_join(d, "/b?token=token-of-b", JSON), 200);
}

/* All three events are of one bot, so each handler gets them in the order
 * they were accepted: once sink_a has the last one, anything wrongly
 * routed to it would be there too. */
static void events_reach_only_the_handlers_of_their_endpoint(void **state)
{
	static const char last_event[] =
		"{\"event\":\"participant_events.update\",\"data\":{"
		"\"data\":{\"participant\":{\"id\":7}},"
		"\"bot\":{\"id\":\"b0\",\"metadata\":{}}}}";
	struct daemon *d = *state;
	char a_path[512], b_path[512], *a, *b;

	daemon_path(d, "a.jsonl", a_path, sizeof(a_path));
	daemon_path(d, "b.jsonl", b_path, sizeof(b_path));
	assert_int_equal(http_post(d->port, "/a?token=token-of-a", JSON,
				   join_event, strlen(join_event)),
			 200);
	assert_int_equal(http_post(d->port, "/b?token=token-of-b", JSON,
				   leave_event, strlen(leave_event)),
			 200);
	assert_int_equal(http_post(d->port, "/a?token=token-of-a", JSON,
				   last_event, strlen(last_event)),
			 200);
	assert_int_equal(harness_wait_count(a_path, "participant_events.update",
					    1, 10000),
			 1);
	assert_int_equal(harness_wait_lines(b_path, 1, 10000), 1);
	assert_int_equal(daemon_stop(d), 0);
	a = harness_read_file(a_path, NULL);
	b = harness_read_file(b_path, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(harness_count(a, "\n"), 2);
	assert_int_equal(harness_count(a, "participant_events.join"), 1);
	assert_int_equal(harness_count(a, "participant_events.update"), 1);
	assert_int_equal(harness_count(a, "participant_events.leave"), 0);
	assert_int_equal(harness_count(b, "\n"), 1);
	assert_int_equal(harness_count(b, "participant_events.leave"), 1);
	free(a);
	free(b);
}

/* --- 404 --- */

static void unknown_paths_are_404(void **state)
{
	static const char *const targets[] = {
		"/",
		"/nope?token=" HARNESS_TOKEN,
		"/recall?token=" HARNESS_TOKEN,
		"/recall/events/?token=" HARNESS_TOKEN,
		"/recall/events/more?token=" HARNESS_TOKEN,
		"/recall/eventsx?token=" HARNESS_TOKEN,
		"/Recall/Events?token=" HARNESS_TOKEN,
		"/healthz/",
	};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		long status = post_join(d, targets[i], JSON);

		if (status != 404)
			fail_msg("POST %s: got %ld, want 404", targets[i],
				 status);
	}
}

/* --- 405 --- */

static void other_methods_on_an_endpoint_are_405_with_allow_post(void **state)
{
	static const char *const methods[] = {"GET", "PUT", "DELETE", "PATCH",
					      "OPTIONS"};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct http_request req = {.method = methods[i],
					   .target = WITH_TOKEN};
		struct http_reply rep;
		char allow[128];

		http_send(d->port, &req, &rep);
		if (rep.status != 405)
			fail_msg("%s %s: got %ld, want 405", methods[i],
				 WITH_TOKEN, rep.status);
		if (http_reply_header(&rep, "Allow", allow, sizeof(allow)) ==
			    NULL ||
		    strcmp(allow, "POST") != 0)
			fail_msg("%s: want 'Allow: POST', headers were:\n%s",
				 methods[i], rep.headers);
		http_reply_free(&rep);
	}
}

/* --- 415 --- */

static void non_json_content_types_are_415(void **state)
{
	static const char *const types[] = {
		"text/plain",
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x",
		"application/jsonx",
		"text/json-ish",
	};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		long status = post_join(d, WITH_TOKEN, types[i]);

		if (status != 415)
			fail_msg("Content-Type %s: got %ld, want 415",
				 types[i], status);
	}
}

/* --- 503 --- */

static void event_that_cannot_be_stored_is_503_with_retry_after(void **state)
{
	struct daemon *d = *state;
	size_t accepted = 0;
	long status = 0;
	char *body = malloc(8192 + 128), retry[64];

	assert_non_null(body);
	/* Distinct 8 KiB events until the spool cannot take one more. */
	for (int i = 0; i < 40 && status != 503; i++) {
		int n = snprintf(body, 128, "{\"event\":\"x\",\"data\":"
					    "{\"n\":%d,\"pad\":\"", i);
		struct http_request req = {.target = WITH_TOKEN,
					   .content_type = JSON,
					   .body = body};
		struct http_reply rep;

		memset(body + n, 'p', 8192);
		memcpy(body + n + 8192, "\"}}", 3);
		req.body_len = (size_t)n + 8192 + 3;
		http_send(d->port, &req, &rep);
		status = rep.status;
		if (status == 200) {
			accepted++;
		} else if (status == 503) {
			const char *v = http_reply_header(&rep, "Retry-After",
							  retry, sizeof(retry));
			if (v == NULL || atol(v) <= 0)
				fail_msg("503 without a Retry-After in "
					 "seconds; headers:\n%s", rep.headers);
		} else {
			fail_msg("event %d: got %ld, want 200 or 503", i,
				 status);
		}
		http_reply_free(&rep);
	}
	free(body);
	/* It worked until the disk filled, then said so. */
	assert_true(accepted > 0);
	assert_int_equal(status, 503);
	assert_int_not_equal(http_get(d->port, "/healthz"), 200);
}

/* --- /healthz --- */

static void healthz_get_is_200(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(http_get(d->port, "/healthz"), 200);
}

static void healthz_post_is_405_with_an_allow_header(void **state)
{
	struct daemon *d = *state;
	struct http_request req = {.target = "/healthz",
				   .content_type = JSON,
				   .body = join_event,
				   .body_len = strlen(join_event)};
	struct http_reply rep;
	char allow[128];

	http_send(d->port, &req, &rep);
	assert_int_equal(rep.status, 405);
	assert_non_null(http_reply_header(&rep, "Allow", allow, sizeof(allow)));
	assert_non_null(strstr(allow, "GET"));
	http_reply_free(&rep);
}

/* --- unknown event types --- */

/* The number written just before the last occurrence of label in log
 * ("... 3 of unknown type"), or -1. */
static long count_before(const char *log, const char *label)
{
	const char *hit = NULL, *digits;

	for (const char *p = log; (p = strstr(p, label)) != NULL; p++)
		hit = p;
	if (hit == NULL)
		return -1;
	digits = hit;
	while (digits > log && digits[-1] >= '0' && digits[-1] <= '9')
		digits--;
	return digits < hit ? strtol(digits, NULL, 10) : -1;
}

static void unknown_event_types_are_accepted_and_counted(void **state)
{
	static const char future[] = "{\"event\":\"future.kind_of_event\","
				     "\"data\":{\"data\":{\"x\":1}}}";
	static const char *const fixtures[] = {
		HARNESS_FIXTURES "/unknown_type.json",
		HARNESS_FIXTURES "/unknown_participant_type.json",
	};
	struct daemon *d = *state;
	char path[512], *out, *log;

	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *body = harness_read_file(fixtures[i], &len);

		assert_non_null(body);
		if (http_post(d->port, WITH_TOKEN, JSON, body, len) != 200)
			fail_msg("%s: want 200", fixtures[i]);
		free(body);
	}
	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, future,
				   strlen(future)),
			 200);
	daemon_path(d, "events.jsonl", path, sizeof(path));
	assert_int_equal(harness_wait_lines(path, 3, 10000), 3);
	assert_int_equal(daemon_stop(d), 0);
	out = harness_read_file(path, NULL);
	assert_non_null(out);
	assert_int_equal(harness_count(out, "\n"), 3);
	assert_int_equal(harness_count(out, "future.kind_of_event"), 1);
	log = daemon_log(d);
	if (count_before(log, " of unknown type") != 3)
		fail_msg("the stop line should count 3 events of unknown "
			 "type; log:\n%s", log);
	free(log);
	free(out);
}

#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(json_with_charset_parameter_is_accepted, setup_default),
		T(request_without_content_type_is_accepted, setup_default),
		T(missing_or_wrong_token_is_401, setup_default),
		T(token_of_another_endpoint_is_401, setup_two_endpoints),
		T(events_reach_only_the_handlers_of_their_endpoint,
		  setup_two_endpoints),
		T(unknown_paths_are_404, setup_default),
		T(other_methods_on_an_endpoint_are_405_with_allow_post,
		  setup_default),
		T(non_json_content_types_are_415, setup_default),
		T(event_that_cannot_be_stored_is_503_with_retry_after,
		  setup_full_disk),
		T(healthz_get_is_200, setup_default),
		T(healthz_post_is_405_with_an_allow_header, setup_default),
		T(unknown_event_types_are_accepted_and_counted, setup_default),
	};

	return cmocka_run_group_tests_name("integration_status", tests, NULL,
					   NULL);
}
