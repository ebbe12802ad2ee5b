/* modtest_daemon: the exec and pipe handlers through the real daemon.
 * Builds on the daemon harness of tests/integration: a daemon in its own
 * temporary directory with one endpoint and the handlers the test gives,
 * worker scripts written into that directory, events posted over HTTP. */
#ifndef RTW_TEST_MODTEST_DAEMON_H
#define RTW_TEST_MODTEST_DAEMON_H

#include <stddef.h>

#include "daemon_harness.h"

/* Creates a daemon, writes script (if not NULL) as <dir>/<script_name>
 * (executable, "@DIR@" replaced), configures the endpoint /recall/events
 * plus handlers (a `handlers = (...)` setting, "@DIR@" replaced) and
 * starts it. NULL on failure (printed). */
struct daemon *mdt_start(const char *script_name, const char *script,
			 const char *handlers);

/* POSTs the modtest_chat_body of bot and idx; returns the HTTP status. */
long mdt_post_chat(struct daemon *d, const char *bot, int idx);
/* POSTs body; returns the HTTP status. */
long mdt_post(struct daemon *d, const char *body, size_t len);

/* The file d->dir/name, NUL-terminated (free it); NULL when missing. */
char *mdt_read(struct daemon *d, const char *name);
/* Waits until d->dir/name holds at least n lines; returns how many. */
size_t mdt_wait_lines(struct daemon *d, const char *name, size_t n,
		      long timeout_ms);

#endif
