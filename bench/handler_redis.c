/* bench/handler_redis: sustained events/s of the redis handler into a
 * local redis-server, through the module's ABI (the host's own cost per
 * event is measured by bench/delivery_cpu).
 *
 *   handler_redis [WORKERS] [EVENTS] [BOTS_PER_WORKER] [dedup_ttl_s]
 *                 [batch|per-event]
 *
 * Starts its own redis-server (tests/module_redis/redis_server.c: loopback
 * TCP, append-only file with appendfsync always unless REDIS_BENCH_FSYNC
 * says everysec, or "none" for no append-only file), loads redis.so with stream
 * "recall:{bot_id}", and runs WORKERS threads the way the daemon runs `workers
 * = N`: each thread owns its bots and hands their events over one at a time, in
 * order. Each event is a ~1.1 KB transcript.data body with its own seq and
 * dedup key. "batch" (the default) is a host of ABI 1.2, as the daemon is
 * (bench/batch_host.h: PENDING, a flush per 256 events); "per-event" an
 * older host: one round trip per event. Prints events/s (wall clock) and
 * checks that every event is in Redis once. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "batch_host.h"
#include "module.h"
#include "redis_server.h"

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
	long failures;
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
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
			if (++w->failures < 5)
				fprintf(stderr, "worker %d: %s\n", w->index,
					err.message);
		}
		batch_host_answered(w->batch, r);
	}
	return NULL;
}

static long long total_entries(const struct redis_server *s,
			       const struct worker *w, int n)
{
	long long sum = 0;
	char stream[96];

	for (int i = 0; i < n; i++)
		for (int b = 0; b < w[i].nbots; b++) {
			snprintf(stream, sizeof(stream),
				 "recall:bench-bot-%d-%d", i, b);
			sum += redis_server_xlen(s, stream);
		}
	return sum;
}

int main(int argc, char **argv)
{
	int nworkers = argc > 1 ? atoi(argv[1]) : 4;
	long events = argc > 2 ? atol(argv[2]) : 100000;
	int nbots = argc > 3 ? atoi(argv[3]) : 4;
	long ttl = argc > 4 ? atol(argv[4]) : 3600;
	const char *mode = argc > 5 ? argv[5] : "batch";
	const char *fsync_mode = getenv("REDIS_BENCH_FSYNC");
	struct rtw_host host = {.size = sizeof(host),
				.abi_version = RTW_HANDLER_ABI_VERSION,
				.abi_minor = strcmp(mode, "batch") == 0 ? 2 : 0,
				.name = "bench",
				.state_dir = "/nonexistent",
				.log = bench_log};
	struct worker *w = calloc((size_t)nworkers, sizeof(*w));
	struct batch_host batch;
	struct redis_server server;
	struct rtw_error err = {{0}};
	struct module m;
	char why[512], extra[128], conf[512];
	json_t *config;
	void *state;
	double t0, secs;
	long long found;

	if (fsync_mode != NULL && strcmp(fsync_mode, "none") == 0)
		snprintf(extra, sizeof(extra), "--appendonly no");
	else
		snprintf(extra, sizeof(extra), "--appendfsync %s",
			 fsync_mode ? fsync_mode : "always");
	if (redis_server_start(&server, extra) != 0)
		return 1;
	if (module_open(&m, RTW_BINARY_DIR "/handlers/redis.so", why,
			sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	snprintf(conf, sizeof(conf),
		 "{\"url\": \"redis://127.0.0.1:%d\", \"dedup_ttl_s\": %ld}",
		 server.port, ttl);
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
	found = total_entries(&server, w, nworkers);
	printf("%s workers=%d bots=%d events=%ld appendfsync=%s "
	       "dedup_ttl_s=%ld: "
	       "%.2f s, %.0f events/s, %lld entries in redis%s\n",
	       mode, nworkers, nworkers * nbots, events / nworkers * nworkers,
	       fsync_mode ? fsync_mode : "always", ttl, secs,
	       (double)(events / nworkers * nworkers) / secs, found,
	       found == events / nworkers * nworkers ? "" : " (MISMATCH)");
	m.desc->fini(state);
	module_close(&m);
	json_decref(config);
	redis_server_stop(&server);
	return found == events / nworkers * nworkers ? 0 : 1;
}
