/* service.c: talking to the service manager (systemd): readiness, status,
 * watchdog keep-alives, and the listening socket passed by socket
 * activation. Without systemd (no NOTIFY_SOCKET, no LISTEN_FDS) every
 * call does nothing. Main thread only. */
#ifndef RTW_SERVICE_H
#define RTW_SERVICE_H

#include <stddef.h>
#include <stdint.h>

/* READY=1 with a status line (once listening). */
void service_ready(const char *status);
/* RELOADING=1 (a reload began; service_ready ends it). */
void service_reloading(void);
/* STOPPING=1 (a stop began). */
void service_stopping(void);
/* STATUS=<line>, plus WATCHDOG=1 when the watchdog is on. */
void service_tick(const char *status);
/* How often service_tick must run: half the watchdog interval when the
 * unit sets WatchdogSec=, else `fallback_ms` (status updates). */
int64_t service_tick_ms(int64_t fallback_ms);

/* The listening socket systemd passed (socket activation): returns its
 * descriptor, -1 when none was passed, or -2 with the reason in why when
 * the passed sockets cannot be used (more than one, not a TCP listener). */
int service_listen_fd(char *why, size_t whylen);

#endif
