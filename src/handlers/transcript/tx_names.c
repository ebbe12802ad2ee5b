/* tx_names: the participant names a bot's join and update events carried,
 * so an utterance whose participant has no name (Recall sends id and name
 * null, or only the id) is still labelled, also after a restart.
 *
 * <stem>.names is an append-only log of lines "<seq> <id> <JSON string>";
 * the name with the highest seq wins for each id. A re-delivered event
 * appends its line again, which changes nothing; a torn last line (crash
 * mid-write) is cut on open, and that event is offered again. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transcript.h"

static struct tx_name *names_find(const struct tx_names *nm, int64_t id)
{
	for (size_t i = 0; i < nm->n; i++)
		if (nm->v[i].id == id)
			return &nm->v[i];
	return NULL;
}

/* Sets id's name unless a later event (higher seq) already named it. */
static int names_set(struct tx_names *nm, uint64_t seq, int64_t id,
		     const char *name)
{
	struct tx_name *e = names_find(nm, id);
	char *copy;

	if (e != NULL && e->seq > seq)
		return 0;
	copy = strdup(name);
	if (copy == NULL)
		return -1;
	if (e == NULL) {
		if (nm->n == nm->cap) {
			size_t cap = nm->cap ? nm->cap * 2 : 8;
			struct tx_name *v = realloc(nm->v, cap * sizeof(*v));

			if (v == NULL) {
				free(copy);
				return -1;
			}
			nm->v = v;
			nm->cap = cap;
		}
		e = &nm->v[nm->n++];
		e->id = id;
		e->name = NULL;
	}
	free(e->name);
	e->name = copy;
	e->seq = seq;
	return 0;
}

/* Applies one whole line; lines that do not parse are skipped (logged by
 * the caller's count), never fatal. Returns -1 only when out of memory. */
static int names_apply_line(struct tx_names *nm, char *line, int *bad)
{
	uint64_t seq;
	int64_t id;
	int at = 0;
	json_t *name;
	int rc = 0;

	if (sscanf(line, "%" SCNu64 " %" SCNd64 " %n", &seq, &id, &at) < 2 ||
	    at == 0) {
		(*bad)++;
		return 0;
	}
	name = json_loads(line + at, JSON_DECODE_ANY, NULL);
	if (json_is_string(name))
		rc = names_set(nm, seq, id, json_string_value(name));
	else
		(*bad)++;
	json_decref(name);
	return rc;
}

/* Reads the whole log, cutting a torn last line. */
static int names_load(struct tx_names *nm, const char *stem,
		      const struct rtw_host *host, struct rtw_error *err)
{
	struct stat st;
	char *buf = NULL, *p, *nl;
	int bad = 0, rc = -1;

	if (fstat(nm->fd, &st) != 0 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    pread(nm->fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		rtw_error_set(err, "cannot read %s.names: %s", stem,
			      strerror(errno));
		goto out;
	}
	buf[st.st_size] = '\0';
	for (p = buf;
	     (nl = memchr(p, '\n', (size_t)(buf + st.st_size - p))) != NULL;
	     p = nl + 1) {
		*nl = '\0';
		if (names_apply_line(nm, p, &bad) != 0) {
			rtw_error_set(err, "out of memory");
			goto out;
		}
	}
	nm->end = p - buf;
	if (nm->end < st.st_size && ftruncate(nm->fd, nm->end) != 0) {
		rtw_error_set(err, "cannot cut a torn line from %s.names: %s",
			      stem, strerror(errno));
		goto out;
	}
	if (bad > 0)
		host->log(host, RTW_LOG_WARNING,
			  "%s.names: skipped %d line(s) that do not parse",
			  stem, bad);
	rc = 0;
out:
	free(buf);
	return rc;
}

int tx_names_open(struct tx_names *nm, int dirfd, const char *stem,
		  const struct rtw_host *host, struct rtw_error *err)
{
	memset(nm, 0, sizeof(*nm));
	nm->fd = tx_open_in(dirfd, stem, ".names", O_RDWR | O_CREAT, NULL);
	if (nm->fd < 0) {
		rtw_error_set(err, "cannot open %s.names: %s", stem,
			      strerror(errno));
		return -1;
	}
	return names_load(nm, stem, host, err);
}

int tx_names_record(struct tx_names *nm, uint64_t seq, int64_t id,
		    const char *name, int sync, struct rtw_error *err)
{
	json_t *js = json_string(name);
	char *quoted = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
	struct tx_buf line = {0};
	int rc = -1;

	if (quoted == NULL ||
	    tx_buf_printf(&line, "%" PRIu64 " %" PRId64 " %s\n", seq, id,
			  quoted) != 0) {
		rtw_error_set(err, "out of memory");
		goto out;
	}
	if (tx_write_at(nm->fd, line.data, line.len, nm->end) != 0 ||
	    tx_sync(nm->fd, sync) != 0) {
		rtw_error_set(err, "cannot write .names: %s", strerror(errno));
		/* Cut a partial line, so the retry starts clean; when even
		 * that fails, the next open cuts the torn line. */
		if (ftruncate(nm->fd, nm->end) != 0) {
		}
		goto out;
	}
	nm->end += (off_t)line.len;
	/* Written first, then remembered: a retry after a failure writes
	 * the line again, which the highest-seq rule makes harmless. */
	if (names_set(nm, seq, id, name) != 0) {
		rtw_error_set(err, "out of memory");
		goto out;
	}
	rc = 0;
out:
	tx_buf_free(&line);
	free(quoted);
	json_decref(js);
	return rc;
}

const char *tx_names_get(const struct tx_names *nm, int64_t id)
{
	const struct tx_name *e = names_find(nm, id);

	return e ? e->name : NULL;
}

void tx_names_close(struct tx_names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i].name);
	free(nm->v);
	if (nm->fd >= 0)
		close(nm->fd);
	memset(nm, 0, sizeof(*nm));
	nm->fd = -1;
}
