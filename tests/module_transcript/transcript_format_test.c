/* The pieces of the output format, table-driven, compiled from the
 * module's own sources: clock stamps, WebVTT times, text made safe for
 * one line, WebVTT escaping, cue end rules and bot ids as file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transcript.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void clock_stamps_are_the_second_of_the_first_word(void **state)
{
	static const struct {
		double rel;
		const char *clock, *vtt;
	} cases[] = {
	    {0.0, "00:00:00", "00:00:00.000"},
	    {14.02, "00:00:14", "00:00:14.020"},
	    {59.9996, "00:01:00", "00:01:00.000"}, /* ms rounding */
	    {723.5, "00:12:03", "00:12:03.500"},
	    {3600 * 5 + 61.25, "05:01:01", "05:01:01.250"},
	    {3600.0 * 123, "123:00:00", "123:00:00.000"},
	    {-3.2, "00:00:00", "00:00:00.000"}, /* before recording start */
	    {1e300, "99999:59:59", "99999:59:59.000"}, /* clamped */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char clock[32], vtt[32];

		tx_format_clock(cases[i].rel, clock);
		tx_format_vtt_time(cases[i].rel, vtt);
		if (strcmp(clock, cases[i].clock) != 0 ||
		    strcmp(vtt, cases[i].vtt) != 0)
			fail_msg("%g: got %s / %s, want %s / %s", cases[i].rel,
				 clock, vtt, cases[i].clock, cases[i].vtt);
	}
}

