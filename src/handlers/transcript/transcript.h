/* transcript: internal interfaces of the transcript handler, grouped by
 * the file that implements them. Only the module's own files include it;
 * the module speaks to the daemon through <rtwebhookd/handler.h> alone.
 *
 * Files of one bot, in the output directory, named from the bot id
 * encoded by tx_stem_encode ("<stem>"):
 *   <stem>.txt      final utterances, one "[hh:mm:ss] Speaker: text" line each
 *   <stem>.vtt      the same as WebVTT cues
 *   <stem>.partial  the current partial line per speaker (config partials)
 *   <stem>.names    participant names seen in join/update events (a log)
 *   <stem>.state    the last event written and the sizes of .txt and .vtt
 *                   after it: what makes a re-delivered event harmless */
#ifndef RTW_TRANSCRIPT_H
#define RTW_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rtwebhookd/handler.h"

/* tx_config.c: the handler's `config` group. */
struct tx_config {
	char *dir;    /* output directory (created when missing) */
	int partials; /* keep <stem>.partial up to date */
	int fsync;    /* fdatasync before answering OK */
};
int tx_config_parse(const json_t *config, struct tx_config *out,
		    struct rtw_error *err);
void tx_config_free(struct tx_config *c);

/* tx_stem.c: file names from bot ids. */
#define TX_STEM_MAX 200 /* leaves room for the longest suffix in NAME_MAX */
/* Encodes id into out (room for TX_STEM_MAX + 1): [A-Za-z0-9_-] stay,
 * every other byte becomes %XX. The result never holds '/', '.', or a
 * control character, so it names a file inside the directory, and no two
 * ids share a stem. Returns 0, or -1 for an empty or too long id. */
int tx_stem_encode(const char *id, char *out);

