/* progress.c: how far one handler has got through the spool, kept in
 * memory as a low watermark (every seq <= low is done) plus a bitmap of the
 * seqs done above it (events of other bots may finish while one bot's
 * event is being retried), and saved to <state_dir>/progress so that after
 * a restart the handler is offered exactly the events it had not finished.
 * Saving writes a temporary file, syncs it and renames it over the old
 * one: a crash leaves either the old or the new state, never a mix. Not
 * thread-safe: the dispatcher holds its lock around every call but
 * progress_write. */
#ifndef RTW_PROGRESS_H
#define RTW_PROGRESS_H

#include <stdint.h>

/* How far above the low watermark events may be done out of order. The
 * dispatcher reads no further ahead than this. */
#define PROGRESS_SPAN (1u << 20)

struct progress;

/* Loads <state_dir>/progress; without one the handler starts after
 * `start_after` (the seq before the oldest in the spool). Returns NULL
 * with the reason in why. */
struct progress *progress_load(const char *state_dir, uint64_t start_after,
			       char *why, size_t whylen);
void progress_free(struct progress *p);

int progress_is_done(const struct progress *p, uint64_t seq);
/* Marks seq done (seq must be within PROGRESS_SPAN above the low mark). */
void progress_mark_done(struct progress *p, uint64_t seq);
uint64_t progress_low(const struct progress *p);
/* Counts every seq <= seq as done (events that left the spool unseen). */
void progress_skip_to(struct progress *p, uint64_t seq);

/* Has the state changed since it was last saved? */
int progress_dirty(const struct progress *p);

/* Saving is split so the slow part runs without the dispatcher's lock:
 * progress_snapshot (under the lock) formats the state, marks it clean
 * and returns the text to write (NULL when nothing changed) with its low
 * mark; progress_write (without the lock, one caller at a time) writes it
 * to a temporary file, syncs it and renames it over the old one. */
char *progress_snapshot(struct progress *p, size_t *len, uint64_t *low);
int progress_write(struct progress *p, const char *text, size_t len);
/* After a failed progress_write: the state is dirty again, so the next
 * save retries it (under the lock, like progress_snapshot). */
void progress_mark_unsaved(struct progress *p);
/* Both at once, for a caller that holds no other lock. Returns 0 or -1. */
int progress_save(struct progress *p);

#endif
