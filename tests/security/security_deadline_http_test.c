/* The request deadline (request_timeout_s) over real HTTP. timeout_s is
 * an idle timeout that every byte renews, so a client trickling one byte
 * every 300 ms ("slowloris") is only stopped by the deadline: it must be
 * closed soon after request_timeout_s, far before timeout_s, while other
 * clients are served. A keep-alive connection that completes requests
 * renews its deadline with each, whether answered at once or after its
 * flush; a request waiting for its flush is not cut (made
 * deterministic by an LD_PRELOAD library whose fdatasync() sleeps).
 * Every test also checks (in its teardown) that no token reached the log.
 *
 * Bounds, not speeds: "closed by 6 s" is what separates a 2 s deadline
 * from the 30 s idle timeout; it holds on any machine that runs the
 * daemon's 1 s watchdog tick at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sec_util.h"

#define DEADLINE_MS 2000
#define CLOSED_BY_MS 6000 /* well under timeout_s = 30 */
#define TRICKLE_MS 300
#define WATCHDOG_NOTICE "closing a connection that completed no request"
#define FLUSH_DELAY_MS "3000"

static const char deadline_config[] =
	"limits = { request_timeout_s = 2; timeout_s = 30; };\n"
	SEC_ENDPOINT_OPEN "  } );\n" SEC_HANDLERS;

static const char flush_config[] =
	"limits = { request_timeout_s = 1; timeout_s = 30; };\n"
	SEC_ENDPOINT_OPEN "  } );\n" SEC_HANDLERS;

struct trickle_case {
	const char *what;
	const char *sent_at_once; /* first, in one piece */
	const char *trickled;	  /* then one byte every TRICKLE_MS */
};

