/* http.c: the HTTP listener (libmicrohttpd, internal thread pool on
 * poll): routing, limits, authentication and the status table. The only
 * file that includes microhttpd.h. */
#ifndef RTW_HTTP_H
#define RTW_HTTP_H

struct runtime;
struct http_server;

/* Serves rt on listen_fd, a listening socket systemd passed, or, when it
 * is -1, on listen.address:listen.port. Returns NULL on failure (logged). */
struct http_server *http_start(struct runtime *rt, int listen_fd);
/* The bound port (useful when the config says port 0). */
int http_port(const struct http_server *s);
/* Stops accepting, serves requests on open connections (telling clients
 * to close) until none is in flight or timeout_s passed, then closes the
 * rest. */
void http_stop(struct http_server *s, int timeout_s);

#endif
