/* The status table for request bodies, against the real daemon: every
 * fixture event is accepted and reaches the jsonl sink exactly once, every
 * invalid body is 400, hostile bodies get the status their .expect file
 * names, and max_body_bytes is enforced for declared and chunked lengths. */
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

#define WITH_TOKEN "/recall/events?token=" HARNESS_TOKEN
#define JSON "application/json"
#define SMALL_CAP 4096

static const char join_event[] =
	"{\"event\":\"participant_events.join\",\"data\":{\"data\":{"
	"\"participant\":{\"id\":7,\"name\":\"Ada\"},\"timestamp\":"
	"{\"relative\":1.5,\"absolute\":\"2026-11-26T16:19:50.500Z\"}}}}";

static int start_with(void **state, const char *body)
{
	return daemon_setup(state, body, NULL);
}

/* Default limits: the hostile fixtures assume max_body_bytes = 1 MiB. */
static int setup_default(void **state)
{
	return start_with(state, HARNESS_DEFAULT_BODY);
}

static int setup_small_cap(void **state)
{
	return start_with(state, "limits = { max_body_bytes = 4096; };\n"
				 HARNESS_DEFAULT_BODY);
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static char *expected_tail(const char *body, size_t len);
static size_t lines_with_tail(const char *out, const char *tail);

static char *read_output(struct daemon *d)
{
	char path[512];
	char *out = harness_read_file(
		daemon_path(d, "events.jsonl", path, sizeof(path)), NULL);

	return out != NULL ? out : strdup("");
}

/* Handlers write after the 200, asynchronously: waits (bounded) until the
 * output holds n lines, then stops the daemon. */
static void stop_after_output_lines(struct daemon *d, size_t n)
{
	char path[512];

	daemon_path(d, "events.jsonl", path, sizeof(path));
	assert_int_equal(harness_wait_lines(path, n, 10000), n);
	assert_int_equal(daemon_stop(d), 0);
}

/* Sends join_event and stops once it is in the output, which then must
 * hold it alone: nothing rejected before it was delivered. */
static void check_only_the_sentinel_is_delivered(struct daemon *d)
{
	char *out, *tail = expected_tail(join_event, strlen(join_event));

	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, join_event,
				   strlen(join_event)),
			 200);
	stop_after_output_lines(d, 1);
	out = read_output(d);
	assert_int_equal(harness_count(out, "\n"), 1);
	assert_int_equal(lines_with_tail(out, tail), 1);
	free(out);
	free(tail);
}

/* join_event followed by spaces up to exactly len bytes (still valid
 * JSON, so only the size can get it rejected). */
static char *padded_event(size_t len)
{
	char *body = malloc(len);

	assert_non_null(body);
	assert_true(len >= strlen(join_event));
	memset(body, ' ', len);
	memcpy(body, join_event, strlen(join_event));
	return body;
}

