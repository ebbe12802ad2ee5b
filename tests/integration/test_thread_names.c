/* The daemon's own threads carry names (`top -H`, `ps -L`, perf): the
 * spool's committer, and each handler's spool reader and workers with the
 * handler's name. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_harness.h"

static int setup(void **state)
{
	return daemon_setup(state, HARNESS_DEFAULT_BODY, NULL);
}

/* How many of the daemon's threads are named name. */
static int threads_named(const struct daemon *d, const char *name)
{
	char path[64], comm[32];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)d->pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL) {
		char file[sizeof(path) + sizeof(e->d_name) + 8];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/comm", path, e->d_name);
		f = fopen(file, "r");
		if (f == NULL)
			continue; /* the thread ended meanwhile */
		if (fgets(comm, sizeof(comm), f) != NULL) {
			comm[strcspn(comm, "\n")] = '\0';
			n += strcmp(comm, name) == 0;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

static void the_daemons_threads_are_named(void **state)
{
	struct daemon *d = *state;

	assert_int_equal(threads_named(d, "rtw-commit"), 1);
	assert_int_equal(threads_named(d, "rd:archive"), 1);
	assert_int_equal(threads_named(d, "wk:archive"), 1); /* workers = 1 */
	assert_int_equal(daemon_stop(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_daemons_threads_are_named,
						setup, daemon_teardown),
	};

	return cmocka_run_group_tests_name("integration_thread_names", tests,
					   NULL, NULL);
}
