/* The exec and pipe handlers through the real daemon (see
 * modtest_daemon.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "modtest.h"
#include "modtest_daemon.h"

#define MDT_TARGET "/recall/events?token=" HARNESS_TOKEN
#define MDT_ENDPOINT                                                           \
	"endpoints = ( { path = \"/recall/events\";\n"                         \
	"                tokens = [\"" HARNESS_TOKEN "\"]; } );\n"

struct daemon *mdt_start(const char *script_name, const char *script,
			 const char *handlers)
{
	struct daemon *d = daemon_new();
	char path[512], *body = NULL;

	if (d == NULL)
		return NULL;
	if (script != NULL &&
	    (daemon_write(d, script_name, script) != 0 ||
	     chmod(daemon_path(d, script_name, path, sizeof(path)), 0755) != 0))
		goto fail;
	if (asprintf(&body, "%s%s", MDT_ENDPOINT, handlers) < 0 ||
	    daemon_configure(d, body) != 0 || daemon_start(d, NULL) != 0)
		goto fail;
	free(body);
	return d;
fail:
	free(body);
	daemon_free(d);
	return NULL;
}

long mdt_post(struct daemon *d, const char *body, size_t len)
{
	return http_post(d->port, MDT_TARGET, "application/json", body, len);
}

long mdt_post_chat(struct daemon *d, const char *bot, int idx)
{
	char body[2048];
	size_t len = modtest_chat_body(body, sizeof(body), bot, idx);

	return mdt_post(d, body, len);
}

char *mdt_read(struct daemon *d, const char *name)
{
	char path[512];

	return harness_read_file(daemon_path(d, name, path, sizeof(path)),
				 NULL);
}

size_t mdt_wait_lines(struct daemon *d, const char *name, size_t n,
		      long timeout_ms)
{
	char path[512];

	return harness_wait_lines(daemon_path(d, name, path, sizeof(path)), n,
				  timeout_ms);
}
