/* msgid: the Nats-Msg-Id of an event and the other header values.
 *
 * JetStream drops a publish whose Nats-Msg-Id it has already stored
 * within the stream's duplicate window. The id is the host's dedup key
 * (ABI 1.1 rtw_event.dedup_key: "id:<webhook-id>" or "body:<digest>"), the
 * same for every retry of one event and at every rtwebhookd instance, so
 * two daemons that both accepted one retried event publish it once. A host
 * older than 1.1 gives no key: the id is then "fnv:" and a 128-bit FNV-1a
 * digest of the body (the same at every instance too, but not equal to a
 * newer host's key for the same event).
 *
 * Header values cannot hold CR, LF or other control bytes: such bytes (and
 * spaces, non-ASCII and '%') are written as %XX, which keeps distinct
 * values distinct. */
#ifndef NATS_HANDLER_MSGID_H
#define NATS_HANDLER_MSGID_H

#include <stddef.h>

#include "rtwebhookd/handler.h"

/* Room for any id msgid_make writes (a longer key is replaced by
 * "fnv:" and its digest). */
#define MSGID_MAX 256

/* Writes the Nats-Msg-Id of ev into out (MSGID_MAX bytes). */
void msgid_make(const struct rtw_event *ev, char out[MSGID_MAX]);

/* Writes value %XX-escaped (see above) into out. Returns the length, or
 * -1 when it does not fit in cap. */
long header_escape(const char *value, char *out, size_t cap);

/* "fnv:" and 32 hex digits of the 128-bit FNV-1a digest of data. */
void msgid_digest(const void *data, size_t len, char out[MSGID_MAX]);

#endif
