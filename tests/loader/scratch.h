/* scratch: throwaway directories and files for tests, and redirecting a
 * file descriptor (stdout, stderr) to a file for a while. Shared by
 * tests/loader and tests/jsonl. Failures fail the running cmocka test. */
#ifndef RTW_TEST_SCRATCH_H
#define RTW_TEST_SCRATCH_H

#include <stddef.h>

/* A new empty directory under $TMPDIR (or /tmp), malloc'd path. */
char *scratch_dir(void);
/* Removes dir and everything under it, then frees the path. */
void scratch_remove(char *dir);
/* "<dir>/<name>", malloc'd. */
char *scratch_path(const char *dir, const char *name);

/* The whole file as a NUL-terminated malloc'd string (*len without the
 * NUL; len may be NULL), or NULL when the file does not exist. */
char *scratch_read(const char *path, size_t *len);
/* Creates or replaces path with text. */
void scratch_write(const char *path, const char *text);

/* Points fd at path (opened with flags, mode 0600) after flushing stdio;
 * returns a saved copy of the old fd for scratch_restore. */
int scratch_redirect(int fd, const char *path, int flags);
void scratch_restore(int fd, int saved);

/* Fails the test unless needle occurs in text; names both when it fails. */
void assert_contains(const char *text, const char *needle);

#endif
