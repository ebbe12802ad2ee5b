/* Per-handler delivery: a spool reader, per-bot lanes and workers. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deadletter.h"
#include "dispatch.h"
#include "inbox.h"
#include "lanes.h"
#include "pending.h"
#include "log.h"
#include "util.h"
#include "progress.h"
#include "runtime.h"
#include "spool_reader.h"

#define SAVE_INTERVAL_MS 50
/* A deadline that never comes (about 146 million years). */
#define NO_DEADLINE_MS (INT64_MAX / 2)
#define READ_BATCH 256
#define LINGER_MS 1
#define LINGER_POLLS 20
#define READ_RETRY_FIRST_MS 100
#define READ_RETRY_MAX_MS 1000
/* A batching handler (RTW_PENDING) is flushed at this many events, this
 * long after the oldest, or when there is nothing else to hand over. */
#define FLUSH_MAX_EVENTS 256
#define FLUSH_MAX_DELAY_MS 20
#define FLUSH_RETRY_FIRST_MS 100
#define FLUSH_RETRY_MAX_MS 5000

struct dispatcher {
	struct runtime *rt;
	struct handler *h;
	pthread_mutex_t lock;
	pthread_mutex_t save_lock; /* one progress save at a time */
	pthread_cond_t work_cv; /* workers: a lane may be ready */
	pthread_cond_t room_cv; /* reader: room in the lanes */
	struct lanes *lanes;
	struct inbox *inbox;
	struct progress *progress;
	struct spool_reader *reader;
	uint64_t next_seq;
	atomic_uint_fast64_t saved_low;
	int64_t last_save_ms;
	int stopping;
	atomic_int deadletter_fd; /* -1 until it could be opened */
	/* Batching handlers: events answered RTW_PENDING, the flush. */
	enum rtw_result (*flush)(void *state, struct rtw_error *err);
	struct pending pending;
	int flushing;           /* a worker is in flush() */
	int64_t flush_retry_at; /* after a failed flush (monotonic ms) */
	long flush_delay_ms;
	uint64_t lost_first, lost_last; /* a run of lost events (note_lost) */
	pthread_t reader_thread;
	pthread_t *workers;
	size_t nworkers, nstarted;
	int reader_started; /* and not joined yet */
};

static struct timespec at_ms(int64_t ms)
{
	return (struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L};
}

/* Saves progress when due (or when forced). Called with the lock held;
 * releases it while the file is written and synced, so workers go on.
 * Only one thread saves at a time (a second one finds the save lock taken
 * and leaves it: the state stays dirty for the next save). Returns 1 when
 * it released the lock (what it guards may have changed), else 0. */
static int maybe_save(struct dispatcher *d, int force)
{
	int64_t now = mono_ms();
	uint64_t low = 0;
	size_t len = 0;
	char *text;
	int rc, released;

	if (!force && now - d->last_save_ms < SAVE_INTERVAL_MS)
		return 0;
	if (pthread_mutex_trylock(&d->save_lock) != 0)
		return 0;
	d->last_save_ms = now;
	text = progress_snapshot(d->progress, &len, &low);
	released = text != NULL;
	if (released) {
		pthread_mutex_unlock(&d->lock);
		rc = progress_write(d->progress, text, len);
		free(text);
		if (rc == 0) {
			atomic_store(&d->saved_low, low);
			runtime_progress_saved(d->rt);
		}
		pthread_mutex_lock(&d->lock);
		if (rc != 0)
			progress_mark_unsaved(d->progress);
	}
	pthread_mutex_unlock(&d->save_lock);
	return released;
}

/* ---- the reader -------------------------------------------------------- */

/* What the reader got for one event. */
enum load_result {
	LOAD_EVENT, /* *se holds it, for this handler */
	LOAD_UNWANTED, /* the handler does not subscribe to it */
	LOAD_LOST, /* its record is gone or corrupt: it can never be read */
	LOAD_LATER, /* it could not be read now (I/O error, no memory) */
};

