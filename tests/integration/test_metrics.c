/* GET /metrics after a known sequence of requests: every counter holds
 * exactly what was sent; clients outside metrics.allow_from get 403, and
 * an empty allow_from turns the page off (404). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define TARGET "/recall/events?token=" HARNESS_TOKEN
#define JSON "application/json"

/* *state holds extra configuration (a prestate) put before the default
 * endpoint and handler. */
static int setup(void **state)
{
	char body[2048];

	snprintf(body, sizeof(body), "%s%s", (const char *)*state,
		 HARNESS_DEFAULT_BODY);
	return daemon_setup(state, body, NULL);
}

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	char *body;

	snprintf(path, sizeof(path), "%s/%s", HARNESS_FIXTURES, name);
	body = harness_read_file(path, len);
	assert_non_null(body);
	return body;
}

/* The value of the sample whose line starts with `series ` (name and
 * labels exactly as exposed), or -1 when absent. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');

		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			return atof(line + n + 1);
		if (end == NULL)
			break;
		line = end + 1;
	}
	return -1;
}

static char *scrape(const struct daemon *d)
{
	struct http_request req = {.method = "GET", .target = "/metrics"};
	struct http_reply rep;
	char type[128];
	char *text;

	assert_int_equal(http_send(d->port, &req, &rep), 0);
	assert_int_equal(rep.status, 200);
	assert_non_null(http_reply_header(&rep, "Content-Type", type,
					  sizeof(type)));
	assert_non_null(strstr(type, "text/plain; version=0.0.4"));
	text = strdup(rep.body);
	http_reply_free(&rep);
	return text;
}

static void counters_match_a_known_sequence(void **state)
{
	struct daemon *d = *state;
	size_t tlen, jlen;
	char *transcript = fixture("transcript_data.json", &tlen);
	char *join = fixture("join.json", &jlen);
	char path[512], *text;

	assert_int_equal(http_post(d->port, TARGET, JSON, transcript, tlen),
			 200);
	assert_int_equal(http_post(d->port, TARGET, JSON, join, jlen), 200);
	/* A sender retry: 200, counted as a duplicate, not as an event. */
	assert_int_equal(http_post(d->port, TARGET, JSON, join, jlen), 200);
	assert_int_equal(http_post(d->port, "/recall/events?token=wrong", JSON,
				   join, jlen),
			 401);
	assert_int_equal(http_post(d->port, "/nowhere", JSON, join, jlen),
			 404);
	assert_int_equal(harness_wait_lines(daemon_path(d, "events.jsonl",
							path, sizeof(path)),
					    2, 5000),
			 2);
	text = scrape(d);
	assert_true(sample(text, "rtwebhookd_requests_total{endpoint=\""
				 "/recall/events\",status=\"200\"}") == 3);
	assert_true(sample(text, "rtwebhookd_requests_total{endpoint=\""
				 "/recall/events\",status=\"401\"}") == 1);
	assert_true(sample(text, "rtwebhookd_requests_total{endpoint=\"\","
				 "status=\"404\"}") == 1);
	assert_true(sample(text, "rtwebhookd_events_total{type=\""
				 "transcript.data\"}") == 1);
	assert_true(sample(text, "rtwebhookd_events_total{type=\""
				 "participant_events.join\"}") == 1);
	assert_true(sample(text, "rtwebhookd_events_total{type=\""
				 "participant_events.leave\"}") == 0);
	assert_true(sample(text, "rtwebhookd_duplicates_total") == 1);
	assert_true(sample(text, "rtwebhookd_event_lag_seconds_count") == 2);
	assert_true(sample(text, "rtwebhookd_handler_results_total{handler="
				 "\"archive\",result=\"ok\"}") == 2);
	assert_true(sample(text, "rtwebhookd_handler_duration_seconds_count{"
				 "handler=\"archive\"}") == 2);
	assert_true(sample(text, "rtwebhookd_spool_bytes") > (double)tlen);
	assert_true(sample(text, "rtwebhookd_spool_writable") == 1);
	/* Both events are of one bot. */
	assert_true(sample(text, "rtwebhookd_active_bots") == 1);
	free(text);
	free(transcript);
	free(join);
}

static void clients_outside_allow_from_get_403(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(http_get(d->port, "/metrics"), 403);
}

/* No trusted_proxies, so a proxy on loopback would make the internet look
 * local: what came through a proxy is refused. */
static void a_proxied_request_gets_403_without_trusted_proxies(void **state)
{
	struct daemon *d = *state;
	const char *headers[] = {"X-Forwarded-For: 203.0.113.9", NULL};
	struct http_request req = {.method = "GET", .target = "/metrics",
				   .headers = headers};
	struct http_reply rep;

	assert_int_equal(http_send(d->port, &req, &rep), 0);
	assert_int_equal(rep.status, 403);
	http_reply_free(&rep);
	assert_int_equal(http_get(d->port, "/metrics"), 200);
}

static void an_empty_allow_from_turns_metrics_off(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(http_get(d->port, "/metrics"), 404);
}

int main(void)
{
#define T(f, extra)                                                            \
	cmocka_unit_test_prestate_setup_teardown(f, setup, daemon_teardown,    \
						 (void *)(extra))
	const struct CMUnitTest tests[] = {
		T(counters_match_a_known_sequence, ""),
		T(a_proxied_request_gets_403_without_trusted_proxies, ""),
		T(clients_outside_allow_from_get_403,
		  "metrics = { allow_from = [\"10.0.0.0/8\"]; };\n"),
		T(an_empty_allow_from_turns_metrics_off,
		  "metrics = { allow_from = []; };\n"),
	};
#undef T

	return cmocka_run_group_tests_name("integration_metrics", tests, NULL,
					   NULL);
}