static void line_breaks_and_controls_become_spaces(void **state)
{
	static const struct {
		const char *in, *line, *vtt;
	} cases[] = {
	    {"plain", "plain", "plain"},
	    {"two\nlines", "two lines", "two lines"},
	    {"cr\r\nlf", "cr  lf", "cr  lf"},
	    {"tab\there", "tab here", "tab here"},
	    {"nel\xc2\x85x", "nel x", "nel x"},
	    {"ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls ps ", "ls ps "},
	    {"del\x7f", "del ", "del "},
	    {"Grüß dich, 李雷 — 😀", "Grüß dich, 李雷 — 😀",
	     "Grüß dich, 李雷 — 😀"},
	    {"a<b & c>d --> e", "a<b & c>d --> e",
	     "a&lt;b &amp; c&gt;d --&gt; e"},
	    {"\xe2\x80\x94 dash stays", "\xe2\x80\x94 dash stays",
	     "\xe2\x80\x94 dash stays"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tx_buf line = {0}, vtt = {0};

		assert_int_equal(tx_buf_add_line_safe(&line, cases[i].in), 0);
		assert_int_equal(tx_buf_add_vtt_safe(&vtt, cases[i].in), 0);
		if (strcmp(line.data, cases[i].line) != 0 ||
		    strcmp(vtt.data, cases[i].vtt) != 0)
			fail_msg("case %zu: got '%s' / '%s'", i, line.data,
				 vtt.data);
		tx_buf_free(&line);
		tx_buf_free(&vtt);
	}
}

/* Reads words (JSON text) and formats the cue with speaker "S". */
static char *cue_of(const char *words_json, int *rc)
{
	char *text = NULL;
	json_t *payload;
	struct tx_utterance u = {0};
	struct tx_buf cue = {0};
	struct rtw_error err = {{0}};

	assert_true(asprintf(&text, "{\"words\": %s}", words_json) > 0);
	payload = json_loads(text, 0, NULL);
	assert_non_null(payload);
	*rc = tx_utterance_read(payload, &u, &err);
	if (*rc == 1)
		assert_int_equal(tx_format_cue(&cue, &u, "S"), 0);
	tx_utterance_free(&u);
	json_decref(payload);
	free(text);
	return cue.data; /* NULL when nothing was formatted */
}

static void cue_timings_come_from_the_word_timestamps(void **state)
{
	static const struct {
		const char *words, *cue;
	} cases[] = {
	    /* start of the first word, end of the last */
	    {"[{\"text\":\"a\",\"start_timestamp\":{\"relative\":1.5},"
	     "\"end_timestamp\":{\"relative\":1.7}},"
	     "{\"text\":\"b\",\"start_timestamp\":{\"relative\":1.8},"
	     "\"end_timestamp\":{\"relative\":2.25}}]",
	     "00:00:01.500 --> 00:00:02.250\n<v S>a b\n\n"},
	    /* the last word has no end: the latest time any word has */
	    {"[{\"text\":\"a\",\"start_timestamp\":{\"relative\":1.5},"
	     "\"end_timestamp\":{\"relative\":1.9}},"
	     "{\"text\":\"b\",\"start_timestamp\":{\"relative\":1.8},"
	     "\"end_timestamp\":null}]",
	     "00:00:01.500 --> 00:00:01.900\n<v S>a b\n\n"},
	    /* one word without an end: one second on screen */
	    {"[{\"text\":\"a\",\"start_timestamp\":{\"relative\":3}}]",
	     "00:00:03.000 --> 00:00:04.000\n<v S>a\n\n"},
	    /* a first word without a start: the first start there is */
	    {"[{\"text\":\"a\"},{\"text\":\"b\",\"start_timestamp\":"
	     "{\"relative\":2},\"end_timestamp\":{\"relative\":2.5}}]",
	     "00:00:02.000 --> 00:00:02.500\n<v S>a b\n\n"},
	    /* empty and non-string word texts are skipped */
	    {"[{\"text\":\"\",\"start_timestamp\":{\"relative\":1}},"
	     "{\"text\":7},{\"text\":\"x\",\"start_timestamp\":"
	     "{\"relative\":2},\"end_timestamp\":{\"relative\":2.5}}]",
	     "00:00:02.000 --> 00:00:02.500\n<v S>x\n\n"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int rc;
		char *cue = cue_of(cases[i].words, &rc);

		assert_int_equal(rc, 1);
		if (strcmp(cue, cases[i].cue) != 0)
			fail_msg("case %zu: got\n%swant\n%s", i, cue,
				 cases[i].cue);
		free(cue);
	}
}

static void utterances_without_words_or_times_are_told_apart(void **state)
{
	int rc;

	(void)state;
	assert_null(cue_of("[]", &rc));
	assert_int_equal(rc, 0); /* nothing to write */
	assert_null(cue_of("[{\"text\":\"\"}]", &rc));
	assert_int_equal(rc, 0);
	assert_null(cue_of("[{\"text\":\"a\"}]", &rc));
	assert_int_equal(rc, -1); /* a word but no time: malformed */
	assert_null(cue_of("{\"not\":\"a list\"}", &rc));
	assert_int_equal(rc, -1);
}

static void bot_ids_become_names_inside_the_directory(void **state)
{
	static const struct {
		const char *id, *stem;
	} cases[] = {
	    {"5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c",
	     "5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c"},
	    {"..", "%2E%2E"},
	    {"../../etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"},
	    {"/abs", "%2Fabs"},
	    {"a\nb\x01", "a%0Ab%01"},
	    {"100%", "100%25"},
	    {"bot.txt", "bot%2Etxt"},
	    {"ü", "%C3%BC"},
	    {"under_score", "under_score"},
	};
	char stem[TX_STEM_MAX + 1];
	char long_id[TX_STEM_MAX + 2];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(tx_stem_encode(cases[i].id, stem), 0);
		assert_string_equal(stem, cases[i].stem);
	}
	assert_int_equal(tx_stem_encode("", stem), -1);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(tx_stem_encode(long_id, stem), -1);
	long_id[TX_STEM_MAX] = '\0'; /* exactly TX_STEM_MAX fits */
	assert_int_equal(tx_stem_encode(long_id, stem), 0);
	memset(long_id, '/', TX_STEM_MAX / 3 + 1); /* 3 bytes each */
	long_id[TX_STEM_MAX / 3 + 1] = '\0';
	assert_int_equal(tx_stem_encode(long_id, stem), -1);
}

static void lines_carry_stamp_speaker_and_text(void **state)
{
	struct tx_utterance u = {.start = 723.02, .end = 724};
	struct tx_buf line = {0}, cue = {0};

	(void)state;
	tx_buf_add(&u.text, "Let's\nreview <it>", 17);
	assert_int_equal(tx_format_line(&line, &u, "Ada\r\nLovelace"), 0);
	assert_string_equal(line.data,
			    "[00:12:03] Ada  Lovelace: Let's review <it>\n");
	assert_int_equal(tx_format_cue(&cue, &u, "A&B <x>"), 0);
	assert_string_equal(cue.data,
			    "00:12:03.020 --> 00:12:04.000\n"
			    "<v A&amp;B &lt;x&gt;>Let's review &lt;it&gt;\n\n");
	tx_buf_free(&line);
	tx_buf_free(&cue);
	tx_utterance_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(clock_stamps_are_the_second_of_the_first_word),
	    cmocka_unit_test(line_breaks_and_controls_become_spaces),
	    cmocka_unit_test(cue_timings_come_from_the_word_timestamps),
	    cmocka_unit_test(utterances_without_words_or_times_are_told_apart),
	    cmocka_unit_test(bot_ids_become_names_inside_the_directory),
	    cmocka_unit_test(lines_carry_stamp_speaker_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
