/* slow_sync_shim: LD_PRELOAD into the daemon to make its flushes slow on
 * demand. While the file named by SEC_SLOW_SYNC_FLAG exists, fdatasync()
 * first sleeps SEC_SLOW_SYNC_MS milliseconds (and says so on stderr, the
 * daemon's log, so a test knows the delay really happened); otherwise it
 * is the real fdatasync. Only the spool's committer thread flushes, so
 * only the wait of requests parked for their flush grows. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int fdatasync(int fd)
{
	static int (*real)(int);
	const char *flag = getenv("SEC_SLOW_SYNC_FLAG");
	const char *ms_text = getenv("SEC_SLOW_SYNC_MS");

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (flag != NULL && ms_text != NULL && access(flag, F_OK) == 0) {
		long ms = strtol(ms_text, NULL, 10);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		fprintf(stderr, "slow_sync_shim: fdatasync delayed %ld ms\n",
			ms);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	return real(fd);
}