/* Rebuilds event seq from its spool record into *se. */
static enum load_result load_from_spool(struct dispatcher *d, uint64_t seq,
					struct stored_event **se)
{
	struct spool_record r;
	char why[256];
	char *body;

	switch (spool_reader_read(d->reader, seq, &r)) {
	case SPOOL_READ_OK:
		break;
	case SPOOL_READ_IO_ERROR:
		return LOAD_LATER;
	case SPOOL_READ_GONE:
	case SPOOL_READ_CORRUPT:
		return LOAD_LOST;
	}
	atomic_fetch_add(&d->rt->stats.reread, 1);
	body = malloc(r.body_len ? r.body_len : 1);
	if (body == NULL)
		return LOAD_LATER;
	memcpy(body, r.body, r.body_len);
	*se = stored_event_new(body, r.body_len, why, sizeof(why));
	if (*se == NULL) {
		log_warnx("spool record %" PRIu64 " does not parse: %s", seq,
			  why);
		return LOAD_LOST;
	}
	(*se)->path = strndup(r.path, r.path_len);
	(*se)->dedup_key = strndup(r.key, r.key_len);
	runtime_bind_event(d->rt, *se, seq, r.received_ms);
	return LOAD_EVENT;
}

/* Event seq for this handler: from the inbox when it was offered there,
 * else from the spool. *se is set only for LOAD_EVENT. */
static enum load_result load(struct dispatcher *d, uint64_t seq,
			     struct stored_event **se)
{
	enum load_result got;

	*se = NULL;
	switch (inbox_take(d->inbox, seq, se)) {
	case INBOX_EVENT:
		spool_reader_seek(d->reader, &(*se)->end);
		return LOAD_EVENT;
	case INBOX_UNWANTED:
		return LOAD_UNWANTED;
	case INBOX_MISSING:
		break;
	}
	got = load_from_spool(d, seq, se);
	if (got == LOAD_EVENT && !handler_wants(d->h, *se)) {
		stored_event_unref(*se);
		*se = NULL;
		return LOAD_UNWANTED;
	}
	return got;
}

/* Waits for room in the lanes; returns how many events may be read (at
 * least 1), or 0 to stop. */
static size_t wait_for_room(struct dispatcher *d)
{
	size_t room = 0;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping &&
	       (lanes_events(d->lanes) >= DISPATCH_MAX_QUEUED ||
		d->next_seq > progress_low(d->progress) + PROGRESS_SPAN))
		pthread_cond_wait(&d->room_cv, &d->lock);
	if (!d->stopping) {
		uint64_t span_left =
			progress_low(d->progress) + PROGRESS_SPAN + 1 -
			d->next_seq;

		room = DISPATCH_MAX_QUEUED - lanes_events(d->lanes);
		if (room > READ_BATCH)
			room = READ_BATCH;
		if (room > span_left)
			room = (size_t)span_left;
	}
	pthread_mutex_unlock(&d->lock);
	return room;
}

/* The end of a run of lost events: one line for all but its first. Lock
 * held. */
static void end_lost_run(struct dispatcher *d)
{
	if (d->lost_last > d->lost_first)
		log_warnx("handler %s: events %" PRIu64 "-%" PRIu64
			  " are gone or corrupt in the spool too; skipped",
			  d->h->conf->name, d->lost_first + 1, d->lost_last);
	d->lost_first = d->lost_last = 0;
}

/* Logs events that can never be read: the first of a run at once, the
 * rest of the run in one line when it ends (a start that skips the
 * numbers of records lost with a failed flush makes runs of thousands).
 * Lock held. */
static void note_lost(struct dispatcher *d, uint64_t seq)
{
	const char *name = d->h->conf->name;

	if (d->lost_last != 0 && seq == d->lost_last + 1) {
		d->lost_last = seq;
		return;
	}
	end_lost_run(d);
	log_warnx("handler %s: event %" PRIu64 " is gone or corrupt in the "
		  "spool; skipped",
		  name, seq);
	d->lost_first = d->lost_last = seq;
}

/* Takes event seq in: queues it on its lane, or marks it done when the
 * handler does not want it or it can never be read. Lock held. Returns 0,
 * or -1 when it must be read again later (it stays not done). */
