/* jsonl: appends every event to a file (or stdout) as one JSON line.
 *
 * The line is the received body byte for byte, except that raw newlines
 * (which in JSON can only be whitespace) become spaces, and a first member
 * "_rtwebhookd" carries the delivery metadata:
 *   {"_rtwebhookd":{"seq":42,"received_at_ms":1764174001480},"event":...}
 * Recall's keys never start with an underscore, so the two cannot clash.
 *
 * Config: path = "/var/lib/rtwebhookd/events.jsonl" | "-" (stdout).
 *
 * Batching (ABI 1.2): with a host that takes RTW_PENDING, handle appends
 * the line to a buffer and answers PENDING; flush writes the whole buffer
 * with one write(2), so a busy sink makes one system call per batch
 * instead of one per event. A failed flush cuts what it wrote and keeps
 * the buffer for the next try; where it cannot cut (a pipe), it keeps
 * only what did not get out. With an older host every line is written by
 * its own handle.
 *
 * Exactly once across crashes: after a crash the daemon offers again the
 * events that finished after its last progress save (at most ~50 ms of
 * events). On start the module cuts a torn last line and remembers the
 * sequence numbers in the file's last TAIL_BYTES; an event offered again
 * with one of them is acknowledged without being written twice. "On start"
 * is the first handle or flush, not init: a reload opens the new instance
 * while the old one may still append to the same file, and hands it
 * events only once the old one has stopped. Where the output cannot be
 * cut or read back (a pipe, or standard output), a write that failed
 * part-way just before a restart or reload leaves a torn line, and the
 * events of that batch are written again whole: nothing is lost, but
 * those lines may appear twice. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rtwebhookd/handler.h"

/* How much of the end of the file is read back on start: far more than
 * the lines written in one progress-save interval at full speed. */
#define TAIL_BYTES (8 * 1024 * 1024)
#define SEQ_PREFIX "{\"_rtwebhookd\":{\"seq\":"

struct jsonl {
	const struct rtw_host *host;
	char *path;
	int fd;
	int owns_fd;
	off_t end;  /* file size after the last whole line */
	char *line; /* lines not written yet (reused) */
	size_t len, cap;
	int batching; /* the host takes RTW_PENDING and calls flush */
	int recovered; /* the file's end was read back (recover) */
	uint64_t *written; /* sorted seqs found at the end of the file */
	size_t nwritten;
};

static int check_keys(const json_t *config, struct rtw_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)config, key, value)
	{
		if (strcmp(key, "path") != 0) {
			rtw_error_set(err, "unknown key '%s' in config "
					   "(jsonl takes: path)",
				      key);
			return -1;
		}
	}
	return 0;
}

static int read_back(struct jsonl *j, struct rtw_error *err);
static int write_all(int fd, const char *buf, size_t len, size_t *done);

/* Opens the output (init: a path that cannot be opened is a
 * configuration error). Its end is read at the first write (recover). */
