/* The redis handler through the real daemon and real HTTP, with a real
 * redis-server started by the test: events arrive in their bot's stream
 * in order; a redis-server crash and restart mid-run loses nothing (the
 * handler answers RETRY, the daemon keeps events in its spool, answers
 * 2xx throughout, and delivers them once the server is back); events
 * re-delivered after the daemon was SIGKILLed add no second entry; one
 * event received by two daemons gives one entry. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dint_util.h"
#include "redis_server.h"
#include "redis_stream.h"

#define WAIT_MS 60000 /* generous: the daemon may run under valgrind */

struct fixture {
	struct redis_server server;
	struct daemon *d;
	struct daemon *other; /* a second instance, when a test runs one */
};

static int write_config(struct daemon *d, const struct redis_server *s)
{
	char rest[1024];

	snprintf(rest, sizeof(rest),
		 "handlers = ( { name = \"streams\"; module = \"redis\";\n"
		 "  workers = 2; retry_first_ms = 50; retry_max_ms = 500;\n"
		 "  config = { url = \"redis://127.0.0.1:%d\";\n"
		 "             stream = \"recall:{bot_id}\"; }; } );\n",
		 s->port);
	return dint_configure(d, "", rest);
}

static struct daemon *start_daemon(const struct redis_server *s)
{
	struct daemon *d = daemon_new();

	if (d == NULL || write_config(d, s) != 0 ||
	    daemon_start(d, NULL) != 0) {
		if (d != NULL)
			daemon_free(d);
		return NULL;
	}
	return d;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	*state = f;
	if (redis_server_start(&f->server, NULL) != 0) {
		free(f);
		*state = NULL;
		fail_msg("cannot start redis-server (see above)");
	}
	f->d = start_daemon(&f->server);
	if (f->d == NULL) {
		redis_server_stop(&f->server);
		free(f);
		*state = NULL;
		fail_msg("cannot start the daemon");
	}
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f == NULL)
		return 0;
	if (f->d != NULL)
		daemon_free(f->d);
	if (f->other != NULL)
		daemon_free(f->other);
	redis_server_stop(&f->server);
	free(f);
	return 0;
}

/* The index of bot's mark "<bot>:<4 digits>" in an entry's JSON, or -1. */
static int mark_idx(const struct stream_entry *e, const char *bot)
{
	char needle[80];
	const char *p;

	snprintf(needle, sizeof(needle), "%s:", bot);
	p = e->json ? strstr(e->json, needle) : NULL;
	return p != NULL ? atoi(p + strlen(needle)) : -1;
}

/* 0 when bot's stream holds exactly its events 0..count-1 in order. */
static int check_bot(const struct redis_server *s, const char *bot, int count)
{
	char stream[96];
	size_t n;
	struct stream_entry *e;
	int rc = 0;

	snprintf(stream, sizeof(stream), "recall:%s", bot);
	e = stream_read(s, 0, stream, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (mark_idx(&e[i], bot) != (int)i) {
			fprintf(stderr, "%s: entry %zu is event %d\n", bot, i,
				mark_idx(&e[i], bot));
			rc = -1;
		}
	if (rc == 0 && n != (size_t)count) {
		fprintf(stderr, "%s: %zu entries, expected %d\n", bot, n,
			count);
		rc = -1;
	}
	stream_entries_free(e, n);
	return rc;
}

struct total_arg {
	const struct redis_server *s;
	const char *const *bots;
	int nbots;
	long long want;
};

static long long total(const struct total_arg *t)
{
	char stream[96];
	long long sum = 0;

	for (int b = 0; b < t->nbots; b++) {
		snprintf(stream, sizeof(stream), "recall:%s", t->bots[b]);
		sum += redis_server_xlen(t->s, stream);
	}
	return sum;
}

static int total_reached(void *arg)
{
	return total(arg) >= ((struct total_arg *)arg)->want;
}

/* Waits until the bots' streams hold want entries in all; the count. */
static long long wait_total(const struct redis_server *s,
			    const char *const *bots, int nbots, long long want)
{
	struct total_arg t = {s, bots, nbots, want};

	dint_wait_until(total_reached, &t, WAIT_MS);
	dint_sleep_ms(200); /* a duplicate would show up now */
	return total(&t);
}

static void post_ok(struct daemon *d, const char *bot, int idx)
{
	char body[2048];
	size_t len = dint_event(bot, idx, body, sizeof(body));
	long status = dint_post(d->port, body, len, NULL, NULL, 0);

	if (status != 200)
		fail_msg("event %s:%d answered %ld", bot, idx, status);
}

static const char *const three_bots[] = {"bot-red", "bot-green", "bot-blue"};

static void events_arrive_in_order_per_bot(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 30; i++)
		for (int b = 0; b < 3; b++)
			post_ok(f->d, three_bots[b], i);
	assert_int_equal(wait_total(&f->server, three_bots, 3, 90), 90);
	for (int b = 0; b < 3; b++)
		assert_int_equal(check_bot(&f->server, three_bots[b], 30), 0);
}

/* A sender per bot that behaves like Recall (sequential, retries). */
struct sender_arg {
	atomic_int *port;
	const char *bot;
	int count;
	unsigned long gave_up;
};

