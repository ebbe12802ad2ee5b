/* Reloading the handlers (README "Reload", src/handler_swap.h): SIGHUP
 * adds, replaces and removes handlers while a Recall-like sender keeps
 * posting, and
 *  - no request fails and no event is lost or handled twice: the replaced
 *    handler's two instances together wrote every event exactly once, in
 *    order;
 *  - a replaced batching handler's pending batch is flushed by the old
 *    instance before the new one starts;
 *  - the handler that did not change keeps its instance (one init, no
 *    fini) and sees every event once;
 *  - an added handler starts from the oldest event in the spool, as it
 *    would after a restart; a removed one gets nothing more;
 *  - /metrics counts of the replaced handler carry over to its new
 *    instance;
 *  - a configuration with a handler that cannot open changes nothing;
 *  - a change of which endpoints feed a handler replaces that handler
 *    only;
 *  - a replaced handler stuck in its module past shutdown_timeout_s keeps
 *    its place, and its events wait in the spool for the next start.
 *
 * flaky logs "flaky: init, writing to <out>" and "flaky: fini", prefixed
 * by the daemon with "handler <name>: ". */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dint_util.h"

#define BOT "bot-r"

#define FLAKY(name, out, extra)                                              \
	"{ name = \"" name "\"; module = \"@FLAKY@\";\n"                      \
	"  config = { out = \"@DIR@/" out "\"; " extra " }; }"

