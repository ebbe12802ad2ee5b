/* nats_item: one event made ready for JetStream: its subject, its
 * Nats-Msg-Id and the message's fields, copied out of the host's event so
 * that it can be published (and published again) after handle() returned
 * (the host's event is borrowed for one call only). */
#ifndef NATS_HANDLER_ITEM_H
#define NATS_HANDLER_ITEM_H

#include <stddef.h>
#include <stdint.h>

#include "nats_config.h"
#include "rtwebhookd/handler.h"

struct nats_item {
	char *subject;
	char *msgid;  /* Nats-Msg-Id (msgid.h) */
	char *type;   /* the event type as received */
	char *bot_id; /* or NULL: the event has no bot */
	uint64_t seq;
	char *body;
	int body_len;
	struct nats_item *next; /* nats_batch's list */
};

/* *out gets ev's item (one allocation, freed by nats_item_free), and
 * RTW_OK; else RTW_FAIL (a subject too long, a body too large for NATS)
 * or RTW_RETRY (out of memory) with the reason in err. */
enum rtw_result nats_item_new(const struct natscfg *cfg,
			      const struct rtw_event *ev,
			      struct nats_item **out, struct rtw_error *err);
void nats_item_free(struct nats_item *it);

#endif
