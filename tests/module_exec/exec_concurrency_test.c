/* exec under concurrent handle calls (the host's `workers`): never more
 * than max_concurrency commands at once, and that many do run together. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modtest.h"
#include "scratch.h"

#define THREADS 6
#define LIMIT	2

struct caller {
	struct mod_instance *mi;
	uint64_t seq;
	enum rtw_result result;
};

static void *call_handle(void *arg)
{
	struct caller *c = arg;
	struct rtw_error err;
	struct test_event te;
	char bot[16];

	snprintf(bot, sizeof(bot), "bot-%llu", (unsigned long long)c->seq);
	tev_chat(&te, bot, 1, c->seq);
	c->result = mod_handle(c->mi, &te, &err);
	tev_clear(&te);
	return NULL;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* The most "start" lines not yet matched by an "end" line. */
static int peak_running(const char *log)
{
	int running = 0, peak = 0;

	for (const char *p = log; *p != '\0'; p = strchr(p, '\n') + 1) {
		running += strncmp(p, "start", 5) == 0 ? 1 : -1;
		if (running > peak)
			peak = running;
		if (strchr(p, '\n') == NULL)
			break;
	}
	return peak;
}

static void commands_never_exceed_max_concurrency(void **state)
{
	char *dir = scratch_dir();
	char *script = modtest_script(dir, "run.sh",
				      "#!/bin/sh\necho start >> @DIR@/log\n"
				      "sleep 0.3\necho end >> @DIR@/log\n");
	char *log_path = scratch_path(dir, "log");
	char *quoted = modtest_json_string(script);
	struct caller callers[THREADS];
	pthread_t threads[THREADS];
	struct mod_instance mi;
	char config[512];
	char *log;

	snprintf(config, sizeof(config),
		 "{\"command\": [%s], \"max_concurrency\": %d}", quoted, LIMIT);
	mod_open_ok(&mi, MODTEST_EXEC_SO, config);
	for (int i = 0; i < THREADS; i++) {
		callers[i] = (struct caller){.mi = &mi, .seq = (uint64_t)i + 1};
		assert_int_equal(
		    pthread_create(&threads[i], NULL, call_handle, &callers[i]),
		    0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(callers[i].result, RTW_OK);
	}
	mod_close(&mi);
	log = scratch_read(log_path, NULL);
	assert_non_null(log);
	assert_int_equal(count_lines(log), 2 * THREADS);
	assert_int_equal(peak_running(log), LIMIT);
	free(log);
	free(quoted);
	free(log_path);
	free(script);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(commands_never_exceed_max_concurrency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
