/* The service manager's side of the lifecycle, on libsystemd's sd-daemon
 * calls (which do nothing when the daemon does not run under systemd). */
#include <stdio.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "service.h"

void service_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void service_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void service_tick(const char *status)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		sd_notifyf(0, "WATCHDOG=1\nSTATUS=%s", status);
	else
		sd_notifyf(0, "STATUS=%s", status);
}

int64_t service_tick_ms(int64_t fallback_ms)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		return (int64_t)(usec / 2000) > 0 ? (int64_t)(usec / 2000) : 1;
	return fallback_ms;
}

int service_listen_fd(char *why, size_t whylen)
{
	/* Unsets LISTEN_FDS so that commands the handlers run do not
	 * believe the sockets are theirs. */
	int n = sd_listen_fds(1);

	if (n < 0) {
		snprintf(why, whylen, "cannot read the sockets systemd "
				      "passed (LISTEN_FDS)");
		return -2;
	}
	if (n == 0)
		return -1;
	if (n > 1) {
		snprintf(why, whylen, "systemd passed %d sockets; rtwebhookd "
				      "serves exactly one (one ListenStream=)",
			 n);
		return -2;
	}
	if (sd_is_socket(SD_LISTEN_FDS_START, 0, SOCK_STREAM, 1) <= 0) {
		snprintf(why, whylen, "the socket systemd passed is not a "
				      "listening stream socket");
		return -2;
	}
	return SD_LISTEN_FDS_START;
}
