/* Slow clients (a stalled request line, a stalled body) hold a connection,
 * not one of the daemon's few HTTP threads: others are still answered.
 * No timing is asserted; the normal request has a curl timeout well below
 * the daemon's timeout_s, so a pool blocked by the slow sockets fails it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define WITH_TOKEN "/recall/events?token=" HARNESS_TOKEN
/* Well above the daemon's HTTP threads (one per CPU, at most 16). */
#define SLOW_CLIENTS 40
#define CLIENT_TIMEOUT_S 10L /* the daemon's timeout_s is 30 */

static const char join_event[] =
	"{\"event\":\"participant_events.join\",\"data\":{\"data\":{"
	"\"participant\":{\"id\":7,\"name\":\"Ada\"}}}}";

static int start_with_timeout(void **state, int timeout_s)
{
	char body[1024];

	snprintf(body, sizeof(body), "limits = { timeout_s = %d; };\n%s",
		 timeout_s, HARNESS_DEFAULT_BODY);
	return daemon_setup(state, body, NULL);
}

static int setup(void **state)
{
	return start_with_timeout(state, 30);
}

static int setup_short_timeout(void **state)
{
	return start_with_timeout(state, 1);
}

static int teardown(void **state)
{
	return daemon_teardown(state);
}

/* Opens n connections that each send prefix and then stall. */
static void open_stalled(struct daemon *d, int *fds, size_t n,
			 const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		fds[i] = raw_connect(d->port);
		assert_true(fds[i] >= 0);
		assert_int_equal(raw_send(fds[i], prefix, strlen(prefix)), 0);
	}
}

/* A connection the server has not closed: nothing to read yet (EAGAIN,
 * where a closed one reads 0 or fails), and it takes one more byte. */
static int still_open(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		return 0;
	return send(fd, "x", 1, MSG_NOSIGNAL) == 1;
}

static long normal_post(struct daemon *d)
{
	struct http_request req = {.target = WITH_TOKEN,
				   .content_type = "application/json",
				   .body = join_event,
				   .body_len = strlen(join_event),
				   .timeout_s = CLIENT_TIMEOUT_S};
	struct http_reply rep;
	long status;

	http_send(d->port, &req, &rep);
	if (rep.status == 0)
		print_error("normal POST failed: %s\n", rep.error);
	status = rep.status;
	http_reply_free(&rep);
	return status;
}

static void check_others_are_served_while_stalled(struct daemon *d,
						  const char *prefix)
{
	int fds[SLOW_CLIENTS];
	size_t open_count = 0;

	open_stalled(d, fds, SLOW_CLIENTS, prefix);
	assert_int_equal(normal_post(d), 200);
	assert_int_equal(http_get(d->port, "/healthz"), 200);
	/* The slow connections were held open all along, so they were
	 * really occupying the server while it answered. */
	for (size_t i = 0; i < SLOW_CLIENTS; i++) {
		open_count += (size_t)still_open(fds[i]);
		close(fds[i]);
	}
	assert_int_equal(open_count, SLOW_CLIENTS);
}

static void stalled_request_lines_do_not_delay_other_clients(void **state)
{
	check_others_are_served_while_stalled(*state,
					      "POST /recall/events?tok");
}

static void stalled_headers_do_not_delay_other_clients(void **state)
{
	check_others_are_served_while_stalled(
		*state, "POST " WITH_TOKEN " HTTP/1.1\r\n"
			"Host: 127.0.0.1\r\n"
			"Content-Ty");
}

static void stalled_bodies_do_not_delay_other_clients(void **state)
{
	check_others_are_served_while_stalled(
		*state, "POST " WITH_TOKEN " HTTP/1.1\r\n"
			"Host: 127.0.0.1\r\n"
			"Content-Type: application/json\r\n"
			"Content-Length: 1000\r\n"
			"\r\n"
			"{\"event\":\"partic");
}

/* With timeout_s = 1 a stalled connection is closed by the server: the
 * read sees end of file (or a reset) well within the bound. */
static void stalled_connection_is_closed_after_timeout_s(void **state)
{
	struct daemon *d = *state;
	char reply[1024];
	int fd;

	open_stalled(d, &fd, 1, "POST /recall/events?tok");
	raw_read_reply(fd, reply, sizeof(reply), 10000);
	assert_false(still_open(fd));
	close(fd);
	assert_int_equal(normal_post(d), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			stalled_request_lines_do_not_delay_other_clients, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			stalled_headers_do_not_delay_other_clients, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			stalled_bodies_do_not_delay_other_clients, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			stalled_connection_is_closed_after_timeout_s,
			setup_short_timeout, teardown),
	};

	return cmocka_run_group_tests_name("integration_slow_client", tests,
					   NULL, NULL);
}
