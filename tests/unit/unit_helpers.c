/* Helpers shared by the unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_helpers.h"

int unit_errlist_has(const struct errlist *errs, const char *prefix,
		     const char *substring)
{
	for (size_t i = 0; i < errs->count; i++)
		if (strncmp(errs->lines[i], prefix, strlen(prefix)) == 0 &&
		    strstr(errs->lines[i], substring) != NULL)
			return 1;
	return 0;
}

void unit_errlist_print(const struct errlist *errs)
{
	if (errs->count == 0)
		return;
	print_message("%zu error(s) reported:\n", errs->count);
	for (size_t i = 0; i < errs->count; i++)
		print_message("  %s\n", errs->lines[i]);
}

char *unit_path_join(const char *dir, const char *name)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	return path;
}

char *unit_tempdir_create(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = unit_path_join(base != NULL && base[0] != '\0' ? base :
				   "/tmp", "rtw-unit-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

void unit_tempdir_remove(char *dir)
{
	if (dir == NULL)
		return;
	assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(dir);
}

char *unit_write_file(const char *dir, const char *name, const char *text)
{
	char *path = unit_path_join(dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}
