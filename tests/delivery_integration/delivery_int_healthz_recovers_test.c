/* Regression test for a fixed bug (daemon, src/http.c serve_health + src/spool.c): /healthz
 * stays 503 after the spool is writable again, until some event happens
 * to be stored.
 *
 * DESIGN.md: "GET /healthz | 200 while the daemon can accept events";
 * README: "200 while the daemon can store events, else 503". serve_health
 * answers from spool_error(), the errno of the last failed append, which
 * only a later successful append clears. While no event arrives the answer
 * stays 503 although storing works again. A reverse proxy or load balancer
 * that routes by /healthz then keeps the daemon out of rotation, so no
 * event ever arrives to clear it: the outage outlives its cause. Health
 * should reflect whether the spool can be written now (e.g. probe it when
 * the last append failed).
 *
 * Reproduction: as in delivery_int_unwritable, the spool directory goes
 * away until requests get 503; it comes back; then, without sending any
 * event, /healthz must turn 200 within a few seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dint_util.h"

#define MAX_EVENTS   200
#define HEAL_WAIT_MS 5000

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; }; } );\n";

static int setup(void **state)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL ||
	    dint_configure(d, "segment_bytes = 4096;", flaky_handlers) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

static int healthy(void *arg)
{
	struct daemon *d = arg;

	return http_get(d->port, "/healthz") == 200;
}

static void
healthz_turns_200_when_spool_is_writable_again_without_traffic(void **state)
{
	struct daemon *d = *state;
	char spool[512], away[512], body[2048];
	int i = 0;
	long status = 200;

	daemon_path(d, "spool", spool, sizeof(spool));
	daemon_path(d, "spool.away", away, sizeof(away));
	assert_int_equal(daemon_start(d, NULL), 0);
	while (dint_count_segments(spool) < 2) {
		size_t len = dint_event("bot-h", i++, body, sizeof(body));

		assert_true(i < MAX_EVENTS);
		assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0),
				 200);
	}
	assert_int_equal(rename(spool, away), 0);
	assert_int_equal(harness_write_file(spool, "x\n", 2), 0);
	while (status == 200) {
		size_t len = dint_event("bot-h", i++, body, sizeof(body));

		assert_true(i < MAX_EVENTS);
		status = dint_post(d->port, body, len, NULL, NULL, 0);
	}
	assert_int_equal(status, 503);
	assert_int_equal(http_get(d->port, "/healthz"), 503);

	assert_int_equal(unlink(spool), 0);
	assert_int_equal(rename(away, spool), 0);
	if (!dint_wait_until(healthy, d, HEAL_WAIT_MS))
		fail_msg("/healthz still 503 %d ms after the spool became "
			 "writable again (no event sent meanwhile)",
			 HEAL_WAIT_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		healthz_turns_200_when_spool_is_writable_again_without_traffic,
		setup, teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_healthz_recovers",
					   tests, NULL, NULL);
}