static int open_output(struct jsonl *j, struct rtw_error *err)
{
	struct stat st;

	if (strcmp(j->path, "-") == 0) {
		j->fd = STDOUT_FILENO;
		return 0;
	}
	j->fd = open(j->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (j->fd < 0 || fstat(j->fd, &st) != 0) {
		rtw_error_set(err, "cannot open %s: %s", j->path,
			      strerror(errno));
		return -1;
	}
	j->owns_fd = 1;
	return 0;
}

/* The size of a regular file output opened for appending, or -1: a pipe
 * or terminal is never cut, nor a file written at its own offset (a
 * standard output redirected without O_APPEND), where a cut would leave
 * the offset past the end and the next write a hole. */
static off_t output_size(const struct jsonl *j)
{
	struct stat st;
	int flags = fcntl(j->fd, F_GETFL);

	return flags >= 0 && (flags & O_APPEND) && fstat(j->fd, &st) == 0 &&
			       S_ISREG(st.st_mode)
		       ? st.st_size
		       : -1;
}

/* Before the first write: where whole lines end and, for a file of its
 * own, what the end of the file already holds. Standard output may be a
 * file that held output before: a partial line is cut back to the size
 * found here, never further. */
static int recover(struct jsonl *j, struct rtw_error *err)
{
	j->end = output_size(j);
	if (j->owns_fd && j->end >= 0 && read_back(j, err) != 0)
		return -1;
	j->recovered = 1;
	return 0;
}

static int compare_seq(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Collects the seq of every whole line in buf[0..len) into j->written. */
static int collect_seqs(struct jsonl *j, const char *buf, size_t len)
{
	size_t plen = strlen(SEQ_PREFIX);

	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		if ((size_t)(nl - p) > plen && memcmp(p, SEQ_PREFIX, plen) == 0) {
			uint64_t *grown = realloc(
				j->written, (j->nwritten + 1) * sizeof(*grown));

			if (grown == NULL)
				return -1;
			j->written = grown;
			j->written[j->nwritten++] =
				strtoull(p + plen, NULL, 10);
		}
		p = nl + 1;
	}
	if (j->nwritten > 1)
		qsort(j->written, j->nwritten, sizeof(*j->written),
		      compare_seq);
	return 0;
}

/* Cuts a torn last line of torn bytes at offset at. Where the file cannot
 * be cut (an append-only file, say), ends the line there instead of
 * refusing every event: one corrupt line, whose event, not among the
 * whole lines read back, is written again. 0, or -1 with err set. */
static int end_torn_line(struct jsonl *j, off_t at, size_t torn,
			 struct rtw_error *err)
{
	size_t written;

	j->host->log(j->host, RTW_LOG_NOTICE,
		     "%s: cutting a torn last line of %zu byte(s)", j->path,
		     torn);
	if (ftruncate(j->fd, at) == 0) {
		j->end = at;
		return 0;
	}
	j->host->log(j->host, RTW_LOG_ERR,
		     "cannot cut %s (%s); ending the torn line instead",
		     j->path, strerror(errno));
	if (write_all(j->fd, "\n", 1, &written) != 0) {
		rtw_error_set(err, "write to %s: %s", j->path, strerror(errno));
		return -1;
	}
	j->end = output_size(j);
	return 0;
}

/* Cuts a torn last line and reads back the seqs at the end of the file. */
static int read_back(struct jsonl *j, struct rtw_error *err)
{
	off_t from = j->end > TAIL_BYTES ? j->end - TAIL_BYTES : 0;
	size_t len = (size_t)(j->end - from);
	char *buf = malloc(len ? len : 1);
	size_t keep;
	int rc = -1;

	if (buf == NULL || pread(j->fd, buf, len, from) != (ssize_t)len) {
		rtw_error_set(err, "cannot read back %s: %s", j->path,
			      strerror(errno));
		goto out;
	}
	for (keep = len; keep > 0 && buf[keep - 1] != '\n'; keep--)
		;
	if (keep < len && !(from > 0 && keep == 0) &&
	    end_torn_line(j, from + (off_t)keep, len - keep, err) != 0)
		goto out;
	/* A window starting mid-line: skip to the first whole line. */
	{
		const char *start = buf;

		if (from > 0) {
			const char *nl = memchr(buf, '\n', keep);

			start = nl ? nl + 1 : buf + keep;
		}
		rc = collect_seqs(j, start, keep - (size_t)(start - buf));
	}
	if (rc != 0)
		rtw_error_set(err, "out of memory");
out:
	free(buf);
	return rc;
}

static int already_written(const struct jsonl *j, uint64_t seq)
{
	return j->nwritten > 0 &&
	       bsearch(&seq, j->written, j->nwritten, sizeof(seq),
		       compare_seq) != NULL;
}

static void jsonl_fini(void *state);

static int jsonl_init(const struct rtw_host *host, const json_t *config,
		      void **state, struct rtw_error *err)
{
	const char *path = json_string_value(json_object_get(config, "path"));
	struct jsonl *j;

	if (check_keys(config, err) != 0)
		return -1;
	if (path == NULL || path[0] == '\0') {
		rtw_error_set(err, "config needs path = \"FILE\" (or \"-\" "
				   "for stdout)");
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		rtw_error_set(err, "out of memory");
		return -1;
	}
	j->host = host;
	j->fd = -1;
	j->batching = RTW_HOST_TAKES_PENDING(host);
	if (open_output(j, err) != 0) {
		jsonl_fini(j);
		return -1;
	}
	*state = j;
	return 0;
}

/* Replaces every c in p[0..len) with a space. In a JSON text a raw line
 * break can only be whitespace between tokens (inside strings it must be
 * escaped), so the line stays the same JSON. memchr, not a loop over
 * every byte: most bodies have none, and memchr checks 32 bytes a step. */
static void blank_out(char *p, size_t len, char c)
{
	char *end = p + len;

	while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL)
		*p++ = ' ';
}

