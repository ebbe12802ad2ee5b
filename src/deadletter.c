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

/* reason as a JSON string. A module may hand over raw bytes (a child's
 * stderr): when they are not UTF-8, bytes from 0x80 up are written as
 * \xNN text rather than losing the line. */
static json_t *reason_string(const char *reason)
{
	json_t *s = json_string(reason);
	char *copy;
	size_t n = 0;

	if (s != NULL)
		return s;
	copy = malloc(strlen(reason) * 4 + 1);
	if (copy == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)reason; *p; p++)
		n += (size_t)(*p < 0x80 ? sprintf(copy + n, "%c", *p)
					: sprintf(copy + n, "\\x%02x", *p));
	copy[n] = '\0';
	s = json_string(copy);
	free(copy);
	return s;
}

int deadletter_write(int fd, const struct rtw_event *ev, const char *reason,
		     int64_t now_ms)
{
	json_t *r = reason_string(reason);
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
