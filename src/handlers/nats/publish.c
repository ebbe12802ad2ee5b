/* Publishing one event and waiting for its acknowledgement. */
#include <inttypes.h>
#include <stdio.h>

#include "msgid.h"
#include "nats_stream.h"
#include "publish.h"
#include "verdict.h"

/* Room for an escaped event type or bot id header value. */
#define HEADER_VALUE_MAX 512

/* Sets name to value escaped; a value too long to carry is left out (the
 * body holds it anyway). */
static natsStatus set_header(natsMsg *msg, const char *name, const char *value)
{
	char buf[HEADER_VALUE_MAX];

	if (value == NULL || header_escape(value, buf, sizeof(buf)) < 0)
		return NATS_OK;
	return natsMsgHeader_Set(msg, name, buf);
}

/* The message for it, or NULL with the verdict in *r and reason in err. */
static natsMsg *build_message(const struct nats_item *it, enum rtw_result *r,
			      struct rtw_error *err)
{
	char seq[24];
	natsMsg *msg = NULL;
	natsStatus s;

	snprintf(seq, sizeof(seq), "%" PRIu64, it->seq);
	s = natsMsg_Create(&msg, it->subject, NULL, it->body, it->body_len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(msg, "Rtw-Seq", seq);
	if (s == NATS_OK)
		s = set_header(msg, "Rtw-Event", it->type);
	if (s == NATS_OK)
		s = set_header(msg, "Rtw-Bot-Id", it->bot_id);
	if (s == NATS_OK)
		return msg;
	natsMsg_Destroy(msg);
	*r = verdict_of(s, 0).result;
	rtw_error_set(err, "cannot build the message for %s: %s", it->subject,
		      natsStatus_GetText(s));
	return NULL;
}

/* Publish options: the message id JetStream dedups on, and the stream the
 * message must land in (a message another stream captured is not taken
 * for success). */
static void pub_options(const struct natsconn *c, const struct nats_item *it,
			jsPubOptions *po)
{
	jsPubOptions_Init(po);
	po->MaxWait = c->cfg->publish_timeout_ms;
	po->MsgId = it->msgid;
	po->ExpectStream = c->cfg->stream;
}

static const char *error_text(natsStatus s)
{
	const char *text = nats_GetLastError(NULL);

	return text != NULL && text[0] != '\0' ? text : natsStatus_GetText(s);
}

static enum rtw_result send_message(struct natsconn *c, jsCtx *js, natsMsg *msg,
				    const struct nats_item *it,
				    struct rtw_error *err)
{
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	struct verdict v;
	natsStatus s;

	pub_options(c, it, &po);
	s = js_PublishMsg(&ack, js, msg, &po, &jerr);
	if (s == NATS_OK && ack->Duplicate)
		c->host->log(c->host, RTW_LOG_DEBUG,
			     "event %" PRIu64 " (%s) already in %s as "
			     "message %" PRIu64,
			     it->seq, it->msgid, ack->Stream, ack->Sequence);
	jsPubAck_Destroy(ack);
	v = verdict_of(s, jerr);
	if (v.stream_missing)
		stream_forget(c);
	if (v.result != RTW_OK)
		rtw_error_set(err, "publish to %s: %s%s", it->subject,
			      error_text(s),
			      s == NATS_TIMEOUT
				  ? " (no JetStream acknowledgement "
				    "in time)"
				  : "");
	return v.result;
}

enum rtw_result publish_item(struct natsconn *c, const struct nats_item *it,
			     struct rtw_error *err)
{
	enum rtw_result r;
	natsMsg *msg = build_message(it, &r, err);
	jsCtx *js;

	if (msg == NULL)
		return r;
	if (natsconn_get(c, &js, err) != 0) {
		natsMsg_Destroy(msg);
		return RTW_RETRY;
	}
	r = stream_ensure(c, js, err);
	if (r == RTW_OK)
		r = send_message(c, js, msg, it, err);
	natsconn_put(c);
	natsMsg_Destroy(msg);
	return r;
}

enum rtw_result publish_item_async(struct natsconn *c, jsCtx *js,
				   const struct nats_item *it,
				   struct rtw_error *err)
{
	enum rtw_result r;
	natsMsg *msg = build_message(it, &r, err);
	jsPubOptions po;
	natsStatus s;

	if (msg == NULL)
		return r;
	pub_options(c, it, &po);
	s = js_PublishMsgAsync(js, &msg, &po);
	natsMsg_Destroy(msg); /* NULL once libnats took it */
	if (s == NATS_OK)
		return RTW_OK;
	r = verdict_of(s, 0).result;
	rtw_error_set(err, "publish to %s: %s", it->subject, error_text(s));
	return r;
}
