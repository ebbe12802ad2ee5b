/* Exactly once across crashes and restarts. A crash can leave the files
 * in one of a few states; each test builds one of them on disk (what the
 * crash would leave) and checks that reopening and the host's
 * re-delivery end with every line exactly once:
 *  - events offered again after they were recorded are skipped;
 *  - a line (whole or torn) written but not recorded is cut, and the
 *    event, offered again, is written once;
 *  - a torn .state slot falls back to the previous record;
 *  - names from join/update survive a restart, a torn .names line too;
 *  - a failed write answers RETRY and leaves no partial line. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"
#include "txtest.h"

#define A	  TXTEST_BOT_A
#define VTT_START "WEBVTT\n\n"
#define ADA	  "{\"id\":100,\"name\":\"Ada\"}"
#define NAMELESS  "{\"id\":100,\"name\":null}"

static int setup(void **state)
{
	*state = scratch_dir();
	return 0;
}

static int teardown(void **state)
{
	scratch_remove(*state);
	return 0;
}

/* Utterance i of the script: "utterance <i>" at 10 i seconds. */
static void words_of(int i, char *buf, size_t len)
{
	snprintf(buf, len, "utterance %d", i);
}

/* Event seq of a script: seq 1 is Ada's join, seq 2.. are her utterances
 * (nameless, so the name must come from the join). */
static void handle_script(struct tx_instance *ti, int from, int to)
{
	for (int seq = from; seq <= to; seq++) {
		char words[64];

		if (seq == 1) {
			txt_handle_ok(
			    ti,
			    txt_participant_body("participant_events.join", A,
						 ADA, 0.5),
			    1);
			continue;
		}
		words_of(seq, words, sizeof(words));
		txt_handle_ok(ti,
			      txt_transcript_body("transcript.data", A,
						  NAMELESS, words, 10.0 * seq),
			      (uint64_t)seq);
	}
}

/* The files must hold utterances 2..last exactly once, in order. */
static void expect_script(const char *dir, int last)
{
	char *txt = NULL, *vtt = strdup(VTT_START);

	for (int seq = 2; seq <= last; seq++) {
		char words[64];

		words_of(seq, words, sizeof(words));
		txt_expect_line(&txt, "Ada", words, 10.0 * seq);
		txt_expect_cue(&vtt, "Ada", words, 10.0 * seq);
	}
	txt_assert_file(dir, A, ".txt", txt ? txt : "");
	txt_assert_file(dir, A, ".vtt", vtt);
	free(txt);
	free(vtt);
}

/* One daemon run over events from..to. */
static void run(const char *dir, int from, int to)
{
	struct tx_instance ti;

	txt_open_dir(&ti, dir, "");
	handle_script(&ti, from, to);
	txt_close(&ti);
}

static void recorded_events_offered_again_are_skipped(void **state)
{
	const char *dir = *state;

	run(dir, 1, 5);
	run(dir, 1, 7); /* a host that re-delivers everything */
	run(dir, 6, 9);
	expect_script(dir, 9);
}

static void a_line_written_but_not_recorded_is_written_once(void **state)
{
	const char *dir = *state;
	char *line = NULL, *cue = NULL;

	run(dir, 1, 3);
	/* The crash came after event 4's line and cue reached the files
	 * and before its record: what the files then hold. */
	txt_expect_line(&line, "Ada", "utterance 4", 40);
	txt_expect_cue(&cue, "Ada", "utterance 4", 40);
	txt_append_raw(dir, A, ".txt", line);
	txt_append_raw(dir, A, ".vtt", cue);
	run(dir, 4, 6); /* the host offers event 4 again */
	expect_script(dir, 6);
	free(line);
	free(cue);
}

