/* Scratch files for tests. */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

char *scratch_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL;

	if (asprintf(&dir, "%s/rtw-test-XXXXXX",
		     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp") < 0)
		fail_msg("out of memory");
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp %s failed", dir);
	return dir;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	return remove(path);
}

void scratch_remove(char *dir)
{
	if (dir != NULL)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *scratch_path(const char *dir, const char *name)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	return path;
}

char *scratch_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t size = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		char chunk[8192];
		size_t n = fread(chunk, 1, sizeof(chunk), f);
		char *grown = realloc(buf, size + n + 1);

		assert_non_null(grown);
		buf = grown;
		memcpy(buf + size, chunk, n);
		size += n;
		buf[size] = '\0';
		if (n < sizeof(chunk))
			break;
	}
	fclose(f);
	if (len != NULL)
		*len = size;
	return buf;
}

void scratch_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		fail_msg("cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

int scratch_redirect(int fd, const char *path, int flags)
{
	int file, saved;

	fflush(NULL);
	file = open(path, flags, 0600);
	if (file < 0)
		fail_msg("cannot open %s", path);
	saved = dup(fd);
	if (saved < 0 || dup2(file, fd) < 0)
		fail_msg("cannot redirect fd %d", fd);
	close(file);
	return saved;
}

void scratch_restore(int fd, int saved)
{
	fflush(NULL);
	dup2(saved, fd);
	close(saved);
}

void assert_contains(const char *text, const char *needle)
{
	if (text == NULL || strstr(text, needle) == NULL)
		fail_msg("expected '%s' in: %s", needle,
			 text != NULL ? text : "(null)");
}
