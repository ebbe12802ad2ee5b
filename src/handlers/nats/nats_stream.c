/* The JetStream stream behind the subjects (see nats_stream.h). */
#include <string.h>

#include "nats_stream.h"

#define NS_PER_S 1000000000LL

static const char *error_text(natsStatus s)
{
	const char *text = nats_GetLastError(NULL);

	return text != NULL && text[0] != '\0' ? text : natsStatus_GetText(s);
}

static enum rtw_result create_stream(struct natsconn *c, jsCtx *js,
				     jsOptions *o, struct rtw_error *err)
{
	const struct natscfg *cfg = c->cfg;
	const char *subjects[1] = {subject_stream_filter(cfg->subject)};
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	jsStreamConfig_Init(&sc);
	sc.Name = cfg->stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	sc.Duplicates = cfg->duplicate_window_s * NS_PER_S;
	s = js_AddStream(&si, js, &sc, o, &jerr);
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK && jerr != JSStreamNameExistErr) {
		rtw_error_set(err, "cannot create stream %s (subjects %s): %s",
			      cfg->stream, subjects[0], error_text(s));
		return RTW_RETRY;
	}
	if (s == NATS_OK)
		c->host->log(c->host, RTW_LOG_NOTICE,
			     "created stream %s (subjects %s, duplicate window "
			     "%lld s)",
			     cfg->stream, subjects[0], cfg->duplicate_window_s);
	return RTW_OK;
}

static enum rtw_result check_or_create(struct natsconn *c, jsCtx *js,
				       struct rtw_error *err)
{
	const struct natscfg *cfg = c->cfg;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	jsOptions o;
	natsStatus s;

	jsOptions_Init(&o);
	o.Wait = cfg->publish_timeout_ms;
	s = js_GetStreamInfo(&si, js, cfg->stream, &o, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return RTW_OK;
	if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
		rtw_error_set(err, "cannot look up stream %s: %s", cfg->stream,
			      error_text(s));
		return RTW_RETRY;
	}
	if (!cfg->create_stream) {
		rtw_error_set(err,
			      "stream %s does not exist (create it, or "
			      "set create_stream = true)",
			      cfg->stream);
		return RTW_RETRY;
	}
	return create_stream(c, js, &o, err);
}

enum rtw_result stream_ensure(struct natsconn *c, jsCtx *js,
			      struct rtw_error *err)
{
	enum rtw_result r = RTW_OK;

	if (atomic_load(&c->stream_ready))
		return RTW_OK;
	pthread_mutex_lock(&c->stream_lock);
	if (!atomic_load(&c->stream_ready))
		r = check_or_create(c, js, err);
	if (r == RTW_OK)
		atomic_store(&c->stream_ready, 1);
	pthread_mutex_unlock(&c->stream_lock);
	return r;
}

void stream_forget(struct natsconn *c)
{
	atomic_store(&c->stream_ready, 0);
}
