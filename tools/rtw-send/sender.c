/* The loop: promote feeds whose time has come, start as many ready feeds
 * as there are idle transfers (and --rate allows), let libcurl work, and
 * settle each finished attempt: the next event, a retry, or giving up.
 * A feed is in exactly one place at a time (the scheduler, a transfer, or
 * done/failed), which is what keeps one bot's requests strictly
 * sequential. */
#include <err.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "meter.h"
#include "schedule.h"
#include "sender.h"

#define MAX_WAIT_MS 1000
/* How far --rate may lag and still catch up in a burst. */
#define PACE_SLACK_US 10000.0

struct sender {
	const struct sender_config *cfg;
	struct feed_set *feeds;
	struct summary *sum;
	CURLM *multi;
	struct transfer *slots;
	size_t nslots;
	struct transfer **idle; /* stack of idle slots */
	size_t nidle;
	struct schedule sched;
	struct meter meter;
	double pace_us; /* the earliest start of the next request */
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sender_teardown(struct sender *s)
{
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].feed != NULL)
			curl_multi_remove_handle(s->multi, s->slots[i].easy);
		transfer_cleanup(&s->slots[i]);
	}
	free(s->slots);
	free(s->idle);
	schedule_free(&s->sched);
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi);
}

static int sender_setup(struct sender *s, const struct sender_config *cfg,
			struct feed_set *feeds, struct summary *sum)
{
	s->cfg = cfg;
	s->feeds = feeds;
	s->sum = sum;
	s->nslots = cfg->concurrency < feeds->n ? cfg->concurrency : feeds->n;
	s->multi = curl_multi_init();
	s->slots = calloc(s->nslots ? s->nslots : 1, sizeof(*s->slots));
	s->idle = calloc(s->nslots ? s->nslots : 1, sizeof(*s->idle));
	if (s->multi == NULL || s->slots == NULL || s->idle == NULL ||
	    schedule_init(&s->sched, feeds->n) != 0)
		return -1;
	for (size_t i = 0; i < s->nslots; i++) {
		if (transfer_init(&s->slots[i], &cfg->transfer) != 0)
			return -1;
		s->idle[s->nidle++] = &s->slots[i];
	}
	return 0;
}

static int pace_allows(const struct sender *s, int64_t now)
{
	return s->cfg->rate <= 0 || s->pace_us <= (double)now;
}

static void pace_take(struct sender *s, int64_t now)
{
	if (s->cfg->rate <= 0)
		return;
	/* A late wake-up may catch up a little, an idle stretch may not
	 * turn into a burst. */
	if (s->pace_us < (double)now - PACE_SLACK_US)
		s->pace_us = (double)now - PACE_SLACK_US;
	s->pace_us += 1e6 / s->cfg->rate;
}

static int start_attempt(struct sender *s, struct feed *f, int64_t now)
{
	struct transfer *t = s->idle[--s->nidle];

	if (transfer_prepare(t, &s->cfg->transfer, f) != 0 ||
	    curl_multi_add_handle(s->multi, t->easy) != CURLM_OK) {
		warnx("cannot set up a request");
		return -1;
	}
	if (f->next == 0 && f->attempts == 0)
		f->origin_us = now;
	if (f->attempts == 0)
		s->sum->sent++;
	else
		s->sum->retries++;
	s->sum->attempts++;
	f->attempts++;
	f->state = FEED_IN_FLIGHT;
	pace_take(s, now);
	return 0;
}

static int start_ready(struct sender *s, int64_t now)
{
	struct feed *f;

	schedule_promote(&s->sched, now);
	while (s->nidle > 0 && pace_allows(s, now) &&
	       (f = schedule_peek_ready(&s->sched)) != NULL) {
		schedule_pop_ready(&s->sched);
		if (start_attempt(s, f, now) != 0)
			return -1;
	}
	return 0;
}

/* When the next event of f is due: at once, or with --speed at its
 * replay time counted from the feed's first send. */
static int64_t next_due(const struct sender *s, const struct feed *f,
			int64_t now)
{
	double offset_s;

	if (s->cfg->speed <= 0)
		return now;
	offset_s = (f->events[f->next].at - f->events[0].at) / s->cfg->speed;
	return f->origin_us + (int64_t)llround(offset_s * 1e6);
}

