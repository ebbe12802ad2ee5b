/* runtime_fixture: the real runtime (config, spool, dedup, handlers) in a
 * test's own process, for tests that wrap a libc call at link time or
 * reach inside it (the daemon harness runs it as a separate process). */
#ifndef RTW_TEST_RUNTIME_FIXTURE_H
#define RTW_TEST_RUNTIME_FIXTURE_H

#include <stddef.h>

struct runtime;

/* Makes a fresh directory from template (mkdtemp: ends in XXXXXX) into
 * dir (dirlen bytes) and the path of "<dir>/test.conf" into conf. */
void runtime_fixture_dir(const char *template, char *dir, size_t dirlen,
			 char *conf, size_t conflen);
/* Loads the configuration at conf, opens and starts the runtime; fails
 * the test when it cannot. Logging goes nowhere (log_init(-1)). */
struct runtime *runtime_fixture_start(const char *conf);
/* Stops (within 10 s, or the test fails) and closes rt, then removes
 * dir and everything in it. */
void runtime_fixture_stop(struct runtime *rt, const char *dir);

#endif
