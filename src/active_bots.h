/* active_bots.c: how many meeting bots sent an event lately, for the
 * rtwebhookd_active_bots gauge of GET /metrics. A bot counts as active
 * for ACTIVE_BOTS_WINDOW_MS after its latest accepted event (Recall sends
 * no "meeting over" on the real-time endpoint, and a bot in a meeting
 * sends participant or transcript events every few seconds to minutes).
 *
 * Bots are remembered by a 64-bit digest of their id (a collision would
 * only undercount by one) with their latest time, in an open-addressing
 * table that forgets the stale ones as it goes; it never holds more than
 * ACTIVE_BOTS_MAX, so a sender inventing bot ids cannot grow it without
 * bound (the gauge then reads ACTIVE_BOTS_MAX). Thread-safe: one mutex,
 * held for a lookup per accepted event. */
#ifndef RTW_ACTIVE_BOTS_H
#define RTW_ACTIVE_BOTS_H

#include <stddef.h>
#include <stdint.h>

#define ACTIVE_BOTS_WINDOW_MS (5 * 60 * 1000)
#define ACTIVE_BOTS_MAX	      (1u << 20)

struct active_bots;

struct active_bots *active_bots_new(void);
void active_bots_free(struct active_bots *ab);
/* bot_id (NULL: an event without a bot, ignored) sent an event at now_ms. */
void active_bots_seen(struct active_bots *ab, const char *bot_id,
		      int64_t now_ms);
/* The bots seen within the window before now_ms. */
size_t active_bots_count(struct active_bots *ab, int64_t now_ms);

#endif