/* tx_buf.c: a growing text buffer, and text made safe for one line. */
struct tx_buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
};
int tx_buf_add(struct tx_buf *b, const char *s, size_t n);
int tx_buf_printf(struct tx_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s with every line break or control character (C0, DEL, C1,
 * U+2028, U+2029) turned into a space, so it cannot break a line. */
int tx_buf_add_line_safe(struct tx_buf *b, const char *s);
/* The same, also escaping & < > for WebVTT cue text. */
int tx_buf_add_vtt_safe(struct tx_buf *b, const char *s);
void tx_buf_reset(struct tx_buf *b);
void tx_buf_free(struct tx_buf *b);

/* tx_utterance.c: one transcript event's words as an utterance. */
struct tx_utterance {
	double start;	    /* relative seconds: the first word's start */
	double end;	    /* the last word's end (see tx_utterance_read) */
	struct tx_buf text; /* the words joined with spaces (raw) */
};
/* Reads payload.words. Returns 1 with u filled, 0 when there is no word
 * to write (empty list), -1 with err set when the payload is malformed
 * (no words array, no word with a start time). */
int tx_utterance_read(const json_t *payload, struct tx_utterance *u,
		      struct rtw_error *err);
void tx_utterance_free(struct tx_utterance *u);
/* "[hh:mm:ss] Speaker: text\n" */
int tx_format_line(struct tx_buf *out, const struct tx_utterance *u,
		   const char *speaker);
/* "hh:mm:ss.mmm --> hh:mm:ss.mmm\n<v Speaker>text\n\n" */
int tx_format_cue(struct tx_buf *out, const struct tx_utterance *u,
		  const char *speaker);
/* Relative seconds (clamped to 0 and a bound) as "hh:mm:ss" and as
 * "hh:mm:ss.mmm"; out has room for 32 bytes. */
void tx_format_clock(double rel, char *out);
void tx_format_vtt_time(double rel, char *out);

/* tx_io.c: small file helpers; -1 with errno set on failure. */
int tx_write_at(int fd, const char *buf, size_t len, off_t at);
int tx_sync(int fd, int enabled);
int tx_open_in(int dirfd, const char *stem, const char *suffix, int flags,
	       int *created);

/* tx_state.c: <stem>.state, two checksummed slots written in turn, so a
 * torn write leaves the previous record readable. */
struct tx_record {
	uint64_t seq;	   /* the last event written (0: none yet) */
	uint64_t txt_size; /* <stem>.txt's size after it */
	uint64_t vtt_size; /* <stem>.vtt's size after it */
};
struct tx_state {
	int fd;
	unsigned next_slot;
	int found; /* a valid record was read at open */
	struct tx_record rec;
};
int tx_state_open(struct tx_state *st, int dirfd, const char *stem,
		  struct rtw_error *err);
/* Writes rec into the next slot (and syncs when asked); st->rec becomes
 * rec only on success. */
int tx_state_save(struct tx_state *st, const struct tx_record *rec, int sync,
		  struct rtw_error *err);
void tx_state_close(struct tx_state *st);

/* tx_names.c: participant names by id, kept in <stem>.names as lines
 * "<seq> <id> <JSON string>", the highest seq winning per id. */
struct tx_name {
	int64_t id;
	uint64_t seq;
	char *name;
};
struct tx_names {
	int fd;
	off_t end;
	struct tx_name *v;
	size_t n, cap;
};
int tx_names_open(struct tx_names *nm, int dirfd, const char *stem,
		  const struct rtw_host *host, struct rtw_error *err);
int tx_names_record(struct tx_names *nm, uint64_t seq, int64_t id,
		    const char *name, int sync, struct rtw_error *err);
const char *tx_names_get(const struct tx_names *nm, int64_t id);
void tx_names_close(struct tx_names *nm);

/* tx_partial.c: the current partial line per speaker, and <stem>.partial
 * rewritten whole (temporary file, then rename) on every change. */
struct tx_partial_line {
	char *key;
	char *line;
};
struct tx_partials {
	struct tx_partial_line *v;
	size_t n, cap;
};
/* Sets key's line (replacing it); 0 / -1 (out of memory). */
int tx_partials_set(struct tx_partials *p, const char *key, const char *line);
/* Drops key's line; 1 when there was one, 0 when not. */
int tx_partials_drop(struct tx_partials *p, const char *key);
int tx_partials_write(const struct tx_partials *p, int dirfd, const char *stem,
		      struct rtw_error *err);
void tx_partials_free(struct tx_partials *p);

/* tx_bot.c: one bot's open files and what they hold. */
struct tx_bot {
	char *id;
	char stem[TX_STEM_MAX + 1];
	int txt_fd;
	int vtt_fd;
	struct tx_state state;
	struct tx_names names;
	struct tx_partials partials;
	uint64_t last_used;
};
/* Opens (creating) the bot's files and brings them back to the last
 * recorded event: bytes written after it (a crash between writing and
 * recording) are cut, because that event will be offered again. */
struct tx_bot *tx_bot_open(const char *id, int dirfd, int sync,
			   const struct rtw_host *host, struct rtw_error *err);
/* Writes line and cue for event seq, syncs, then records seq. On failure
 * cuts what it wrote and returns -1 (the event can be retried). */
int tx_bot_append(struct tx_bot *b, uint64_t seq, const struct tx_buf *line,
		  const struct tx_buf *cue, int sync, struct rtw_error *err);
void tx_bot_close(struct tx_bot *b);

/* tx_bots.c: the bots with open files, at most TX_OPEN_BOTS (the least
 * recently used is closed first; it reopens from its files). */
#define TX_OPEN_BOTS 64
struct tx_bots {
	struct tx_bot *v[TX_OPEN_BOTS];
	size_t n;
	uint64_t clock;
};
struct tx_bot *tx_bots_get(struct tx_bots *bots, const char *id, int dirfd,
			   int sync, const struct rtw_host *host,
			   struct rtw_error *err);
void tx_bots_close_all(struct tx_bots *bots);

#endif