static void a_torn_line_is_cut_before_the_event_is_written_again(void **state)
{
	const char *dir = *state;

	char torn[256];

	/* Longer than the line written next, so only a cut removes it. */
	memset(torn, 'x', sizeof(torn) - 1);
	torn[sizeof(torn) - 1] = '\0';
	memcpy(torn, "[00:00:40] Ad", 13);
	run(dir, 1, 3);
	txt_append_raw(dir, A, ".txt", torn);
	txt_append_raw(dir, A, ".vtt", torn);
	run(dir, 4, 5);
	expect_script(dir, 5);
}

/* Overwrites the middle of the .state slot holding the highest seq. */
static void tear_newest_state_slot(const char *dir)
{
	char *path = txt_file(dir, A, ".state");
	char *text = scratch_read(path, NULL);
	unsigned long long s0, s1;
	int fd;

	assert_non_null(text);
	assert_int_equal(sscanf(text, "%llx", &s0), 1);
	assert_int_equal(sscanf(text + 64, "%llx", &s1), 1);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\0\0\0torn", 7, (s0 > s1 ? 0 : 64) + 20),
			 7);
	close(fd);
	free(text);
	free(path);
}

static void a_torn_state_slot_falls_back_to_the_previous(void **state)
{
	const char *dir = *state;

	run(dir, 1, 4);
	/* Event 4's record was torn: the host never got OK for it. */
	tear_newest_state_slot(dir);
	run(dir, 4, 5);
	expect_script(dir, 5);
}

static void names_survive_a_restart_and_a_torn_names_line(void **state)
{
	const char *dir = *state;

	run(dir, 1, 2);
	txt_append_raw(dir, A, ".names", "3 100 \"Mallo");
	run(dir, 3, 4);
	expect_script(dir, 4);
}

static void bots_closed_to_make_room_reopen_intact(void **state)
{
	const char *dir = *state;
	enum { BOTS = 70 }; /* more than stay open at once */
	struct tx_instance ti;
	uint64_t seq = 1;

	txt_open_dir(&ti, dir, "");
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < BOTS; i++) {
			char bot[32], name[64];

			snprintf(bot, sizeof(bot), "bot-%02d", i);
			snprintf(name, sizeof(name),
				 "{\"id\":7,\"name\":\"Person %d\"}", i);
			txt_handle_ok(
			    &ti,
			    round == 0
				? txt_participant_body(
				      "participant_events.join", bot, name, 1)
				: txt_transcript_body("transcript.data", bot,
						      "{\"id\":7}", "hello", 2),
			    seq++);
		}
	txt_close(&ti);
	for (int i = 0; i < BOTS; i++) {
		char bot[32], want[64];

		snprintf(bot, sizeof(bot), "bot-%02d", i);
		snprintf(want, sizeof(want), "[00:00:02] Person %d: hello\n",
			 i);
		txt_assert_file(dir, bot, ".txt", want);
	}
}

static void a_failed_write_answers_retry_and_leaves_no_trace(void **state)
{
	const char *dir = *state;
	char *path = txt_file(dir, A, ".txt");
	struct tx_instance ti;
	struct rtw_error err = {{0}};
	struct rlimit saved, lim;
	struct stat st;
	char *body;

	txt_open_dir(&ti, dir, "");
	handle_script(&ti, 1, 3);
	assert_int_equal(stat(path, &st), 0);
	/* Writes past 10 more bytes fail as on a full disk. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = saved;
	lim.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	body = txt_transcript_body("transcript.data", A, NAMELESS,
				   "utterance 4", 40);
	assert_int_equal(txt_handle(&ti, body, 4, &err), RTW_RETRY);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_non_null(strstr(err.message, "cannot write"));
	expect_script(dir, 3);
	/* The host offers it again, now with room. */
	txt_handle_ok(&ti, body, 4);
	txt_close(&ti);
	expect_script(dir, 4);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		recorded_events_offered_again_are_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_line_written_but_not_recorded_is_written_once, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_torn_line_is_cut_before_the_event_is_written_again, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_torn_state_slot_falls_back_to_the_previous, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		names_survive_a_restart_and_a_torn_names_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		bots_closed_to_make_room_reopen_intact, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_failed_write_answers_retry_and_leaves_no_trace, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