static int acknowledged(struct sender *s, struct feed *f, int64_t latency,
			int64_t now)
{
	s->sum->acked++;
	if (summary_add_latency(s->sum, latency) != 0)
		return -1;
	f->next++;
	f->attempts = 0;
	if (f->next == f->n) {
		f->state = FEED_DONE;
		return 0;
	}
	f->state = FEED_WAITING;
	f->due_us = next_due(s, f, now);
	schedule_add(&s->sched, f, now);
	return 0;
}

static void attempt_failed(struct sender *s, struct feed *f,
			   const char *why, int64_t now)
{
	if (f->attempts > s->cfg->max_retries) {
		/* Like Recall: the feed is dead, later events are never
		 * sent. */
		f->state = FEED_FAILED;
		s->sum->bots_failed++;
		meter_clear(&s->meter);
		warnx("bot %s: gave up on event %zu of %zu after %u attempts "
		      "(last: %s)",
		      f->bot_id != NULL ? f->bot_id : "(none)", f->next + 1,
		      f->n, f->attempts, why);
		return;
	}
	f->state = FEED_WAITING;
	f->due_us = now + (int64_t)s->cfg->retry_interval_ms * 1000;
	schedule_add(&s->sched, f, now);
}

static int settle_finished(struct sender *s)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		struct transfer *t = NULL;
		struct feed *f;
		int64_t latency = 0, now = now_us();

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
		f = t->feed;
		curl_multi_remove_handle(s->multi, t->easy);
		s->idle[s->nidle++] = t;
		if (transfer_finish(t, msg->data.result, &latency)) {
			if (acknowledged(s, f, latency, now) != 0)
				return -1;
		} else {
			attempt_failed(s, f, t->error, now);
		}
	}
	return 0;
}

/* How long libcurl may sleep: until the next feed is due, the rate lets
 * a ready feed start, or the progress line needs redrawing. */
static int wait_ms(const struct sender *s, int64_t now)
{
	int64_t until = schedule_next_due(&s->sched);
	int64_t ms;

	if (schedule_peek_ready(&s->sched) != NULL && s->nidle > 0 &&
	    s->pace_us < (double)until)
		until = (int64_t)s->pace_us;
	if (s->meter.out != NULL && s->meter.next_us < until)
		until = s->meter.next_us;
	if (until == INT64_MAX)
		return MAX_WAIT_MS;
	ms = (until - now + 999) / 1000;
	return ms < 0 ? 0 : ms > MAX_WAIT_MS ? MAX_WAIT_MS : (int)ms;
}

static int busy(const struct sender *s)
{
	return s->nidle < s->nslots || !schedule_empty(&s->sched);
}

static int run_loop(struct sender *s)
{
	int running;

	while (busy(s) && !*s->cfg->stop) {
		int64_t now = now_us();

		if (start_ready(s, now) != 0 ||
		    curl_multi_perform(s->multi, &running) != CURLM_OK ||
		    settle_finished(s) != 0)
			return -1;
		now = now_us();
		meter_tick(&s->meter, s->sum, now);
		if (!busy(s) || (schedule_peek_ready(&s->sched) != NULL &&
				 s->nidle > 0 && pace_allows(s, now)))
			continue;
		if (curl_multi_poll(s->multi, NULL, 0, wait_ms(s, now),
				    NULL) != CURLM_OK)
			return -1;
	}
	s->sum->interrupted = *s->cfg->stop != 0;
	return 0;
}

int sender_run(const struct sender_config *cfg, struct feed_set *feeds,
	       struct summary *sum)
{
	struct sender s = {0};
	int64_t now = now_us();
	int rc = -1;

	sum->events = feeds->nevents;
	sum->bots = feeds->n;
	sum->start_us = now;
	if (sender_setup(&s, cfg, feeds, sum) == 0) {
		s.pace_us = (double)now;
		meter_init(&s.meter, cfg->progress, now);
		for (size_t i = 0; i < feeds->n; i++) {
			feeds->feeds[i].due_us = now;
			schedule_add(&s.sched, &feeds->feeds[i], now);
		}
		rc = run_loop(&s);
		meter_clear(&s.meter);
	}
	sum->end_us = now_us();
	sum->unsent = sum->events - sum->sent;
	sender_teardown(&s);
	return rc;
}