static int take_in(struct dispatcher *d, uint64_t seq, enum load_result got,
		   struct stored_event *se)
{
	if (got != LOAD_LOST && got != LOAD_LATER)
		end_lost_run(d);
	switch (got) {
	case LOAD_EVENT:
		if (lanes_push(d->lanes, se) == 0)
			return 0;
		stored_event_unref(se);
		return -1;
	case LOAD_LATER:
		return -1;
	case LOAD_LOST:
		note_lost(d, seq);
		break;
	case LOAD_UNWANTED:
		break;
	}
	progress_mark_done(d->progress, seq);
	return 0;
}

/* Reads the n events from d->next_seq on (all committed) and queues them.
 * The loading happens outside the lock; taking them in under it, once.
 * Returns 0, or -1 when it stopped at an event it could not read now
 * (d->next_seq is then that event's). */
static int read_batch(struct dispatcher *d, size_t n)
{
	struct stored_event *batch[READ_BATCH];
	enum load_result got[READ_BATCH];
	int done[READ_BATCH];
	uint64_t first = d->next_seq;
	size_t i, taken;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < n; i++)
		done[i] = progress_is_done(d->progress, first + i);
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < n; i++) {
		batch[i] = NULL;
		if (done[i])
			inbox_take(d->inbox, first + i, &batch[i]);
		else if ((got[i] = load(d, first + i, &batch[i])) == LOAD_LATER)
			break; /* the rest waits for this one */
	}
	n = i < n ? i + 1 : n;
	taken = n;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < n; i++) {
		if (done[i] || taken < n)
			stored_event_unref(batch[i]);
		else if (take_in(d, first + i, got[i], batch[i]) != 0)
			taken = i;
	}
	d->next_seq = first + taken;
	if (d->nworkers > 1)
		pthread_cond_broadcast(&d->work_cv);
	else
		pthread_cond_signal(&d->work_cv);
	maybe_save(d, 0);
	pthread_mutex_unlock(&d->lock);
	return taken < n ? -1 : 0;
}

/* After a failed read: waits delay_ms (or until stopping) and returns the
 * next delay, doubling up to READ_RETRY_MAX_MS. Warns at the first. The
 * room signal also wakes it (workers send it as lanes drain), hence the
 * loop. */
static long pause_reader(struct dispatcher *d, long delay_ms)
{
	struct timespec until = mono_deadline(delay_ms);

	if (delay_ms == READ_RETRY_FIRST_MS)
		log_warnx("handler %s: cannot read event %" PRIu64 " from the "
			  "spool; retrying", d->h->conf->name, d->next_seq);
	pthread_mutex_lock(&d->lock);
	while (!d->stopping &&
	       pthread_cond_timedwait(&d->room_cv, &d->lock, &until) !=
		   ETIMEDOUT)
		;
	pthread_mutex_unlock(&d->lock);
	return delay_ms * 2 < READ_RETRY_MAX_MS ? delay_ms * 2
						 : READ_RETRY_MAX_MS;
}

/* While events keep coming, the reader polls every LINGER_MS instead of
 * being woken for each commit: one wake-up then carries a batch, which
 * costs far less CPU than a thread hand-off per event (at the price of up
 * to LINGER_MS of delivery latency; the answer to Recall is unaffected).
 * After LINGER_POLLS empty polls it sleeps until the next commit. */
static void *reader_main(void *arg)
{
	struct dispatcher *d = arg;
	struct timespec linger = {0, LINGER_MS * 1000000L};
	int idle_polls = LINGER_POLLS;
	long retry_ms = READ_RETRY_FIRST_MS;
	size_t room;

	while ((room = wait_for_room(d)) > 0) {
		uint64_t committed = spool_committed(d->rt->spool);
		uint64_t n;

		if (committed < d->next_seq) {
			if (idle_polls++ < LINGER_POLLS)
				nanosleep(&linger, NULL);
			else
				spool_wait(d->rt->spool, d->next_seq, 250);
			continue;
		}
		idle_polls = 0;
		n = committed - d->next_seq + 1;
		if (read_batch(d, n < room ? (size_t)n : room) != 0)
			retry_ms = pause_reader(d, retry_ms);
		else if (retry_ms != READ_RETRY_FIRST_MS) {
			log_info("handler %s: reading the spool again",
				  d->h->conf->name);
			retry_ms = READ_RETRY_FIRST_MS;
		}
	}
	return NULL;
}

