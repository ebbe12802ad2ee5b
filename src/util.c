/* Small shared helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
}

struct timespec mono_deadline(int64_t ms_from_now)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms_from_now / 1000;
	ts.tv_nsec += (long)(ms_from_now % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) != 0 && errno != EEXIST ? -1 : 0;
}

int probe_writable_dir(const char *dir, size_t bytes)
{
	/* An unnamed file: nothing to clean up, even after a crash. */
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return errno;
	/* Reserving the blocks fails as a write would: no space, a file
	 * size limit, a read-only or failing file system. */
	rc = posix_fallocate(fd, 0, (off_t)bytes);
	if (rc == 0 && fdatasync(fd) != 0)
		rc = errno ? errno : EIO;
	close(fd);
	return rc;
}

int thread_start(pthread_t *t, void *(*main_fn)(void *), void *arg,
		 const char *role, const char *handler)
{
	char name[16]; /* the kernel's TASK_COMM_LEN */
	int rc = pthread_create(t, NULL, main_fn, arg);

	if (rc != 0)
		return rc;
	if (handler != NULL)
		snprintf(name, sizeof(name), "%s:%s", role, handler);
	else
		snprintf(name, sizeof(name), "%s", role);
	(void)pthread_setname_np(*t, name);
	return 0;
}

int replace_file(const char *tmp, const char *path, const void *data,
		 size_t len)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, data, len) == (ssize_t)len &&
		 fdatasync(fd) == 0;
	int saved = errno;

	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		errno = saved;
		return -1;
	}
	return rename(tmp, path);
}

int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}
