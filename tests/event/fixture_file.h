/* fixture_file: reading test fixtures, and turning every fixture file that
 * matches a glob into one named cmocka test. Shared by tests/event and
 * tests/jsonl. */
#ifndef RTW_TEST_FIXTURE_FILE_H
#define RTW_TEST_FIXTURE_FILE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define FIXTURE_EVENTS_DIR RTW_TEST_SOURCE_DIR "/fixtures/events"

/* Reads a whole file into a malloc'd buffer and stores its size in *len.
 * One NUL byte follows the data (not counted in *len) so text helpers can
 * use the buffer; parsers are handed exactly *len bytes. Fails the running
 * test when the file cannot be read. */
char *fixture_read(const char *path, size_t *len);

/* Reads path with its extension replaced by ext (".expect", ".json"...).
 * Returns NULL when that file does not exist. */
char *fixture_read_sibling(const char *path, const char *ext, size_t *len);

/* The file name without directory: "join.json" for ".../join.json". */
const char *fixture_base(const char *path);

/* Runs fn once per file matching pattern (a glob), each run a test named
 * "<group>/<file name>" whose state is the file's path. A pattern that
 * matches fewer than min_count files fails the group, so an emptied or
 * moved fixture directory cannot turn the tests into no-ops. Returns the
 * number of failed tests. */
int fixture_run_each(const char *group, const char *pattern,
		     CMUnitTestFunction fn, size_t min_count);

#endif
