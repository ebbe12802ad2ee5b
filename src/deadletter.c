/* Dead-letter files. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deadletter.h"
#include "log.h"

int deadletter_open(const char *state_dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/dead-letters.jsonl", state_dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		log_warn("cannot open %s", path);
	return fd;
}

int deadletter_write(int fd, const struct rtw_event *ev, const char *reason,
		     int64_t now_ms)
{
	json_t *r = json_string(reason);
	char *quoted = r ? json_dumps(r, JSON_ENCODE_ANY) : NULL;
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	int rc = -1;

	if (f != NULL && quoted != NULL) {
		fprintf(f, "{\"seq\":%" PRIu64 ",\"failed_at_ms\":%" PRId64
			   ",\"reason\":%s,\"event\":",
			ev->seq, now_ms, quoted);
		/* Raw newlines in a JSON body are whitespace: keep one line. */
		for (size_t i = 0; i < ev->body_len; i++)
			fputc(ev->body[i] == '\n' || ev->body[i] == '\r'
				      ? ' '
				      : ev->body[i],
			      f);
		fputs("}\n", f);
	}
	if (f != NULL && fclose(f) == 0 && quoted != NULL && fd >= 0)
		rc = write(fd, line, len) == (ssize_t)len ? 0 : -1;
	if (rc != 0)
		log_warnx("could not write event %" PRIu64
			  " to the dead-letter file: %s",
			  ev->seq, strerror(errno));
	free(line);
	free(quoted);
	json_decref(r);
	return rc;
}
