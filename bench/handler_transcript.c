/* bench/handler_transcript: sustained events/s of the transcript handler,
 * through the module's ABI (the host's own cost per event is measured by
 * bench/delivery_cpu).
 *
 *   bench_handler_transcript [EVENTS] [sync|nosync] [BOTS] [DIR]
 *
 * Loads transcript.so on DIR (default: a fresh directory under /tmp,
 * removed afterwards) and hands over EVENTS events one at a time, as the
 * daemon's single worker does: BOTS bots (default 8) in turn, each event
 * the ~1.1 KB transcript_data.json fixture with its own bot id and seq,
 * every tenth a participant update (so both paths are exercised). Events
 * are parsed before the clock starts: only handle() is timed. Prints
 * events/s (wall clock) and checks that every bot's .txt holds one line
 * per utterance.
 *
 * Build: cmake --build BUILD --target bench_handler_transcript; the
 * binary is BUILD/bench_handler_transcript. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "module.h"

#define MODULE	    RTW_BINARY_DIR "/handlers/transcript.so"
#define FIXTURE	    RTW_SOURCE_DIR "/tests/fixtures/events/transcript_data.json"
#define UPDATE	    RTW_SOURCE_DIR "/tests/fixtures/events/update.json"
#define FIXTURE_BOT "5b1e2f4c-8d3a-4e6b-9c71-0a2d3f4e5b6c"

static void bench_log(const struct rtw_host *host, enum rtw_log_level level,
		      const char *fmt, ...)
{
	(void)host;
	(void)level;
	(void)fmt;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		exit(2);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The fixture's body with its bot id replaced by "bench-bot-NNNN-...". */
static char *body_for_bot(const char *fixture, size_t len, int bot)
{
	char *copy = malloc(len + 1), *at;
	char id[64];

	memcpy(copy, fixture, len);
	copy[len] = '\0';
	at = strstr(copy, FIXTURE_BOT);
	snprintf(id, sizeof(id), "bench-bot-%04d-0000-0000-000000000000", bot);
	memcpy(at, id, strlen(FIXTURE_BOT)); /* same length */
	return copy;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long events = argc > 1 ? atol(argv[1]) : 20000;
	int sync = argc > 2 ? strcmp(argv[2], "nosync") != 0 : 1;
	int bots = argc > 3 ? atoi(argv[3]) : 8;
	char tmpl[] = "/tmp/rtw-bench-transcript-XXXXXX";
	const char *dir = argc > 4 ? argv[4] : mkdtemp(tmpl);
	struct rtw_host host = {.size = sizeof(host),
				.abi_version = RTW_HANDLER_ABI_VERSION,
				.name = "bench",
				.state_dir = "/nonexistent",
				.log = bench_log};
	struct rtw_error err = {{0}};
	struct module m;
	char why[512], config_text[600], cmd[700];
	size_t flen, ulen;
	char *fixture = read_file(FIXTURE, &flen);
	char *update = read_file(UPDATE, &ulen);
	struct event *ev = calloc((size_t)events, sizeof(*ev));
	char **bodies = calloc((size_t)events, sizeof(*bodies));
	json_t *config;
	void *state;
	double t0, elapsed;
	long utterances = 0;

	if (dir == NULL || ev == NULL || bots < 1 ||
	    module_open(&m, MODULE, why, sizeof(why)) != 0) {
		fprintf(stderr, "setup failed: %s\n", why);
		return 1;
	}
	snprintf(config_text, sizeof(config_text),
		 "{\"dir\": \"%s\", \"fsync\": %s}", dir,
		 sync ? "true" : "false");
	config = json_loads(config_text, 0, NULL);
	if (m.desc->init(&host, config, &state, &err) != 0) {
		fprintf(stderr, "init: %s\n", err.message);
		return 1;
	}
	for (long i = 0; i < events; i++) {
		int is_update = i % 10 == 9;

		bodies[i] =
		    body_for_bot(is_update ? update : fixture,
				 is_update ? ulen : flen, (int)(i % bots));
		if (event_parse(&ev[i], bodies[i], strlen(bodies[i]), why,
				sizeof(why)) != 0)
			return 1;
		ev[i].view.seq = (uint64_t)i + 1;
		utterances += !is_update;
	}
	t0 = now_s();
	for (long i = 0; i < events; i++)
		if (m.desc->handle(state, &ev[i].view, &err) != RTW_OK) {
			fprintf(stderr, "event %ld: %s\n", i, err.message);
			return 1;
		}
	elapsed = now_s() - t0;
	m.desc->fini(state);
	printf("transcript: %ld events (%ld utterances), %d bots, fsync %s: "
	       "%.3f s, %.0f events/s\n",
	       events, utterances, bots, sync ? "on" : "off", elapsed,
	       (double)events / elapsed);
	/* Every utterance is one line in its bot's .txt. */
	snprintf(cmd, sizeof(cmd), "test \"$(cat '%s'/*.txt | wc -l)\" = %ld",
		 dir, utterances);
	if (system(cmd) != 0) {
		fprintf(stderr, "line count differs from %ld\n", utterances);
		return 1;
	}
	if (argc <= 4) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	for (long i = 0; i < events; i++) {
		event_clear(&ev[i]);
		free(bodies[i]);
	}
	free(ev);
	free(bodies);
	free(fixture);
	free(update);
	json_decref(config);
	module_close(&m);
	return 0;
}
