/* Fixture files and one-test-per-fixture groups. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_file.h"

char *fixture_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size = -1;

	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	if (fseek(f, 0, SEEK_END) == 0)
		size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size fixture %s", path);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		fail_msg("short read on fixture %s", path);
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

char *fixture_read_sibling(const char *path, const char *ext, size_t *len)
{
	char sibling[4096];
	const char *dot = strrchr(path, '.');
	int n = (int)(dot != NULL ? dot - path : (long)strlen(path));
	FILE *probe;

	snprintf(sibling, sizeof(sibling), "%.*s%s", n, path, ext);
	probe = fopen(sibling, "rb");
	if (probe == NULL)
		return NULL;
	fclose(probe);
	return fixture_read(sibling, len);
}

const char *fixture_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int run_matches(const char *group, const glob_t *g,
		       CMUnitTestFunction fn)
{
	struct CMUnitTest *tests = calloc(g->gl_pathc, sizeof(*tests));
	char **names = calloc(g->gl_pathc, sizeof(*names));
	int failed;

	if (tests == NULL || names == NULL)
		return 1;
	for (size_t i = 0; i < g->gl_pathc; i++) {
		if (asprintf(&names[i], "%s/%s", group,
			     fixture_base(g->gl_pathv[i])) < 0)
			return 1;
		tests[i].name = names[i];
		tests[i].test_func = fn;
		tests[i].initial_state = g->gl_pathv[i];
	}
	failed = _cmocka_run_group_tests(group, tests, g->gl_pathc, NULL, NULL);
	for (size_t i = 0; i < g->gl_pathc; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed;
}

int fixture_run_each(const char *group, const char *pattern,
		     CMUnitTestFunction fn, size_t min_count)
{
	glob_t g;
	int failed = 1;

	memset(&g, 0, sizeof(g));
	if (glob(pattern, 0, NULL, &g) != 0)
		g.gl_pathc = 0;
	if (g.gl_pathc < min_count)
		fprintf(stderr,
			"[  ERROR   ] %s: %zu files match %s, expected "
			"at least %zu\n",
			group, (size_t)g.gl_pathc, pattern, min_count);
	else
		failed = run_matches(group, &g, fn);
	globfree(&g);
	return failed;
}
