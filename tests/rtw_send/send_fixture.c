/* Assertions shared by the tests that run rtw-send; cmocka's macros make
 * them fail the calling test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "send_fixture.h"

#define MAX_FOUND 4096

int send_fixture_setup(void **state)
{
	struct send_fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->dir = tmpdir_make()) == NULL ||
	    (fx->events = tmpdir_path(fx->dir, "events.jsonl")) == NULL)
		return -1;
	*state = fx;
	return 0;
}

int send_fixture_teardown(void **state)
{
	struct send_fixture *fx = *state;

	server_stop(&fx->server);
	free(fx->events);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

void send_fixture_start(struct send_fixture *fx)
{
	assert_int_equal(server_start(&fx->server), 0);
}

size_t arrivals(struct send_fixture *fx, const char *marker)
{
	size_t idx[1];

	return server_find(&fx->server, marker, idx, 0);
}

void assert_spaced(struct send_fixture *fx, const char *marker,
		   int64_t gap_us)
{
	static size_t idx[MAX_FOUND];
	size_t n = server_find(&fx->server, marker, idx, MAX_FOUND);
	const struct server_request *r = fx->server.reqs;

	for (size_t i = 1; i < n && i < MAX_FOUND; i++) {
		int64_t gap = r[idx[i]].start_us - r[idx[i - 1]].end_us;

		if (gap < gap_us)
			fail_msg("%s: attempt %zu came %lld us after the "
				 "previous answer, expected >= %lld",
				 marker, i + 1, (long long)gap,
				 (long long)gap_us);
	}
}

long long summary_int(const struct send_result *r, const char *key)
{
	json_t *sum = send_summary(r);
	json_t *v = json_object_get(sum, key);
	long long n;

	if (!json_is_integer(v))
		fail_msg("summary has no integer %s: %s", key, r->out);
	n = json_integer_value(v);
	json_decref(sum);
	return n;
}
