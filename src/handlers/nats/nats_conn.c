/* The NATS connection of one handler instance (see nats_conn.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nats_conn.h"
#include "nats_url.h"

/* How long close waits for libnats' closed callback. */
#define CLOSED_WAIT_MS 2000
/* Pings detect a silent (not reset) connection within about
 * PING_INTERVAL_MS * (MAX_PINGS_OUT + 1). */
#define PING_INTERVAL_MS 5000
#define MAX_PINGS_OUT	 2

static void log_connected(struct natsconn *c, natsConnection *nc,
			  const char *what)
{
	char url[256] = "", shown[256];

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	natsurl_redact(url, shown, sizeof(shown));
	c->host->log(c->host, RTW_LOG_NOTICE, "%s %s", what, shown);
}

/* libnats callbacks: they run on libnats' own threads. */
static void on_connected(natsConnection *nc, void *closure)
{
	log_connected(closure, nc, "connected to");
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
		     void *closure)
{
	struct natsconn *c = closure;

	(void)nc;
	(void)sub;
	c->host->log(c->host, RTW_LOG_WARNING, "NATS error: %s",
		     natsStatus_GetText(err));
}

static void on_closed(natsConnection *nc, void *closure)
{
	struct natsconn *c = closure;

	(void)nc;
	pthread_mutex_lock(&c->closed_lock);
	c->closed_seen = 1;
	pthread_cond_signal(&c->closed_cond);
	pthread_mutex_unlock(&c->closed_lock);
}

/* An asynchronous publish failed (an error from the server, or no
 * acknowledgement in time); libnats destroys the message. */
static void on_async_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	struct natsconn *c = closure;

	(void)js;
	pthread_mutex_lock(&c->async_error_lock);
	snprintf(c->async_error, sizeof(c->async_error), "%s",
		 pae->ErrText != NULL ? pae->ErrText
				      : natsStatus_GetText(pae->Err));
	pthread_mutex_unlock(&c->async_error_lock);
	atomic_fetch_add(&c->async_errors, 1);
}

void natsconn_async_error(struct natsconn *c, char *out, size_t len)
{
	pthread_mutex_lock(&c->async_error_lock);
	snprintf(out, len, "%s", c->async_error);
	pthread_mutex_unlock(&c->async_error_lock);
}

static natsStatus set_auth(natsOptions *o, const struct natscfg *cfg)
{
	natsStatus s = NATS_OK;

	if (cfg->credentials != NULL)
		s = natsOptions_SetUserCredentialsFromFiles(o, cfg->credentials,
							    NULL);
	if (s == NATS_OK && cfg->token != NULL)
		s = natsOptions_SetToken(o, cfg->token);
	if (s == NATS_OK && cfg->user != NULL)
		s = natsOptions_SetUserInfo(o, cfg->user, cfg->password);
	return s;
}

static natsStatus set_callbacks(natsOptions *o, struct natsconn *c)
{
	natsStatus s =
	    natsOptions_SetRetryOnFailedConnect(o, true, on_connected, c);

	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(o, on_closed, c);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(o, on_error, c);
	return s;
}

static natsStatus build_options(struct natsconn *c, natsOptions **out)
{
	const struct natscfg *cfg = c->cfg;
	char name[160];
	natsOptions *o = NULL;
	natsStatus s = natsOptions_Create(&o);

	snprintf(name, sizeof(name), "rtwebhookd/%s", c->host->name);
	if (s == NATS_OK)
		s = natsOptions_SetURL(o, cfg->url);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, cfg->connect_timeout_ms);
	if (s == NATS_OK) /* never give up connecting: events wait */
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK) /* a drop closes it; see nats_conn.h */
		s = natsOptions_SetAllowReconnect(o, false);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, cfg->reconnect_wait_ms);
	if (s == NATS_OK) /* a publish in flight fails at once on a drop */
		s = natsOptions_SetFailRequestsOnDisconnect(o, true);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(o, PING_INTERVAL_MS);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(o, MAX_PINGS_OUT);
	if (s == NATS_OK)
		s = set_callbacks(o, c);
	if (s == NATS_OK)
		s = set_auth(o, cfg);
	if (s != NATS_OK)
		natsOptions_Destroy(o);
	*out = s == NATS_OK ? o : NULL;
	return s;
}

/* The detail libnats recorded for the last error on this thread. */
static const char *last_error(natsStatus s)
{
	const char *text = nats_GetLastError(NULL);

	return text != NULL && text[0] != '\0' ? text : natsStatus_GetText(s);
}

/* Creates nc and js (write lock held, or before any publish). A server
 * that cannot be reached now is not an error: libnats keeps trying.
 * Returns 0; CONNECT_REFUSED when no connection object was made (try
 * again later); -1 on an error that trying again cannot fix. */
