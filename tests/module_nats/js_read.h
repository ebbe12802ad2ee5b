/* js_read: what a consumer of the stream sees, read back by the test with
 * its own NATS connection (libnats), opened and closed within each call:
 * a module instance closes the NATS library when its last instance ends
 * (src/handlers/nats/libref.h), so no test connection outlives a call.
 *
 * Every function prints what went wrong on stderr. */
#ifndef RTW_TEST_JS_READ_H
#define RTW_TEST_JS_READ_H

#include <stddef.h>
#include <stdint.h>

/* One message of the stream, as an ordered JetStream consumer got it. */
struct js_message {
	uint64_t stream_seq;
	char subject[256];
	char msg_id[256]; /* the Nats-Msg-Id header, or "" */
	char rtw_seq[32]; /* the Rtw-Seq header, or "" */
	char rtw_event[96];
	char *data; /* the payload, NUL-terminated */
	size_t len;
};

/* Reads every message of stream, in stream order, with an ordered
 * consumer on the stream's first subject. NULL with *n = 0 on error (or an
 * empty stream). Free with js_messages_free. */
struct js_message *js_read_all(const char *url, const char *stream, size_t *n);
void js_messages_free(struct js_message *m, size_t n);

/* The number of messages in stream, or -1 (no such stream, no server). */
long long js_stream_count(const char *url, const char *stream);
/* Waits up to timeout_ms until stream holds at least want messages;
 * returns the count then. */
long long js_wait_count(const char *url, const char *stream, long long want,
			long timeout_ms);

/* The stream's first subject into out and its duplicate window in
 * seconds into *dup_s. 0, or -1. */
int js_stream_config(const char *url, const char *stream, char *out, size_t cap,
		     long long *dup_s);
/* Creates stream on subjects (one filter). 0, or -1. */
int js_create_stream(const char *url, const char *stream, const char *subject);

#endif
