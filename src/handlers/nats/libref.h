/* libref: who holds the NATS C library open in this process.
 *
 * libnats keeps process-wide state: nats_Open starts its timer, garbage
 * collection and callback threads, and nats_Close stops them for every
 * user at once. So the one piece of module-global state here is a count
 * of live handler instances (under a mutex): the first init opens the
 * library, the last fini closes it and waits (bounded) for its threads,
 * so the daemon's dlclose of this module never unmaps code a libnats
 * thread still runs. The module is also linked with -z nodelete, so even
 * a close that timed out cannot leave a thread running in unmapped code.
 * Another module in the same process that uses libnats itself would share
 * this state; a module such as that is not supported alongside this one. */
#ifndef NATS_HANDLER_LIBREF_H
#define NATS_HANDLER_LIBREF_H

#include "rtwebhookd/handler.h"

/* How long the last release waits for libnats' threads to end. */
#define LIBREF_CLOSE_WAIT_MS 5000

/* Counts one more user, opening the library for the first. 0, or -1 with
 * the reason in err (nothing is counted then). */
int libref_acquire(struct rtw_error *err);
/* Counts one user less; the last one closes the library. Returns 0, or -1
 * when the close did not finish within LIBREF_CLOSE_WAIT_MS. */
int libref_release(void);

#endif
