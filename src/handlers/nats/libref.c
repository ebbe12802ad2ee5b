/* Reference count of the process-wide NATS library (see libref.h). */
#include <pthread.h>

#include <nats/nats.h>

#include "libref.h"

/* Module-global on purpose: libnats' own state is process-wide. */
static pthread_mutex_t libref_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned libref_users;

int libref_acquire(struct rtw_error *err)
{
	natsStatus s = NATS_OK;

	pthread_mutex_lock(&libref_lock);
	if (libref_users == 0)
		s = nats_Open(-1);
	if (s == NATS_OK)
		libref_users++;
	pthread_mutex_unlock(&libref_lock);
	if (s != NATS_OK)
		rtw_error_set(err, "cannot initialize the NATS library: %s",
			      natsStatus_GetText(s));
	return s == NATS_OK ? 0 : -1;
}

int libref_release(void)
{
	natsStatus s = NATS_OK;

	pthread_mutex_lock(&libref_lock);
	if (libref_users > 0 && --libref_users == 0)
		s = nats_CloseAndWait(LIBREF_CLOSE_WAIT_MS);
	pthread_mutex_unlock(&libref_lock);
	return s == NATS_OK ? 0 : -1;
}