static int setup(void **state)
{
	return dint_setup(state,
			  "handlers = ( " FLAKY("a", "a1.txt", "batch = true;")
			  ", " FLAKY("b", "b.txt", "") " );\n");
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Writes the configuration with these handlers, sends SIGHUP and waits
 * for the n-th log line with outcome. */
static void reload(struct daemon *d, const char *rest, const char *outcome,
		   size_t n)
{
	assert_int_equal(dint_configure(d, "", rest), 0);
	assert_int_equal(daemon_signal(d, SIGHUP), 0);
	if (harness_wait_count(d->err_log, outcome, n, 15000) < n) {
		char *log = daemon_log(d);

		fail_msg("no '%s' after SIGHUP; log:\n%s", outcome, log);
	}
}

static size_t log_count(const struct daemon *d, const char *needle)
{
	char *log = daemon_log(d);
	size_t n = log != NULL ? harness_count(log, needle) : 0;

	free(log);
	return n;
}

/* Posts BOT's events 0, 1, ... like Recall until told to stop. */
struct sender {
	struct dint_sender s;
	atomic_int port, stop;
	int acked;
};

static void *send_events(void *arg)
{
	struct sender *t = arg;
	char body[2048];

	while (!atomic_load(&t->stop)) {
		size_t len = dint_event(BOT, t->acked, body, sizeof(body));

		if (dint_sender_send(&t->s, body, len) != 200)
			break;
		t->acked++;
	}
	return NULL;
}

/* BOT's indices in a flaky output, appended to seen. */
static size_t read_indices(const struct daemon *d, const char *name,
			   int *seen, size_t room)
{
	struct flaky_line *l;
	char path[512];
	size_t n, alarms = 0, got;
	int seq_ok = 0;

	l = flaky_read(daemon_path(d, name, path, sizeof(path)), &n, &alarms);
	got = dint_flaky_indices(l, n, BOT, seen, &seq_ok);
	assert_true(got <= room);
	assert_int_equal(alarms, 0);
	assert_int_equal(seq_ok, 0);
	free(l);
	return got;
}

/* The ok count of handler name in GET /metrics, or -1. */
static long metrics_ok(const struct daemon *d, const char *name)
{
	struct http_request req = {.method = "GET", .target = "/metrics"};
	struct http_reply rep = {0};
	char needle[128];
	const char *at;
	long v = -1;

	snprintf(needle, sizeof(needle),
		 "rtwebhookd_handler_results_total{handler=\"%s\","
		 "result=\"ok\"} ",
		 name);
	if (http_send(d->port, &req, &rep) == 0 && rep.status == 200 &&
	    (at = strstr(rep.body, needle)) != NULL)
		v = strtol(at + strlen(needle), NULL, 10);
	http_reply_free(&rep);
	return v;
}

static void
handlers_change_under_load_without_losing_or_repeating(void **state)
{
	struct daemon *d = *state;
	struct sender t = {0};
	int *a = NULL, *b = NULL, *c = NULL;
	size_t na, nb, nc, room;
	char path[512], body[2048];
	pthread_t th;

	atomic_init(&t.port, d->port);
	dint_sender_init(&t.s, &t.port);
	assert_int_equal(pthread_create(&th, NULL, send_events, &t), 0);
	dint_sleep_ms(300);
	/* a changes (new output), b stays, c is added. */
	reload(d,
	       "handlers = ( " FLAKY("a", "a2.txt", "batch = true;") ", "
	       FLAKY("b", "b.txt", "") ", " FLAKY("c", "c.txt", "") " );\n",
	       "configuration reloaded", 1);
	dint_sleep_ms(300);
	/* c goes. */
	reload(d,
	       "handlers = ( " FLAKY("a", "a2.txt", "batch = true;") ", "
	       FLAKY("b", "b.txt", "") " );\n",
	       "configuration reloaded", 2);
	dint_sleep_ms(300);
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	print_message("%d events acknowledged across two reloads, %lu "
		      "retried\n",
		      t.acked, t.s.retries);
	assert_int_equal(t.s.retries, 0);
	assert_int_equal(t.s.gave_up, 0);
	assert_true(t.acked >= 20);

	/* One more, after everything: b and a get it, c does not. */
	assert_int_equal(dint_sender_send(&t.s, body,
					  dint_event(BOT, t.acked, body,
						     sizeof(body))),
			 200);
	t.acked++;
	dint_sender_free(&t.s);
	daemon_path(d, "b.txt", path, sizeof(path));
	assert_int_equal(harness_wait_lines(path, (size_t)t.acked, 15000),
			 (size_t)t.acked);
	daemon_path(d, "a2.txt", path, sizeof(path));
	room = (size_t)t.acked + 16;
	a = calloc(room * 2, sizeof(*a));
	b = calloc(room, sizeof(*b));
	c = calloc(room, sizeof(*c));
	assert_true(a != NULL && b != NULL && c != NULL);
	for (int tries = 0; tries < 150; tries++) {
		na = read_indices(d, "a1.txt", a, room);
		na += read_indices(d, "a2.txt", a + na, room);
		if (na >= (size_t)t.acked)
			break;
		dint_sleep_ms(100);
	}

	/* a: its old instance's lines then the new one's are exactly every
	 * event once, in order; both instances did some of them. */
	assert_int_equal(dint_check_range("a1 + a2", BOT, a, na, 0, t.acked),
			 0);
	assert_true(read_indices(d, "a1.txt", c, room) > 0);
	assert_true(read_indices(d, "a2.txt", c, room) > 0);
	/* b: every event once, one instance throughout. */
	nb = read_indices(d, "b.txt", b, room);
	assert_int_equal(dint_check_range("b", BOT, b, nb, 0, t.acked), 0);
	assert_int_equal(log_count(d, "handler b: flaky: init"), 1);
	assert_int_equal(log_count(d, "handler b: flaky: fini"), 0);
	/* a was opened twice and its first instance closed. */
	assert_int_equal(log_count(d, "handler a: flaky: init"), 2);
	assert_int_equal(log_count(d, "handler a: flaky: fini"), 1);
	assert_int_equal(log_count(d, "handler a: replaced"), 1);
	/* c: from the first event in the spool on, in order, and nothing
	 * after it was removed. */
	nc = read_indices(d, "c.txt", c, room);
	assert_true(nc > 0 && nc < (size_t)t.acked);
	assert_int_equal(dint_check_range("c", BOT, c, nc, 0, (int)nc), 0);
	assert_int_equal(log_count(d, "handler c: stopped (no longer "
				      "configured)"),
			 1);
	assert_int_equal(log_count(d, "handler c: flaky: fini"), 1);
	/* The counters of a span both instances (a batching handler's
	 * answers are PENDING, counted as ok). */
	assert_int_equal(metrics_ok(d, "a"), t.acked);
	assert_int_equal(metrics_ok(d, "b"), t.acked);
	assert_int_equal(metrics_ok(d, "c"), -1);
	free(a);
	free(b);
	free(c);
}

static void a_handler_that_cannot_open_changes_nothing(void **state)
{
	struct daemon *d = *state;
	char body[2048], path[512];
	size_t len;

	/* a would change, but the new handler's module does not exist:
	 * nothing of the file applies. */
	reload(d,
	       "handlers = ( " FLAKY("a", "a2.txt", "batch = true;") ", "
	       FLAKY("b", "b.txt", "") ",\n"
	       "  { name = \"z\"; module = \"/nonexistent/z.so\"; } );\n",
	       "reload failed", 1);
	/* The error names the file, line and module; a's new instance was
	 * opened aside, then closed. */
	assert_int_equal(log_count(d, "rtwebhookd.conf:"), 1);
	assert_true(log_count(d, "/nonexistent/z.so") >= 1);
	assert_int_equal(log_count(d, "handler a: flaky: init"), 2);
	assert_int_equal(log_count(d, "handler a: flaky: fini"), 1);
	for (int i = 0; i < 3; i++) {
		len = dint_event(BOT, i, body, sizeof(body));
		assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0),
				 200);
	}
	/* The running instances go on: a into a1.txt, b into b.txt. */
	assert_int_equal(harness_wait_lines(daemon_path(d, "a1.txt", path,
							sizeof(path)),
					    3, 10000),
			 3);
	assert_int_equal(harness_wait_lines(daemon_path(d, "b.txt", path,
							sizeof(path)),
					    3, 10000),
			 3);
	assert_int_equal(harness_wait_lines(daemon_path(d, "a2.txt", path,
							sizeof(path)),
					    1, 300),
			 0);
	assert_int_equal(log_count(d, "handler b: flaky: init"), 1);
	assert_int_equal(log_count(d, "handler a: replaced"), 0);
}

