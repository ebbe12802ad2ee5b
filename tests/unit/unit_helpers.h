/* unit_helpers.c: helpers shared by the unit tests: searching an error list
 * and scratch directories for files written at run time. Each helper fails
 * the running test (cmocka) when the system call under it fails. */
#ifndef RTW_UNIT_HELPERS_H
#define RTW_UNIT_HELPERS_H

#include <stddef.h>

#include "errlist.h"

/* Returns 1 when some error starts with prefix and contains substring. */
int unit_errlist_has(const struct errlist *errs, const char *prefix,
		     const char *substring);

/* Prints every error (nothing when there is none), so a failing
 * assertion shows what was reported. */
void unit_errlist_print(const struct errlist *errs);

/* Creates a fresh directory under $TMPDIR (or /tmp); free with
 * unit_tempdir_remove, which deletes it and everything in it. */
char *unit_tempdir_create(void);
void unit_tempdir_remove(char *dir);

/* Writes text to dir/name and returns the path (malloc'd). */
char *unit_write_file(const char *dir, const char *name, const char *text);

/* Returns "dir/name" (malloc'd). */
char *unit_path_join(const char *dir, const char *name);

#endif
