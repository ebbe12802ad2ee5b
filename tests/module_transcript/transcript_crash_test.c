/* SIGKILL mid-stream: two senders that behave like Recall (one event at a
 * time per bot, the same event again after any failure) post a meeting
 * each (a join, then nameless utterances and some partials) to a daemon
 * that is killed with SIGKILL and restarted three times while the
 * transcript handler writes (fsync on: each event spends most of its time
 * between its first write and its record, where a kill hurts most). The
 * daemon delivers again what its handler had not finished; afterwards
 * every event is posted once more, as Recall does when an answer is lost.
 * The .txt and .vtt files must then hold every utterance exactly once,
 * in order: equal to what the oracle works out from the bodies. */
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
#include "oracle.h"
#include "scratch.h"
#include "txtest.h"

#define BOTS	       2
#define EVENTS_PER_BOT 150
#define KILLS	       3

struct sender {
	pthread_t thread;
	const atomic_int *port;
	atomic_int *accepted; /* events acknowledged, all senders */
	char target[128];
	char bot[48];
	char *bodies[EVENTS_PER_BOT];
	int gave_up;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Event i of a bot: its speaker's join first, a partial every seventh,
 * utterances otherwise (all nameless: the name comes from the join). */
static char *event_body(const char *bot, int i)
{
	char words[96];
	double t = 2.0 * i;

	if (i == 0)
		return txt_participant_body("participant_events.join", bot,
					    "{\"id\":1,\"name\":\"Speaker\"}",
					    0.5);
	snprintf(words, sizeof(words), "%s says line %d", bot, i);
	return txt_transcript_body(i % 7 == 0 ? "transcript.partial_data"
					      : "transcript.data",
				   bot, "{\"id\":1,\"name\":null}", words, t);
}

/* Like Recall: the same event until a 2xx (bounded: 60 s of tries). */
static int send_until_accepted(struct sender *s, const char *body)
{
	for (int attempt = 0; attempt < 1200; attempt++) {
		long status = http_post(atomic_load(s->port), s->target,
					"application/json", body, strlen(body));

		if (status >= 200 && status < 300)
			return 0;
		sleep_ms(50);
	}
	return -1;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	for (int i = 0; i < EVENTS_PER_BOT && !s->gave_up; i++) {
		s->gave_up = send_until_accepted(s, s->bodies[i]) != 0;
		atomic_fetch_add(s->accepted, 1);
	}
	return NULL;
}

static void kill_and_restart(struct daemon *d, atomic_int *port)
{
	assert_int_equal(daemon_signal(d, SIGKILL), 0);
	assert_int_not_equal(daemon_wait(d, 10000), -1);
	assert_int_equal(daemon_start(d, NULL), 0);
	atomic_store(port, d->port);
}

static void configure(struct daemon *d, const char *token)
{
	char body[1024];

	snprintf(
	    body, sizeof(body),
	    "endpoints = ( { path = \"/recall/events\";\n"
	    "  tokens = [\"%s\"]; } );\n"
	    "handlers = ( { name = \"captions\"; module = \"transcript\";\n"
	    "  config = { dir = \"@DIR@/transcripts\"; partials = true; "
	    "}; } );\n",
	    token);
	assert_int_equal(daemon_configure(d, body), 0);
}

/* Waits (bounded) until every bot's .txt is what the oracle expects. */
static void wait_for_transcripts(const char *dir, struct sender *s,
				 struct oracle *o)
{
	for (int waited = 0; waited < 60000; waited += 100) {
		int done = 1;

		for (int i = 0; i < BOTS && done; i++) {
			char *got = txt_read(dir, s[i].bot, ".txt");

			done = got && strcmp(got, oracle_txt(o, s[i].bot)) == 0;
			free(got);
		}
		if (done)
			return;
		sleep_ms(100);
	}
}

static void sigkill_mid_stream_neither_loses_nor_doubles(void **state)
{
	struct daemon *d = daemon_new();
	struct sender s[BOTS];
	struct oracle *o = oracle_new();
	char token[64], dir[400];
	atomic_int port, accepted;
	int total = BOTS * EVENTS_PER_BOT;

	(void)state;
	assert_non_null(d);
	snprintf(token, sizeof(token), "transcript-crash-%ld", (long)getpid());
	configure(d, token);
	assert_int_equal(daemon_start(d, NULL), 0);
	daemon_path(d, "transcripts", dir, sizeof(dir));
	atomic_init(&port, d->port);
	atomic_init(&accepted, 0);
	for (int i = 0; i < BOTS; i++) {
		s[i] = (struct sender){.port = &port, .accepted = &accepted};
		snprintf(s[i].target, sizeof(s[i].target),
			 "/recall/events?token=%s", token);
		snprintf(s[i].bot, sizeof(s[i].bot), "crash-bot-%d", i);
		for (int e = 0; e < EVENTS_PER_BOT; e++) {
			s[i].bodies[e] = event_body(s[i].bot, e);
			oracle_feed(o, s[i].bodies[e]);
		}
	}
	for (int i = 0; i < BOTS; i++)
		assert_int_equal(
		    pthread_create(&s[i].thread, NULL, sender_main, &s[i]), 0);
	/* Each kill while the senders are mid-way. */
	for (int k = 0; k < KILLS; k++) {
		int due = total * (k + 1) / (KILLS + 1);

		for (int waited = 0;
		     atomic_load(&accepted) < due && waited < 60000;
		     waited += 2)
			sleep_ms(2);
		assert_true(atomic_load(&accepted) < total);
		kill_and_restart(d, &port);
	}
	for (int i = 0; i < BOTS; i++) {
		pthread_join(s[i].thread, NULL);
		assert_false(s[i].gave_up);
	}
	/* Recall posts again what it never saw answered: all of it here. */
	for (int i = 0; i < BOTS; i++)
		for (int e = 0; e < EVENTS_PER_BOT; e++)
			assert_int_equal(
			    send_until_accepted(&s[i], s[i].bodies[e]), 0);
	wait_for_transcripts(dir, s, o);
	for (int i = 0; i < BOTS; i++) {
		txt_assert_file(dir, s[i].bot, ".txt", oracle_txt(o, s[i].bot));
		txt_assert_file(dir, s[i].bot, ".vtt", oracle_vtt(o, s[i].bot));
		for (int e = 0; e < EVENTS_PER_BOT; e++)
			free(s[i].bodies[e]);
	}
	assert_int_equal(daemon_stop(d), 0);
	oracle_free(o);
	daemon_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sigkill_mid_stream_neither_loses_nor_doubles),
	};

	curl_global_init(CURL_GLOBAL_ALL);
	return cmocka_run_group_tests_name("module_transcript_crash", tests,
					   NULL, NULL);
}