static long post_chunked(struct daemon *d, const char *body, size_t len)
{
	struct http_request req = {.target = WITH_TOKEN,
				   .content_type = JSON,
				   .body = body,
				   .body_len = len,
				   .chunked = 1};
	struct http_reply rep;
	long status;

	http_send(d->port, &req, &rep);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

/* What the jsonl sink writes after its metadata member for a body: the
 * bytes after the opening brace, raw newlines turned into spaces (the
 * contract in src/handlers/jsonl/jsonl.c). */
static char *expected_tail(const char *body, size_t len)
{
	size_t skip = 0, n;
	char *tail;

	while (skip < len && body[skip] != '{')
		skip++;
	assert_true(skip < len);
	n = len - skip - 1;
	tail = malloc(n + 1);
	assert_non_null(tail);
	for (size_t i = 0; i < n; i++) {
		char c = body[skip + 1 + i];

		tail[i] = c == '\n' || c == '\r' ? ' ' : c;
	}
	tail[n] = '\0';
	return tail;
}

/* How many lines of out are {"_rtwebhookd":{...}, followed by tail. */
static size_t lines_with_tail(const char *out, const char *tail)
{
	static const char meta[] = "{\"_rtwebhookd\":{";
	size_t count = 0, tlen = strlen(tail);

	for (const char *line = out; *line != '\0';) {
		const char *eol = strchr(line, '\n');
		const char *rest;

		if (eol == NULL)
			break;
		rest = strstr(line, "},");
		if (strncmp(line, meta, sizeof(meta) - 1) == 0 && rest != NULL &&
		    rest < eol && (size_t)(eol - (rest + 2)) == tlen &&
		    memcmp(rest + 2, tail, tlen) == 0)
			count++;
		line = eol + 1;
	}
	return count;
}

/* --- valid fixtures --- */

static void every_fixture_event_is_answered_200(void **state)
{
	struct daemon *d = *state;
	char **files = harness_list(HARNESS_FIXTURES, ".json");
	size_t n = 0, failed = 0;

	assert_non_null(files);
	for (; files[n] != NULL; n++) {
		size_t len;
		char *body = harness_read_file(files[n], &len);
		long status;

		assert_non_null(body);
		status = http_post(d->port, WITH_TOKEN, JSON, body, len);
		if (status != 200) {
			print_error("%s: got %ld, want 200\n", files[n], status);
			failed++;
		}
		free(body);
	}
	harness_free_list(files);
	assert_true(n > 0);
	assert_int_equal(failed, 0);
}

static void every_accepted_event_is_in_the_jsonl_output_exactly_once(
	void **state)
{
	struct daemon *d = *state;
	char **files = harness_list(HARNESS_FIXTURES, ".json");
	char *out;
	size_t n = 0, failed = 0;

	assert_non_null(files);
	for (; files[n] != NULL; n++) {
		size_t len;
		char *body = harness_read_file(files[n], &len);

		assert_non_null(body);
		assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, body, len),
				 200);
		free(body);
	}
	assert_true(n > 0);
	stop_after_output_lines(d, n);
	out = read_output(d);
	assert_int_equal(harness_count(out, "\n"), n);
	for (size_t i = 0; i < n; i++) {
		size_t len, found;
		char *body = harness_read_file(files[i], &len);
		char *tail = expected_tail(body, len);

		found = lines_with_tail(out, tail);
		if (found != 1) {
			print_error("%s: in the output %zu times, want 1\n",
				    files[i], found);
			failed++;
		}
		free(tail);
		free(body);
	}
	free(out);
	harness_free_list(files);
	assert_int_equal(failed, 0);
}

/* --- 400 --- */

static void every_invalid_body_is_400_and_not_delivered(void **state)
{
	struct daemon *d = *state;
	char **files = harness_list(HARNESS_FIXTURES "/invalid", ".body");
	size_t n = 0, failed = 0;

	assert_non_null(files);
	for (; files[n] != NULL; n++) {
		size_t len;
		char *body = harness_read_file(files[n], &len);
		long status;

		assert_non_null(body);
		status = http_post(d->port, WITH_TOKEN, JSON, body, len);
		if (status != 400) {
			print_error("%s: got %ld, want 400\n", files[n], status);
			failed++;
		}
		free(body);
	}
	harness_free_list(files);
	assert_true(n > 0);
	assert_int_equal(failed, 0);
	check_only_the_sentinel_is_delivered(d);
}

/* --- hostile bodies --- */

static long expected_status(const char *body_path)
{
	char expect[512], *text;
	long status = 0;
	size_t len = strlen(body_path) - strlen(".body");

	snprintf(expect, sizeof(expect), "%.*s.expect", (int)len, body_path);
	text = harness_read_file(expect, NULL);
	if (text != NULL && strncmp(text, "status=", 7) == 0)
		status = strtol(text + 7, NULL, 10);
	free(text);
	return status;
}

static void hostile_bodies_get_their_expected_status(void **state)
{
	struct daemon *d = *state;
	char **files = harness_list(HARNESS_FIXTURES "/hostile", ".body");
	size_t n = 0, failed = 0;

	assert_non_null(files);
	for (; files[n] != NULL; n++) {
		size_t len;
		char *body = harness_read_file(files[n], &len);
		long want = expected_status(files[n]), got;

		assert_non_null(body);
		assert_true(want == 200 || want == 400);
		got = http_post(d->port, WITH_TOKEN, JSON, body, len);
		if (got != want) {
			print_error("%s: got %ld, want %ld\n", files[n], got,
				    want);
			failed++;
		}
		free(body);
	}
	harness_free_list(files);
	assert_true(n > 0);
	assert_int_equal(failed, 0);
	/* Still serving afterwards, and exits cleanly. */
	assert_true(daemon_running(d));
	assert_int_equal(http_get(d->port, "/healthz"), 200);
	assert_int_equal(daemon_stop(d), 0);
}

