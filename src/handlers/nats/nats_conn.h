/* nats_conn: one NATS connection and JetStream context per handler
 * instance, shared by its workers (libnats connections are thread-safe).
 *
 * The connection never blocks the daemon: it is created with "retry on
 * failed connect" and unlimited attempts, so init succeeds while the
 * server is down and libnats keeps connecting in the background. A
 * publish takes the connection only while it is connected; otherwise the
 * event is answered RETRY at once (the host backs off), and pending
 * requests fail as soon as the connection drops.
 *
 * libnats' own reconnect is off: a connection that drops is closed, and
 * the next publish replaces it (counted in `generation`). Reconnecting in
 * place, libnats buffers what is published while it reconnects and sends
 * that first on the new connection, ahead of earlier events that were
 * lost with the old one and are only published again later: a bot's
 * events out of order in the stream. A new connection starts empty, and
 * the batch (nats_batch.h) sees the new generation and publishes its kept
 * copies again before anything newer. */
#ifndef NATS_HANDLER_CONN_H
#define NATS_HANDLER_CONN_H

#include <pthread.h>
#include <stdatomic.h>

#include <nats/nats.h>

#include "nats_config.h"

struct natsconn {
	const struct rtw_host *host;
	const struct natscfg *cfg;
	/* Read-held by each publish; write-held to replace nc and js. */
	pthread_rwlock_t lock;
	natsConnection *nc;
	jsCtx *js;
	/* Set by the closed callback, so close waits for libnats' last
	 * callback on this connection before freeing what it points to. */
	pthread_mutex_t closed_lock;
	pthread_cond_t closed_cond;
	int closed_seen;
	/* The stream is known to exist (see nats_stream.h). */
	pthread_mutex_t stream_lock;
	atomic_int stream_ready;
	/* Asynchronous publishes (batching): errors so far, the last one's
	 * text, and the number of JetStream contexts made so far (a new one
	 * has no record of the old one's publishes). */
	atomic_uint_fast64_t async_errors;
	pthread_mutex_t async_error_lock;
	char async_error[256];
	atomic_uint generation;
};

/* At most this many asynchronous publishes await their acknowledgement;
 * one more waits in js_PublishMsgAsync (libnats' StallWait). */
#define NATSCONN_MAX_PENDING 4096

/* Creates the connection (connecting in the background when the server
 * cannot be reached now). 0, or -1 with the reason in err (bad options,
 * unreadable credentials, out of memory). */
int natsconn_open(struct natsconn *c, const struct natscfg *cfg,
		  const struct rtw_host *host, struct rtw_error *err);
/* Closes and frees the connection; c can then be discarded. */
void natsconn_close(struct natsconn *c);

/* Takes the connection for one publish: 0 with *js set (natsconn_put must
 * follow), or -1 with the reason in err when it is not connected. */
int natsconn_get(struct natsconn *c, jsCtx **js, struct rtw_error *err);
void natsconn_put(struct natsconn *c);

/* The text of the last asynchronous publish error, into out. */
void natsconn_async_error(struct natsconn *c, char *out, size_t len);

#endif
