/* Group commit (see sqlite_batch.h). One lock serializes every use of the
 * connection; `arriving` counts workers that entered batch_write but have
 * not written yet, so the leader knows whom to wait for before COMMIT.
 * Each worker has at most one event in flight, so the leader waits for at
 * most workers - 1 others: the wait is bounded. Workers that arrive while
 * a COMMIT runs wait for the lock and form the next batch. */
#include <string.h>
#include <time.h>

#include "sqlite_batch.h"

/* How long a leader waits for the events of other busy workers (which are
 * between two handle() calls, in the host) before committing without
 * them. Only paid when several workers have lately been busy at once. */
#define GATHER_NS 300000L

struct batch_waiter {
	int done;
	int failed;
	struct rtw_error reason;
	struct batch_waiter *next;
};

static int init_monotonic_cond(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
		     pthread_cond_init(cond, &attr) == 0
		 ? 0
		 : -1;
	pthread_condattr_destroy(&attr);
	return rc;
}

int batch_init(struct batch *b, struct store *store)
{
	memset(b, 0, sizeof(*b));
	b->store = store;
	atomic_init(&b->arriving, 0);
	if (pthread_mutex_init(&b->lock, NULL) != 0)
		return -1;
	if (init_monotonic_cond(&b->wrote) != 0)
		goto fail_lock;
	if (pthread_cond_init(&b->committed, NULL) != 0)
		goto fail_wrote;
	return 0;
fail_wrote:
	pthread_cond_destroy(&b->wrote);
fail_lock:
	pthread_mutex_destroy(&b->lock);
	return -1;
}

void batch_destroy(struct batch *b)
{
	pthread_cond_destroy(&b->committed);
	pthread_cond_destroy(&b->wrote);
	pthread_mutex_destroy(&b->lock);
}

/* Hands every waiting worker its outcome (reason NULL: committed). */
static void settle(struct batch *b, const char *reason)
{
	unsigned long n = 0;

	for (struct batch_waiter *w = b->waiters; w != NULL; w = w->next, n++) {
		w->done = 1;
		w->failed = reason != NULL;
		if (reason != NULL)
			rtw_error_set(&w->reason, "%s", reason);
	}
	b->waiters = NULL;
	b->nwaiters = 0;
	if (reason == NULL && n > 0) {
		b->commits++;
		b->events += n;
	}
	pthread_cond_broadcast(&b->committed);
}

static struct timespec deadline_after(long ns)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += ns;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Waits until every arriving worker has written, and (for at most
 * GATHER_NS) until as many events as there were lately busy workers are
 * in the batch. A gather that times out lowers that number to what came,
 * so idle workers stop delaying commits after one wait. */
static void gather(struct batch *b)
{
	struct timespec deadline = deadline_after(GATHER_NS);
	int timed_out = 0;

	for (;;) {
		if (atomic_load(&b->arriving) > 0)
			pthread_cond_wait(&b->wrote, &b->lock);
		else if (b->nwaiters < b->busy_workers && !timed_out)
			timed_out = pthread_cond_timedwait(&b->wrote, &b->lock,
							   &deadline) != 0;
		else
			break;
	}
	if (timed_out)
		b->busy_workers = b->nwaiters;
}

/* The leader: waits until every arriving worker has written, commits
 * what the batch holds and settles it. Called and returns with the lock
 * held. */
static void lead(struct batch *b)
{
	struct rtw_error err = {{0}};

	b->leader = 1;
	gather(b);
	if (store_commit(b->store, &err) == 0)
		settle(b, NULL);
	else
		settle(b, err.message);
	b->leader = 0;
}

static int written(struct batch *b, struct batch_waiter *me)
{
	me->next = b->waiters;
	b->waiters = me;
	b->nwaiters++;
	if (b->nwaiters + atomic_load(&b->arriving) > b->busy_workers)
		b->busy_workers = b->nwaiters + atomic_load(&b->arriving);
	if (!b->leader)
		lead(b);
	while (!me->done)
		pthread_cond_wait(&b->committed, &b->lock);
	return me->failed ? STORE_RETRY : 0;
}

int batch_write(struct batch *b, const struct rtw_event *ev,
		struct rtw_error *err)
{
	struct batch_waiter me = {0};
	struct rtw_error why = {{0}};
	int batch_lost = 0, rc;

	atomic_fetch_add(&b->arriving, 1);
	pthread_mutex_lock(&b->lock);
	rc = store_write(b->store, ev, &batch_lost, &why);
	atomic_fetch_sub(&b->arriving, 1);
	pthread_cond_broadcast(&b->wrote);
	if (rc != 0 && batch_lost)
		settle(b, why.message); /* the others' rows went with it */
	else if (rc == 0 && (rc = written(b, &me)) != 0)
		why = me.reason;
	pthread_mutex_unlock(&b->lock);
	if (rc != 0)
		rtw_error_set(err, "%s", why.message);
	return rc;
}
