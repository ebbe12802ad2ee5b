/* What the transcript handler writes, through its ABI with a mock host:
 * lines and cues from final transcripts, speakers named from the event or
 * from earlier join/update events, partial lines, and what it leaves
 * alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"
#include "txtest.h"

#define A	  TXTEST_BOT_A
#define VTT_START "WEBVTT\n\n"

struct fixture {
	char *dir;
	struct tx_instance ti;
};

static int setup_with(void **state, const char *extra)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = scratch_dir();
	txt_open_dir(&f->ti, f->dir, extra);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, "");
}

static int setup_partials(void **state)
{
	return setup_with(state, ", \"partials\": true");
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	txt_close(&f->ti);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

static char * final(const char *bot, const char *participant, const char *words,
		    double t0)
{
	return txt_transcript_body("transcript.data", bot, participant, words,
				   t0);
}

static void a_fixture_transcript_becomes_a_line_and_a_cue(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	    txt_handle_fixture(&f->ti, TXTEST_FIXTURE("transcript_data.json"),
			       1, NULL),
	    RTW_OK);
	txt_assert_file(
	    f->dir, A, ".txt",
	    "[00:00:14] Ada Lovelace: So the Q3 numbers look good.\n");
	txt_assert_file(f->dir, A, ".vtt",
			VTT_START "00:00:14.020 --> 00:00:15.900\n"
				  "<v Ada Lovelace>So the Q3 numbers look good."
				  "\n\n");
}

static void utterances_are_appended_in_order(void **state)
{
	struct fixture *f = *state;
	char *txt = NULL, *vtt = NULL;

	txt_handle_ok(&f->ti,
		      final(A, "{\"id\":1,\"name\":\"Ada\"}", "one two", 723.4),
		      1);
	txt_handle_ok(&f->ti,
		      final(A, "{\"id\":2,\"name\":\"Bo\"}", "three", 725), 2);
	txt_handle_ok(
	    &f->ti,
	    final(A, "{\"id\":1,\"name\":\"Ada\"}", "four five six", 3725.5),
	    3);
	txt_expect_line(&txt, "Ada", "one two", 723.4);
	txt_expect_line(&txt, "Bo", "three", 725);
	txt_expect_line(&txt, "Ada", "four five six", 3725.5);
	vtt = strdup(VTT_START);
	txt_expect_cue(&vtt, "Ada", "one two", 723.4);
	txt_expect_cue(&vtt, "Bo", "three", 725);
	txt_expect_cue(&vtt, "Ada", "four five six", 3725.5);
	txt_assert_file(f->dir, A, ".txt", txt);
	txt_assert_file(f->dir, A, ".vtt", vtt);
	assert_non_null(strstr(txt, "[01:02:05] Ada: four five six\n"));
	free(txt);
	free(vtt);
}

static void a_nameless_speaker_gets_the_latest_join_or_update_name(void **state)
{
	struct fixture *f = *state;
	char *want = NULL;

	txt_handle_ok(&f->ti,
		      txt_participant_body("participant_events.join", A,
					   "{\"id\":100,\"name\":\"Ada\"}", 1),
		      1);
	txt_handle_ok(&f->ti, final(A, "{\"id\":100,\"name\":null}", "hi", 2),
		      2);
	txt_handle_ok(
	    &f->ti,
	    txt_participant_body("participant_events.update", A,
				 "{\"id\":100,\"name\":\"Ada Lovelace\"}", 3),
	    3);
	txt_handle_ok(&f->ti, final(A, "{\"id\":100}", "again", 4), 4);
	/* An update without a name (an email arriving) keeps the name. */
	txt_handle_ok(&f->ti,
		      txt_participant_body(
			  "participant_events.update", A,
			  "{\"id\":100,\"name\":null,\"email\":\"a@x\"}", 5),
		      5);
	txt_handle_ok(&f->ti,
		      final(A, "{\"id\":100,\"name\":\"\"}", "still", 6), 6);
	/* Other participant events do not name anyone. */
	txt_handle_ok(
	    &f->ti,
	    txt_participant_body("participant_events.leave", A,
				 "{\"id\":100,\"name\":\"Someone Else\"}", 7),
	    7);
	txt_handle_ok(&f->ti, final(A, "{\"id\":100,\"name\":null}", "last", 8),
		      8);
	txt_expect_line(&want, "Ada", "hi", 2);
	txt_expect_line(&want, "Ada Lovelace", "again", 4);
	txt_expect_line(&want, "Ada Lovelace", "still", 6);
	txt_expect_line(&want, "Ada Lovelace", "last", 8);
	txt_assert_file(f->dir, A, ".txt", want);
	free(want);
}

