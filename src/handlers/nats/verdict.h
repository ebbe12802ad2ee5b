/* verdict: what a failed JetStream publish means for the event.
 *
 * RTW_RETRY for everything that can heal without losing the event: the
 * connection dropped, no acknowledgement in time, no stream for the
 * subject yet, a permission or stream setting the operator can fix (the
 * bot's later events wait, nothing is dropped). RTW_FAIL only for an event
 * no server setting short of a larger payload limit would ever take: too
 * large, or a subject or header the client library refuses. */
#ifndef NATS_HANDLER_VERDICT_H
#define NATS_HANDLER_VERDICT_H

#include <nats/nats.h>

#include "rtwebhookd/handler.h"

struct verdict {
	enum rtw_result result;
	int stream_missing; /* check (and maybe create) the stream again */
};

struct verdict verdict_of(natsStatus s, jsErrCode jerr);

#endif