/* Which endpoints feed a handler is part of what it is: a reload that
 * stops feeding a replaces it (and a gets nothing more), b is kept. */
static void an_endpoint_routing_change_replaces_only_that_handler(
	void **state)
{
	struct daemon *d = *state;
	char body[2048], path[512];
	size_t len;

	assert_int_equal(
		dint_configure_full(d, "", "handlers = [\"b\"];",
				    "handlers = ( " FLAKY("a", "a1.txt",
							  "batch = true;")
				    ", " FLAKY("b", "b.txt", "") " );\n"),
		0);
	assert_int_equal(daemon_signal(d, SIGHUP), 0);
	assert_int_equal(harness_wait_count(d->err_log,
					    "configuration reloaded", 1, 15000),
			 1);
	assert_int_equal(log_count(d, "handler a: replaced"), 1);
	assert_int_equal(log_count(d, "handler b: replaced"), 0);
	assert_int_equal(log_count(d, "handler b: flaky: init"), 1);
	len = dint_event(BOT, 0, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	assert_int_equal(harness_wait_lines(daemon_path(d, "b.txt", path,
							sizeof(path)),
					    1, 10000),
			 1);
	dint_sleep_ms(300);
	assert_int_equal(harness_wait_lines(daemon_path(d, "a1.txt", path,
							sizeof(path)),
					    1, 10),
			 0);
}

static int setup_flush_down(void **state)
{
	return dint_setup(state,
			  "handlers = ( " FLAKY("a", "a1.txt",
						"batch = true; flush_down_file "
						"= \"@DIR@/flush-down\";")
			  " );\n");
}

static void post_event(const struct daemon *d, int idx)
{
	char body[2048];
	size_t len = dint_event(BOT, idx, body, sizeof(body));

	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
}

/* a's flushes fail while flush-down exists, so event 0 waits in its batch
 * (after a failed flush the host hands over no new event, so 1-4 wait in
 * the spool). The down file goes just before the reload, between two
 * flush retries: event 0 reaches a1.txt through the old instance's last
 * flush at the swap, or else the new instance would write it to a2.txt.
 * Should a retry win the race after all, a1 gets it that way and the test
 * still holds (it then proves less, but never fails wrongly). */
static void a_replaced_batching_handler_flushes_its_batch_first(void **state)
{
	struct daemon *d = *state;
	char down[512], path[512];
	int seen[16];
	size_t n = 0, n1;

	assert_int_equal(harness_write_file(daemon_path(d, "flush-down", down,
							sizeof(down)),
					    "", 0),
			 0);
	post_event(d, 0);
	assert_int_equal(harness_wait_count(d->err_log, "flush failed", 1,
					    10000),
			 1);
	for (int i = 1; i < 5; i++)
		post_event(d, i);
	/* Retries come 0.1, 0.3, 0.7, 1.5 and 3.1 s after the failure. */
	dint_sleep_ms(1700);
	assert_int_equal(harness_wait_lines(daemon_path(d, "a1.txt", path,
							sizeof(path)),
					    1, 10),
			 0);
	assert_int_equal(unlink(down), 0);
	assert_int_equal(
		dint_configure(d, "",
			       "handlers = ( " FLAKY("a", "a2.txt",
						     "batch = true;") " );\n"),
		0);
	assert_int_equal(daemon_signal(d, SIGHUP), 0);
	assert_int_equal(harness_wait_count(d->err_log,
					    "configuration reloaded", 1, 15000),
			 1);
	for (int tries = 0; tries < 100 && n < 5; tries++) {
		dint_sleep_ms(100);
		n = read_indices(d, "a1.txt", seen, 8);
		n += read_indices(d, "a2.txt", seen + n, 8);
	}
	/* Every event once, in order; event 0 from the old instance. */
	assert_int_equal(dint_check_range("a1 + a2", BOT, seen, n, 0, 5), 0);
	n1 = read_indices(d, "a1.txt", seen, 8);
	assert_true(n1 >= 1);
	assert_int_equal(seen[0], 0);
}

static int setup_stuck(void **state)
{
	return dint_setup(state,
			  "limits = { shutdown_timeout_s = 1; };\n"
			  "handlers = ( " FLAKY("a", "a1.txt",
						"sleep_ms = 3000;") " );\n");
}

/* The old instance of a is still asleep in handle when its stop times
 * out: it keeps its place, the new one is closed, and the event that
 * arrives meanwhile is handled after the next start, by the new
 * configuration. */
static void a_stuck_handler_keeps_its_place_until_restart(void **state)
{
	struct daemon *d = *state;
	char body[2048], path[512], mark[32];
	struct flaky_line *l;
	size_t len, n, alarms;

	len = dint_event(BOT, 0, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	dint_mark(BOT, 0, mark, sizeof(mark));
	assert_int_equal(harness_wait_count(d->err_log, mark, 1, 10000), 1);
	reload(d,
	       "limits = { shutdown_timeout_s = 1; };\n"
	       "handlers = ( " FLAKY("a", "a2.txt", "") " );\n",
	       "configuration reloaded", 1);
	assert_int_equal(log_count(d, "handler a: the previous instance is "
				      "still busy"),
			 1);
	len = dint_event(BOT, 1, body, sizeof(body));
	assert_int_equal(dint_post(d->port, body, len, NULL, NULL, 0), 200);
	/* The old instance finishes event 0 and takes nothing more. */
	daemon_path(d, "a1.txt", path, sizeof(path));
	assert_int_equal(harness_wait_lines(path, 1, 10000), 1);
	dint_sleep_ms(500);
	assert_int_equal(harness_wait_lines(path, 2, 10), 1);
	daemon_path(d, "a2.txt", path, sizeof(path));
	assert_int_equal(harness_wait_lines(path, 1, 10), 0);

	/* After a restart the new configuration handles event 1. */
	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(harness_wait_lines(path, 1, 10000), 1);
	l = flaky_read(path, &n, &alarms);
	assert_non_null(l);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].idx, 1);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		handlers_change_under_load_without_losing_or_repeating, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_handler_that_cannot_open_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		an_endpoint_routing_change_replaces_only_that_handler, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_replaced_batching_handler_flushes_its_batch_first,
		setup_flush_down, teardown),
	    cmocka_unit_test_setup_teardown(
		a_stuck_handler_keeps_its_place_until_restart, setup_stuck,
		teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_reload", tests, NULL,
					   NULL);
}
