/* tx_io: the few file operations every output file needs. Every
 * descriptor is close-on-exec: other handlers in the daemon fork. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "transcript.h"

int tx_write_at(int fd, const char *buf, size_t len, off_t at)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

int tx_sync(int fd, int enabled)
{
	return enabled ? fdatasync(fd) : 0;
}

/* Opens "<stem><suffix>" inside dirfd with flags (plus O_CLOEXEC and, with
 * O_CREAT, mode 0640). *created (may be NULL) tells whether it was new. */
int tx_open_in(int dirfd, const char *stem, const char *suffix, int flags,
	       int *created)
{
	char name[TX_STEM_MAX + 32];
	int fd;

	if (snprintf(name, sizeof(name), "%s%s", stem, suffix) >=
	    (int)sizeof(name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (created != NULL)
		*created = 0;
	if ((flags & O_CREAT) && created != NULL) {
		fd = openat(dirfd, name, flags | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0) {
			*created = 1;
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return openat(dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW, 0640);
}
