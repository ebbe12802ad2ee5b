/* Running under systemd, without systemd: the test plays the service
 * manager. It reads the sd_notify datagrams on a NOTIFY_SOCKET it created
 * (READY=1, STATUS=, WATCHDOG=1 with WatchdogSec, STOPPING=1), and it
 * passes a listening socket as systemd's socket activation does
 * (LISTEN_FDS, fd 3), keeping its own copy so the socket outlives
 * restarts: connections made while no daemon runs wait in the kernel's
 * queue for the next one, none is refused. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
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
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define TARGET "/recall/events?token=" HARNESS_TOKEN
#define NOTIFY_WAIT_MS 15000L

/* ---- the notify socket ------------------------------------------------- */

static int notify_listen(struct daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	daemon_path(d, "notify", d->notify_socket, sizeof(d->notify_socket));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->notify_socket);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Appends every datagram that arrives within ms to log (NUL-separated
 * messages joined by '\n'), until done(log) says enough. */
static void notify_collect_until(int fd, long ms, char *log, size_t cap,
				 int (*done)(const char *log))
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!done(log)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left;
		size_t used = strlen(log);
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - ((now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		if (used + 2 >= cap)
			return;
		n = recv(fd, log + used, cap - used - 2, 0);
		if (n > 0) {
			log[used + (size_t)n] = '\n';
			log[used + (size_t)n + 1] = '\0';
		}
	}
}

/* What the lifecycle test waits for, each with a generous timeout (a
 * loaded machine, valgrind): its figures are counts, not durations. */
static int started_and_counted(const char *log)
{
	return strstr(log, "READY=1\nSTATUS=accepting events") != NULL &&
	       harness_count(log, "WATCHDOG=1") >= 3 &&
	       strstr(log, "STATUS=1 event(s) accepted") != NULL;
}

static int reloaded(const char *log)
{
	const char *reloading = strstr(log, "RELOADING=1");

	return reloading != NULL && strstr(reloading, "READY=1") != NULL;
}

static int stopping(const char *log)
{
	return strstr(log, "STOPPING=1") != NULL;
}

static void notifications_follow_the_lifecycle(void **state)
{
	struct daemon *d = daemon_new();
	static char log[65536];
	int fd;

	(void)state;
	assert_non_null(d);
	log[0] = '\0';
	fd = notify_listen(d);
	d->watchdog_usec = 400000; /* a keep-alive every 200 ms */
	assert_int_equal(daemon_configure(d, HARNESS_DEFAULT_BODY), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	assert_int_equal(http_post(d->port, TARGET, "application/json",
				   "{\"event\":\"x\",\"data\":{}}", 23),
			 200);
	notify_collect_until(fd, NOTIFY_WAIT_MS, log, sizeof(log),
			     started_and_counted);
	assert_non_null(strstr(log, "READY=1\nSTATUS=accepting events"));
	if (harness_count(log, "WATCHDOG=1") < 3)
		fail_msg("fewer than 3 watchdog keep-alives:\n%s", log);
	assert_non_null(strstr(log, "STATUS=1 event(s) accepted"));
	/* A reload: RELOADING=1, then READY=1 again. */
	assert_int_equal(daemon_signal(d, SIGHUP), 0);
	notify_collect_until(fd, NOTIFY_WAIT_MS, log, sizeof(log), reloaded);
	if (!reloaded(log))
		fail_msg("no RELOADING=1 followed by READY=1 after SIGHUP:\n%s",
			 log);
	assert_int_equal(daemon_stop(d), 0);
	notify_collect_until(fd, 2000, log, sizeof(log), stopping);
	assert_non_null(strstr(log, "STOPPING=1"));
	close(fd);
	daemon_free(d);
}

/* ---- socket activation ------------------------------------------------- */

static int listen_loopback(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 512), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A sender like Recall: one event after another, each retried every
 * 100 ms (Recall waits 1 s) until it gets 200; it counts the attempts
 * that failed, which must be none. */
struct sender {
	int port;
	atomic_int stop;
	int sent;      /* events acknowledged */
	int refused;   /* attempts that got no HTTP answer at all */
	int answered_503;
	pthread_t thread;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	char body[128];

	while (!atomic_load(&s->stop)) {
		int len = snprintf(body, sizeof(body),
				   "{\"event\":\"n\",\"data\":{\"n\":%d}}",
				   s->sent);
		long status = http_post(s->port, TARGET, "application/json",
					body, (size_t)len);

		if (status == 200) {
			s->sent++;
			continue;
		}
		if (status == 0)
			s->refused++;
		else if (status == 503)
			s->answered_503++;
		usleep(100 * 1000);
	}
	return NULL;
}

static void restarts_on_a_passed_socket_refuse_nothing(void **state)
{
	struct daemon *d = daemon_new();
	struct sender s = {0};
	char path[512];
	int fd;

	(void)state;
	assert_non_null(d);
	fd = listen_loopback(&s.port);
	d->listen_fd = fd;
	assert_int_equal(daemon_configure(d, HARNESS_DEFAULT_BODY), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	/* It serves the passed socket, not listen.port (0 in the config). */
	assert_int_equal(d->port, s.port);
	assert_int_equal(pthread_create(&s.thread, NULL, sender_main, &s), 0);
	for (int i = 0; i < 3; i++) {
		usleep(300 * 1000);
		assert_int_equal(daemon_stop(d), 0);
		assert_int_equal(daemon_start(d, NULL), 0);
	}
	usleep(300 * 1000);
	atomic_store(&s.stop, 1);
	pthread_join(s.thread, NULL);
	/* Everything acknowledged was stored: the sink gets it all. */
	harness_wait_lines(daemon_path(d, "events.jsonl", path, sizeof(path)),
			   (size_t)s.sent, 10000);
	assert_int_equal(daemon_stop(d), 0);
	print_message("%d events acknowledged across 3 restarts; %d answered "
		      "503, %d without an answer\n",
		      s.sent, s.answered_503, s.refused);
	assert_true(s.sent > 0);
	assert_int_equal(s.refused, 0);
	assert_int_equal(s.answered_503, 0);
	assert_int_equal(harness_wait_lines(path, (size_t)s.sent, 0),
			 (size_t)s.sent);
	close(fd);
	daemon_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notifications_follow_the_lifecycle),
		cmocka_unit_test(restarts_on_a_passed_socket_refuse_nothing),
	};

	return cmocka_run_group_tests_name("integration_systemd", tests, NULL,
					   NULL);
}
