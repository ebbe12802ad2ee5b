/* send_fixture.h: the setup shared by the tests that run rtw-send: a
 * temporary directory with an events file, and a started test server. */
#ifndef RTW_SEND_FIXTURE_H
#define RTW_SEND_FIXTURE_H

#include "send_run.h"
#include "send_server.h"

struct send_fixture {
	struct test_server server;
	char *dir;
	char *events; /* <dir>/events.jsonl, not yet written */
};

/* cmocka group-less setup/teardown: each test gets a fresh fixture. */
int send_fixture_setup(void **state);
int send_fixture_teardown(void **state);

/* Starts the fixture's server (after the test set its delays). */
void send_fixture_start(struct send_fixture *fx);

/* How many requests carried marker. */
size_t arrivals(struct send_fixture *fx, const char *marker);

/* Asserts that the requests of marker come at least gap_us apart, from
 * the answer (or close) of one to the arrival of the next. */
void assert_spaced(struct send_fixture *fx, const char *marker,
		   int64_t gap_us);

/* An integer member of a --json summary. */
long long summary_int(const struct send_result *r, const char *key);

#endif
