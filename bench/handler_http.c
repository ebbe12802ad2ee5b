/* Throughput of the http handler (docs/handlers/http.md, "Throughput").
 *
 *   build-x/tests/module_http/bench_handler_http [seconds]
 *
 * 1. handler: http.so driven through its ABI by 1 and 2 threads (as the
 *    daemon's workers would), unsigned and signed, forwarding a 390-byte
 *    chat event to a trivial local server (libmicrohttpd, a thread
 *    per connection, answers 200 "ok") for `seconds` each.
 * 2. daemon: the real rtwebhookd with the http handler (workers = 2).
 *    While the server answers 503, 8 bots post 500 events each
 *    (sequentially per bot, like Recall): they wait in the spool. Then the
 *    server answers 200 and the time until it has all 4000 is the
 *    daemon's drain rate (the ingest rate does not limit it).
 * Built on demand: cmake --build B --target bench_handler_http. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "daemon_harness.h"
#include "downstream.h"
#include "http_modtest.h"

#define BOTS	8
#define PER_BOT 500

struct loop {
	struct http_instance *hi;
	int64_t until_ms;
	int thread;
	unsigned long ok, other;
};

static void *handle_loop(void *arg)
{
	struct loop *l = arg;
	struct test_event te;
	struct rtw_error err;
	char bot[32];

	snprintf(bot, sizeof(bot), "bot-%d", l->thread);
	tev_chat(&te, bot, 1, 1);
	while (ds_now_ms() < l->until_ms) {
		for (int i = 0; i < 50; i++)
			if (hi_handle(l->hi, &te, &err) == RTW_OK)
				l->ok++;
			else
				l->other++;
	}
	tev_clear(&te);
	return NULL;
}

/* Drops what the server keeps per request, so memory stays flat. */
static void ds_forget(struct downstream *ds)
{
	pthread_mutex_lock(&ds->lock);
	for (size_t i = 0; i < ds->nreq; i++)
		free(ds->req[i].body);
	ds->nreq = 0;
	pthread_mutex_unlock(&ds->lock);
}

static void bench_handler(int threads, int sign, int seconds)
{
	struct ds_script script = {0};
	struct downstream ds;
	struct http_instance hi;
	struct loop l[4];
	pthread_t t[4];
	char url[128], *config;
	unsigned long ok = 0, other = 0;
	int64_t start;

	ds_start(&ds, &script);
	config = hi_config(ds_url(&ds, url, sizeof(url)),
			   sign ? ", \"signing_secret\": \"" VECTOR_SECRET "\""
				: "");
	hi_open_ok(&hi, config);
	start = ds_now_ms();
	for (int i = 0; i < threads; i++) {
		l[i] = (struct loop){.hi = &hi,
				     .thread = i,
				     .until_ms = start + seconds * 1000L};
		pthread_create(&t[i], NULL, handle_loop, &l[i]);
	}
	while (ds_now_ms() < start + seconds * 1000L) {
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
		ds_forget(&ds);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ok += l[i].ok;
		other += l[i].other;
	}
	printf("handler  threads=%d %-8s %8.0f events/s  (%lu OK, %lu "
	       "not OK, %d connections)\n",
	       threads, sign ? "signed" : "unsigned",
	       ok * 1000.0 / (double)(ds_now_ms() - start), ok, other,
	       atomic_load(&ds.connections));
	hi_close(&hi);
	free(config);
	ds_free(&ds);
}

struct sender {
	int port;
	int bot;
	int acked;
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

static void *send_bot(void *arg)
{
	struct sender *s = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h =
	    curl_slist_append(NULL, "Content-Type: application/json");
	char url[128], body[1024];
	long status = 0;

	snprintf(url, sizeof(url),
		 "http://127.0.0.1:%d/recall/events?token=" HARNESS_TOKEN,
		 s->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	for (int i = 0; i < PER_BOT; i++) {
		snprintf(body, sizeof(body),
			 "{\"event\":\"transcript.data\",\"data\":{\"data\":{"
			 "\"words\":[{\"text\":\"word %d\",\"start_timestamp\":"
			 "{\"relative\":1.5},\"end_timestamp\":null}],"
			 "\"participant\":{\"id\":1,\"name\":\"Ada\"}},"
			 "\"transcript\":{\"id\":\"t\",\"metadata\":{}},"
			 "\"recording\":{\"id\":\"r\",\"metadata\":{}},"
			 "\"bot\":{\"id\":\"bot-%d\",\"metadata\":{}}}}",
			 i, s->bot);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) ==
			CURLE_OK &&
		    status == 200)
			s->acked++;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static void bench_daemon(void)
{
	atomic_int closed = 1;
	struct ds_script script = {.closed = &closed};
	struct downstream ds;
	struct daemon *d = daemon_new();
	struct sender s[BOTS];
	pthread_t t[BOTS];
	char body[1024];
	int64_t start, acked_ms;
	size_t got;
	int acked = 0;

	ds_start(&ds, &script);
	snprintf(body, sizeof(body),
		 "endpoints = ( { path = \"/recall/events\";\n"
		 "  tokens = [\"" HARNESS_TOKEN "\"]; } );\n"
		 "handlers = ( { name = \"fwd\"; module = \"http\"; "
		 "workers = 2; retry_max_ms = 20;\n"
		 "  config = { url = \"http://127.0.0.1:%d/hook\"; }; } );\n",
		 ds.port);
	if (d == NULL || daemon_configure(d, body) != 0 ||
	    daemon_start(d, NULL) != 0) {
		fprintf(stderr, "cannot start the daemon\n");
		exit(1);
	}
	start = ds_now_ms();
	for (int i = 0; i < BOTS; i++) {
		s[i] = (struct sender){.port = d->port, .bot = i};
		pthread_create(&t[i], NULL, send_bot, &s[i]);
	}
	for (int i = 0; i < BOTS; i++) {
		pthread_join(t[i], NULL);
		acked += s[i].acked;
	}
	acked_ms = ds_now_ms() - start;
	start = ds_now_ms();
	atomic_store(&closed, 0);
	got = ds_wait_ok(&ds, (size_t)acked, 120000);
	printf("daemon   workers=2 unsigned %8.0f events/s draining a backlog "
	       "(%zu of %d events in %lld ms; posting them took %lld ms; %d "
	       "connections)\n",
	       got * 1000.0 / (double)(ds_now_ms() - start), got, acked,
	       (long long)(ds_now_ms() - start), (long long)acked_ms,
	       atomic_load(&ds.connections));
	daemon_stop(d);
	daemon_free(d);
	ds_free(&ds);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int threads = 1; threads <= 2; threads++)
		for (int sign = 0; sign <= 1; sign++)
			bench_handler(threads, sign, seconds);
	bench_daemon();
	curl_global_cleanup();
	return 0;
}