/* ---- the workers ------------------------------------------------------- */

/* Acts on the handler's answer for the head event of lane. Lock held. */
static void settle(struct dispatcher *d, struct lane *l,
		   enum rtw_result result, const char *reason,
		   int64_t retry_ms)
{
	const struct handler_conf *hc = d->h->conf;
	struct stored_event *se;

	if (result == RTW_RETRY) {
		long delay = (long)retry_ms;

		/* A delay the handler asked for (host->retry_after). */
		if (retry_ms >= 0)
			lanes_sleep(d->lanes, l, mono_ms(), delay);
		else
			delay = lanes_backoff(d->lanes, l, mono_ms(),
					      hc->retry_first_ms,
					      hc->retry_max_ms);

		atomic_fetch_add(&d->rt->stats.handled_retry, 1);
		log_debug("handler %s: event %" PRIu64 " retried in %ld ms: %s",
			  hc->name, lane_head(l)->ev.view.seq, delay, reason);
		pthread_cond_signal(&d->work_cv); /* another lane may be ready */
		return;
	}
	atomic_fetch_add(result == RTW_FAIL ? &d->rt->stats.handled_fail
					    : &d->rt->stats.handled_ok,
			 1);
	se = lanes_finish(d->lanes, l);
	/* A pending event is done once a flush covers it; if it cannot even
	 * be listed, it stays not done: offered again after a restart. */
	if (result != RTW_PENDING)
		progress_mark_done(d->progress, se->ev.view.seq);
	else if (pending_add(&d->pending, se->ev.view.seq, mono_ms()) != 0)
		log_warnx("handler %s: out of memory listing event %" PRIu64
			  " for its flush",
			  hc->name, se->ev.view.seq);
	stored_event_unref(se);
	pthread_cond_signal(&d->room_cv);
	pthread_cond_signal(&d->work_cv);
	maybe_save(d, 0);
}

/* The delay a handler asked for through host->retry_after during the
 * handle call running on this thread, or -1. */
static __thread int64_t asked_retry_ms = -1;

#define RETRY_AFTER_MAX_MS (3600 * 1000)
/* "Retry-After: 0" from a failing downstream must not make a worker spin. */
#define RETRY_AFTER_MIN_MS 100

void dispatch_retry_after(int64_t delay_ms)
{
	if (delay_ms < RETRY_AFTER_MIN_MS)
		delay_ms = RETRY_AFTER_MIN_MS;
	asked_retry_ms =
		delay_ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : delay_ms;
}

/* The dead-letter file, opened now if it could not be before (its
 * directory was fixed meanwhile): until it opens, a FAIL is retried. Any
 * worker; the first to open it wins. */
static int deadletter_fd(struct dispatcher *d)
{
	int fd = atomic_load(&d->deadletter_fd), none = -1;

	if (fd >= 0)
		return fd;
	fd = deadletter_open(d->h->state_dir);
	if (fd >= 0 &&
	    !atomic_compare_exchange_strong(&d->deadletter_fd, &none, fd)) {
		close(fd);
		fd = none;
	}
	return fd;
}

/* Runs the handler on ev. Called without the lock. */
static enum rtw_result serve(struct dispatcher *d,
			     const struct rtw_event *ev,
			     struct rtw_error *err, int64_t *retry_ms)
{
	const struct rtw_handler *desc = d->h->module.desc;
	int64_t start_us = mono_us();
	enum rtw_result r;

	asked_retry_ms = -1;
	r = desc->handle(d->h->state, ev, err);
	*retry_ms = asked_retry_ms;

