/* send_server.c: a test receiver for rtw-send. It records every request
 * (arrival and answer times, the headers rtw-send sets, the body) and can
 * fail the first K attempts of chosen events: with a 500, by closing the
 * connection without an answer, or by answering too late. */
#ifndef RTW_SEND_SERVER_H
#define RTW_SEND_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum server_header {
	HDR_WEBHOOK_ID,
	HDR_WEBHOOK_TIMESTAMP,
	HDR_WEBHOOK_SIGNATURE,
	HDR_SVIX_ID,
	HDR_SVIX_TIMESTAMP,
	HDR_SVIX_SIGNATURE,
	HDR_CONTENT_TYPE,
	HDR_COUNT,
};

enum server_failure {
	FAIL_500,   /* answer 500 */
	FAIL_CLOSE, /* read the request, close the connection, no answer */
	FAIL_SLOW,  /* answer 200 only after slow_ms (past the timeout) */
};

struct server_request {
	int64_t start_us; /* monotonic: the request's headers arrived */
	int64_t end_us;   /* monotonic: just before answering or closing */
	char *body;       /* NUL-terminated copy */
	size_t len;
	char *header[HDR_COUNT]; /* NULL when absent */
	int failed;       /* 1 when this attempt was made to fail */
};

#define SERVER_MAX_RULES 8

struct server_rule {
	char marker[64];  /* a substring that identifies the event's body */
	unsigned fail_first;
	enum server_failure how;
	unsigned seen;
};

struct test_server {
	struct MHD_Daemon *mhd;
	char url[64];
	unsigned answer_delay_ms; /* every answer waits this long */
	unsigned slow_ms;         /* the delay of FAIL_SLOW */
	pthread_mutex_t lock;
	struct server_request *reqs;
	size_t n, cap;
	struct server_rule rules[SERVER_MAX_RULES];
	size_t nrules;
};

/* Starts on 127.0.0.1 and a free port; url is "http://127.0.0.1:P/hook".
 * Set answer_delay_ms and slow_ms before. Returns 0 or -1. */
int server_start(struct test_server *s);
void server_stop(struct test_server *s);

/* Waits (up to timeout_ms) until n requests have been answered: a slow
 * answer is recorded only after the client gave up on it. Returns 0 or
 * -1. */
int server_wait_for(struct test_server *s, size_t n, unsigned timeout_ms);

/* Fails the first k attempts of the event whose body contains marker. */
void server_fail(struct test_server *s, const char *marker, unsigned k,
		 enum server_failure how);

/* The requests whose body contains marker, in arrival order: fills at
 * most max indexes into out, returns how many there were. */
size_t server_find(struct test_server *s, const char *marker, size_t *out,
		   size_t max);

/* The requests of one bot (by data.bot.id; NULL: the events without a
 * bot), sorted by arrival: fills at most max indexes, returns how many. */
size_t server_find_bot(struct test_server *s, const char *bot_id,
		       size_t *out, size_t max);

/* The greatest number of requests being handled at the same moment. */
size_t server_max_overlap(struct test_server *s);

/* Monotonic microseconds, the clock of start_us and end_us. */
int64_t server_now_us(void);

#endif
