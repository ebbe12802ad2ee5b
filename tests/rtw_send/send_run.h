/* send_run.c: running the built rtw-send binary and the files the tests
 * give it. */
#ifndef RTW_SEND_RUN_H
#define RTW_SEND_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct send_result {
	int status;      /* exit status, or 128 + signal */
	char *out, *err; /* everything it printed, NUL-terminated */
	int64_t start_us; /* server_now_us() just before it was started */
	int64_t elapsed_us;
};

/* Runs rtw-send with args (NULL-terminated, without argv[0]) and waits
 * for it. Returns 0, or -1 when it could not be started. */
int send_run(struct send_result *r, const char *const *args);
void send_result_free(struct send_result *r);

/* The --json summary printed by a run (a new reference), or NULL. */
json_t *send_summary(const struct send_result *r);

/* A private temporary directory, and a path inside it. */
char *tmpdir_make(void);
void tmpdir_remove(char *dir);
char *tmpdir_path(const char *dir, const char *name);

/* Writes text to path. Returns 0 or -1. */
int write_file(const char *path, const char *text);
/* Reads path whole (NUL-terminated), or NULL. */
char *read_file(const char *path, size_t *len);

/* A compact participant_events.chat_message whose text is marker, at
 * relative time rel, for bot_id (NULL: the event has no bot). Free the
 * result. */
char *chat_event(const char *bot_id, const char *marker, double rel);

/* The test bots' ids and the markers of their events: "[b<bot>/e<ev>]",
 * distinct as substrings. */
void test_bot_id(unsigned bot, char out[40]);
void test_marker(unsigned bot, unsigned ev, char out[32]);

/* Writes nbots x nevents chat events to path: event 0 of every bot, then
 * event 1... (interleaved) or bot after bot. Returns 0 or -1. */
int write_events(const char *path, unsigned nbots, unsigned nevents,
		 int interleaved);

/* The "data.bot.id" of a request body, or NULL. Free the result. */
char *body_bot_id(const char *body);

#endif