	metrics_count_handled(d->h->metrics, r, mono_us() - start_us);
	if (r == RTW_PENDING && d->flush == NULL) {
		rtw_error_set(err, "handler returned PENDING but has no "
				   "flush callback");
		r = RTW_FAIL;
	}
	if (r != RTW_OK && r != RTW_RETRY && r != RTW_PENDING) {
		if (r != RTW_FAIL)
			rtw_error_set(err, "handler returned %d, not OK, RETRY, "
					   "FAIL or PENDING",
				      (int)r);
		log_warnx("handler %s: event %" PRIu64 " (%s) failed: %s",
			  d->h->conf->name, ev->seq, ev->type_name,
			  err->message[0] ? err->message : "no reason");
		r = RTW_FAIL;
		/* Never drop a refused event unrecorded: without its
		 * dead-letter line it is retried instead. */
		if (deadletter_write(deadletter_fd(d), ev,
				     err->message[0] ? err->message
						     : "no reason",
				     now_ms()) != 0)
			r = RTW_RETRY;
	}
	return r;
}

/* ---- batching handlers: the flush ---------------------------------------- */

/* Is a flush due now? Lock held. */
static int flush_due(const struct dispatcher *d, int64_t now, int idle)
{
	if (d->flush == NULL || d->flushing || d->pending.count == 0 ||
	    now < d->flush_retry_at)
		return 0;
	return idle || d->pending.count >= FLUSH_MAX_EVENTS ||
	       now - d->pending.oldest_ms >= FLUSH_MAX_DELAY_MS;
}

/* After a failed flush no new event is handed over (the batch would only
 * grow) until the retry time. Lock held. */
static int flush_blocked(const struct dispatcher *d, int64_t now)
{
	return d->pending.count > 0 && now < d->flush_retry_at;
}

/* The flush's verdict on the events in taken. Lock held. */
static void settle_flush(struct dispatcher *d, struct pending *taken,
			 enum rtw_result r, const char *reason)
{
	const char *name = d->h->conf->name;

	metrics_count_flush(d->h->metrics, r == RTW_OK);
	if (r == RTW_OK) {
		for (size_t i = 0; i < taken->count; i++)
			progress_mark_done(d->progress, taken->seqs[i]);
		pending_free(taken);
		if (d->flush_delay_ms > FLUSH_RETRY_FIRST_MS)
			log_info("handler %s: flush works again", name);
		d->flush_delay_ms = FLUSH_RETRY_FIRST_MS;
		d->flush_retry_at = 0;
		pthread_cond_signal(&d->room_cv);
		maybe_save(d, 0);
		return;
	}
	/* Every event of the batch waits for another flush: retried. */
	atomic_fetch_add(&d->rt->stats.handled_retry, taken->count);
	if (d->flush_delay_ms == FLUSH_RETRY_FIRST_MS)
		log_warnx("handler %s: flush failed, retrying: %s", name,
			  reason[0] ? reason : "no reason");
	if (pending_restore(&d->pending, taken) != 0)
		log_warnx("handler %s: out of memory keeping its batch; "
			  "its events are offered again after a restart",
			  name);
	d->flush_retry_at = mono_ms() + d->flush_delay_ms;
	d->flush_delay_ms = d->flush_delay_ms * 2 < FLUSH_RETRY_MAX_MS
				    ? d->flush_delay_ms * 2
				    : FLUSH_RETRY_MAX_MS;
}

/* Flushes the batch: the module's flush runs without the lock (other
 * workers go on handling), the verdict is taken under it. Lock held. */
static void run_flush(struct dispatcher *d)
{
	struct pending taken;
	struct rtw_error err = {{0}};
	enum rtw_result r;

	pending_take(&d->pending, &taken);
	d->flushing = 1;
	pthread_mutex_unlock(&d->lock);
	r = d->flush(d->h->state, &err);
	pthread_mutex_lock(&d->lock);
	d->flushing = 0;
	settle_flush(d, &taken, r, err.message);
	pthread_cond_broadcast(&d->work_cv);
}

/* When the idle worker should wake: the next lane, the next save, the end
 * of a flush backoff or a flush's deadline. Lock held. */
