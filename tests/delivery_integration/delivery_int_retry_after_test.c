/* host->retry_after (ABI 1.2): a handler that answers RETRY may name the
 * delay (a downstream's Retry-After) instead of the host's backoff. Here
 * the backoff alone would retry every 20-50 ms; with 600 ms asked, 2 s of
 * outage give a handful of attempts, and the event is delivered once the
 * downstream is back. A delay of 0 is raised to 100 ms. */
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

static const char handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  retry_first_ms = 20; retry_max_ms = 50;\n"
    "  config = { out = \"@DIR@/out.txt\"; retry_bot = \"bot-b\";\n"
    "             down_file = \"@DIR@/down\"; retry_after_ms = 600; };"
    " } );\n";

static int setup(void **state)
{
	return dint_setup(state, handlers);
}

/* A downstream saying "Retry-After: 0" (retry at once) on every attempt:
 * the host waits at least 100 ms between attempts instead of spinning. */
static const char handlers_zero[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  retry_first_ms = 20; retry_max_ms = 50;\n"
    "  config = { out = \"@DIR@/out.txt\"; retry_bot = \"bot-b\";\n"
    "             down_file = \"@DIR@/down\"; retry_after_ms = 0; };"
    " } );\n";

static int setup_zero(void **state)
{
	return dint_setup(state, handlers_zero);
}

static void the_asked_delay_replaces_the_backoff(void **state)
{
	struct daemon *d = *state;
	unsigned long long accepted, ok, retried, failed;
	char down[512], out[512], body[2048], mark[64];
	size_t len = dint_event("bot-b", 0, body, sizeof(body));

	daemon_path(d, "down", down, sizeof(down));
	daemon_path(d, "out.txt", out, sizeof(out));
	assert_int_equal(harness_write_file(down, "", 0), 0);
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	dint_sleep_ms(2000);
	assert_int_equal(unlink(down), 0);
	dint_mark("bot-b", 0, mark, sizeof(mark));
	assert_true(harness_wait_count(out, mark, 1, 5000) == 1);
	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(
	    dint_last_summary(d, &accepted, &ok, &retried, &failed), 0);
	print_message("%llu retries in 2 s of outage\n", retried);
	/* 600 ms apart: 3 or 4 in 2 s (a slow machine may give fewer);
	 * the backoff alone would have given about 40. */
	assert_true(retried >= 2 && retried <= 5);
	assert_int_equal(ok, 1);
}

static void a_zero_delay_does_not_make_the_host_spin(void **state)
{
	struct daemon *d = *state;
	unsigned long long accepted, ok, retried, failed;
	char down[512], out[512], body[2048], mark[64];
	size_t len = dint_event("bot-b", 0, body, sizeof(body));

	daemon_path(d, "down", down, sizeof(down));
	daemon_path(d, "out.txt", out, sizeof(out));
	int64_t outage_ms;

	assert_int_equal(harness_write_file(down, "", 0), 0);
	outage_ms = dint_now_ms();
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	dint_sleep_ms(1000);
	assert_int_equal(unlink(down), 0);
	outage_ms = dint_now_ms() - outage_ms;
	dint_mark("bot-b", 0, mark, sizeof(mark));
	assert_true(harness_wait_count(out, mark, 1, 5000) == 1);
	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(
	    dint_last_summary(d, &accepted, &ok, &retried, &failed), 0);
	print_message("%llu retries in %lld ms of outage\n", retried,
		      (long long)outage_ms);
	/* 100 ms apart: at most one per 100 ms of outage, and the one after
	 * it (a slow machine gives fewer); spinning would give thousands. */
	assert_true(retried >= 1 &&
		    retried <= (unsigned long long)(outage_ms / 100 + 2));
	assert_int_equal(ok, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		the_asked_delay_replaces_the_backoff, setup, daemon_teardown),
	    cmocka_unit_test_setup_teardown(
		a_zero_delay_does_not_make_the_host_spin, setup_zero,
		daemon_teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_retry_after", tests,
					   NULL, NULL);
}
