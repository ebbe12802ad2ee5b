/* Through the real daemon: a meeting of two bots (joins, an update,
 * final and partial transcripts, a transcript whose participant is null,
 * unicode names, events the handler ignores) posted over HTTP. The .txt
 * and .vtt files must equal what the oracle works out from the same
 * bodies, and .partial must hold the one partial line still pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "daemon_harness.h"
#include "fixture_file.h"
#include "oracle.h"
#include "scratch.h"
#include "txtest.h"

#define A	 TXTEST_BOT_A
#define B	 TXTEST_BOT_B
#define TARGET	 "/recall/events?token=" HARNESS_TOKEN
#define MAX_BODY 64

#define CONFIG                                                                 \
	"endpoints = ( { path = \"/recall/events\";\n"                         \
	"                tokens = [\"" HARNESS_TOKEN "\"]; } );\n"             \
	"handlers = ( { name = \"captions\"; module = \"transcript\";\n"       \
	"  events = [\"transcript.*\", \"participant_events.*\"];\n"           \
	"  config = { dir = \"@DIR@/transcripts\"; partials = true; }; } );\n"

struct meeting {
	char *bodies[MAX_BODY];
	int n;
};

static void add_body(struct meeting *m, char *body)
{
	assert_true(m->n < MAX_BODY);
	m->bodies[m->n++] = body;
}

static void add_fixture(struct meeting *m, const char *name)
{
	char path[512];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_EVENTS_DIR, name);
	add_body(m, fixture_read(path, &len));
}

static char *join(const char *bot, const char *participant, double rel)
{
	return txt_participant_body("participant_events.join", bot, participant,
				    rel);
}

static char *said(const char *type, const char *bot, const char *participant,
		  const char *words, double t0)
{
	return txt_transcript_body(type, bot, participant, words, t0);
}

/* Bot A mostly from the fixture files (its id is theirs), bot B built;
 * their events interleaved as two meetings at once would be. */
static void meeting_build(struct meeting *m)
{
	add_fixture(m, "join.json"); /* 100 Ada Lovelace */
	add_body(m, join(B, "{\"id\":100,\"name\":\"Bea\"}", 1));
	add_fixture(m, "join_unicode_name.json"); /* 300 Zoë ... */
	add_fixture(m, "transcript_partial_data.json");
	add_body(m, said("transcript.partial_data", B,
			 "{\"id\":100,\"name\":null}", "first try", 3));
	add_fixture(m, "transcript_data.json");
	add_fixture(m, "speech_on.json"); /* ignored */
	add_body(m, said("transcript.data", B, "{\"id\":100,\"name\":null}",
			 "first words of B", 3));
	add_fixture(m, "transcript_null_end_and_id.json");
	add_body(m, said("transcript.data", A, "null", "nobody knows who", 20));
	add_body(m, said("transcript.data", A, "{\"id\":300,\"name\":null}",
			 "named from the join", 30));
	add_fixture(m, "chat_message.json"); /* ignored */
	add_body(m, txt_participant_body("participant_events.update", B,
					 "{\"id\":100,\"name\":\"Bea Smith\"}",
					 40));
	add_body(m, said("transcript.data", B, "{\"id\":100}",
			 "after the update", 41));
	add_body(m, said("transcript.data", A, "{\"id\":999,\"name\":null}",
			 "a stranger speaks", 50));
	add_fixture(m, "transcript_unicode.json");
	add_fixture(m, "update.json");
	add_body(m,
		 said("transcript.partial_data", B, "null", "still talk", 60));
	add_fixture(m, "leave.json"); /* ignored */
}

static void meeting_free(struct meeting *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->bodies[i]);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits (bounded) until the file holds want; returns whether it does. */
static int wait_for_file(const char *dir, const char *bot, const char *suffix,
			 const char *want, long timeout_ms)
{
	for (long waited = 0; waited <= timeout_ms; waited += 50) {
		char *got = txt_read(dir, bot, suffix);
		int same = got != NULL && strcmp(got, want) == 0;

		free(got);
		if (same)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

static void a_posted_meeting_gives_the_expected_files(void **state)
{
	struct daemon *d = *state;
	struct meeting m = {0};
	struct oracle *o = oracle_new();
	const char *bots[] = {A, B};
	char dir[400];

	meeting_build(&m);
	for (int i = 0; i < m.n; i++) {
		assert_int_equal(http_post(d->port, TARGET, "application/json",
					   m.bodies[i], strlen(m.bodies[i])),
				 200);
		oracle_feed(o, m.bodies[i]);
	}
	daemon_path(d, "transcripts", dir, sizeof(dir));
	/* A sanity check of the oracle itself on a known line. */
	assert_non_null(strstr(oracle_txt(o, A),
			       "[00:00:14] Ada Lovelace: So the Q3 numbers "
			       "look good.\n"));
	assert_non_null(
	    strstr(oracle_txt(o, B), "] Bea Smith: after the update\n"));
	for (int i = 0; i < 2; i++) {
		wait_for_file(dir, bots[i], ".txt", oracle_txt(o, bots[i]),
			      20000);
		txt_assert_file(dir, bots[i], ".txt", oracle_txt(o, bots[i]));
		txt_assert_file(dir, bots[i], ".vtt", oracle_vtt(o, bots[i]));
	}
	/* A's partial was replaced by its final; B's last one is pending
	 * (its last event: the wait covers everything before it). */
	wait_for_file(dir, B, ".partial",
		      "[00:01:00] unknown speaker: still talk\n", 20000);
	txt_assert_file(dir, A, ".partial", "");
	txt_assert_file(dir, B, ".partial",
			"[00:01:00] unknown speaker: still talk\n");
	oracle_free(o);
	meeting_free(&m);
}

static int setup(void **state)
{
	return daemon_setup(state, CONFIG, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_posted_meeting_gives_the_expected_files, setup,
		daemon_teardown),
	};

	curl_global_init(CURL_GLOBAL_ALL);
	return cmocka_run_group_tests_name("module_transcript_daemon", tests,
					   NULL, NULL);
}
