/* Reading a JetStream stream back as a consumer would (see js_read.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "js_read.h"

#define API_WAIT_MS  5000
#define NEXT_WAIT_MS 5000

struct client {
	natsConnection *nc;
	jsCtx *js;
};

static int client_open(struct client *c, const char *url)
{
	natsStatus s;

	memset(c, 0, sizeof(*c));
	s = natsConnection_ConnectTo(&c->nc, url);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&c->js, c->nc, NULL);
	if (s != NATS_OK) {
		fprintf(stderr, "test client on %s: %s\n", url,
			natsStatus_GetText(s));
		jsCtx_Destroy(c->js);
		natsConnection_Destroy(c->nc);
		return -1;
	}
	return 0;
}

static void client_close(struct client *c)
{
	jsCtx_Destroy(c->js);
	natsConnection_Destroy(c->nc);
}

static jsStreamInfo *stream_info(struct client *c, const char *stream)
{
	jsStreamInfo *si = NULL;
	jsOptions o;
	jsErrCode jerr = 0;

	jsOptions_Init(&o);
	o.Wait = API_WAIT_MS;
	if (js_GetStreamInfo(&si, c->js, stream, &o, &jerr) != NATS_OK)
		return NULL;
	return si;
}

long long js_stream_count(const char *url, const char *stream)
{
	struct client c;
	jsStreamInfo *si;
	long long n = -1;

	if (client_open(&c, url) != 0)
		return -1;
	si = stream_info(&c, stream);
	if (si != NULL)
		n = (long long)si->State.Msgs;
	jsStreamInfo_Destroy(si);
	client_close(&c);
	return n;
}

long long js_wait_count(const char *url, const char *stream, long long want,
			long timeout_ms)
{
	struct timespec pause = {0, 50 * 1000000};
	long long n = -1;

	for (long waited = 0; waited <= timeout_ms; waited += 50) {
		n = js_stream_count(url, stream);
		if (n >= want)
			break;
		nanosleep(&pause, NULL);
	}
	return n;
}

int js_stream_config(const char *url, const char *stream, char *out, size_t cap,
		     long long *dup_s)
{
	struct client c;
	jsStreamInfo *si;
	int rc = -1;

	if (client_open(&c, url) != 0)
		return -1;
	si = stream_info(&c, stream);
	if (si != NULL && si->Config->SubjectsLen > 0) {
		snprintf(out, cap, "%s", si->Config->Subjects[0]);
		*dup_s = si->Config->Duplicates / 1000000000LL;
		rc = 0;
	}
	jsStreamInfo_Destroy(si);
	client_close(&c);
	return rc;
}

int js_create_stream(const char *url, const char *stream, const char *subject)
{
	const char *subjects[1] = {subject};
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	struct client c;
	natsStatus s;

	if (client_open(&c, url) != 0)
		return -1;
	jsStreamConfig_Init(&sc);
	sc.Name = stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	s = js_AddStream(&si, c.js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	client_close(&c);
	if (s != NATS_OK)
		fprintf(stderr, "cannot create stream %s: %s (%d)\n", stream,
			natsStatus_GetText(s), (int)jerr);
	return s == NATS_OK ? 0 : -1;
}

static void copy_header(natsMsg *msg, const char *name, char *out, size_t cap)
{
	const char *v = NULL;

	out[0] = '\0';
	if (natsMsgHeader_Get(msg, name, &v) == NATS_OK && v != NULL)
		snprintf(out, cap, "%s", v);
}

static int keep_message(natsMsg *msg, struct js_message *m)
{
	jsMsgMetaData *meta = NULL;

	memset(m, 0, sizeof(*m));
	if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
		return -1;
	m->stream_seq = meta->Sequence.Stream;
	jsMsgMetaData_Destroy(meta);
	snprintf(m->subject, sizeof(m->subject), "%s", natsMsg_GetSubject(msg));
	copy_header(msg, "Nats-Msg-Id", m->msg_id, sizeof(m->msg_id));
	copy_header(msg, "Rtw-Seq", m->rtw_seq, sizeof(m->rtw_seq));
	copy_header(msg, "Rtw-Event", m->rtw_event, sizeof(m->rtw_event));
	m->len = (size_t)natsMsg_GetDataLength(msg);
	m->data = malloc(m->len + 1);
	if (m->data == NULL)
		return -1;
	memcpy(m->data, natsMsg_GetData(msg), m->len);
	m->data[m->len] = '\0';
	return 0;
}

/* Reads count messages from an ordered consumer on subject. */
static size_t consume(struct client *c, const char *stream, const char *subject,
		      struct js_message *out, size_t count)
{
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	size_t got = 0;

	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Ordered = true;
	if (js_SubscribeSync(&sub, c->js, subject, NULL, &so, &jerr) !=
	    NATS_OK) {
		fprintf(stderr, "ordered consumer on %s: %d\n", stream,
			(int)jerr);
		return 0;
	}
	while (got < count) {
		natsMsg *msg = NULL;

		if (natsSubscription_NextMsg(&msg, sub, NEXT_WAIT_MS) !=
		    NATS_OK)
			break;
		if (keep_message(msg, &out[got]) == 0)
			got++;
		natsMsg_Destroy(msg);
	}
	natsSubscription_Destroy(sub);
	return got;
}

struct js_message *js_read_all(const char *url, const char *stream, size_t *n)
{
	struct js_message *m = NULL;
	jsStreamInfo *si = NULL;
	struct client c;
	size_t count;

	*n = 0;
	if (client_open(&c, url) != 0)
		return NULL;
	si = stream_info(&c, stream);
	if (si == NULL || si->Config->SubjectsLen == 0 || si->State.Msgs == 0)
		goto out;
	count = (size_t)si->State.Msgs;
	m = calloc(count, sizeof(*m));
	if (m != NULL)
		*n = consume(&c, stream, si->Config->Subjects[0], m, count);
	if (*n != count)
		fprintf(stderr, "read %zu of %zu messages of %s\n", *n, count,
			stream);
out:
	jsStreamInfo_Destroy(si);
	client_close(&c);
	return m;
}

void js_messages_free(struct js_message *m, size_t n)
{
	for (size_t i = 0; m != NULL && i < n; i++)
		free(m[i].data);
	free(m);
}
