/* downstream: the HTTP server the http handler forwards to in the tests,
 * run inside the test process (libmicrohttpd, a thread per connection).
 * It records every request, counts TCP connections and requests served at
 * once, verifies Standard Webhooks signatures independently of the
 * handler (harness_sign), and misbehaves on purpose as its `script`
 * says. */
#ifndef HTTP_TEST_DOWNSTREAM_H
#define HTTP_TEST_DOWNSTREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* What the server answers. The first fail_count requests (counted from
 * start) get fail_status with fail_body and, when set, Retry-After:
 * retry_after; the first delay_count requests are answered only after
 * delay_ms. Every request waits every_delay_ms. While *closed is
 * nonzero, requests get 503. Others get 200 "ok". */
struct ds_script {
	int fail_count;
	int fail_status;
	const char *fail_body;
	const char *retry_after;
	int delay_count;
	long delay_ms;
	long every_delay_ms;
	const char *verify_key;	  /* raw HMAC key, or NULL: no verification */
	const atomic_int *closed; /* when set and nonzero: answer 503 */
};

/* One request as received. */
struct ds_request {
	char *body; /* NUL-terminated copy */
	size_t len;
	char content_type[128];
	char webhook_id[160];
	char webhook_timestamp[32];
	char webhook_signature[160];
	char custom[128];	 /* the X-Test header, if any */
	char authorization[128]; /* Basic auth as sent, if any */
	int signature_ok;	 /* verify_key set and the signature matches */
	int status;		 /* what the server answered */
	int delayed;		 /* answered after script.delay_ms */
	int64_t at_ms;		 /* arrival, CLOCK_MONOTONIC */
};

struct downstream {
	void *mhd;
	int port;
	struct ds_script script;
	pthread_mutex_t lock;
	struct ds_request *req;
	size_t nreq, cap;
	atomic_int connections; /* TCP connections accepted so far */
	atomic_int in_flight, max_in_flight;
};

/* Starts a server on 127.0.0.1, port chosen by the kernel. Fails the
 * running test on error. */
void ds_start(struct downstream *ds, const struct ds_script *script);
/* Stops serving (waits for requests in progress); the records stay for
 * the test to read without locking. ds_free releases them. */
void ds_stop(struct downstream *ds);
void ds_free(struct downstream *ds);
/* "http://127.0.0.1:<port>/hook" into buf. */
const char *ds_url(const struct downstream *ds, char *buf, size_t len);

/* Requests received so far (under the lock: a copy of the count). */
size_t ds_count(struct downstream *ds);
/* Waits up to timeout_ms for at least n requests answered 200 without a
 * script delay; returns how many there are. */
size_t ds_wait_ok(struct downstream *ds, size_t n, long timeout_ms);
/* How many requests got status. */
size_t ds_count_status(struct downstream *ds, int status);

int64_t ds_now_ms(void);

#endif
