/* http.c: the HTTP listener (libmicrohttpd, internal thread pool on
 * epoll): routing, limits, authentication and the status table. The only
 * file that includes microhttpd.h. */
#ifndef RTW_HTTP_H
#define RTW_HTTP_H

struct runtime;
struct http_server;

/* Binds listen.address:listen.port and serves rt. Returns NULL on failure
 * (logged). */
struct http_server *http_start(struct runtime *rt);
/* The bound port (useful when the config says port 0). */
int http_port(const struct http_server *s);
/* Stops accepting, waits up to timeout_s for open connections to finish,
 * then closes the rest. */
void http_stop(struct http_server *s, int timeout_s);

#endif
