/* SIGHUP reloads the configuration while the daemon serves: a token
 * rotation under a continuous sender fails no request and loses no
 * event; a configuration with an error, or with a change only a restart
 * can apply, is refused with the reason in the log and the daemon goes
 * on with the previous one. */
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
#include <time.h>

#include <cmocka.h>

#include "daemon_harness.h"

#define OLD_TOKEN "rotation-old-token-0123456789"
#define NEW_TOKEN "rotation-new-token-9876543210"
#define JSON	  "application/json"

/* The configuration body with the endpoint's tokens and extra limits. */
static void body_with(char *buf, size_t len, const char *tokens,
		      const char *limits)
{
	snprintf(buf, len,
		 "%s"
		 "endpoints = ( { path = \"/recall/events\";\n"
		 "                tokens = [%s]; } );\n"
		 "handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
		 "  config = { path = \"@DIR@/events.jsonl\"; }; } );\n",
		 limits, tokens);
}

static int setup(void **state)
{
	char body[1024];

	body_with(body, sizeof(body), "\"" OLD_TOKEN "\"", "");
	return daemon_setup(state, body, NULL);
}

static long post_with(const struct daemon *d, const char *token, int idx)
{
	char target[128], event[128];
	int len;

	snprintf(target, sizeof(target), "/recall/events?token=%s", token);
	len = snprintf(event, sizeof(event),
		       "{\"event\":\"reload.test\",\"data\":{\"i\":%d}}", idx);
	return http_post(d->port, target, JSON, event, (size_t)len);
}

/* Rewrites the configuration, sends SIGHUP and waits for the log line of
 * the outcome (the n-th of its kind). */
static void reload_with(struct daemon *d, const char *body,
			const char *outcome, size_t n)
{
	assert_int_equal(daemon_configure(d, body), 0);
	assert_int_equal(daemon_signal(d, SIGHUP), 0);
	if (harness_wait_count(d->err_log, outcome, n, 10000) < n) {
		char *log = daemon_log(d);

		fail_msg("no '%s' after SIGHUP; log:\n%s", outcome, log);
	}
}

/* A sender that posts events one after another with the current token
 * and counts the answers that are not 200. */
struct sender {
	const struct daemon *d;
	const char *_Atomic token;
	atomic_int stop;
	int sent, failed;
};

static void *send_events(void *arg)
{
	struct sender *s = arg;

	while (!atomic_load(&s->stop)) {
		long status = post_with(s->d, atomic_load(&s->token), s->sent);

		s->sent++;
		if (status != 200 && s->failed++ < 5)
			fprintf(stderr, "event %d answered %ld\n", s->sent - 1,
				status);
	}
	return NULL;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void a_token_rotation_under_load_fails_nothing(void **state)
{
	struct daemon *d = *state;
	struct sender s = {.d = d};
	char body[1024], path[512];
	pthread_t t;

	atomic_init(&s.token, OLD_TOKEN);
	assert_int_equal(pthread_create(&t, NULL, send_events, &s), 0);
	pause_ms(300);
	/* 1. Both tokens: the sender, still on the old one, goes on. */
	body_with(body, sizeof(body), "\"" OLD_TOKEN "\", \"" NEW_TOKEN "\"",
		  "");
	reload_with(d, body, "configuration reloaded", 1);
	assert_int_equal(post_with(d, NEW_TOKEN, -1), 200);
	/* 2. The sender moves to the new token; the old one goes. */
	pause_ms(200);
	atomic_store(&s.token, NEW_TOKEN);
	pause_ms(200);
	body_with(body, sizeof(body), "\"" NEW_TOKEN "\"", "");
	reload_with(d, body, "configuration reloaded", 2);
	assert_int_equal(post_with(d, OLD_TOKEN, -2), 401);
	pause_ms(300);
	atomic_store(&s.stop, 1);
	pthread_join(t, NULL);
	print_message("%d events sent during the rotation, %d not 200\n",
		      s.sent, s.failed);
	assert_int_equal(s.failed, 0);
	assert_true(s.sent >= 20);
	/* Every accepted event reached the handler: the sender's and the
	 * one check with the new token. */
	assert_int_equal(harness_wait_lines(daemon_path(d, "events.jsonl",
							path, sizeof(path)),
					    (size_t)s.sent + 1, 10000),
			 (size_t)s.sent + 1);
}

static void a_broken_configuration_keeps_the_old_one(void **state)
{
	struct daemon *d = *state;
	char *log;

	reload_with(d, "endpoints = ( { path = \"/recall/events\"; tokens = ",
		    "reload failed", 1);
	log = daemon_log(d);
	/* The error names the file and line, as -t does. */
	assert_non_null(strstr(log, "rtwebhookd.conf:"));
	free(log);
	assert_int_equal(post_with(d, OLD_TOKEN, 0), 200);
	assert_int_equal(post_with(d, NEW_TOKEN, 1), 401);
	assert_true(daemon_running(d));
}

static void a_change_only_a_restart_applies_is_refused(void **state)
{
	struct daemon *d = *state;
	char body[1024], *log;

	/* A new token, and a new body limit that needs a restart: none of
	 * it is applied. */
	body_with(body, sizeof(body), "\"" NEW_TOKEN "\"",
		  "limits = { max_body_bytes = 4096; };\n");
	reload_with(d, body, "reload failed", 1);
	log = daemon_log(d);
	assert_non_null(strstr(log, "limits.max_body_bytes changed, which "
				    "only a restart applies"));
	free(log);
	assert_int_equal(post_with(d, OLD_TOKEN, 0), 200);
	assert_int_equal(post_with(d, NEW_TOKEN, 1), 401);
	/* The same for an endpoint's path. */
	snprintf(body, sizeof(body),
		 "endpoints = ( { path = \"/recall/other\";\n"
		 "                tokens = [\"" OLD_TOKEN "\"]; } );\n"
		 "handlers = ( { name = \"archive\"; module = \"jsonl\";\n"
		 "  config = { path = \"@DIR@/events.jsonl\"; }; } );\n");
	reload_with(d, body, "reload failed", 2);
	log = daemon_log(d);
	assert_non_null(strstr(log, "endpoint 1's path (/recall/events) "
				    "changed"));
	free(log);
	assert_int_equal(post_with(d, OLD_TOKEN, 2), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_token_rotation_under_load_fails_nothing, setup,
		daemon_teardown),
	    cmocka_unit_test_setup_teardown(
		a_broken_configuration_keeps_the_old_one, setup,
		daemon_teardown),
	    cmocka_unit_test_setup_teardown(
		a_change_only_a_restart_applies_is_refused, setup,
		daemon_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
