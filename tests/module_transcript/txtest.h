/* txtest: what the transcript handler's tests share. A mock host that
 * keeps its log lines, loading transcript.so and driving it through its
 * ABI, event bodies built from a few parameters (with jansson, so any
 * text is escaped right), the lines and cues the handler should write for
 * them (built independently of the module), and reading files back.
 * Failures fail the running cmocka test. */
#ifndef RTW_TEST_TXTEST_H
#define RTW_TEST_TXTEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"
#include "module.h"

#define TXTEST_MODULE	     RTW_BINARY_DIR "/handlers/transcript.so"
#define TXTEST_FIXTURE(name) RTW_TEST_SOURCE_DIR "/fixtures/events/" name
#define TXTEST_BOT_A	     "5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c"
#define TXTEST_BOT_B	     "b0b0b0b0-0000-4000-8000-00000000000b"

struct mock_host {
	struct rtw_host host; /* first: the module is given &host */
	char last_log[1024];
	int nlogs;
};

struct tx_instance {
	struct module module;
	struct mock_host mock;
	void *state;
	int initialized;
};

/* Loads transcript.so and runs init on config_json; returns its result. */
int txt_open(struct tx_instance *ti, const char *config_json,
	     struct rtw_error *err);
/* Opens on {"dir": dir} plus extra members ("" or ", \"partials\": true"),
 * failing the test unless init succeeds. */
void txt_open_dir(struct tx_instance *ti, const char *dir, const char *extra);
void txt_close(struct tx_instance *ti);

/* Event bodies, malloc'd JSON text. participant is a JSON object text
 * such as {"id":100,"name":"Ada"}, or "null". words are separated by
 * single spaces; word i starts at t0 + 0.5 i and ends 0.4 s later. */
char *txt_transcript_body(const char *type, const char *bot,
			  const char *participant, const char *words,
			  double t0);
char *txt_participant_body(const char *type, const char *bot,
			   const char *participant, double rel);

/* Hands over body as event seq; returns the answer (err may be NULL). */
enum rtw_result txt_handle(struct tx_instance *ti, const char *body,
			   uint64_t seq, struct rtw_error *err);
/* The same, failing the test unless the answer is RTW_OK. Frees body. */
void txt_handle_ok(struct tx_instance *ti, char *body, uint64_t seq);
/* Hands over a fixture file as event seq; returns the answer. */
enum rtw_result txt_handle_fixture(struct tx_instance *ti, const char *path,
				   uint64_t seq, struct rtw_error *err);

/* What the handler should write for an utterance of words starting at t0
 * (as txt_transcript_body lays them out) by speaker: the .txt line and
 * the .vtt cue, appended to a malloc'd string *acc (NULL to start). */
void txt_expect_line(char **acc, const char *speaker, const char *words,
		     double t0);
void txt_expect_cue(char **acc, const char *speaker, const char *words,
		    double t0);

/* "<dir>/<stem><suffix>", malloc'd; stem is the bot id when it needs no
 * encoding. */
char *txt_file(const char *dir, const char *stem, const char *suffix);
/* The whole file (NUL-terminated, malloc'd), or NULL when missing. */
char *txt_read(const char *dir, const char *stem, const char *suffix);
/* Fails the test unless the file holds exactly want (names both). */
void txt_assert_file(const char *dir, const char *stem, const char *suffix,
		     const char *want);
/* Appends text to a file (simulating what a crash leaves behind). */
void txt_append_raw(const char *dir, const char *stem, const char *suffix,
		    const char *text);

#endif
