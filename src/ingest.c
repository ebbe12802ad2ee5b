/* The protocol-free part of the request path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "runtime.h"

static void set_verdict(struct verdict *v, int status, const char *reason)
{
	v->status = status;
	v->wait_for = 0;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

/* A sender retry of an accepted event: 200 once the original is durable
 * (spool_on_commit answers at once when it is, and 503 when its flush
 * failed meanwhile). */
static void answer_duplicate(struct runtime *rt, uint64_t seq,
			     struct verdict *v)
{
	atomic_fetch_add(&rt->stats.duplicates, 1);
	set_verdict(v, 200, "duplicate");
	if (rt->conf->fsync != FSYNC_OFF)
		v->wait_for = seq;
}

struct publish {
	struct runtime *rt;
	struct stored_event *se;
	int64_t received_ms;
};

/* Runs inside spool_append, before readers can see the record: numbers
 * the event and offers it to every handler, so handlers that keep up
 * take this copy instead of rereading and reparsing the record. The
 * spool's lock is what keeps the handler set alive meanwhile (a reload
 * waits for it before freeing a set: handler_swap.h). */
static void publish(void *arg, uint64_t seq, const struct spool_position *end)
{
	struct publish *p = arg;
	const struct handler_set *set = atomic_load(&p->rt->handlers);

	p->se->end = *end;
	runtime_bind_event(p->rt, p->se, seq, p->received_ms);
	for (size_t i = 0; i < set->n; i++)
		dispatch_offer(set->dispatchers[i], seq, p->se);
}

/* Appends se to the spool. Returns its seq, or 0 with the verdict set. */
static uint64_t store(struct runtime *rt, struct stored_event *se,
		      const char *path, const char *key_text,
		      int64_t received_ms, struct verdict *v)
{
	struct publish p = {rt, se, received_ms};
	struct spool_record rec = {
		.received_ms = received_ms,
		.path = path,
		.path_len = strlen(path),
		.key = key_text,
		.key_len = strlen(key_text),
		.body = se->body,
		.body_len = se->ev.view.body_len,
	};

	if (spool_append(rt->spool, &rec, publish, &p) != 0) {
		v->status = 503;
		v->wait_for = 0;
		snprintf(v->reason, sizeof(v->reason),
			 "cannot store the event: %s", strerror(errno));
		return 0;
	}
	return rec.seq;
}

void ingest_body(struct runtime *rt, size_t endpoint, char *body, size_t len,
		 const char *delivery_id, int64_t received_ms,
		 struct verdict *v)
{
	const char *path = rt->conf->endpoints[endpoint].path;
	char key_text[DEDUP_TEXT_LEN];
	struct stored_event *se;
	struct dedup_key key;
	enum dedup_result r;
	uint64_t seq = 0;

	se = stored_event_new(body, len, v->reason, sizeof(v->reason));
	if (se == NULL) {
		v->status = 400;
		v->wait_for = 0;
		return;
	}
	dedup_key_make(path, delivery_id, body, len, &key, key_text);
	r = dedup_reserve(rt->dedup, &key, received_ms, &seq);
	/* A copy written before a flush that failed may not be on disk:
	 * stored again (a second delivery is better than none). */
	while (r == DEDUP_SEEN && spool_suspect(rt->spool, seq))
		r = dedup_reserve_again(rt->dedup, &key, received_ms, &seq);
	switch (r) {
	case DEDUP_SEEN:
		answer_duplicate(rt, seq, v);
		goto out;
	case DEDUP_PENDING:
		set_verdict(v, 503, "a copy of this event is being stored");
		goto out;
	case DEDUP_NEW:
		break;
	}
	se->endpoint = endpoint;
	se->dedup_key = strdup(key_text);
	if (se->dedup_key == NULL) {
		dedup_cancel(rt->dedup, &key);
		set_verdict(v, 503, "out of memory");
		goto out;
	}
	seq = store(rt, se, path, key_text, received_ms, v);
	if (seq == 0) {
		dedup_cancel(rt->dedup, &key);
		goto out;
	}
	dedup_confirm(rt->dedup, &key, seq);
	atomic_fetch_add(&rt->stats.accepted, 1);
	metrics_count_event(rt->metrics, se->ev.view.type,
			    se->ev.view.timestamp.absolute, received_ms);
	active_bots_seen(rt->active_bots, se->ev.view.bot_id, received_ms);
	if (se->ev.view.type == RTW_EVENT_UNKNOWN)
		atomic_fetch_add(&rt->stats.unknown_type, 1);
	set_verdict(v, 200, "accepted");
	if (rt->conf->fsync != FSYNC_OFF)
		v->wait_for = seq;
out:
	stored_event_unref(se);
}
