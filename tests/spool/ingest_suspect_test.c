/* A flush that fails leaves its records unsure: the kernel may have
 * dropped their pages after the I/O error, and a later fdatasync that
 * works does not say so. The sender's retry of such an event must then be
 * stored again, not answered "duplicate" on the strength of that copy.
 * The real runtime (spool, dedup, a jsonl handler) with fdatasync wrapped
 * at link time (-Wl,--wrap=fdatasync) to fail on demand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "ingest.h"
#include "runtime.h"
#include "runtime_fixture.h"
#include "spool.h"
#include "util.h"

static atomic_int failing; /* every fdatasync fails while set */

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

int __wrap_fdatasync(int fd)
{
	if (atomic_load(&failing)) {
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}

struct fixture {
	char dir[64];
	struct runtime *rt;
	char *body;
	size_t len;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char conf[128];
	FILE *f;

	assert_non_null(fx);
	runtime_fixture_dir("/tmp/rtw-suspect-XXXXXX", fx->dir,
			    sizeof(fx->dir), conf, sizeof(conf));
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"listen = { address = \"127.0.0.1\"; port = 0; };\n"
		"spool = { dir = \"%s/spool\"; fsync = \"batch\"; };\n"
		"endpoints = ( { path = \"/recall/events\"; tokens = "
		"[\"t\"]; } );\n"
		"handlers = ( { name = \"archive\"; module = \"%s\";\n"
		"  config = { path = \"%s/events.jsonl\"; }; } );\n",
		fx->dir, RTW_BINARY_DIR "/handlers/jsonl.so", fx->dir);
	fclose(f);
	fx->rt = runtime_fixture_start(conf);
	fx->body = harness_read_file(HARNESS_FIXTURES "/chat_message.json",
				     &fx->len);
	assert_non_null(fx->body);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	atomic_store(&failing, 0);
	runtime_fixture_stop(fx->rt, fx->dir);
	free(fx->body);
	free(fx);
	return 0;
}

/* Posts the chat message with webhook id id; the verdict into v. */
static void post(struct fixture *fx, const char *id, struct verdict *v)
{
	char *copy = malloc(fx->len);

	assert_non_null(copy);
	memcpy(copy, fx->body, fx->len);
	ingest_body(fx->rt, 0, copy, fx->len, id, now_ms(), v);
}

static void a_retry_of_an_unsure_event_is_stored_again(void **state)
{
	struct fixture *fx = *state;
	struct spool *spool = fx->rt->spool;
	struct verdict v;
	uint64_t seq_a, seq_b;

	post(fx, "msg_a", &v);
	assert_int_equal(v.status, 200);
	seq_a = v.wait_for;
	assert_int_equal(spool_wait(spool, seq_a, 10000), 1);

	/* B is written, its flush fails: its request would be answered 503. */
	atomic_store(&failing, 1);
	post(fx, "msg_b", &v);
	assert_int_equal(v.status, 200);
	seq_b = v.wait_for;
	assert_true(seq_b > seq_a);
	for (int i = 0; i < 1000 && !spool_suspect(spool, seq_b); i++)
		spool_wait(spool, seq_b, 10); /* the failed round takes it */
	assert_true(spool_suspect(spool, seq_b));
	assert_false(spool_suspect(spool, seq_a));

	/* The disk is back: a later round commits B's record too, but that
	 * proves nothing about its pages. */
	atomic_store(&failing, 0);
	assert_int_equal(spool_wait(spool, seq_b, 10000), 1);

	/* Recall retries B: stored again (before: "duplicate"). */
	post(fx, "msg_b", &v);
	assert_int_equal(v.status, 200);
	assert_string_equal(v.reason, "accepted");
	assert_true(v.wait_for > seq_b);
	assert_false(spool_suspect(spool, v.wait_for));
	assert_int_equal(spool_wait(spool, v.wait_for, 10000), 1);

	/* Its new copy is sure: the next retry is a duplicate, as is A's. */
	post(fx, "msg_b", &v);
	assert_int_equal(v.status, 200);
	assert_string_equal(v.reason, "duplicate");
	post(fx, "msg_a", &v);
	assert_string_equal(v.reason, "duplicate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_retry_of_an_unsure_event_is_stored_again, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
