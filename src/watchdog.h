/* watchdog.c: a deadline for every connection that a client cannot push
 * back. libmicrohttpd's timeout is an idle timeout, renewed by every byte,
 * so a client trickling one byte every few seconds ("slowloris") could
 * hold a connection forever. Each connection must complete a request
 * within request_timeout_s of opening or of its previous request; past
 * that the watchdog shuts its socket down. Connections parked while their
 * event is flushed are exempt: that wait is the server's. Thread-safe. */
#ifndef RTW_WATCHDOG_H
#define RTW_WATCHDOG_H

#include <stdint.h>

struct watchdog;
struct watched;

struct watchdog *watchdog_start(int64_t timeout_ms);
void watchdog_stop(struct watchdog *w);

/* Starts watching a connection's socket; returns its handle (NULL when
 * out of memory: the connection then goes unwatched). */
struct watched *watchdog_add(struct watchdog *w, int fd);
/* The connection closed; the handle is freed. Before the socket closes. */
void watchdog_remove(struct watchdog *w, struct watched *c);
/* A request completed: a new deadline from now. */
void watchdog_renew(struct watchdog *w, struct watched *c);
/* The connection is parked (1) or running again (0). */
void watchdog_park(struct watchdog *w, struct watched *c, int parked);

#endif
