/* Sender retries across a restart (issue 3 item 5, DESIGN.md "Delivery
 * guarantees"): a repeat of an accepted event, recognised by its
 * webhook-id when signed and by its body when unsigned, gets 200 and is not
 * delivered again, even when the daemon was stopped or killed between the
 * two copies, and even when a copy in between found the daemon down.
 *
 * After a SIGTERM the handler must not see any event twice, so the
 * graceful cases use flaky (which writes whatever it is given). After a
 * SIGKILL the ABI allows a handler to be offered again what it finished
 * in the last moments, so the crash case uses jsonl, which skips a seq it
 * already wrote: a second line would then be a second spool record, that
 * is, a dedup failure. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dint_util.h"

/* RECALL_EVENTS.md's test vector: key bytes "test-recall-secret". */
#define SECRET	   "whsec_dGVzdC1yZWNhbGwtc2VjcmV0"
#define SECRET_KEY "test-recall-secret"

static const char flaky_handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; }; } );\n";
static const char jsonl_handlers[] =
    "handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
    "  config = { path = \"@DIR@/events.jsonl\"; }; } );\n";

static int setup_with(void **state, const char *endpoint_extra,
		      const char *handlers)
{
	struct daemon *d = daemon_new();

	*state = d;
	if (d == NULL ||
	    dint_configure_full(d, "", endpoint_extra, handlers) != 0 ||
	    daemon_start(d, NULL) != 0) {
		daemon_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static int setup_signed(void **state)
{
	return setup_with(state, "signing_secrets = [\"" SECRET "\"];",
			  flaky_handlers);
}

static int setup_unsigned(void **state)
{
	return setup_with(state, "", flaky_handlers);
}

static int setup_unsigned_jsonl(void **state)
{
	return setup_with(state, "", jsonl_handlers);
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* POSTs body signed under webhook-id id with the current time (a retry
 * signs anew: only the id stays). */
static long post_signed(struct daemon *d, const char *id, const char *body,
			size_t len)
{
	char ts[32], sig[64], h_id[128], h_ts[64], h_sig[128];
	const char *headers[] = {h_id, h_ts, h_sig, NULL};

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	assert_int_equal(harness_sign(SECRET_KEY, id, ts, body, len, sig), 0);
	snprintf(h_id, sizeof(h_id), "webhook-id: %s", id);
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
	return dint_post(d->port, body, len, headers, NULL, 0);
}

/* The same under the older svix-* header names. */
static long post_svix(struct daemon *d, const char *id, const char *body,
		      size_t len)
{
	char ts[32], sig[64], h_id[128], h_ts[64], h_sig[128];
	const char *headers[] = {h_id, h_ts, h_sig, NULL};

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	assert_int_equal(harness_sign(SECRET_KEY, id, ts, body, len, sig), 0);
	snprintf(h_id, sizeof(h_id), "svix-id: %s", id);
	snprintf(h_ts, sizeof(h_ts), "svix-timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "svix-signature: %s", sig);
	return dint_post(d->port, body, len, headers, NULL, 0);
}

static long post_plain(struct daemon *d, const char *body, size_t len)
{
	return dint_post(d->port, body, len, NULL, NULL, 0);
}

/* Waits until flaky wrote a line holding needle; fails otherwise. */
static void wait_for_line(struct daemon *d, const char *file,
			  const char *needle)
{
	char path[512];

	if (harness_wait_count(daemon_path(d, file, path, sizeof(path)), needle,
			       1, 10000) < 1)
		fail_msg("%s never reached %s", needle, file);
}

/* The flaky output holds exactly events 0..count-1 of bot, in order. */
static void expect_flaky_exactly(struct daemon *d, const char *bot, int count)
{
	struct flaky_line *lines;
	char path[512];
	size_t n, alarms;

	lines = flaky_read(daemon_path(d, "out.txt", path, sizeof(path)), &n,
			   &alarms);
	assert_non_null(lines);
	assert_int_equal(alarms, 0);
	if (dint_flaky_bot_exact(lines, n, bot, count) != 0 ||
	    n != (size_t)count)
		fail_msg("the output is not exactly events 0..%d of %s once "
			 "each (%zu lines)",
			 count - 1, bot, n);
	free(lines);
}

static void
signed_event_resent_after_restart_is_200_and_delivered_once(void **state)
{
	struct daemon *d = *state;
	char first[2048], second[2048], mark[64];
	size_t flen = dint_event("bot-s", 0, first, sizeof(first));
	size_t slen = dint_event("bot-s", 1, second, sizeof(second));

	assert_int_equal(post_signed(d, "msg_dedup_0", first, flen), 200);
	dint_mark("bot-s", 0, mark, sizeof(mark));
	wait_for_line(d, "out.txt", mark);
	assert_int_equal(daemon_stop(d), 0);

	assert_int_equal(daemon_start(d, NULL), 0);
	/* Recall's retry: same webhook-id, same body, new signature. */
	assert_int_equal(post_signed(d, "msg_dedup_0", first, flen), 200);
	/* The bot's next event: once it is out, a second copy of the first
	 * (queued before it on the bot's lane) would be out too. */
	assert_int_equal(post_signed(d, "msg_dedup_1", second, slen), 200);
	dint_mark("bot-s", 1, mark, sizeof(mark));
	wait_for_line(d, "out.txt", mark);
	assert_int_equal(daemon_stop(d), 0);
	expect_flaky_exactly(d, "bot-s", 2);
}

static void
svix_signed_event_resent_after_restart_is_delivered_once(void **state)
{
	struct daemon *d = *state;
	char first[2048], second[2048], mark[64];
	size_t flen = dint_event("bot-v", 0, first, sizeof(first));
	size_t slen = dint_event("bot-v", 1, second, sizeof(second));

	assert_int_equal(post_svix(d, "msg_svix_0", first, flen), 200);
	dint_mark("bot-v", 0, mark, sizeof(mark));
	wait_for_line(d, "out.txt", mark);
	assert_int_equal(daemon_stop(d), 0);

	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(post_svix(d, "msg_svix_0", first, flen), 200);
	assert_int_equal(post_svix(d, "msg_svix_1", second, slen), 200);
	dint_mark("bot-v", 1, mark, sizeof(mark));
	wait_for_line(d, "out.txt", mark);
	assert_int_equal(daemon_stop(d), 0);
	expect_flaky_exactly(d, "bot-v", 2);
}

static void
unsigned_body_resent_after_restart_is_200_and_delivered_once(void **state)
{
	struct daemon *d = *state;
	char first[2048], second[2048], mark[64];
	size_t flen = dint_event("bot-u", 0, first, sizeof(first));
	size_t slen = dint_event("bot-u", 1, second, sizeof(second));

	assert_int_equal(post_plain(d, first, flen), 200);
	dint_mark("bot-u", 0, mark, sizeof(mark));
	wait_for_line(d, "out.txt", mark);
	assert_int_equal(daemon_stop(d), 0);

	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(post_plain(d, first, flen), 200);
	assert_int_equal(post_plain(d, second, slen), 200);
	dint_mark("bot-u", 1, mark, sizeof(mark));
	wait_for_line(d, "out.txt", mark);
	assert_int_equal(daemon_stop(d), 0);
	expect_flaky_exactly(d, "bot-u", 2);
}

static void
retry_that_found_the_daemon_down_is_200_after_restart_and_once(void **state)
{
	struct daemon *d = *state;
	char first[2048], second[2048], path[512], *out;
	size_t flen = dint_event("bot-k", 0, first, sizeof(first));
	size_t slen = dint_event("bot-k", 1, second, sizeof(second));
	int port;

	assert_int_equal(post_plain(d, first, flen), 200);
	/* The daemon crashes; Recall, which (say) lost the 200, retries
	 * while it is down, then again once it is back. */
	assert_int_equal(daemon_signal(d, SIGKILL), 0);
	assert_int_equal(daemon_wait(d, 10000), 128 + SIGKILL);
	port = d->port;
	/* No answer, or at worst a refusal from whatever took the port. */
	assert_true(dint_post(port, first, flen, NULL, NULL, 0) != 200);
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(post_plain(d, first, flen), 200);
	assert_int_equal(post_plain(d, second, slen), 200);
	daemon_path(d, "events.jsonl", path, sizeof(path));
	if (harness_wait_count(path, "\"bot-k:0001\"", 1, 10000) < 1)
		fail_msg("the second event never reached the sink");
	assert_int_equal(daemon_stop(d), 0);

	out = harness_read_file(path, NULL);
	assert_non_null(out);
	assert_int_equal(harness_count(out, "\"bot-k:0000\""), 1);
	assert_int_equal(harness_count(out, "\"bot-k:0001\""), 1);
	assert_int_equal(harness_count(out, "{\"_rtwebhookd\":"), 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		signed_event_resent_after_restart_is_200_and_delivered_once,
		setup_signed, teardown),
	    cmocka_unit_test_setup_teardown(
		svix_signed_event_resent_after_restart_is_delivered_once,
		setup_signed, teardown),
	    cmocka_unit_test_setup_teardown(
		unsigned_body_resent_after_restart_is_200_and_delivered_once,
		setup_unsigned, teardown),
	    cmocka_unit_test_setup_teardown(
		retry_that_found_the_daemon_down_is_200_after_restart_and_once,
		setup_unsigned_jsonl, teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_dedup", tests, NULL,
					   NULL);
}