/* --- 413 --- */

static void body_of_exactly_max_body_bytes_is_accepted(void **state)
{
	struct daemon *d = *state;
	char *body = padded_event(SMALL_CAP);

	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, body, SMALL_CAP),
			 200);
	free(body);
}

static void declared_length_one_byte_over_max_body_bytes_is_413(void **state)
{
	struct daemon *d = *state;
	char *body = padded_event(SMALL_CAP + 1);

	assert_int_equal(
		http_post(d->port, WITH_TOKEN, JSON, body, SMALL_CAP + 1), 413);
	free(body);
	check_only_the_sentinel_is_delivered(d);
}

/* The answer comes from the header alone: no body is ever sent here. */
static void declared_length_over_cap_is_answered_without_reading_the_body(
	void **state)
{
	static const char request[] = "POST " WITH_TOKEN " HTTP/1.1\r\n"
				      "Host: 127.0.0.1\r\n"
				      "Content-Type: application/json\r\n"
				      "Content-Length: 1000000000\r\n"
				      "\r\n";
	struct daemon *d = *state;
	char reply[4096];
	int fd = raw_connect(d->port);

	assert_true(fd >= 0);
	assert_int_equal(raw_send(fd, request, sizeof(request) - 1), 0);
	raw_read_reply(fd, reply, sizeof(reply), 5000);
	close(fd);
	assert_int_equal(raw_status(reply), 413);
}

static void chunked_body_up_to_max_body_bytes_is_accepted(void **state)
{
	struct daemon *d = *state;
	char *body = padded_event(SMALL_CAP);

	assert_int_equal(post_chunked(d, body, SMALL_CAP), 200);
	free(body);
}

static void chunked_body_growing_past_max_body_bytes_is_413(void **state)
{
	static const size_t sizes[] = {SMALL_CAP + 1, 3 * SMALL_CAP};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *body = padded_event(sizes[i]);
		long status = post_chunked(d, body, sizes[i]);

		if (status != 413)
			fail_msg("chunked body of %zu bytes (cap %d): got %ld, "
				 "want 413", sizes[i], SMALL_CAP, status);
		free(body);
	}
}

/* Whatever happens to an upload far past the cap (413 or a dropped
 * connection), the daemon keeps serving the next request. */
static void huge_chunked_upload_does_not_disturb_later_requests(void **state)
{
	struct daemon *d = *state;
	size_t len = 64 * SMALL_CAP;
	char *body = padded_event(len);
	long status = post_chunked(d, body, len);

	assert_true(status == 0 || status == 413);
	free(body);
	assert_true(daemon_running(d));
	assert_int_equal(http_post(d->port, WITH_TOKEN, JSON, join_event,
				   strlen(join_event)),
			 200);
}

#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_fixture_event_is_answered_200, setup_default),
		T(every_accepted_event_is_in_the_jsonl_output_exactly_once,
		  setup_default),
		T(every_invalid_body_is_400_and_not_delivered, setup_default),
		T(hostile_bodies_get_their_expected_status, setup_default),
		T(body_of_exactly_max_body_bytes_is_accepted, setup_small_cap),
		T(declared_length_one_byte_over_max_body_bytes_is_413,
		  setup_small_cap),
		T(declared_length_over_cap_is_answered_without_reading_the_body,
		  setup_small_cap),
		T(chunked_body_up_to_max_body_bytes_is_accepted,
		  setup_small_cap),
		T(chunked_body_growing_past_max_body_bytes_is_413,
		  setup_small_cap),
		T(huge_chunked_upload_does_not_disturb_later_requests,
		  setup_small_cap),
	};

	return cmocka_run_group_tests_name("integration_bodies", tests, NULL,
					   NULL);
}