#define CONNECT_REFUSED (-2)
static int connect_now(struct natsconn *c, struct rtw_error *err)
{
	jsOptions jo;
	natsOptions *o = NULL;
	natsStatus s = build_options(c, &o);

	if (s != NATS_OK) {
		rtw_error_set(err, "NATS options: %s", last_error(s));
		return -1;
	}
	c->closed_seen = 0;
	s = natsConnection_Connect(&c->nc, o);
	natsOptions_Destroy(o);
	if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
		rtw_error_set(err, "cannot connect to NATS: %s", last_error(s));
		c->nc = NULL;
		return CONNECT_REFUSED;
	}
	if (s == NATS_OK)
		log_connected(c, c->nc, "connected to");
	s = jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = NATSCONN_MAX_PENDING;
	jo.PublishAsync.ErrHandler = on_async_error;
	jo.PublishAsync.ErrHandlerClosure = c;
	if (s == NATS_OK)
		s = natsConnection_JetStream(&c->js, c->nc, &jo);
	atomic_fetch_add(&c->generation, 1);
	if (s != NATS_OK) {
		rtw_error_set(err, "JetStream context: %s", last_error(s));
		return -1;
	}
	return 0;
}

static void wait_closed(struct natsconn *c)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLOSED_WAIT_MS / 1000;
	pthread_mutex_lock(&c->closed_lock);
	while (!c->closed_seen &&
	       pthread_cond_timedwait(&c->closed_cond, &c->closed_lock,
				      &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&c->closed_lock);
}

/* Frees js and nc (write lock held, or no publish possible). */
static void disconnect_now(struct natsconn *c)
{
	if (c->js != NULL)
		jsCtx_Destroy(c->js);
	c->js = NULL;
	if (c->nc == NULL)
		return;
	natsConnection_Close(c->nc);
	wait_closed(c);
	natsConnection_Destroy(c->nc);
	c->nc = NULL;
}

int natsconn_open(struct natsconn *c, const struct natscfg *cfg,
		  const struct rtw_host *host, struct rtw_error *err)
{
	struct rtw_error why = {{0}};
	int rc;

	memset(c, 0, sizeof(*c));
	c->host = host;
	c->cfg = cfg;
	pthread_rwlock_init(&c->lock, NULL);
	pthread_mutex_init(&c->closed_lock, NULL);
	pthread_cond_init(&c->closed_cond, NULL);
	pthread_mutex_init(&c->stream_lock, NULL);
	pthread_mutex_init(&c->async_error_lock, NULL);
	rc = connect_now(c, &why);
	if (rc == 0)
		return 0;
	if (rc != CONNECT_REFUSED) {
		rtw_error_set(err, "%s", why.message);
		natsconn_close(c);
		return -1;
	}
	/* Refused outright (no connection object): the first publish tries
	 * again; the daemon still starts and spools. */
	host->log(host, RTW_LOG_WARNING, "%s (will retry)", why.message);
	return 0;
}

void natsconn_close(struct natsconn *c)
{
	disconnect_now(c);
	pthread_mutex_destroy(&c->stream_lock);
	pthread_mutex_destroy(&c->async_error_lock);
	pthread_cond_destroy(&c->closed_cond);
	pthread_mutex_destroy(&c->closed_lock);
	pthread_rwlock_destroy(&c->lock);
}

/* Logged here, not from libnats' disconnected callback: that callback
 * could come after the closed one, when c may be freed already. */
static void log_lost(struct natsconn *c)
{
	if (c->nc == NULL)
		return; /* never made: connect_now logged why */
	c->host->log(c->host, RTW_LOG_WARNING,
		     "disconnected from NATS; reconnecting every %d ms (events "
		     "wait in the spool)",
		     c->cfg->reconnect_wait_ms);
}

/* Replaces a connection that dropped (libnats then closes it) or that
 * was never made. */
static void replace_closed(struct natsconn *c)
{
	struct rtw_error why = {{0}};

	pthread_rwlock_wrlock(&c->lock);
	if (c->nc == NULL ||
	    natsConnection_Status(c->nc) == NATS_CONN_STATUS_CLOSED) {
		log_lost(c);
		disconnect_now(c);
		if (connect_now(c, &why) != 0) {
			c->host->log(c->host, RTW_LOG_WARNING, "%s",
				     why.message);
			disconnect_now(c);
		}
	}
	pthread_rwlock_unlock(&c->lock);
}

static const char *status_name(natsConnStatus st)
{
	switch (st) {
	case NATS_CONN_STATUS_DISCONNECTED:
		return "disconnected";
	case NATS_CONN_STATUS_CONNECTING:
		return "connecting";
	case NATS_CONN_STATUS_RECONNECTING:
		return "reconnecting";
	case NATS_CONN_STATUS_CLOSED:
		return "closed; reconnecting";
	default:
		return "draining";
	}
}

int natsconn_get(struct natsconn *c, jsCtx **js, struct rtw_error *err)
{
	natsConnStatus st;

	pthread_rwlock_rdlock(&c->lock);
	st = c->nc != NULL ? natsConnection_Status(c->nc)
			   : NATS_CONN_STATUS_CLOSED;
	if (st == NATS_CONN_STATUS_CONNECTED && c->js != NULL) {
		*js = c->js;
		return 0;
	}
	pthread_rwlock_unlock(&c->lock);
	if (st == NATS_CONN_STATUS_CLOSED)
		replace_closed(c);
	rtw_error_set(err, "not connected to NATS (%s)", status_name(st));
	return -1;
}

void natsconn_put(struct natsconn *c)
{
	pthread_rwlock_unlock(&c->lock);
}
