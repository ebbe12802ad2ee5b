/* Per-connection request deadlines. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "util.h"
#include "watchdog.h"

struct watched {
	int fd;
	int parked;
	int64_t deadline_ms;
	struct watched *prev, *next;
};

struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t stop_cv;
	int stopping;
	int64_t timeout_ms;
	struct watched *head;
	pthread_t thread;
};

/* Shuts down overdue sockets: libmicrohttpd then sees the connection
 * fail and closes it itself. Lock held. */
static void expire(struct watchdog *w, int64_t now)
{
	for (struct watched *c = w->head; c != NULL; c = c->next) {
		if (c->parked || c->deadline_ms > now || c->fd < 0)
			continue;
		log_msg(RTW_LOG_NOTICE, "closing a connection that completed "
					"no request within %lld s",
			(long long)(w->timeout_ms / 1000));
		shutdown(c->fd, SHUT_RDWR);
		c->fd = -1; /* once */
	}
}

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct timespec until = mono_deadline(1000);

		pthread_cond_timedwait(&w->stop_cv, &w->lock, &until);
		expire(w, mono_ms());
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct watchdog *watchdog_start(int64_t timeout_ms)
{
	struct watchdog *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->timeout_ms = timeout_ms;
	pthread_mutex_init(&w->lock, NULL);
	cond_init_monotonic(&w->stop_cv);
	if (thread_start(&w->thread, watchdog_main, w, "rtw-watchdog",
			 NULL) != 0) {
		pthread_cond_destroy(&w->stop_cv);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void watchdog_stop(struct watchdog *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->stop_cv);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	while (w->head != NULL) {
		struct watched *next = w->head->next;

		free(w->head);
		w->head = next;
	}
	pthread_cond_destroy(&w->stop_cv);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct watched *watchdog_add(struct watchdog *w, int fd)
{
	struct watched *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	pthread_mutex_lock(&w->lock);
	c->deadline_ms = mono_ms() + w->timeout_ms;
	c->next = w->head;
	if (w->head != NULL)
		w->head->prev = c;
	w->head = c;
	pthread_mutex_unlock(&w->lock);
	return c;
}

void watchdog_remove(struct watchdog *w, struct watched *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&w->lock);
	free(c);
}

void watchdog_renew(struct watchdog *w, struct watched *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	c->deadline_ms = mono_ms() + w->timeout_ms;
	pthread_mutex_unlock(&w->lock);
}

void watchdog_park(struct watchdog *w, struct watched *c, int parked)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	c->parked = parked;
	if (!parked)
		c->deadline_ms = mono_ms() + w->timeout_ms;
	pthread_mutex_unlock(&w->lock);
}
