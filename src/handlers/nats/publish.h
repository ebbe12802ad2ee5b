/* publish: one event into JetStream, either waiting for the server to
 * acknowledge storing it (or to recognise it as a duplicate), or, when
 * batching, sent at once with the acknowledgement collected later
 * (nats_batch.h).
 *
 * The message: subject from the template, payload the body exactly as
 * received, headers Nats-Msg-Id (msgid.h), Rtw-Seq (the spool sequence
 * number), Rtw-Event (the event type) and Rtw-Bot-Id (when the event has
 * a bot). The publish names the expected stream, so a message some other
 * stream captured is not taken for success. */
#ifndef NATS_HANDLER_PUBLISH_H
#define NATS_HANDLER_PUBLISH_H

#include "nats_conn.h"
#include "nats_item.h"

/* Publishes it and waits for the acknowledgement: RTW_OK, or the
 * verdict (verdict.h) with the reason in err. */
enum rtw_result publish_item(struct natsconn *c, const struct nats_item *it,
			     struct rtw_error *err);
/* Publishes it without waiting (the acknowledgement, or the error, comes
 * to the connection's async handler; js_PublishAsyncComplete waits for
 * all). js from natsconn_get. RTW_OK once sent, else the verdict. */
enum rtw_result publish_item_async(struct natsconn *c, jsCtx *js,
				   const struct nats_item *it,
				   struct rtw_error *err);

#endif
