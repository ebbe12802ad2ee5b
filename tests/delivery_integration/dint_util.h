/* dint_util: what the delivery integration tests share on top of the
 * daemon harness (tests/integration/daemon_harness.h): whole configuration
 * files with a spool group of the test's choosing, events that carry a
 * mark naming their bot and index, a sender that behaves like Recall
 * (sequential, retry every second up to 60 times), and readers for the
 * outputs of the jsonl and flaky handlers.
 *
 * Every wait is bounded. Functions print what went wrong on stderr. */
#ifndef DINT_UTIL_H
#define DINT_UTIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon_harness.h"

#ifndef DINT_FLAKY_MODULE
#error "DINT_FLAKY_MODULE must name the flaky test module (.so)"
#endif

#define DINT_JSON "application/json"
/* The endpoint path; its token is dint_token() (unique per test process,
 * so a sender that reaches another test's daemon on a reused port is
 * refused rather than acknowledged). */
#define DINT_PATH "/recall/events"

/* Event types the tests cycle through; dint_event picks one by index. */
enum dint_kind {
	DINT_TRANSCRIPT, /* transcript.data: words "<mark> said" */
	DINT_CHAT,	 /* participant_events.chat_message: text "<mark>" */
	DINT_SPEECH,	 /* participant_events.speech_on: relative idx + .25 */
};

const char *dint_token(void);
/* "/recall/events?token=<dint_token()>" */
const char *dint_target(void);

/* Writes the whole d->conf: listen on 127.0.0.1 port 0, spool in
 * @DIR@/spool with spool_extra inside the group ("" for defaults), the
 * endpoint DINT_PATH with dint_token(), then rest (limits, dedup,
 * handlers, ...). "@DIR@" becomes d->dir, "@FLAKY@" the flaky module's
 * path. */
int dint_configure(struct daemon *d, const char *spool_extra, const char *rest);
/* For cmocka: a daemon configured with dint_configure(d, "", rest) and
 * started, in *state; on failure everything is freed (cmocka skips the
 * teardown of a failed setup). Tear down with daemon_teardown. */
int dint_setup(void **state, const char *rest);
/* The same with endpoint_extra inside the endpoint's group (e.g.
 * signing_secrets). */
int dint_configure_full(struct daemon *d, const char *spool_extra,
			const char *endpoint_extra, const char *rest);

/* The mark of event idx of bot: "<bot>:<idx, 4 digits>". */
void dint_mark(const char *bot, int idx, char *buf, size_t len);
enum dint_kind dint_kind_of(int idx);
/* Event idx of bot as a JSON body in buf (of kind dint_kind_of(idx)).
 * The mark appears exactly once in the body. Returns the length. */
size_t dint_event(const char *bot, int idx, char *buf, size_t len);
/* The same with a given kind. */
size_t dint_event_kind(const char *bot, int idx, enum dint_kind kind, char *buf,
		       size_t len);

/* POSTs one body once to 127.0.0.1:port (headers: extra "Name: value",
 * NULL-terminated, may be NULL). Returns the status, 0 when no answer.
 * retry_after (may be NULL) gets the Retry-After header or "". */
long dint_post(int port, const char *body, size_t len,
	       const char *const *headers, char *retry_after, size_t ralen);

/* A sender that behaves like Recall toward one endpoint: POSTs an event,
 * and on a network error, a timeout or a non-2xx answer sends the same
 * event again one second later, up to 60 times, then gives up. It reads
 * the daemon's port from *port at every attempt (it changes on restart). */
struct dint_sender {
	const atomic_int *port;
	const atomic_int *abandon; /* when set and nonzero: give up now */
	long timeout_s;		   /* per attempt; 0: 5 s */
	int max_retries;	   /* 0: 60 */
	long retry_ms;		   /* 0: 1000 */
	int fresh_connections;	   /* a new connection per request */
	void *curl;		   /* one handle: its connection is reused */
	/* Counters. */
	unsigned long attempts, retries, gave_up;
};
void dint_sender_init(struct dint_sender *s, const atomic_int *port);
void dint_sender_free(struct dint_sender *s);
/* Sends body until a 2xx or giving up. Returns the final status (2xx),
 * or 0 when it gave up. */
