/* bench/handler_nats: sustained events/s of the nats handler into a local
 * nats-server with JetStream (file storage), through the module's ABI
 * (the host's own cost per event is measured by bench/delivery_cpu).
 *
 *   handler_nats [WORKERS] [EVENTS] [BOTS_PER_WORKER] [batch|per-event]
 *
 * Starts its own nats-server (tests/module_nats/nats_server.c: loopback,
 * -js, store in a temporary directory), loads nats.so with the default
 * subject "recall.{event}.{bot_id}" and create_stream = true, and runs
 * WORKERS threads the way the daemon runs `workers = N`: each thread owns
 * its bots and hands their events over one at a time, in order. "batch"
 * (the default) is a host of ABI 1.2, as the daemon is (bench/batch_host.h:
 * PENDING, a flush per 256 events, confirmed by JetStream's acks);
 * "per-event" an older host: each event answered only after its own
 * acknowledgement. Each event is the ~1.1 KB transcript.data fixture with
 * its own seq and dedup key. Prints events/s (wall clock) and checks that
 * the stream holds every event once. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch_host.h"
#include "event.h"
#include "js_read.h"
#include "module.h"
#include "nats_server.h"

#define FIXTURE RTW_TEST_SOURCE_DIR "/fixtures/events/transcript_data.json"

struct worker {
	pthread_t thread;
	const struct rtw_handler *desc;
	struct batch_host *batch;
	void *state;
	int index;
	int nbots;
	long events;
	struct event *bots; /* one parsed template event per bot */
	char **bodies;
	long retries;
};

__attribute__((format(printf, 3, 4))) static void
bench_log(const struct rtw_host *host, enum rtw_log_level level,
	  const char *fmt, ...)
{
	va_list ap;

	(void)host;
	if (level > RTW_LOG_WARNING)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The fixture as a compact body with data.bot.id = bot. */
static char *body_for(const char *bot)
{
	json_t *j = json_load_file(FIXTURE, 0, NULL);
	char *s;

	if (j == NULL) {
		fprintf(stderr, "cannot read %s\n", FIXTURE);
		exit(1);
	}
	json_object_set_new(json_object_get(json_object_get(j, "data"), "bot"),
			    "id", json_string(bot));
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void prepare(struct worker *w)
{
	char bot[64], why[256];

	w->bots = calloc((size_t)w->nbots, sizeof(*w->bots));
	w->bodies = calloc((size_t)w->nbots, sizeof(*w->bodies));
	for (int b = 0; b < w->nbots; b++) {
		snprintf(bot, sizeof(bot), "bench-bot-%d-%d", w->index, b);
		w->bodies[b] = body_for(bot);
		if (event_parse(&w->bots[b], w->bodies[b], strlen(w->bodies[b]),
				why, sizeof(why)) != 0) {
			fprintf(stderr, "bench event rejected: %s\n", why);
			exit(1);
		}
	}
}

static void release(struct worker *w)
{
	for (int b = 0; b < w->nbots; b++) {
		event_clear(&w->bots[b]);
		free(w->bodies[b]);
	}
	free(w->bots);
	free(w->bodies);
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	char key[64];

	for (long i = 0; i < w->events; i++) {
		struct rtw_event ev = w->bots[i % w->nbots].view;
		struct rtw_error err = {{0}};

		snprintf(key, sizeof(key), "id:bench-%d-%ld", w->index, i);
		ev.seq = (uint64_t)w->index * 100000000u + (uint64_t)i;
		ev.dedup_key = key;
		enum rtw_result r;

		while ((r = w->desc->handle(w->state, &ev, &err)) != RTW_OK &&
		       r != RTW_PENDING) {
			if (++w->retries < 5)
				fprintf(stderr, "worker %d: %s\n", w->index,
					err.message);
		}
		batch_host_answered(w->batch, r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nworkers = argc > 1 ? atoi(argv[1]) : 4;
	long events = argc > 2 ? atol(argv[2]) : 100000;
	int nbots = argc > 3 ? atoi(argv[3]) : 4;
	const char *mode = argc > 4 ? argv[4] : "batch";
	struct rtw_host host = {.size = sizeof(host),
				.abi_version = RTW_HANDLER_ABI_VERSION,
				.abi_minor = strcmp(mode, "batch") == 0 ? 2 : 0,
				.name = "bench",
				.state_dir = "/nonexistent",
				.log = bench_log};
	struct worker *w = calloc((size_t)nworkers, sizeof(*w));
	struct batch_host batch;
	struct nats_server server;
	struct rtw_error err = {{0}};
	struct module m;
	char why[512], conf[512];
	long total = events / nworkers * nworkers, retries = 0;
	json_t *config;
	void *state;
	double t0, secs;
	long long found;

	if (w == NULL || nworkers < 1 || nats_server_start(&server, NULL) != 0)
		return 1;
	if (module_open(&m, RTW_BINARY_DIR "/handlers/nats.so", why,
			sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	snprintf(conf, sizeof(conf),
		 "{\"url\": \"%s\", \"create_stream\": true}", server.url);
	config = json_loads(conf, 0, NULL);
	if (m.desc->init(&host, config, &state, &err) != 0) {
		fprintf(stderr, "init: %s\n", err.message);
		return 1;
	}
	batch_host_init(&batch, m.desc, state);
	for (int i = 0; i < nworkers; i++) {
		w[i] = (struct worker){.desc = m.desc,
				       .batch = &batch,
				       .state = state,
				       .index = i,
				       .nbots = nbots,
				       .events = events / nworkers};
		prepare(&w[i]);
	}
	t0 = now_s();
	for (int i = 0; i < nworkers; i++)
		pthread_create(&w[i].thread, NULL, run_worker, &w[i]);
	for (int i = 0; i < nworkers; i++)
		pthread_join(w[i].thread, NULL);
	if (host.abi_minor >= 2)
		batch_host_flush(&batch, 1); /* as before the daemon stops */
	secs = now_s() - t0;
	m.desc->fini(state);
	module_close(&m);
	for (int i = 0; i < nworkers; i++) {
		retries += w[i].retries;
		release(&w[i]);
	}
	found = js_stream_count(server.url, "RECALL");
	printf("%s workers=%d bots=%d events=%ld: %.2f s, %.0f events/s, "
	       "%ld retries, %ld failed flushes, %lld messages in the "
	       "stream%s\n",
	       mode, nworkers, nworkers * nbots, total, secs, (double)total / secs,
	       retries, (long)atomic_load(&batch.failed), found,
	       found == total ? "" : " (MISMATCH)");
	json_decref(config);
	free(w);
	nats_server_stop(&server);
	return found == total ? 0 : 1;
}
