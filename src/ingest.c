/* The protocol-free part of the request path. */
#include <stdio.h>
#include <stdlib.h>

#include "ingest.h"
#include "runtime.h"

static void set_verdict(struct verdict *v, int status, const char *reason)
{
	v->status = status;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

static void assign_seq(void *item, uint64_t seq)
{
	((struct stored_event *)item)->ev.view.seq = seq;
}

void ingest_body(struct runtime *rt, size_t endpoint, char *body, size_t len,
		 int64_t received_ms, struct verdict *v)
{
	struct stored_event *se = calloc(1, sizeof(*se));
	struct rtw_event *view;

	if (se == NULL) {
		free(body);
		set_verdict(v, 503, "out of memory");
		return;
	}
	se->body = body;
	if (event_parse(&se->ev, body, len, v->reason, sizeof(v->reason)) !=
	    0) {
		v->status = 400;
		stored_event_free(se);
		return;
	}
	view = &se->ev.view;
	view->endpoint_path = rt->conf->endpoints[endpoint].path;
	view->received_at_ms = received_ms;
	if (view->type == RTW_EVENT_UNKNOWN)
		atomic_fetch_add(&rt->stats.unknown_type, 1);
	se->targets = runtime_targets(rt, endpoint, view->type_name);
	if (se->targets == 0) {
		/* Accepted and counted: no handler subscribes to it. */
		atomic_fetch_add(&rt->stats.unrouted, 1);
		stored_event_free(se);
		set_verdict(v, 200, "accepted, no handler subscribes");
		return;
	}
	if (queue_push(rt->queue, se, assign_seq) != 0) {
		stored_event_free(se);
		set_verdict(v, 503, "event queue full: handlers are behind");
		return;
	}
	atomic_fetch_add(&rt->stats.accepted, 1);
	set_verdict(v, 200, "accepted");
}
