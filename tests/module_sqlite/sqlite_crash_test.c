/* SIGKILL under load: senders that behave like Recall (one event at a
 * time per bot, the same event again after any failure) post to a daemon
 * whose sqlite handler has two workers, while the daemon is killed with
 * SIGKILL and restarted several times. Afterwards the database holds every
 * event exactly once, and each bot's derived speech turns are whole. */
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
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "daemon_harness.h"
#include "sqltest.h"

#define BOTS	       3
#define EVENTS_PER_BOT 120 /* speech_on/off pairs: 60 turns of 0.5 s */
#define KILLS	       3

struct sender {
	pthread_t thread;
	const atomic_int *port;
	atomic_int *accepted; /* events acknowledged, all senders */
	char target[128];
	int index;
	int gave_up;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Like Recall: the same event until a 2xx (bounded: 60 s of tries). */
static int send_until_accepted(struct sender *s, const char *body, size_t len)
{
	for (int attempt = 0; attempt < 1200; attempt++) {
		long status = http_post(atomic_load(s->port), s->target,
					"application/json", body, len);

		if (status >= 200 && status < 300)
			return 0;
		sleep_ms(50);
	}
	return -1;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	char body[2048], bot[32];

	snprintf(bot, sizeof(bot), "crash-bot-%d", s->index);
	for (int i = 0; i < EVENTS_PER_BOT && !s->gave_up; i++) {
		size_t len = sqlt_participant_body(
		    body, sizeof(body), i % 2 ? "speech_off" : "speech_on", bot,
		    1, i * 0.5);

		s->gave_up = send_until_accepted(s, body, len) != 0;
		atomic_fetch_add(s->accepted, 1);
	}
	return NULL;
}

static long long count_rows(const char *db_path, const char *sql)
{
	sqlite3 *db = sqlt_db(db_path);
	long long n = sqlt_int(db, sql);

	sqlite3_close(db);
	return n;
}

static void kill_and_restart(struct daemon *d, atomic_int *port)
{
	assert_int_equal(daemon_signal(d, SIGKILL), 0);
	assert_int_not_equal(daemon_wait(d, 10000), -1);
	assert_int_equal(daemon_start(d, NULL), 0);
	atomic_store(port, d->port);
}

static void sigkill_under_load_loses_and_doubles_nothing(void **state)
{
	struct daemon *d = daemon_new();
	struct sender s[BOTS];
	char body[1024], token[64], db_path[400];
	atomic_int port, accepted;
	long long total = BOTS * EVENTS_PER_BOT;

	(void)state;
	assert_non_null(d);
	snprintf(token, sizeof(token), "sqlite-crash-%ld", (long)getpid());
	snprintf(body, sizeof(body),
		 "endpoints = ( { path = \"/recall/events\";\n"
		 "  tokens = [\"%s\"]; } );\n"
		 "handlers = ( { name = \"store\"; module = \"sqlite\";\n"
		 "  workers = 2; retry_max_ms = 200;\n"
		 "  config = { path = \"@DIR@/events.db\"; }; } );\n",
		 token);
	assert_int_equal(daemon_configure(d, body), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	daemon_path(d, "events.db", db_path, sizeof(db_path));
	atomic_init(&port, d->port);
	atomic_init(&accepted, 0);
	for (int i = 0; i < BOTS; i++) {
		s[i] = (struct sender){
		    .port = &port, .accepted = &accepted, .index = i};
		snprintf(s[i].target, sizeof(s[i].target),
			 "/recall/events?token=%s", token);
		assert_int_equal(
		    pthread_create(&s[i].thread, NULL, sender_main, &s[i]), 0);
	}
	/* Each kill while the senders are mid-way: a quarter, a half and
	 * three quarters of the events acknowledged. */
	for (int k = 0; k < KILLS; k++) {
		int due = (int)(total * (k + 1) / (KILLS + 1));

		for (int waited = 0;
		     atomic_load(&accepted) < due && waited < 30000;
		     waited += 2)
			sleep_ms(2);
		assert_true(atomic_load(&accepted) < total);
		kill_and_restart(d, &port);
	}
	for (int i = 0; i < BOTS; i++) {
		pthread_join(s[i].thread, NULL);
		assert_false(s[i].gave_up);
	}
	for (int waited = 0; waited < 15000; waited += 50) {
		if (count_rows(db_path, "SELECT count(*) FROM events") >= total)
			break;
		sleep_ms(50);
	}
	assert_int_equal(count_rows(db_path, "SELECT count(*) FROM events"),
			 total);
	assert_int_equal(
	    count_rows(db_path, "SELECT count(DISTINCT json) FROM events"),
	    total);
	assert_int_equal(count_rows(db_path,
				    "SELECT count(*) FROM speaking_time WHERE "
				    "turns = 60 AND speaking_s = 30.0"),
			 BOTS);
	assert_int_equal(daemon_stop(d), 0);
	daemon_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sigkill_under_load_loses_and_doubles_nothing),
	};

	curl_global_init(CURL_GLOBAL_ALL);
	return cmocka_run_group_tests_name("module_sqlite_crash", tests, NULL,
					   NULL);
}