static void the_event_name_wins_over_the_remembered_one(void **state)
{
	struct fixture *f = *state;

	txt_handle_ok(&f->ti,
		      txt_participant_body("participant_events.join", A,
					   "{\"id\":100,\"name\":\"Ada\"}", 1),
		      1);
	txt_handle_ok(
	    &f->ti, final(A, "{\"id\":100,\"name\":\"Countess\"}", "hi", 2), 2);
	txt_assert_file(f->dir, A, ".txt", "[00:00:02] Countess: hi\n");
}

static void unknown_speakers_are_labelled_by_id(void **state)
{
	struct fixture *f = *state;

	txt_handle_ok(&f->ti,
		      txt_participant_body("participant_events.join", A,
					   "{\"id\":100,\"name\":\"Ada\"}", 1),
		      1);
	txt_handle_ok(&f->ti, final(A, "{\"id\":300,\"name\":null}", "who", 2),
		      2);
	txt_handle_ok(&f->ti, final(A, "null", "nobody", 3), 3);
	assert_int_equal(txt_handle_fixture(
			     &f->ti,
			     TXTEST_FIXTURE("transcript_null_end_and_id.json"),
			     4, NULL),
			 RTW_OK);
	txt_assert_file(
	    f->dir, A, ".txt",
	    "[00:00:02] participant 300: who\n"
	    "[00:00:03] unknown speaker: nobody\n"
	    "[00:00:00] unknown speaker: Okay, can everyone hear me?\n");
}

static void unicode_stays_and_newlines_cannot_break_lines(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	    txt_handle_fixture(&f->ti, TXTEST_FIXTURE("join_unicode_name.json"),
			       1, NULL),
	    RTW_OK);
	txt_handle_ok(
	    &f->ti,
	    final(A, "{\"id\":300,\"name\":null}", "Grüß dich, 李雷 😀", 2), 2);
	txt_handle_ok(&f->ti,
		      final(A, "{\"id\":5,\"name\":\"Eve\\nEvil\\r\"}",
			    "line\none\u2028two", 3),
		      3);
	txt_assert_file(f->dir, A, ".txt",
			"[00:00:02] Zoë Ångström 李雷 🎧: Grüß dich, 李雷 😀\n"
			"[00:00:03] Eve Evil : line one two\n");
	txt_assert_file(f->dir, A, ".vtt",
			VTT_START "00:00:02.000 --> 00:00:03.900\n"
				  "<v Zoë Ångström 李雷 🎧>Grüß dich, 李雷 😀\n\n"
				  "00:00:03.000 --> 00:00:03.400\n"
				  "<v Eve Evil >line one two\n\n");
}

static void other_events_are_acknowledged_and_write_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const fixtures[] = {
	    "speech_on.json",
	    "chat_message.json",
	    "leave.json",
	    "webcam_on.json",
	    "unknown_type.json",
	    "transcript_provider_data.json",
	    "transcript_partial_data.json",
	};

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s", TXTEST_FIXTURE(""));
		strncat(path, fixtures[i], sizeof(path) - strlen(path) - 1);
		assert_int_equal(txt_handle_fixture(&f->ti, path, i + 1, NULL),
				 RTW_OK);
	}
	assert_null(txt_read(f->dir, A, ".txt"));
	assert_null(txt_read(f->dir, A, ".partial"));
}

static void empty_words_write_nothing_and_broken_words_fail(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};
	const char *broken =
	    "{\"event\":\"transcript.data\",\"data\":{\"data\":{\"words\":"
	    "\"nope\",\"participant\":null},\"bot\":{\"id\":\"" A "\"}}}";

	assert_int_equal(
	    txt_handle_fixture(
		&f->ti, TXTEST_FIXTURE("transcript_empty_words.json"), 1, NULL),
	    RTW_OK);
	txt_assert_file(f->dir, A, ".txt", "");
	assert_int_equal(txt_handle(&f->ti, broken, 2, &err), RTW_FAIL);
	assert_non_null(strstr(err.message, "words"));
	txt_assert_file(f->dir, A, ".txt", "");
	txt_assert_file(f->dir, A, ".vtt", VTT_START);
}

static void each_bot_has_its_own_files(void **state)
{
	struct fixture *f = *state;

	txt_handle_ok(&f->ti,
		      txt_participant_body("participant_events.join",
					   TXTEST_BOT_B,
					   "{\"id\":100,\"name\":\"Bea\"}", 1),
		      1);
	txt_handle_ok(&f->ti,
		      final(A, "{\"id\":100,\"name\":null}", "from a", 2), 2);
	txt_handle_ok(
	    &f->ti,
	    final(TXTEST_BOT_B, "{\"id\":100,\"name\":null}", "from b", 3), 3);
	txt_assert_file(f->dir, A, ".txt",
			"[00:00:02] participant 100: from a\n");
	txt_assert_file(f->dir, TXTEST_BOT_B, ".txt",
			"[00:00:03] Bea: from b\n");
}

