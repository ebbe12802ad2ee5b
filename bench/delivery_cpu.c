/* bench/delivery_cpu: CPU per event of the delivery path (dedup, spool
 * append, group commit, cache, dispatch to a handler) against the ceiling
 * of parsing the same body with jansson, measured in one run.
 *
 *   delivery_cpu [EVENTS] [fsync mode]
 *
 * It feeds EVENTS unique ~1.1 KB transcript events through ingest_body
 * (the request path without sockets), waits until a null handler has seen
 * them all, and reports process CPU time (all threads, user + system) per
 * event, then the same for json_loadb alone, with the tree on the heap
 * (what any receiver on jansson does) and in an arena (as the daemon
 * parses). The differences are what the delivery path adds beyond
 * parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "json_arena.h"
#include "log.h"
#include "runtime.h"

#include <sys/resource.h>
#include <sys/stat.h>

struct cpu {
	double user, sys;
};

static struct cpu cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (struct cpu){ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6};
}

/* CPU per event since start, in seconds: user and system. */
static struct cpu cpu_per_event(struct cpu start, unsigned events)
{
	struct cpu now = cpu_now();

	return (struct cpu){(now.user - start.user) / events,
			    (now.sys - start.sys) / events};
}

/* A realistic transcript.data body, unique per i. */
static size_t make_event(char *buf, size_t cap, unsigned i)
{
	int n = snprintf(
		buf, cap,
		"{\"event\":\"transcript.data\",\"data\":{\"data\":{\"words\":["
		"{\"text\":\"Let's\",\"start_timestamp\":{\"relative\":%u.10,"
		"\"absolute\":\"2026-11-26T16:20:01.480Z\"},\"end_timestamp\":"
		"{\"relative\":%u.30,\"absolute\":\"2026-11-26T16:20:01.680Z\"}},"
		"{\"text\":\"review\",\"start_timestamp\":{\"relative\":%u.30},"
		"\"end_timestamp\":{\"relative\":%u.60}},{\"text\":\"the\","
		"\"start_timestamp\":{\"relative\":%u.60},\"end_timestamp\":"
		"{\"relative\":%u.70}},{\"text\":\"roadmap.\",\"start_timestamp\":"
		"{\"relative\":%u.70},\"end_timestamp\":null}],\"participant\":"
		"{\"id\":%u,\"name\":\"Ada Lovelace\",\"is_host\":true,"
		"\"platform\":\"desktop\",\"extra_data\":{},\"email\":null}},"
		"\"realtime_endpoint\":{\"id\":\"8d1c2f9e-5b7a-4c3d-9e21-"
		"0a6b4c8d2e11\",\"metadata\":{\"team\":\"research\"}},"
		"\"transcript\":{\"id\":\"c3b8a1d4-7e62-4f90-8a15-2d9e6f0b4c77\","
		"\"metadata\":{}},\"recording\":{\"id\":\"f47ac10b-58cc-4372-"
		"a567-0e02b2c3d479\",\"metadata\":{\"customer\":\"acme\"}},"
		"\"bot\":{\"id\":\"bot-%u\",\"metadata\":{\"meeting\":\"weekly "
		"sync\",\"owner\":\"ada@example.com\"}}}}",
		i, i, i, i, i, i, i, i % 7, i % 16);

	return n > 0 ? (size_t)n : 0;
}

/* json_loadb of every event, the tree on the heap (in_arena 0: what any
 * receiver on jansson does) or in a json_arena as the daemon parses
 * (in_arena 1). */
static struct cpu parse_only(unsigned events, int in_arena)
{
	char buf[2048];
	struct cpu start = cpu_now();

	for (unsigned i = 0; i < events; i++) {
		size_t len = make_event(buf, sizeof(buf), i);
		struct json_arena *a = in_arena ? json_arena_new(len) : NULL;
		json_error_t err;
		json_t *j;

		json_arena_begin(a);
		j = json_loadb(buf, len, 0, &err);
		json_arena_end();
		if (j == NULL || !json_is_string(json_object_get(j, "event")))
			abort();
		if (a != NULL)
			json_arena_free(a);
		else
			json_decref(j);
	}
	return cpu_per_event(start, events);
}

