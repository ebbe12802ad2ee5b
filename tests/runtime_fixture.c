/* The real runtime in the test's process (runtime_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "errlist.h"
#include "log.h"
#include "runtime.h"
#include "runtime_fixture.h"

void runtime_fixture_dir(const char *template, char *dir, size_t dirlen,
			 char *conf, size_t conflen)
{
	int n = snprintf(dir, dirlen, "%s", template);

	assert_true(n > 0 && (size_t)n < dirlen);
	assert_non_null(mkdtemp(dir));
	n = snprintf(conf, conflen, "%s/test.conf", dir);
	assert_true(n > 0 && (size_t)n < conflen);
}

struct runtime *runtime_fixture_start(const char *conf)
{
	struct errlist errs = {0};
	struct runtime *rt;

	log_init(-1);
	rt = runtime_open(config_load(conf, &errs), &errs);
	assert_non_null(rt);
	assert_int_equal(runtime_start(rt), 0);
	return rt;
}

void runtime_fixture_stop(struct runtime *rt, const char *dir)
{
	char cmd[4200];

	assert_int_equal(runtime_stop(rt, 10), 0);
	runtime_close(rt);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}
