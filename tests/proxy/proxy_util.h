/* proxy_util: what the reverse-proxy tests share. */
#ifndef RTW_TEST_PROXY_UTIL_H
#define RTW_TEST_PROXY_UTIL_H

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int proxy_free_port(void);
/* 1 once GET /nothing-here on port answers 404 (the proxy is up), within
 * 5 s; else 0. */
int proxy_answers(int port);

/* Through the proxy on port, a request to /recall/internal (allow_from
 * 10.0.0.0/8) carrying "X-Forwarded-For: 10.9.9.9" must get 403, and the
 * daemon's log (err_log) name the real client, 127.0.0.1. */
void proxy_expect_forged_address_refused(int port, const char *err_log);

#endif
