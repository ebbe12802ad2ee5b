/* nats_batch: batching for a host of ABI 1.2. handle() publishes each
 * event asynchronously (no waiting for its acknowledgement), keeps a copy
 * and answers RTW_PENDING; flush() waits for the acknowledgements of all
 * of them and answers OK only when every one came back without error on
 * the same JetStream context. Otherwise it publishes every kept copy again
 * (JetStream drops the ones it has by their Nats-Msg-Id) and answers
 * RTW_RETRY; the next flush checks again.
 *
 * Order: a handle() that finds the kept copies possibly lost (their
 * connection was replaced, one of them failed) publishes them all again
 * before its own event, so a bot's next event never reaches the stream
 * ahead of an earlier one. What stays possible: JetStream refusing one
 * message of a batch while taking the next ones on the same connection
 * (a limit reached and freed again within one batch); that message then
 * lands after them.
 *
 * One lock covers publishing and flushing, so a flush waits for exactly
 * the events it answers for, and handle() on other workers waits while a
 * flush runs (at most publish_timeout_ms). */
#ifndef NATS_HANDLER_BATCH_H
#define NATS_HANDLER_BATCH_H

#include <pthread.h>
#include <stdint.h>

#include "nats_conn.h"
#include "nats_item.h"

struct nats_batch {
	pthread_mutex_t lock;
	struct nats_item *head, *tail; /* published, not yet confirmed */
	uint_fast64_t errors_seen;     /* natsconn.async_errors then */
	unsigned generation;           /* natsconn.generation then */
	int unsent; /* publishing them again stopped short: not all sent */
	int published; /* one went out on the context of `generation` */
};

void nats_batch_init(struct nats_batch *b, struct natsconn *c);
/* Frees the copies still kept (the daemon stops after a failed flush; the
 * events are in its spool and come back at the next start). */
void nats_batch_destroy(struct nats_batch *b);
/* Publishes it and keeps it: RTW_PENDING (the batch owns it), or the
 * verdict with the reason in err (it stays the caller's). */
enum rtw_result nats_batch_add(struct nats_batch *b, struct natsconn *c,
			       struct nats_item *it, struct rtw_error *err);
enum rtw_result nats_batch_flush(struct nats_batch *b, struct natsconn *c,
				 struct rtw_error *err);

#endif