static void *send_bot(void *p)
{
	struct sender_arg *a = p;
	struct dint_sender s;
	char body[2048];

	dint_sender_init(&s, a->port);
	for (int i = 0; i < a->count; i++) {
		size_t len = dint_event(a->bot, i, body, sizeof(body));

		dint_sender_send(&s, body, len);
		dint_sleep_ms(10);
	}
	a->gave_up = s.gave_up;
	dint_sender_free(&s);
	return NULL;
}

static void redis_restart_mid_run_loses_nothing(void **state)
{
	struct fixture *f = *state;
	atomic_int port = f->d->port;
	struct sender_arg args[3];
	pthread_t t[3];
	unsigned long long accepted, ok, retried, failed;

	for (int b = 0; b < 3; b++) {
		args[b] = (struct sender_arg){&port, three_bots[b], 80, 0};
		assert_int_equal(
		    pthread_create(&t[b], NULL, send_bot, &args[b]), 0);
	}
	dint_sleep_ms(300);
	redis_server_kill(&f->server, SIGKILL); /* a crash, mid-run */
	dint_sleep_ms(1000);
	assert_int_equal(redis_server_restart(&f->server), 0);
	for (int b = 0; b < 3; b++) {
		pthread_join(t[b], NULL);
		assert_int_equal(args[b].gave_up, 0);
	}
	assert_int_equal(wait_total(&f->server, three_bots, 3, 240), 240);
	for (int b = 0; b < 3; b++)
		assert_int_equal(check_bot(&f->server, three_bots[b], 80), 0);
	assert_int_equal(daemon_stop(f->d), 0);
	assert_int_equal(
	    dint_last_summary(f->d, &accepted, &ok, &retried, &failed), 0);
	assert_int_equal(accepted, 240);
	assert_int_equal(failed, 0);
	if (retried == 0)
		fail_msg("the handler never answered RETRY: the outage was "
			 "not exercised");
}

static int copy_tree(const char *from, const char *to)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", to, from,
		 to);
	return system(cmd) == 0 ? 0 : -1;
}

/* A crash after the handler published events but before the daemon saved
 * its progress: simulated exactly by putting back the spool as it was
 * before they were handled. The daemon offers them all again. */
static void redelivery_after_daemon_kill_adds_no_duplicate(void **state)
{
	struct fixture *f = *state;
	static const char *const bots[] = {"bot-red", "bot-green"};
	char spool[512], saved[512];
	char *log;

	daemon_path(f->d, "spool", spool, sizeof(spool));
	daemon_path(f->d, "spool.saved", saved, sizeof(saved));
	redis_server_kill(&f->server, SIGKILL); /* events stay unhandled */
	for (int i = 0; i < 10; i++)
		for (int b = 0; b < 2; b++)
			post_ok(f->d, bots[b], i);
	assert_int_equal(daemon_signal(f->d, SIGKILL), 0);
	daemon_wait(f->d, 10000);
	assert_int_equal(copy_tree(spool, saved), 0);
	assert_int_equal(redis_server_restart(&f->server), 0);
	assert_int_equal(daemon_start(f->d, NULL), 0);
	assert_int_equal(wait_total(&f->server, bots, 2, 20), 20);
	assert_int_equal(daemon_stop(f->d), 0);
	assert_int_equal(copy_tree(saved, spool), 0); /* progress lost */
	assert_int_equal(daemon_start(f->d, NULL), 0);
	assert_int_equal(dint_wait_count_settled(f->d->err_log,
						 "not added again", 20, 3000,
						 WAIT_MS),
			 20);
	for (int b = 0; b < 2; b++)
		assert_int_equal(check_bot(&f->server, bots[b], 10), 0);
	log = daemon_log(f->d);
	/* dispatch logs "handler streams: event N (type) failed: why". */
	if (strstr(log, ") failed:") != NULL)
		fail_msg("an event failed: %s", strstr(log, ") failed:"));
	free(log);
}

/* Recall retried an event whose answer was lost, and the load balancer
 * sent the retry to another instance: the same webhook-id, one entry. */
static void same_event_at_two_daemons_gives_one_entry(void **state)
{
	struct fixture *f = *state;
	struct daemon *other = f->other = start_daemon(&f->server);
	static const char *const bots[] = {"bot-red"};
	const char *headers[] = {"webhook-id: msg_2retried", NULL};
	char body[2048];
	size_t len = dint_event("bot-red", 0, body, sizeof(body));

	assert_non_null(other);
	assert_int_equal(dint_post(f->d->port, body, len, headers, NULL, 0),
			 200);
	assert_int_equal(wait_total(&f->server, bots, 1, 1), 1);
	assert_int_equal(dint_post(other->port, body, len, headers, NULL, 0),
			 200);
	assert_int_equal(dint_wait_count_settled(other->err_log,
						 "not added again", 1, 3000,
						 WAIT_MS),
			 1);
	assert_int_equal(check_bot(&f->server, "bot-red", 1), 0);
}

#define REDIS_DAEMON_TEST(fn)                                                  \
	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    REDIS_DAEMON_TEST(events_arrive_in_order_per_bot),
	    REDIS_DAEMON_TEST(redis_restart_mid_run_loses_nothing),
	    REDIS_DAEMON_TEST(redelivery_after_daemon_kill_adds_no_duplicate),
	    REDIS_DAEMON_TEST(same_event_at_two_daemons_gives_one_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
