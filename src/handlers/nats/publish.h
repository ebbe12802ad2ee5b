/* publish: one event into JetStream, answered only once the server has
 * acknowledged storing it (or recognised it as a duplicate).
 *
 * The message: subject from the template, payload the body exactly as
 * received, headers Nats-Msg-Id (msgid.h), Rtw-Seq (the spool sequence
 * number), Rtw-Event (the event type) and Rtw-Bot-Id (when the event has
 * a bot). The publish names the expected stream, so a message some other
 * stream captured is not taken for success. */
#ifndef NATS_HANDLER_PUBLISH_H
#define NATS_HANDLER_PUBLISH_H

#include "nats_conn.h"

enum rtw_result publish_event(struct natsconn *c, const struct rtw_event *ev,
			      struct rtw_error *err);

#endif
