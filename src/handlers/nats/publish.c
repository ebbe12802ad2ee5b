/* Publishing one event and waiting for its acknowledgement. */
#include <inttypes.h>
#include <limits.h>
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

/* The message for ev, or NULL with the verdict in *r and reason in err. */
static natsMsg *build_message(const struct natsconn *c,
			      const struct rtw_event *ev, enum rtw_result *r,
			      struct rtw_error *err)
{
	char subject[SUBJECT_MAX], seq[24];
	natsMsg *msg = NULL;
	natsStatus s;

	*r = RTW_FAIL;
	if (subject_render(c->cfg->subject, ev, subject, sizeof(subject)) < 0) {
		rtw_error_set(err, "subject longer than %d bytes", SUBJECT_MAX);
		return NULL;
	}
	if (ev->body_len > INT_MAX) {
		rtw_error_set(err, "body of %zu bytes is too large for NATS",
			      ev->body_len);
		return NULL;
	}
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	s = natsMsg_Create(&msg, subject, NULL, ev->body, (int)ev->body_len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(msg, "Rtw-Seq", seq);
	if (s == NATS_OK)
		s = set_header(msg, "Rtw-Event", ev->type_name);
	if (s == NATS_OK)
		s = set_header(msg, "Rtw-Bot-Id", ev->bot_id);
	if (s == NATS_OK)
		return msg;
	natsMsg_Destroy(msg);
	*r = verdict_of(s, 0).result;
	rtw_error_set(err, "cannot build the message for %s: %s", subject,
		      natsStatus_GetText(s));
	return NULL;
}

static const char *error_text(natsStatus s)
{
	const char *text = nats_GetLastError(NULL);

	return text != NULL && text[0] != '\0' ? text : natsStatus_GetText(s);
}

static enum rtw_result send_message(struct natsconn *c, jsCtx *js, natsMsg *msg,
				    const struct rtw_event *ev,
				    struct rtw_error *err)
{
	char id[MSGID_MAX];
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	struct verdict v;
	natsStatus s;

	msgid_make(ev, id);
	jsPubOptions_Init(&po);
	po.MaxWait = c->cfg->publish_timeout_ms;
	po.MsgId = id;
	po.ExpectStream = c->cfg->stream;
	s = js_PublishMsg(&ack, js, msg, &po, &jerr);
	if (s == NATS_OK && ack->Duplicate)
		c->host->log(c->host, RTW_LOG_DEBUG,
			     "event %" PRIu64 " (%s) already in %s as "
			     "message %" PRIu64,
			     ev->seq, id, ack->Stream, ack->Sequence);
	jsPubAck_Destroy(ack);
	v = verdict_of(s, jerr);
	if (v.stream_missing)
		stream_forget(c);
	if (v.result != RTW_OK)
		rtw_error_set(err, "publish to %s: %s%s",
			      natsMsg_GetSubject(msg), error_text(s),
			      s == NATS_TIMEOUT
				  ? " (no JetStream acknowledgement "
				    "in time)"
				  : "");
	return v.result;
}

enum rtw_result publish_event(struct natsconn *c, const struct rtw_event *ev,
			      struct rtw_error *err)
{
	enum rtw_result r;
	natsMsg *msg = build_message(c, ev, &r, err);
	jsCtx *js;

	if (msg == NULL)
		return r;
	if (natsconn_get(c, &js, err) != 0) {
		natsMsg_Destroy(msg);
		return RTW_RETRY;
	}
	r = stream_ensure(c, js, err);
	if (r == RTW_OK)
		r = send_message(c, js, msg, ev, err);
	natsconn_put(c);
	natsMsg_Destroy(msg);
	return r;
}