long dint_sender_send(struct dint_sender *s, const char *body, size_t len);

/* One line of the flaky handler's output: "<seq> <bot> <type> <text>". */
struct flaky_line {
	uint64_t seq;
	char bot[64];
	char type[64];
	char text[256];
	int idx; /* the event index (from the mark or the relative time), or
		    -1 when it cannot be told */
};
/* Reads path into an array of parsed lines (*n of them). Lines starting
 * with "!" (flaky's report of a broken host promise) are counted in
 * *alarms (may be NULL) and not returned. NULL with *n = 0 when the file
 * does not exist. Free with free(). */
struct flaky_line *flaky_read(const char *path, size_t *n, size_t *alarms);

/* One event found in the jsonl handler's output. */
struct jsonl_entry {
	uint64_t seq;
	char bot[64];
	int idx;
};
/* Reads path; every line must be a JSON object carrying _rtwebhookd.seq
 * and a mark. NULL with *n = 0 when the file does not exist. *bad counts
 * lines that do not parse. Free with free(). */
struct jsonl_entry *jsonl_read(const char *path, size_t *n, size_t *bad);

/* Checks that the entries of bot, in file order, are exactly indices
 * expect[0..nexpect) in that order (each once, nothing else). Returns 0,
 * or -1 with the first difference printed. seen_idx/seen_n are the
 * indices found for that bot, in file order. */
int dint_check_sequence(const char *what, const char *bot, const int *seen,
			size_t nseen, const int *expect, size_t nexpect);

/* The indices of bot's entries in file order, into out (room for n);
 * returns how many. Also checks that their seqs increase in file order
 * (-1 in *seq_ok otherwise, 0 when they do). */
size_t dint_flaky_indices(const struct flaky_line *l, size_t n, const char *bot,
			  int *out, int *seq_ok);
size_t dint_jsonl_indices(const struct jsonl_entry *e, size_t n,
			  const char *bot, int *out, int *seq_ok);
/* dint_check_sequence against first, first + 1, ..., first + count - 1. */
int dint_check_range(const char *what, const char *bot, const int *seen,
		     size_t nseen, int first, int count);
/* For a flaky output: bot's events are exactly 0..count-1, in order, each
 * once, with increasing seqs. Returns 0 or -1 (printed). */
int dint_flaky_bot_exact(const struct flaky_line *l, size_t n, const char *bot,
			 int count);

/* Waits up to timeout_ms until fn(arg) returns nonzero, polling every
 * 20 ms; returns the last value of fn. */
int dint_wait_until(int (*fn)(void *arg), void *arg, long timeout_ms);

/* Waits until the file at path holds needle at least n times, or the
 * count has not grown for idle_ms, or max_ms have passed; returns the
 * count then. For outputs that may never be complete (a failing test
 * should not wait out the full bound). */
size_t dint_wait_count_settled(const char *path, const char *needle, size_t n,
			       long idle_ms, long max_ms);

/* Milliseconds on the monotonic clock. */
int64_t dint_now_ms(void);
void dint_sleep_ms(long ms);

/* Counts from the daemon's last "stopped: ..." log line: events accepted,
 * handler OK, RETRY and FAIL answers. -1 when no such line. */
int dint_last_summary(const struct daemon *d, unsigned long long *accepted,
		      unsigned long long *ok, unsigned long long *retried,
		      unsigned long long *failed);

/* The number of spool segment files in dir ("*.seg"... whatever the
 * spool names them: files whose name parses as a segment). */
size_t dint_count_segments(const char *spool_dir);

#endif
