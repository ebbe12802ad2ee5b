/* Regression test for a lost wake-up (src/dispatch.c, worker_main): an
 * idle worker saves progress with the dispatcher's lock released; an event
 * queued during that save signalled no one waiting, and the worker then
 * slept until its next wake-up: a sleeping lane's Retry-After. A bot's
 * event waited for another bot's pause (module_http_daemon's bot-scope
 * test saw 2 s twice, on loaded machines).
 *
 * The real runtime in this process, with the flaky handler: bot-a's events
 * are answered RETRY with a 4 s Retry-After, so its lane sleeps; the
 * worker's progress saves are made slow (fdatasync wrapped at link time,
 * 400 ms in threads named "wk:*"), and bot-b's second event is queued
 * while one runs. It must be handled when the save ends, not 4 s later. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dint_util.h"
#include "ingest.h"
#include "runtime.h"
#include "runtime_fixture.h"
#include "spool.h"
#include "util.h"

#define SLOW_SAVE_MS 400
#define RETRY_AFTER_MS 4000

static atomic_int slow_saves; /* the workers' fdatasync sleeps first */

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

int __wrap_fdatasync(int fd)
{
	char name[16] = "";

	pthread_getname_np(pthread_self(), name, sizeof(name));
	if (atomic_load(&slow_saves) && strncmp(name, "wk:", 3) == 0)
		dint_sleep_ms(SLOW_SAVE_MS);
	return __real_fdatasync(fd);
}

struct fixture {
	char dir[64];
	char out[128];
	struct runtime *rt;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char conf[128], down[128];
	FILE *f;

	assert_non_null(fx);
	runtime_fixture_dir("/tmp/rtw-wakeup-XXXXXX", fx->dir, sizeof(fx->dir),
			    conf, sizeof(conf));
	snprintf(fx->out, sizeof(fx->out), "%s/out.txt", fx->dir);
	snprintf(down, sizeof(down), "%s/down", fx->dir);
	f = fopen(down, "w"); /* bot-a's events get RETRY while it exists */
	assert_non_null(f);
	fclose(f);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"listen = { address = \"127.0.0.1\"; port = 0; };\n"
		"spool = { dir = \"%s/spool\"; fsync = \"batch\";"
		" segment_bytes = 1048576; };\n"
		"endpoints = ( { path = \"/recall/events\"; tokens = "
		"[\"t\"]; } );\n"
		"handlers = ( { name = \"flaky\"; module = \"%s\";\n"
		"  config = { out = \"%s\"; retry_bot = \"bot-a\";\n"
		"    down_file = \"%s\"; retry_after_ms = %d; }; } );\n",
		fx->dir, DINT_FLAKY_MODULE, fx->out, down, RETRY_AFTER_MS);
	fclose(f);
	fx->rt = runtime_fixture_start(conf);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	atomic_store(&slow_saves, 0);
	runtime_fixture_stop(fx->rt, fx->dir);
	free(fx);
	return 0;
}

/* Stores event idx of bot and waits until it is durable. */
static void post(struct fixture *fx, const char *bot, int idx)
{
	char body[2048], id[64];
	size_t len = dint_event(bot, idx, body, sizeof(body));
	char *copy = malloc(len);
	struct verdict v;

	assert_non_null(copy);
	memcpy(copy, body, len);
	snprintf(id, sizeof(id), "msg_%s_%d", bot, idx);
	ingest_body(fx->rt, 0, copy, len, id, now_ms(), &v);
	assert_int_equal(v.status, 200);
	assert_int_equal(spool_wait(fx->rt->spool, v.wait_for, 10000), 1);
}

static void an_event_queued_during_a_save_is_not_left_waiting(void **state)
{
	struct fixture *fx = *state;
	int64_t queued, handled;

	post(fx, "bot-a", 0);
	dint_sleep_ms(300); /* answered RETRY: bot-a's lane sleeps 4 s */
	atomic_store(&slow_saves, 1);
	post(fx, "bot-b", 0);
	if (dint_wait_count_settled(fx->out, " bot-b ", 1, 5000, 5000) < 1)
		fail_msg("bot-b's first event was not handled");
	/* Its progress is now being saved (within 50 ms, for 400 ms). */
	dint_sleep_ms(150);
	post(fx, "bot-b", 1);
	queued = dint_now_ms();
	if (dint_wait_count_settled(fx->out, " bot-b ", 2, 8000, 8000) < 2)
		fail_msg("bot-b's second event was not handled");
	handled = dint_now_ms();
	if (handled - queued > 1500)
		fail_msg("bot-b's second event waited %lld ms (bot-a's "
			 "Retry-After is %d ms, a save %d ms)",
			 (long long)(handled - queued), RETRY_AFTER_MS,
			 SLOW_SAVE_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		an_event_queued_during_a_save_is_not_left_waiting, setup,
		teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_idle_wakeup", tests,
					   NULL, NULL);
}
