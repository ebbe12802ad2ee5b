/* redis_server: a real redis-server for one test, on 127.0.0.1 with a
 * free port and a Unix socket in a private temporary directory, with
 * append-only persistence fsynced on every write (so a SIGKILL of the
 * server loses nothing it acknowledged). Started with fork/exec, ready
 * once it answers PING, always killed by redis_server_stop.
 *
 * A missing redis-server binary is an error with a clear message, never a
 * silent skip: CI installs it (Debian package redis-server). */
#ifndef RTW_TEST_REDIS_SERVER_H
#define RTW_TEST_REDIS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include <hiredis.h>

struct redis_server {
	char dir[256];	  /* private temporary directory (data, socket) */
	char socket[300]; /* dir/redis.sock */
	char log[300];	  /* dir/redis.log */
	int port;
	pid_t pid;	 /* -1 when not running */
	char extra[512]; /* extra "--key value" arguments, space-separated */
};

/* Creates the directory, picks a port and starts the server (extra as
 * in the struct, may be NULL). 0, or -1 with the reason on stderr. */
int redis_server_start(struct redis_server *s, const char *extra);
/* Starts it again on the same port, directory and arguments. */
int redis_server_restart(struct redis_server *s);
/* Kills the server with sig (SIGKILL: a crash; SIGTERM: a clean stop)
 * and waits for it. */
void redis_server_kill(struct redis_server *s, int sig);
/* Kills it if running and removes the directory. */
void redis_server_stop(struct redis_server *s);

/* A client connection (fails the test when it cannot connect). */
redisContext *redis_server_client(const struct redis_server *s);
/* Runs a command on a fresh connection; the reply (free it), or NULL. */
redisReply *redis_server_command(const struct redis_server *s, const char *fmt,
				 ...);
/* XLEN of stream, or -1. */
long long redis_server_xlen(const struct redis_server *s, const char *stream);

#endif
