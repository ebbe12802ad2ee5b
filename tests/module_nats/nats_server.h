/* nats_server: a real nats-server with JetStream for one test, on
 * 127.0.0.1 with a free port and its store in a private temporary
 * directory. Started with fork/exec (it dies with the test process), ready
 * once it logged "Server is ready" and accepts TCP, always killed by
 * nats_server_stop.
 *
 * The server gets SIGKILL when the thread that started it ends
 * (PR_SET_PDEATHSIG follows the forking thread): start and restart it
 * from a thread that outlives it.
 *
 * A missing nats-server binary is an error with a clear message, never a
 * silent skip: CI installs it (Debian package nats-server, which puts it
 * in /usr/sbin). RTW_NATS_SERVER names another binary. */
#ifndef RTW_TEST_NATS_SERVER_H
#define RTW_TEST_NATS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

struct nats_server {
	char binary[256];
	char dir[256];	 /* private temporary directory */
	char store[300]; /* dir/store: the JetStream store (-sd) */
	char log[300];	 /* dir/nats.log: its stderr */
	char url[64];	 /* nats://127.0.0.1:<port> */
	char extra[256]; /* extra arguments, space-separated */
	int port;
	pid_t pid; /* -1 when not running */
};

/* Creates the directory, picks a port and starts the server with extra
 * arguments (e.g. "--user u --pass p"; may be NULL). 0, or -1 with the
 * reason on stderr. */
int nats_server_start(struct nats_server *s, const char *extra);
/* Starts it again on the same port, store and arguments. */
int nats_server_restart(struct nats_server *s);
/* Stops it with sig (SIGTERM: clean stop; SIGKILL: crash) and waits. */
void nats_server_kill(struct nats_server *s, int sig);
/* Kills it if running and removes the directory (kept when RTW_KEEP_TEMP
 * is set). */
void nats_server_stop(struct nats_server *s);

#endif
