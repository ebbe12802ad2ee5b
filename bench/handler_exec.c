/* Sustained events/s of the exec handler module, driven through its ABI
 * with a minimal host (no daemon, no HTTP, no spool): THREADS threads
 * call handle() for SECONDS, each as its own bot, as the daemon's
 * `workers` would. Built and run by bench/handler_exec.sh.
 *
 *   handler_exec MODULE.so EVENT.json THREADS SECONDS -- COMMAND ARGS...
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtwebhookd/handler.h"

static void host_log(const struct rtw_host *host, enum rtw_log_level level,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", host->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench {
	const struct rtw_handler *h;
	void *state;
	char *body;
	size_t len;
	json_t *json;
	double until;
	atomic_ulong ok, other;
	atomic_ulong seq;
};

static void *run(void *arg)
{
	struct bench *b = arg;
	char bot[32];
	struct rtw_event ev = {
	    .size = sizeof(ev),
	    .type_name = "participant_events.chat_message",
	    .bot_id = bot,
	    .body = b->body,
	    .body_len = b->len,
	    .json = b->json,
	};

	snprintf(bot, sizeof(bot), "bench-bot-%lu",
		 (unsigned long)atomic_fetch_add(&b->seq, 1));
	while (now_s() < b->until) {
		struct rtw_error err = {{0}};

		ev.seq = atomic_fetch_add(&b->seq, 1);
		if (b->h->handle(b->state, &ev, &err) == RTW_OK)
			atomic_fetch_add(&b->ok, 1);
		else
			atomic_fetch_add(&b->other, 1);
	}
	return NULL;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	if (f == NULL || buf == NULL)
		exit(2);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct rtw_host host = {.size = sizeof(host),
				.abi_version = RTW_HANDLER_ABI_VERSION,
				.name = "bench",
				.state_dir = "/tmp",
				.log = host_log};
	struct rtw_error err = {{0}};
	struct bench b = {0};
	json_t *config, *cmd;
	pthread_t t[64];
	int threads, seconds;
	double start;
	void *dl;

	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr,
			"usage: %s MODULE.so EVENT.json THREADS "
			"SECONDS -- COMMAND...\n",
			argv[0]);
		return 2;
	}
	threads = atoi(argv[3]);
	seconds = atoi(argv[4]);
	if (threads < 1 || threads > 64)
		return 2;
	dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	b.h = ((rtw_handler_entry_fn)dlsym(dl, RTW_HANDLER_ENTRY_SYMBOL))();
	b.body = read_file(argv[2], &b.len);
	b.json = json_loadb(b.body, b.len, 0, NULL);
	cmd = json_array();
	for (int i = 6; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	config = json_pack("{s:o,s:i,s:i}", "command", cmd, "max_concurrency",
			   threads, "timeout_s", 30);
	if (b.h->init(&host, config, &b.state, &err) != 0) {
		fprintf(stderr, "init: %s\n", err.message);
		return 1;
	}
	start = now_s();
	b.until = start + seconds;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, run, &b);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("exec threads=%d: %lu ok, %lu not ok in %.2f s: %.0f events/s\n",
	       threads, (unsigned long)b.ok, (unsigned long)b.other,
	       now_s() - start, (double)b.ok / (now_s() - start));
	b.h->fini(b.state);
	json_decref(config);
	json_decref(b.json);
	free(b.body);
	dlclose(dl);
	return 0;
}