/* Appends the output line for ev to j->line; returns 0 or -1. */
static int append_line(struct jsonl *j, const struct rtw_event *ev)
{
	char meta[128];
	const char *body = ev->body;
	size_t skip = 0, need;
	char *line;
	int mlen;

	while (skip < ev->body_len && body[skip] != '{')
		skip++; /* leading whitespace; the body is an object */
	mlen = snprintf(meta, sizeof(meta),
			"{\"_rtwebhookd\":{\"seq\":%" PRIu64
			",\"received_at_ms\":%" PRId64 "},",
			ev->seq, ev->received_at_ms);
	need = (size_t)mlen + (ev->body_len - skip - 1) + 1;
	if (j->len + need > j->cap) {
		size_t cap = j->cap * 2 > j->len + need ? j->cap * 2
							 : j->len + need;
		char *grown = realloc(j->line, cap);

		if (grown == NULL)
			return -1;
		j->line = grown;
		j->cap = cap;
	}
	line = j->line + j->len;
	memcpy(line, meta, (size_t)mlen);
	memcpy(line + mlen, body + skip + 1, ev->body_len - skip - 1);
	blank_out(line + mlen, ev->body_len - skip - 1, '\n');
	blank_out(line + mlen, ev->body_len - skip - 1, '\r');
	line[need - 1] = '\n';
	j->len += need;
	return 0;
}

/* Writes buf whole; *done says how much got out (also on failure). */
static int write_all(int fd, const char *buf, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, buf + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*done += (size_t)n;
	}
	return 0;
}

/* After a failed write: cuts the output back to its last whole line.
 * Returns 1 when it did (nothing of the write remains), 0 when it cannot
 * (a pipe, or ftruncate failed: then the end is measured again, so a
 * later cut never reaches into lines written since). */
static int cut_back(struct jsonl *j)
{
	int saved = errno;

	if (j->end < 0)
		return 0;
	if (ftruncate(j->fd, j->end) == 0) {
		errno = saved;
		return 1;
	}
	j->host->log(j->host, RTW_LOG_ERR,
		     "cannot cut a partial line from %s: %s", j->path,
		     strerror(errno));
	j->end = output_size(j);
	errno = saved;
	return 0;
}

/* Writes the lines in j->line. On failure cuts what reached the file, so
 * a retry starts clean, and keeps the lines when keep is set (a batch the
 * host flushes again) or drops them (an event the host offers again).
 * Where it cannot cut, the batch keeps only what did not get out: the
 * next flush completes a torn line instead of repeating whole ones. */
static enum rtw_result write_lines(struct jsonl *j, int keep,
				   struct rtw_error *err)
{
	size_t len = j->len, done;

	if (len == 0)
		return RTW_OK;
	if (write_all(j->fd, j->line, len, &done) == 0) {
		if (j->end >= 0)
			j->end += (off_t)len;
		j->len = 0;
		return RTW_OK;
	}
	rtw_error_set(err, "write to %s: %s", j->path, strerror(errno));
	if (cut_back(j))
		done = 0;
	if (!keep)
		done = len;
	memmove(j->line, j->line + done, len - done);
	j->len = len - done;
	return RTW_RETRY;
}

static enum rtw_result jsonl_handle(void *state, const struct rtw_event *ev,
				    struct rtw_error *err)
{
	struct jsonl *j = state;

	if (!j->recovered && recover(j, err) != 0)
		return RTW_RETRY;
	if (already_written(j, ev->seq))
		return RTW_OK;
	if (append_line(j, ev) != 0) {
		rtw_error_set(err, "out of memory");
		return RTW_RETRY;
	}
	return j->batching ? RTW_PENDING : write_lines(j, 0, err);
}

static enum rtw_result jsonl_flush(void *state, struct rtw_error *err)
{
	/* Lines are only queued by handle, which recovered first. */
	return write_lines(state, 1, err);
}

static void jsonl_fini(void *state)
{
	struct jsonl *j = state;

	if (j == NULL)
		return;
	if (j->owns_fd)
		close(j->fd);
	free(j->line);
	free(j->written);
	free(j->path);
	free(j);
}

const struct rtw_handler *rtw_handler_entry(void)
{
	static const struct rtw_handler handler = {
		.abi_version = RTW_HANDLER_ABI_VERSION,
		.size = sizeof(struct rtw_handler),
		.name = "jsonl",
		.version = "1.0",
		.flags = 0,
		.init = jsonl_init,
		.handle = jsonl_handle,
		.fini = jsonl_fini,
		.flush = jsonl_flush,
	};
	return &handler;
}