static void hostile_bot_ids_stay_inside_the_directory(void **state)
{
	struct fixture *f = *state;
	char *outside = NULL;

	txt_handle_ok(&f->ti, final("../escaped", "null", "x", 1), 1);
	txt_handle_ok(&f->ti, final("..", "null", "y", 2), 2);
	txt_handle_ok(&f->ti, final("a/b\n", "null", "z", 3), 3);
	txt_assert_file(f->dir, "%2E%2E%2Fescaped", ".txt",
			"[00:00:01] unknown speaker: x\n");
	txt_assert_file(f->dir, "%2E%2E", ".txt",
			"[00:00:02] unknown speaker: y\n");
	txt_assert_file(f->dir, "a%2Fb%0A", ".txt",
			"[00:00:03] unknown speaker: z\n");
	assert_true(asprintf(&outside, "%s/../escaped.txt", f->dir) > 0);
	assert_int_not_equal(access(outside, F_OK), 0);
	free(outside);
}

static void recordings_without_a_bot_use_the_recording_id(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(txt_handle_fixture(
			     &f->ti, TXTEST_FIXTURE("bot_null.json"), 1, NULL),
			 RTW_OK);
	txt_assert_file(f->dir, "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", ".txt",
			"[00:44:59] Ada Lovelace: Thanks, bye.\n");
}

static void an_utterance_with_nowhere_to_go_fails(void **state)
{
	struct fixture *f = *state;
	struct rtw_error err = {{0}};
	const char *body = "{\"event\":\"transcript.data\",\"data\":{\"data\":"
			   "{\"words\":[],\"participant\":null}}}";

	assert_int_equal(txt_handle(&f->ti, body, 1, &err), RTW_FAIL);
	assert_non_null(strstr(err.message, "neither bot nor recording"));
}

static void partial_lines_show_the_latest_per_speaker(void **state)
{
	struct fixture *f = *state;
	const char *ada = "{\"id\":1,\"name\":\"Ada\"}";
	const char *bo = "{\"id\":2,\"name\":\"Bo\"}";

	txt_handle_ok(
	    &f->ti,
	    txt_transcript_body("transcript.partial_data", A, ada, "so", 10),
	    1);
	txt_assert_file(f->dir, A, ".partial", "[00:00:10] Ada: so\n");
	txt_handle_ok(
	    &f->ti,
	    txt_transcript_body("transcript.partial_data", A, bo, "and", 11),
	    2);
	txt_handle_ok(&f->ti,
		      txt_transcript_body("transcript.partial_data", A, ada,
					  "so the", 10),
		      3);
	txt_assert_file(f->dir, A, ".partial",
			"[00:00:10] Ada: so the\n[00:00:11] Bo: and\n");
	/* Partials never reach the transcript. */
	txt_assert_file(f->dir, A, ".txt", "");
	/* A final line replaces its speaker's partial line. */
	txt_handle_ok(&f->ti, final(A, ada, "so the end", 10), 4);
	txt_assert_file(f->dir, A, ".partial", "[00:00:11] Bo: and\n");
	txt_assert_file(f->dir, A, ".txt", "[00:00:10] Ada: so the end\n");
	txt_handle_ok(&f->ti, final(A, bo, "and more", 11), 5);
	txt_assert_file(f->dir, A, ".partial", "");
	assert_null(txt_read(f->dir, A, ".partial.tmp"));
}

static void partials_are_ignored_unless_configured(void **state)
{
	struct fixture *f = *state;

	txt_handle_ok(&f->ti,
		      txt_transcript_body("transcript.partial_data", A,
					  "{\"id\":1,\"name\":\"Ada\"}", "so",
					  10),
		      1);
	assert_null(txt_read(f->dir, A, ".partial"));
	assert_null(txt_read(f->dir, A, ".txt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_fixture_transcript_becomes_a_line_and_a_cue, setup, teardown),
	    cmocka_unit_test_setup_teardown(utterances_are_appended_in_order,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_nameless_speaker_gets_the_latest_join_or_update_name, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		the_event_name_wins_over_the_remembered_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_speakers_are_labelled_by_id,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		unicode_stays_and_newlines_cannot_break_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		other_events_are_acknowledged_and_write_nothing, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		empty_words_write_nothing_and_broken_words_fail, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(each_bot_has_its_own_files, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		hostile_bot_ids_stay_inside_the_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		recordings_without_a_bot_use_the_recording_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		an_utterance_with_nowhere_to_go_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		partial_lines_show_the_latest_per_speaker, setup_partials,
		teardown),
	    cmocka_unit_test_setup_teardown(
		partials_are_ignored_unless_configured, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
