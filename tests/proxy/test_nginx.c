/* Behind real nginx, configured with the shipped location block: events
 * pass, the daemon sees the real client (nginx appends the peer to
 * X-Forwarded-For, the daemon trusts nginx and reads from the right), a
 * client cannot pick its address with its own X-Forwarded-For, and nginx
 * refuses an oversized body itself. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "proxy_util.h"

#define NGINX	    "/usr/sbin/nginx"
#define TOKEN_QUERY "?token=" HARNESS_TOKEN

static const char daemon_body[] =
    PROXY_DAEMON_BODY("trusted_proxies = [\"127.0.0.2/32\"];\n");

/* nginx in the foreground, one process (no user switch), every path in
 * the daemon's directory. It reaches the daemon from 127.0.0.2, the one
 * trusted proxy, so that the test's own address, 127.0.0.1, is a client
 * like any other. */
static void write_nginx_conf(struct proxy *p)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "daemon off;\nmaster_process off;\npid @DIR@/nginx.pid;\n"
		 "error_log @DIR@/nginx-error.log;\nevents {}\nhttp {\n"
		 "  access_log off;\n"
		 "  client_body_temp_path @DIR@/nginx-body;\n"
		 "  proxy_temp_path @DIR@/nginx-proxy;\n"
		 "  fastcgi_temp_path @DIR@/nginx-fcgi;\n"
		 "  uwsgi_temp_path @DIR@/nginx-uwsgi;\n"
		 "  scgi_temp_path @DIR@/nginx-scgi;\n"
		 "  upstream rtwebhookd { server 127.0.0.1:%d; keepalive 4; }\n"
		 "  server {\n    listen 127.0.0.1:%d;\n"
		 "    proxy_bind 127.0.0.2;\n"
		 "    include " RTW_NGINX_LOCATION ";\n  }\n}\n",
		 p->d->port, p->port);
	assert_int_equal(daemon_write(p->d, "nginx.conf", text), 0);
}

static int setup(void **state)
{
	struct proxy *p = calloc(1, sizeof(*p));
	char conf[512], prefix[512];

	if (access(NGINX, X_OK) != 0) {
		fprintf(stderr,
			"%s missing: install Debian's nginx-light "
			"(scripts/install-deps.sh does)\n",
			NGINX);
		free(p);
		return -1;
	}
	assert_non_null(p);
	p->stop_signal = SIGQUIT; /* nginx: the graceful stop */
	assert_int_equal(daemon_setup((void **)&p->d, daemon_body, NULL), 0);
	p->port = proxy_free_port();
	write_nginx_conf(p);
	daemon_path(p->d, "nginx.conf", conf, sizeof(conf));
	daemon_path(p->d, "", prefix, sizeof(prefix));
	fflush(NULL);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		execl(NGINX, NGINX, "-p", prefix, "-c", conf, (char *)NULL);
		_exit(127);
	}
	*state = p;
	if (!proxy_answers(p->port)) {
		fprintf(stderr, "nginx did not start on port %d\n", p->port);
		proxy_teardown(state); /* cmocka skips the teardown */
		return -1;
	}
	return 0;
}

static void events_pass_through_nginx(void **state)
{
	struct proxy *p = *state;
	static const char body[] =
	    "{\"event\":\"participant_events.join\",\"data\":{\"data\":{}}}";
	char path[512];

	assert_int_equal(http_post(p->port, "/recall/events" TOKEN_QUERY,
				   "application/json", body, strlen(body)),
			 200);
	assert_int_equal(
	    harness_wait_lines(
		daemon_path(p->d, "events.jsonl", path, sizeof(path)), 1, 5000),
	    1);
}

static void a_client_cannot_choose_its_address(void **state)
{
	struct proxy *p = *state;

	/* nginx sends "10.9.9.9, 127.0.0.1": the client is 127.0.0.1. */
	proxy_expect_forged_address_refused(p->port, p->d->err_log);
}

static void nginx_refuses_an_oversized_body(void **state)
{
	struct proxy *p = *state;
	size_t len = 3 * 1024 * 1024;
	char *body = malloc(len);

	assert_non_null(body);
	memset(body, ' ', len);
	body[0] = '{';
	body[len - 1] = '}';
	assert_int_equal(http_post(p->port, "/recall/events" TOKEN_QUERY,
				   "application/json", body, len),
			 413);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(events_pass_through_nginx, setup,
					    proxy_teardown),
	    cmocka_unit_test_setup_teardown(a_client_cannot_choose_its_address,
					    setup, proxy_teardown),
	    cmocka_unit_test_setup_teardown(nginx_refuses_an_oversized_body,
					    setup, proxy_teardown),
	};

	return cmocka_run_group_tests_name("proxy_nginx", tests, NULL, NULL);
}