static const struct trickle_case trickle_cases[] = {
	{"request line and headers", "",
	 "POST " SEC_GOOD " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	 "Content-Type: application/json\r\nX-Slow: one byte at a time\r\n"},
	{"body",
	 "POST " SEC_GOOD " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	 "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n",
	 "{\"event\":\"participant_events.join\",\"data\":{\"data\":"
	 "{\"slow\":\"one byte at a time, never finished in time\"}}}"},
};

/* Sends c's bytes as described until the server closes the connection
 * or CLOSED_BY_MS pass; meanwhile, a second in, another client posts an
 * event. Returns the milliseconds until the close, -1 if none. */
static long trickle_until_closed(const struct daemon *d,
				 const struct trickle_case *c,
				 long *other_status, size_t *received)
{
	struct timespec start;
	const char *p = c->trickled;
	int fd = raw_connect(d->port);

	assert_true(fd >= 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	*other_status = -1;
	if (raw_send(fd, c->sent_at_once, strlen(c->sent_at_once)) != 0)
		fail_msg("%s: cannot send the start", c->what);
	while (sec_ms_since(&start) < CLOSED_BY_MS) {
		if (*p == '\0')
			fail_msg("%s: all sent before the close", c->what);
		if (raw_send(fd, p++, 1) != 0 ||
		    sec_wait_closed(fd, TRICKLE_MS, received)) {
			long ms = sec_ms_since(&start);

			close(fd);
			return ms;
		}
		if (*other_status < 0 && sec_ms_since(&start) >= 1000)
			*other_status = sec_post(d, SEC_GOOD, NULL);
	}
	close(fd);
	return -1;
}

static void a_trickling_request_is_closed_at_the_deadline(void **state)
{
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(trickle_cases) / sizeof(*trickle_cases);
	     i++) {
		const struct trickle_case *c = &trickle_cases[i];
		size_t notices = sec_log_lines(d, WATCHDOG_NOTICE);
		size_t received = 0;
		long other, ms = trickle_until_closed(d, c, &other, &received);

		if (ms < 0)
			fail_msg("%s trickled: still open after %d ms",
				 c->what, CLOSED_BY_MS);
		/* Not before the deadline: it is the deadline that closed
		 * it, not some other refusal. */
		if (ms < DEADLINE_MS - 500 || received != 0)
			fail_msg("%s trickled: closed after %ld ms with %zu "
				 "bytes of answer",
				 c->what, ms, received);
		if (other != 200)
			fail_msg("%s trickled: meanwhile another client got "
				 "%ld",
				 c->what, other);
		assert_int_equal(sec_wait_lines_with(d, WATCHDOG_NOTICE,
						     "within 2 s", notices + 1,
						     2000),
				 notices + 1);
	}
}

/* Requests of two kinds: an accepted event is answered after its flush
 * (parked meanwhile, which renews the deadline too); a body that is not
 * JSON is answered 400 at once. (Answers given before the body, such as
 * 401 or /healthz, close the connection: no keep-alive to test there.) */
struct keep_alive_case {
	const char *what;
	int event; /* 1: a new event, answered 200; 0: "{", answered 400 */
};

static const struct keep_alive_case keep_alive_cases[] = {
	{"accepted events", 1},
	{"refused bodies", 0},
};

static int send_request(int fd, const struct keep_alive_case *c)
{
	static const char truncated[] =
		"POST " SEC_GOOD " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Type: application/json\r\nContent-Length: 1\r\n\r\n{";

	if (c->event)
		return sec_raw_post(fd, SEC_GOOD);
	return raw_send(fd, truncated, strlen(truncated));
}

static void a_keep_alive_connection_completing_requests_stays_open(
	void **state)
{
	struct daemon *d = *state;

	for (size_t k = 0;
	     k < sizeof(keep_alive_cases) / sizeof(*keep_alive_cases); k++) {
		const struct keep_alive_case *c = &keep_alive_cases[k];
		struct timespec start;
		int fd = raw_connect(d->port);

		assert_true(fd >= 0);
		clock_gettime(CLOCK_MONOTONIC, &start);
		/* One request a second, for twice the deadline. */
		for (int i = 0; sec_ms_since(&start) <= 2 * DEADLINE_MS; i++) {
			int want = c->event ? 200 : 400;

			if (i > 0)
				sec_sleep_ms(1000);
			assert_int_equal(send_request(fd, c), 0);
			if (sec_read_response(fd, 5000) != want)
				fail_msg("%s: request %d, %ld ms after "
					 "opening: no answer",
					 c->what, i, sec_ms_since(&start));
		}
		if (!sec_still_open(fd))
			fail_msg("%s: closed after the last request", c->what);
		close(fd);
	}
	assert_int_equal(sec_log_lines(d, WATCHDOG_NOTICE), 0);
}

/* ---- A request parked for its flush ----------------------------------- */

struct flush_state {
	struct daemon *d;
	char flag[512];
};

static int setup_slow_flush(void **state)
{
	struct flush_state *fs = calloc(1, sizeof(*fs));
	const char *asan = getenv("ASAN_OPTIONS");
	char asan_opts[512];
	int rc = -1;

	if (fs == NULL || (fs->d = daemon_new()) == NULL) {
		free(fs);
		return -1;
	}
	daemon_path(fs->d, "slow-sync", fs->flag, sizeof(fs->flag));
	/* Only the daemon, started now, inherits these. */
	snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0",
		 asan ? asan : "", asan ? ":" : "");
	setenv("SEC_SLOW_SYNC_FLAG", fs->flag, 1);
	setenv("SEC_SLOW_SYNC_MS", FLUSH_DELAY_MS, 1);
	setenv("LD_PRELOAD", SEC_SLOW_SYNC_SHIM, 1);
	setenv("ASAN_OPTIONS", asan_opts, 1);
	if (daemon_configure(fs->d, flush_config) == 0 &&
	    daemon_start(fs->d, NULL) == 0)
		rc = 0;
	unsetenv("LD_PRELOAD");
	unsetenv("SEC_SLOW_SYNC_FLAG");
	unsetenv("SEC_SLOW_SYNC_MS");
	if (asan != NULL)
		setenv("ASAN_OPTIONS", asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
	if (rc != 0) {
		daemon_free(fs->d);
		free(fs);
		return -1;
	}
	*state = fs;
	return 0;
}

static int teardown_slow_flush(void **state)
{
	struct flush_state *fs = *state;
	void *d = fs->d;

	unlink(fs->flag);
	free(fs);
	return sec_teardown(&d);
}

static void a_request_waiting_for_its_flush_outlives_the_deadline(
	void **state)
{
	struct flush_state *fs = *state;

	assert_int_equal(harness_write_file(fs->flag, "1", 1), 0);
	/* The flush takes 3 s, three times request_timeout_s = 1. */
	assert_int_equal(sec_post(fs->d, SEC_GOOD, NULL), 200);
	unlink(fs->flag);
	/* The flush really was slow: the shim said so in the log. */
	assert_true(sec_log_lines(fs->d, "slow_sync_shim: fdatasync delayed") >
		    0);
	assert_int_equal(sec_log_lines(fs->d, WATCHDOG_NOTICE), 0);
}

int main(void)
{
#define T(f)                                                                   \
	cmocka_unit_test_prestate_setup_teardown(f, sec_setup, sec_teardown,   \
						 (void *)deadline_config)
	const struct CMUnitTest tests[] = {
		T(a_trickling_request_is_closed_at_the_deadline),
		T(a_keep_alive_connection_completing_requests_stays_open),
		cmocka_unit_test_setup_teardown(
			a_request_waiting_for_its_flush_outlives_the_deadline,
			setup_slow_flush, teardown_slow_flush),
	};
#undef T

	return cmocka_run_group_tests_name("security_deadline_http", tests,
					   NULL, NULL);
}
