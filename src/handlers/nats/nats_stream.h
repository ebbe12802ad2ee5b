/* nats_stream: makes sure the configured JetStream stream exists before
 * the first publish, creating it when `create_stream = true` with the
 * subjects the subject template can produce ("recall.>") and the
 * configured duplicate window. Checked once, and again after a publish
 * found no stream for its subject (the stream was deleted). */
#ifndef NATS_HANDLER_STREAM_H
#define NATS_HANDLER_STREAM_H

#include "nats_conn.h"

/* RTW_OK when the stream exists (now), RTW_RETRY with the reason in err
 * otherwise (the server cannot tell now, the stream is missing and may not
 * be created, or creating it failed). js comes from natsconn_get. */
enum rtw_result stream_ensure(struct natsconn *c, jsCtx *js,
			      struct rtw_error *err);
/* Forgets that the stream exists, so the next publish checks again. */
void stream_forget(struct natsconn *c);

#endif
