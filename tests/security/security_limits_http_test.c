/* Size and connection limits over real HTTP: headers over max_header_bytes
 * get 431 and the daemon keeps serving; a client holding
 * max_connections_per_client connections gets no more until one closes,
 * while other clients are served. Every test also checks (in its
 * teardown) that no token reached the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sec_util.h"

#define PER_CLIENT 2
#define RESPONSE_MS 5000

static const char header_cap[] = "limits = { max_header_bytes = 4096; };\n"
				 SEC_ENDPOINT_OPEN "  } );\n" SEC_HANDLERS;

static const char per_client[] =
	"limits = { max_connections_per_client = 2; };\n" SEC_ENDPOINT_OPEN
	"  } );\n" SEC_HANDLERS;

/* ---- max_header_bytes ------------------------------------------------- */

/* "X-Filler: aaa...": a header line of len bytes; free it. */
static char *filler_header(size_t len)
{
	char *h = malloc(len + 1);

	assert_non_null(h);
	memset(h, 'a', len);
	memcpy(h, "X-Filler: ", 10);
	h[len] = '\0';
	return h;
}

static void headers_over_max_header_bytes_get_431(void **state)
{
	struct daemon *d = *state;
	char *big = filler_header(8192);

	assert_int_equal(sec_post_with(d, SEC_GOOD, big), 431);
	free(big);
}

static void a_request_line_over_max_header_bytes_is_refused_with_4xx(
	void **state)
{
	static const char tail[] = " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 2\r\n\r\n{}";
	struct daemon *d = *state;
	size_t pad = 8192, len = 0;
	char *req = malloc(64 + sizeof(SEC_GOOD) + pad + sizeof(tail));
	char reply[4096];
	int fd, status;

	assert_non_null(req);
	/* A query parameter the daemon ignores makes the line long. */
	len += (size_t)sprintf(req, "POST %s&pad=", SEC_GOOD);
	memset(req + len, 'p', pad);
	len += pad;
	memcpy(req + len, tail, sizeof(tail));
	len += sizeof(tail) - 1;
	fd = raw_connect(d->port);
	assert_true(fd >= 0);
	/* The server may close before taking it all: the answer counts. */
	raw_send(fd, req, len);
	raw_read_reply(fd, reply, sizeof(reply), RESPONSE_MS);
	close(fd);
	free(req);
	status = raw_status(reply);
	if (status < 400 || status > 499)
		fail_msg("an 8 KB request line: %d, expected a 4xx", status);
}

static void the_daemon_serves_normally_after_an_oversized_header(
	void **state)
{
	struct daemon *d = *state;
	char *big = filler_header(8192);

	assert_int_equal(sec_post_with(d, SEC_GOOD, big), 431);
	free(big);
	assert_int_equal(sec_post(d, SEC_GOOD, NULL), 200);
}

static void headers_well_under_max_header_bytes_are_accepted(void **state)
{
	struct daemon *d = *state;
	char *medium = filler_header(1024);

	assert_int_equal(sec_post_with(d, SEC_GOOD, medium), 200);
	free(medium);
}

/* ---- max_connections_per_client ---------------------------------------- */

/* A raw connection from local address source (127.0.0.x). */
static int connect_from(int port, const char *source)
{
	struct sockaddr_in src = {.sin_family = AF_INET};
	struct sockaddr_in dst = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, source, &src.sin_addr), 1);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/* Opens PER_CLIENT keep-alive connections from 127.0.0.1, each through
 * one complete request, so the server has surely accepted them. */
static void hold_connections(const struct daemon *d, int fds[PER_CLIENT])
{
	for (int i = 0; i < PER_CLIENT; i++) {
		fds[i] = connect_from(d->port, "127.0.0.1");
		assert_int_equal(sec_raw_post(fds[i], SEC_GOOD), 0);
		assert_int_equal(sec_read_response(fds[i], RESPONSE_MS), 200);
	}
}

static void release_connections(int fds[PER_CLIENT])
{
	for (int i = 0; i < PER_CLIENT; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A connection past the limit is closed without an answer. */
static int refused_from(const struct daemon *d, const char *source)
{
	int fd = connect_from(d->port, source);
	size_t received = 0;
	int closed;

	/* The send may fail once the server has closed: that is fine. */
	sec_raw_post(fd, SEC_GOOD);
	closed = sec_wait_closed(fd, RESPONSE_MS, &received);
	close(fd);
	return closed && received == 0;
}

static void a_connection_past_the_per_client_limit_is_closed(void **state)
{
	struct daemon *d = *state;
	int held[PER_CLIENT];

	hold_connections(d, held);
	assert_true(refused_from(d, "127.0.0.1"));
	release_connections(held);
}

static void the_held_connections_keep_working_after_a_refusal(void **state)
{
	struct daemon *d = *state;
	int held[PER_CLIENT];

	hold_connections(d, held);
	assert_true(refused_from(d, "127.0.0.1"));
	for (int i = 0; i < PER_CLIENT; i++) {
		assert_int_equal(sec_raw_post(held[i], SEC_GOOD), 0);
		assert_int_equal(sec_read_response(held[i], RESPONSE_MS), 200);
	}
	release_connections(held);
}

static void another_client_is_served_while_one_holds_its_limit(void **state)
{
	struct daemon *d = *state;
	int held[PER_CLIENT], other;

	hold_connections(d, held);
	other = connect_from(d->port, "127.0.0.2");
	assert_int_equal(sec_raw_post(other, SEC_GOOD), 0);
	assert_int_equal(sec_read_response(other, RESPONSE_MS), 200);
	close(other);
	release_connections(held);
}

static void once_a_held_connection_closes_a_new_one_is_served(void **state)
{
	struct daemon *d = *state;
	struct timespec start;
	int held[PER_CLIENT], status = 0;

	hold_connections(d, held);
	assert_true(refused_from(d, "127.0.0.1"));
	close(held[0]);
	held[0] = -1;
	/* The server notices the close asynchronously: try until it has. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (status != 200 && sec_ms_since(&start) < RESPONSE_MS) {
		int fd = connect_from(d->port, "127.0.0.1");

		if (sec_raw_post(fd, SEC_GOOD) == 0)
			status = sec_read_response(fd, 1000);
		close(fd);
		if (status != 200)
			sec_sleep_ms(50);
	}
	assert_int_equal(status, 200);
	release_connections(held);
}

int main(void)
{
#define T(f, conf)                                                             \
	cmocka_unit_test_prestate_setup_teardown(f, sec_setup, sec_teardown,   \
						 (void *)(conf))
	const struct CMUnitTest tests[] = {
		T(headers_over_max_header_bytes_get_431, header_cap),
		T(a_request_line_over_max_header_bytes_is_refused_with_4xx,
		  header_cap),
		T(the_daemon_serves_normally_after_an_oversized_header,
		  header_cap),
		T(headers_well_under_max_header_bytes_are_accepted, header_cap),
		T(a_connection_past_the_per_client_limit_is_closed, per_client),
		T(the_held_connections_keep_working_after_a_refusal,
		  per_client),
		T(another_client_is_served_while_one_holds_its_limit,
		  per_client),
		T(once_a_held_connection_closes_a_new_one_is_served,
		  per_client),
	};
#undef T

	return cmocka_run_group_tests_name("security_limits_http", tests, NULL,
					   NULL);
}
