/* sqltest: what the sqlite handler's tests share. A mock host that keeps
 * its log lines, loading sqlite.so and driving it through its ABI, events
 * from fixtures and from the scripted meeting (meeting.jsonl), reading the
 * database back, and the queries of docs/handlers/sqlite.md. Failures fail
 * the running cmocka test. */
#ifndef RTW_TEST_SQLTEST_H
#define RTW_TEST_SQLTEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "event.h"
#include "module.h"

#define SQLTEST_MODULE	      RTW_BINARY_DIR "/handlers/sqlite.so"
#define SQLTEST_FIXTURE(name) RTW_TEST_SOURCE_DIR "/fixtures/events/" name
#define SQLTEST_MEETING	      RTW_TEST_SOURCE_DIR "/module_sqlite/meeting.jsonl"
#define SQLTEST_DOC	      RTW_SOURCE_DIR "/docs/handlers/sqlite.md"
/* The bot of meeting.jsonl, and how many events it holds. */
#define SQLTEST_MEETING_BOT    "b0000000-0000-4000-8000-00000000000a"
#define SQLTEST_MEETING_EVENTS 20
#define SQLTEST_RECEIVED_AT_MS INT64_C(1764174001480)

struct mock_host {
	struct rtw_host host; /* first: the module is given &host */
	pthread_mutex_t lock;
	char last_log[1024];
	int nlogs;
};

struct sql_instance {
	struct module module;
	struct mock_host mock;
	void *state;
	int initialized;
	int batching;	/* the mock host has ABI 1.2 (takes RTW_PENDING) */
	size_t pending; /* answered PENDING since the last flush */
};

/* The ABI minor version the mock host of the next sqlt_open announces:
 * 2 (the daemon's: the module batches and the helpers below flush like
 * the daemon, at 256 pending events and before fini) or 0 (a host before
 * ABI 1.2: every OK is a commit). 0 until set. */
void sqlt_set_host_minor(unsigned minor);

/* Loads sqlite.so and runs init on config_json; returns init's result. */
int sqlt_open(struct sql_instance *si, const char *config_json,
	      struct rtw_error *err);
/* Opens on {"path": db_path} plus extra members ("" or e.g.
 * ", \"synchronous\": \"full\""), failing the test unless init succeeds. */
void sqlt_open_db(struct sql_instance *si, const char *db_path,
		  const char *extra);
/* Flushes what is pending first, as the daemon does before the stop. */
void sqlt_close(struct sql_instance *si);
/* Calls flush; returns its answer (RTW_OK without a batching host). */
enum rtw_result sqlt_flush(struct sql_instance *si, struct rtw_error *err);

/* An event parsed from body bytes that it owns. */
struct test_event {
	char *body;
	size_t len;
	struct event ev;
};

void tev_from_bytes(struct test_event *te, const char *body, size_t len,
		    uint64_t seq);
void tev_from_fixture(struct test_event *te, const char *path, uint64_t seq);
void tev_clear(struct test_event *te);

enum rtw_result sqlt_handle(struct sql_instance *si, struct test_event *te,
			    struct rtw_error *err);
/* Hands the event over; fails the test unless the answer is RTW_OK, or
 * RTW_PENDING from a batching host, which then flushes at 256 pending
 * events as the daemon does. */
void sqlt_handle_ok(struct sql_instance *si, struct test_event *te);
/* Hands over the lines of meeting.jsonl, line i as seq first + i. */
void sqlt_handle_meeting(struct sql_instance *si, uint64_t first);

/* The lines of meeting.jsonl (NULL-terminated; free with sqlt_free_lines). */
char **sqlt_meeting_lines(size_t *n);
void sqlt_free_lines(char **lines);

/* A participant event body: type "participant_events.<kind>" of bot, about
 * participant pid ("Person <pid>"), at relative time rel. Returns the
 * length written into buf. */
size_t sqlt_participant_body(char *buf, size_t len, const char *kind,
			     const char *bot, int pid, double rel);

/* A read-only connection to the database (fails the test if it cannot). */
sqlite3 *sqlt_db(const char *path);
/* Runs sql (binding :meeting to meeting when the query names it) and
 * returns every row as "col|col|...\n", malloc'd; NULL is "NULL". */
char *sqlt_rows(sqlite3 *db, const char *sql, const char *meeting);
/* The first column of the first row as an integer (fails without one). */
long long sqlt_int(sqlite3 *db, const char *sql);

/* The SQL of the block marked "-- query: <name>" in the doc, malloc'd
 * (fails the test when the doc has no such block). */
char *sqlt_doc_query(const char *name);

#endif
