/* bench/handler_sqlite: sustained events/s of the sqlite handler, through
 * the module's ABI (the host's own cost per event is measured by
 * bench/delivery_cpu).
 *
 *   bench_handler_sqlite [WORKERS] [EVENTS] [normal|full] [batch|per-event]
 *                        [DIR]
 *
 * Loads sqlite.so on DIR/bench.db (DIR defaults to a fresh directory under
 * /tmp, removed afterwards) and runs WORKERS threads the way the daemon
 * runs `workers = N`: each thread owns 4 bots and hands their events over
 * one at a time, in order, waiting for each answer. Each event is the
 * ~1.1 KB transcript.data fixture (so every event also writes an
 * utterance) with its own seq. "batch" (the default) is a host with ABI
 * 1.2, as the daemon is: handle answers PENDING and the worker whose
 * event makes 256 pending calls flush (one flush at a time, while the
 * other workers go on), as the daemon does under load; a last flush
 * before fini. "per-event" is an older host: every OK is a commit.
 * Prints events/s (wall clock) and checks that the database holds every
 * event once.
 *
 * Build: cmake --build BUILD --target bench_handler_sqlite; the binary is
 * BUILD/tests/module_sqlite/bench_handler_sqlite. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event.h"
#include "batch_host.h"
#include "module.h"

#define FIXTURE		RTW_TEST_SOURCE_DIR "/fixtures/events/transcript_data.json"
#define MODULE		RTW_BINARY_DIR "/handlers/sqlite.so"
#define FIXTURE_BOT	"5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c"
#define BOTS_PER_WORKER 4

struct worker {
	pthread_t thread;
	const struct rtw_handler *desc;
	struct batch_host *batch;
	void *state;
	int index, nworkers;
	long events;
	struct event bots[BOTS_PER_WORKER];
	char *bodies[BOTS_PER_WORKER];
	long not_ok;
};

__attribute__((format(printf, 3, 4))) static void
bench_log(const struct rtw_host *host, enum rtw_log_level level,
	  const char *fmt, ...)
{
	va_list ap;

	(void)host;
	if (level > RTW_LOG_INFO)
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

/* CPU seconds (user + system) this process has used: on a shared machine
 * events per CPU second says more than the wall clock. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);

	if (f == NULL || buf == NULL)
		exit(1);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The fixture with its bot id replaced (same length) by this bot's. */
static void make_bot(struct worker *w, int b, const char *tmpl, size_t len)
{
	char why[256], id[64];
	char *at;

	snprintf(id, sizeof(id), "bench-%04d-%02d-%026d", w->index, b, 0);
	w->bodies[b] = strdup(tmpl);
	at = strstr(w->bodies[b], FIXTURE_BOT);
	memcpy(at, id, strlen(FIXTURE_BOT));
	if (event_parse(&w->bots[b], w->bodies[b], len, why, sizeof(why))) {
		fprintf(stderr, "fixture rejected: %s\n", why);
		exit(1);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (long i = 0; i < w->events; i++) {
		struct event *ev = &w->bots[i % BOTS_PER_WORKER];
		struct rtw_error err = {{0}};
		enum rtw_result r;

		ev->view.seq = (uint64_t)(i * w->nworkers + w->index + 1);
		r = w->desc->handle(w->state, &ev->view, &err);
		batch_host_answered(w->batch, r);
		if (r != RTW_OK && r != RTW_PENDING && w->not_ok++ == 0)
			fprintf(stderr, "not OK: %s\n", err.message);
	}
	return NULL;
}

static long long count_events(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

int main(int argc, char **argv)
{
	int nworkers = argc > 1 ? atoi(argv[1]) : 4;
	long total = argc > 2 ? atol(argv[2]) : 200000;
	const char *sync = argc > 3 ? argv[3] : "normal";
	const char *mode = argc > 4 ? argv[4] : "batch";
	char dir[256] = "/tmp/bench-sqlite-XXXXXX", db[300], conf[400];
	struct rtw_host host = {.size = sizeof(host),
				.abi_version = RTW_HANDLER_ABI_VERSION,
				.abi_minor = strcmp(mode, "batch") == 0 ? 2 : 0,
				.name = "bench",
				.state_dir = "/tmp",
				.log = bench_log};
	struct batch_host batch;
	struct rtw_error err = {{0}};
	struct module m;
	struct worker *w = calloc((size_t)nworkers, sizeof(*w));
	size_t len;
	char *tmpl = read_file(FIXTURE, &len), why[512];
	json_t *config;
	void *state;
	double t0, c0, secs, cpu;
	long not_ok = 0;
	long long rows;

	if (argc > 5)
		snprintf(dir, sizeof(dir), "%s", argv[5]);
	else if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	snprintf(conf, sizeof(conf),
		 "{\"path\": \"%s\", \"synchronous\": \"%s\"}", db, sync);
	config = json_loads(conf, 0, NULL);
	if (module_open(&m, MODULE, why, sizeof(why)) != 0 ||
	    m.desc->init(&host, config, &state, &err) != 0) {
		fprintf(stderr, "cannot start sqlite: %s%s\n", why,
			err.message);
		return 1;
	}
	batch_host_init(&batch, m.desc, state);
	for (int i = 0; i < nworkers; i++) {
		w[i] = (struct worker){.desc = m.desc,
				       .batch = &batch,
				       .state = state,
				       .index = i,
				       .nworkers = nworkers,
				       .events = total / nworkers};
		for (int b = 0; b < BOTS_PER_WORKER; b++)
			make_bot(&w[i], b, tmpl, len);
	}
	t0 = now_s();
	c0 = cpu_s();
	for (int i = 0; i < nworkers; i++)
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	for (int i = 0; i < nworkers; i++) {
		pthread_join(w[i].thread, NULL);
		not_ok += w[i].not_ok;
	}
	if (host.abi_minor >= 2)
		batch_host_flush(&batch, 1); /* as before the daemon stops */
	secs = now_s() - t0;
	cpu = cpu_s() - c0;
	m.desc->fini(state);
	total = total / nworkers * nworkers;
	rows = count_events(db);
	printf("sqlite synchronous=%s workers=%d %s: %ld events in %.2f s = "
	       "%.0f events/s wall, %.0f events per CPU second "
	       "(%ld not OK, %ld flushes, %ld failed, %lld rows)\n",
	       sync, nworkers, mode, total, secs, total / secs, total / cpu,
	       not_ok, atomic_load(&batch.flushes), atomic_load(&batch.failed),
	       rows);
	for (int i = 0; i < nworkers; i++)
		for (int b = 0; b < BOTS_PER_WORKER; b++) {
			event_clear(&w[i].bots[b]);
			free(w[i].bodies[b]);
		}
	if (argc <= 5) {
		char rm[400];

		snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
		if (system(rm) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	json_decref(config);
	module_close(&m);
	free(tmpl);
	free(w);
	return not_ok != 0 || rows != total;
}
