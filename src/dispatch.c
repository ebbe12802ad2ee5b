/* Handler workers and the retry policy. */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "dispatch.h"
#include "log.h"
#include "runtime.h"

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 30000

struct worker {
	struct runtime *rt;
	struct handler *h;
};

/* Sleeps ms, waking early when the queue is aborted. */
static void backoff_sleep(struct queue *q, long ms)
{
	struct timespec tick = {0, 50 * 1000 * 1000};

	for (long slept = 0; slept < ms && !queue_aborted(q); slept += 50)
		nanosleep(&tick, NULL);
}

/* Offers ev to the handler until it answers OK or FAIL, or the queue is
 * aborted. */
static void deliver(struct runtime *rt, struct handler *h,
		    const struct rtw_event *ev)
{
	const struct rtw_handler *desc = h->module.desc;
	long delay = RETRY_FIRST_MS;

	for (;;) {
		struct rtw_error err = {{0}};
		enum rtw_result r = desc->handle(h->state, ev, &err);

		if (r == RTW_OK) {
			atomic_fetch_add(&rt->stats.handled_ok, 1);
			return;
		}
		if (r != RTW_RETRY) {
			atomic_fetch_add(&rt->stats.handled_fail, 1);
			log_warnx("handler %s: event %" PRIu64 " (%s) failed: %s",
				  h->conf->name, ev->seq, ev->type_name,
				  err.message[0] ? err.message : "no reason");
			return;
		}
		atomic_fetch_add(&rt->stats.handled_retry, 1);
		log_debug("handler %s: event %" PRIu64 " retry in %ld ms: %s",
			  h->conf->name, ev->seq, delay, err.message);
		backoff_sleep(rt->queue, delay);
		if (queue_aborted(rt->queue))
			return;
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stored_event *se;

	while ((se = queue_next(w->rt->queue, w->h->index)) != NULL) {
		if (se->targets >> w->h->index & 1)
			deliver(w->rt, w->h, &se->ev.view);
		queue_done(w->rt->queue, w->h->index);
	}
	free(w);
	return NULL;
}

int dispatch_start(struct runtime *rt, struct handler *h)
{
	struct worker *w = malloc(sizeof(*w));

	if (w == NULL)
		return -1;
	w->rt = rt;
	w->h = h;
	if (pthread_create(&h->worker, NULL, worker_main, w) != 0) {
		free(w);
		return -1;
	}
	h->worker_started = 1;
	return 0;
}

void dispatch_join(struct handler *h)
{
	if (h->worker_started)
		pthread_join(h->worker, NULL);
	h->worker_started = 0;
}