static int64_t idle_wake(const struct dispatcher *d, int64_t wake)
{
	int64_t flush_at = -1;

	if (progress_dirty(d->progress) &&
	    (wake < 0 || wake > d->last_save_ms + SAVE_INTERVAL_MS))
		wake = d->last_save_ms + SAVE_INTERVAL_MS;
	if (d->pending.count > 0)
		flush_at = d->flush_retry_at > 0
				   ? d->flush_retry_at
				   : d->pending.oldest_ms + FLUSH_MAX_DELAY_MS;
	if (flush_at > 0 && (wake < 0 || flush_at < wake))
		wake = flush_at;
	return wake;
}

static void *worker_main(void *arg)
{
	struct dispatcher *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		int64_t now = mono_ms(), wake = -1;
		struct lane *l = NULL;
		struct rtw_error err = {{0}};
		enum rtw_result r;
		int64_t retry_ms;

		if (flush_due(d, now, 0)) {
			run_flush(d);
			continue;
		}
		if (!flush_blocked(d, now))
			l = lanes_take(d->lanes, now, &wake);
		if (l == NULL && flush_due(d, now, 1)) {
			run_flush(d); /* nothing else to do: flush now */
			continue;
		}
		if (l == NULL) {
			struct timespec until;

			/* Idle: save what is not saved yet once the save
			 * interval has passed, so a quiet handler's progress
			 * is on disk within SAVE_INTERVAL_MS. A save lets go
			 * of the lock while it writes: an event queued then
			 * signalled no one waiting, so look again before
			 * sleeping (else it waited for the next wake-up, up
			 * to a sleeping lane's Retry-After). */
			if (maybe_save(d, 0))
				continue;
			wake = idle_wake(d, wake);
			until = at_ms(wake > 0 ? wake : mono_ms() + 1000);
			pthread_cond_timedwait(&d->work_cv, &d->lock, &until);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		r = serve(d, &lane_head(l)->ev.view, &err, &retry_ms);
		pthread_mutex_lock(&d->lock);
		settle(d, l, r, err.message, retry_ms);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- lifecycle --------------------------------------------------------- */

static int start_threads(struct dispatcher *d)
{
	const char *name = d->h->conf->name;

	if (thread_start(&d->reader_thread, reader_main, d, "rd", name) != 0)
		return -1;
	d->reader_started = 1;
	for (; d->nstarted < d->nworkers; d->nstarted++)
		if (thread_start(&d->workers[d->nstarted], worker_main, d, "wk",
				 name) != 0)
			return -1;
	return 0;
}

struct dispatcher *dispatch_start(struct runtime *rt, struct handler *h)
{
	struct dispatcher *d = calloc(1, sizeof(*d));
	uint64_t oldest = spool_oldest(rt->spool);
	char why[512];

	if (d == NULL)
		return NULL;
	d->rt = rt;
	d->h = h;
	d->flush = handler_flush_fn(h);
	d->flush_delay_ms = FLUSH_RETRY_FIRST_MS;
	atomic_init(&d->deadletter_fd, -1);
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->save_lock, NULL);
	/* Lane wake-ups and save times are CLOCK_MONOTONIC. */
	cond_init_monotonic(&d->work_cv);
	cond_init_monotonic(&d->room_cv);
	d->nworkers = (size_t)h->conf->workers;
	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	d->lanes = lanes_new();
	d->inbox = inbox_new();
	d->reader = spool_reader_new(rt->spool);
	d->progress = progress_load(h->state_dir, oldest - 1, why, sizeof(why));
	if (d->workers == NULL || d->lanes == NULL || d->inbox == NULL ||
	    d->reader == NULL || d->progress == NULL) {
		log_warnx("handler %s: %s", h->conf->name,
			  d->progress == NULL ? why : "out of memory");
		goto fail;
	}
	if (progress_low(d->progress) + 1 < oldest) {
		log_warnx("handler %s: events %" PRIu64 "..%" PRIu64
			  " left the spool before it handled them",
			  h->conf->name, progress_low(d->progress) + 1,
			  oldest - 1);
		progress_skip_to(d->progress, oldest - 1);
	}
	d->next_seq = progress_low(d->progress) + 1;
	atomic_store(&d->saved_low, progress_low(d->progress));
	atomic_store(&d->deadletter_fd, deadletter_open(h->state_dir));
	if (start_threads(d) != 0) {
		log_warnx("handler %s: cannot start threads", h->conf->name);
		/* The threads that did start may already be in the module:
		 * wait for them however long it takes, or they would run on
		 * freed memory. */
		dispatch_stop(d, NO_DEADLINE_MS);
		goto fail;
	}
	return d;
fail:
	dispatch_free(d);
	return NULL;
}

/* deadline_ms is wall-clock time: pthread_timedjoin_np takes CLOCK_REALTIME. */
static int join_by(pthread_t t, int64_t deadline_ms)
{
	struct timespec until = at_ms(deadline_ms);

	return pthread_timedjoin_np(t, NULL, &until) == 0 ? 0 : -1;
}

/* Joins the threads still running by deadline_ms. The ones that ended
 * are forgotten, so a later stop (at shutdown, after a reload gave up on
 * a stuck handler) waits only for the others. Returns 0 when none is
 * left. */
static int join_threads(struct dispatcher *d, int64_t deadline_ms)
{
	size_t left = 0;

	if (d->reader_started && join_by(d->reader_thread, deadline_ms) == 0)
		d->reader_started = 0;
	for (size_t i = 0; i < d->nstarted; i++)
		if (join_by(d->workers[i], deadline_ms) != 0)
			d->workers[left++] = d->workers[i];
	d->nstarted = left;
	return d->reader_started || left > 0 ? -1 : 0;
}

int dispatch_stop(struct dispatcher *d, int64_t deadline_ms)
{
	int rc;

	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_broadcast(&d->work_cv);
	pthread_cond_broadcast(&d->room_cv);
	pthread_mutex_unlock(&d->lock);
	spool_wake(d->rt->spool);
	rc = join_threads(d, deadline_ms);
	pthread_mutex_lock(&d->lock);
	/* The last batch: made durable now, or offered again next start.
	 * Not while a worker may still be inside the module. */
	if (rc == 0 && d->flush != NULL && d->pending.count > 0)
		run_flush(d);
	maybe_save(d, 1);
	pthread_mutex_unlock(&d->lock);
	if (rc != 0)
		log_warnx("handler %s: still busy in its handler at the "
			  "shutdown deadline; its current event stays in the "
			  "spool",
			  d->h->conf->name);
	return rc;
}

void dispatch_free(struct dispatcher *d)
{
	if (d == NULL)
		return;
	lanes_free(d->lanes);
	inbox_free(d->inbox);
	pending_free(&d->pending);
	progress_free(d->progress);
	spool_reader_free(d->reader);
	if (atomic_load(&d->deadletter_fd) >= 0)
		close(atomic_load(&d->deadletter_fd));
	pthread_cond_destroy(&d->work_cv);
	pthread_cond_destroy(&d->room_cv);
	pthread_mutex_destroy(&d->save_lock);
	pthread_mutex_destroy(&d->lock);
	free(d->workers);
	free(d);
}

void dispatch_offer(struct dispatcher *d, uint64_t seq,
		    struct stored_event *se)
{
	int wanted = handler_wants(d->h, se);

	inbox_offer(d->inbox, seq, wanted ? stored_event_ref(se) : NULL);
}

int dispatch_stopped(struct dispatcher *d)
{
	int stopped;

	pthread_mutex_lock(&d->lock);
	stopped = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return stopped;
}

uint64_t dispatch_saved_low(struct dispatcher *d)
{
	return atomic_load(&d->saved_low);
}

void dispatch_backlog(struct dispatcher *d, size_t *queued,
		      uint64_t *next_seq)
{
	pthread_mutex_lock(&d->lock);
	*queued = lanes_events(d->lanes);
	*next_seq = d->next_seq;
	pthread_mutex_unlock(&d->lock);
}
