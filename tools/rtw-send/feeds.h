/* feeds.c: the events to send, grouped into one feed per bot (as Recall
 * keeps one sequential feed per bot and endpoint), each feed in the order
 * its events were read or generated. */
#ifndef RTWSEND_FEEDS_H
#define RTWSEND_FEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct send_event {
	char *body; /* owned; the exact bytes to POST */
	size_t len;
	double at;  /* replay time in seconds, non-decreasing within a feed */
};

enum feed_state {
	FEED_WAITING,   /* not yet started, or waiting for its next send */
	FEED_IN_FLIGHT, /* one request outstanding */
	FEED_DONE,      /* every event acknowledged */
	FEED_FAILED,    /* gave up after the last retry: nothing more is sent */
};

struct feed {
	char *bot_id; /* owned; NULL for the events that carry no bot */
	size_t index; /* position in the feed set */
	struct send_event *events;
	size_t n, cap;
	/* Sending state, owned by the sender. */
	enum feed_state state;
	size_t next;        /* the event being sent */
	unsigned attempts;  /* attempts made for events[next] */
	int64_t due_us;     /* monotonic time of the next attempt */
	int64_t origin_us;  /* when events[0] was first sent (for --speed) */
};

struct feed_set {
	struct feed *feeds;
	size_t n, cap;
	size_t nevents;
	json_t *by_bot; /* bot id -> index in feeds */
	ssize_t botless; /* index of the feed without a bot, or -1 */
};

void feeds_init(struct feed_set *set);
void feeds_free(struct feed_set *set);

/* Appends an event to its bot's feed. event is the parsed body (borrowed,
 * used for the bot id and the replay time); body is taken over, also on
 * failure. Returns 0 or -1 (out of memory). */
int feeds_add(struct feed_set *set, const json_t *event, char *body,
	      size_t len);

/* The moment an event describes, in seconds since its bot started
 * recording: data.data.timestamp.relative for participant events, the end
 * of the last word (its start when the end is null) for transcripts,
 * which is when a transcript can be sent at the earliest. Returns 0, or -1
 * when the event carries no such time. */
int feeds_event_time(const json_t *event, double *at);

#endif
