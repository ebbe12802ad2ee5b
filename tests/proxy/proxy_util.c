/* Helpers of the reverse-proxy tests (see proxy_util.h). */
#include <netinet/in.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "proxy_util.h"

int proxy_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

int proxy_answers(int port)
{
	for (int i = 0; i < 100; i++) {
		if (http_get(port, "/nothing-here") == 404)
			return 1;
		usleep(50 * 1000);
	}
	return 0;
}

void proxy_expect_forged_address_refused(int port, const char *err_log)
{
	const char *headers[] = {"X-Forwarded-For: 10.9.9.9", NULL};
	struct http_request req = {.target =
				       "/recall/internal?token=" HARNESS_TOKEN,
				   .content_type = "application/json",
				   .body = "{}",
				   .body_len = 2,
				   .headers = headers};
	struct http_reply rep;

	assert_int_equal(http_send(port, &req, &rep), 0);
	assert_int_equal(rep.status, 403);
	http_reply_free(&rep);
	assert_true(harness_wait_count(err_log,
				       "rejected 403 POST /recall/internal "
				       "from 127.0.0.1",
				       1, 2000) == 1);
}

int proxy_teardown(void **state)
{
	struct proxy *p = *state;
	void *d;

	if (p == NULL)
		return 0;
	if (p->pid > 0) {
		kill(p->pid, p->stop_signal);
		waitpid(p->pid, NULL, 0);
	}
	d = p->d;
	free(p);
	return daemon_teardown(&d);
}