static struct runtime *start_runtime(const char *dir, const char *fsync)
{
	char path[512];
	struct errlist errs = {0};
	struct config *conf;
	struct runtime *rt;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bench.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fprintf(f,
		"spool = { dir = \"%s/spool\"; fsync = \"%s\"; };\n"
		"endpoints = ( { path = \"/e\"; tokens = [\"t\"]; } );\n"
		"handlers = ( { name = \"null\"; module = \"%s\"; } );\n",
		dir, fsync, RTW_NULL_HANDLER);
	fclose(f);
	conf = config_load(path, &errs);
	rt = conf ? runtime_open(conf, &errs) : NULL;
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	errlist_free(&errs);
	if (rt != NULL && runtime_start(rt) != 0) {
		runtime_close(rt);
		return NULL;
	}
	return rt;
}

static struct cpu delivery(unsigned events, const char *dir,
			   const char *fsync)
{
	struct runtime *rt = start_runtime(dir, fsync);
	struct timespec tick = {0, 1000000};
	char buf[2048];
	struct cpu start, per_event;

	if (rt == NULL)
		exit(1);
	start = cpu_now();
	for (unsigned i = 0; i < events; i++) {
		size_t len = make_event(buf, sizeof(buf), i);
		char *body = malloc(len);
		struct verdict v;

		memcpy(body, buf, len);
		ingest_body(rt, 0, body, len, NULL, 1795712288737LL + i, &v);
		if (v.status != 200)
			abort();
	}
	while (atomic_load(&rt->stats.handled_ok) < events)
		nanosleep(&tick, NULL);
	per_event = cpu_per_event(start, events);
	printf("  (events the handler reread from the spool: %llu)\n",
	       (unsigned long long)atomic_load(&rt->stats.reread));
	runtime_stop(rt, 10);
	runtime_close(rt);
	return per_event;
}

int main(int argc, char **argv)
{
	unsigned events = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
	const char *fsync = argc > 2 ? argv[2] : "batch";
	char dir[] = "/tmp/rtw-bench-XXXXXX";
	struct cpu parse, arena_parse = {0, 0}, full;
	char cmd[600];

	umask(077); /* the configuration written below holds a token */
	if (mkdtemp(dir) == NULL)
		return 1;
	log_init(0);
	/* A third argument runs one phase alone, for perf stat. */
	if (argc > 3 && strcmp(argv[3], "delivery") != 0)
		parse = parse_only(events, 0);
	else
		parse = argc > 3 ? (struct cpu){0, 0} : parse_only(events, 0);
	if (argc <= 3)
		arena_parse = parse_only(events, 1);
	if (argc > 3 && strcmp(argv[3], "parse") == 0)
		full = parse;
	else
		full = delivery(events, dir, fsync);
	printf("events: %u, body ~1.1 KB, fsync = %s; CPU per event, "
	       "user + system\n",
	       events, fsync);
	printf("  parse only (json_loadb, check, free):   %6.2f + %5.2f us\n",
	       parse.user * 1e6, parse.sys * 1e6);
	printf("  the same parse into an arena (as ingest): %5.2f + %5.2f us\n",
	       arena_parse.user * 1e6, arena_parse.sys * 1e6);
	printf("  ingest + spool + dispatch, null handler: %6.2f + %5.2f us\n",
	       full.user * 1e6, full.sys * 1e6);
	printf("  delivery beyond parsing:                 %6.2f + %5.2f us "
	       "(%.2fx the parse in total)\n",
	       (full.user - parse.user) * 1e6, (full.sys - parse.sys) * 1e6,
	       (full.user + full.sys - parse.user - parse.sys) /
		       (parse.user + parse.sys));
	if (arena_parse.user + arena_parse.sys > 0)
		printf("  delivery beyond the arena parse:         %6.2f + %5.2f "
		       "us\n",
		       (full.user - arena_parse.user) * 1e6,
		       (full.sys - arena_parse.sys) * 1e6);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
