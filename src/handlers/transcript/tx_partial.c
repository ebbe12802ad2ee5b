/* tx_partial: the current partial (interim) line of each speaker of a bot
 * and <stem>.partial, which shows them.
 *
 * The file is rewritten whole on every change: written to
 * <stem>.partial.tmp, then renamed over <stem>.partial, so a reader sees
 * either the old or the new content, never a mix. It is not synced:
 * partial lines are replaced within seconds and a final line supersedes
 * them, so after a power cut an empty or older file is harmless. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transcript.h"

static struct tx_partial_line *partials_find(const struct tx_partials *p,
					     const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return &p->v[i];
	return NULL;
}

static struct tx_partial_line *partials_add(struct tx_partials *p,
					    const char *key)
{
	struct tx_partial_line *e;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct tx_partial_line *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	e = &p->v[p->n];
	e->key = strdup(key);
	e->line = NULL;
	if (e->key == NULL)
		return NULL;
	p->n++;
	return e;
}

int tx_partials_set(struct tx_partials *p, const char *key, const char *line)
{
	struct tx_partial_line *e = partials_find(p, key);
	char *copy = strdup(line);

	if (copy == NULL || (e == NULL && (e = partials_add(p, key)) == NULL)) {
		free(copy);
		return -1;
	}
	free(e->line);
	e->line = copy;
	return 0;
}

int tx_partials_drop(struct tx_partials *p, const char *key)
{
	struct tx_partial_line *e = partials_find(p, key);

	if (e == NULL)
		return 0;
	free(e->key);
	free(e->line);
	/* Keep the speakers' order: the file lists them as they began. */
	memmove(e, e + 1, (size_t)(p->v + p->n - (e + 1)) * sizeof(*e));
	p->n--;
	return 1;
}

int tx_partials_write(const struct tx_partials *p, int dirfd, const char *stem,
		      struct rtw_error *err)
{
	char tmp[TX_STEM_MAX + 32], final[TX_STEM_MAX + 32];
	struct tx_buf text = {0};
	int fd = -1, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.partial.tmp", stem);
	snprintf(final, sizeof(final), "%s.partial", stem);
	for (size_t i = 0; i < p->n; i++)
		if (tx_buf_add(&text, p->v[i].line, strlen(p->v[i].line)) !=
		    0) {
			rtw_error_set(err, "out of memory");
			goto out;
		}
	fd = tx_open_in(dirfd, stem, ".partial.tmp",
			O_WRONLY | O_CREAT | O_TRUNC, NULL);
	if (fd < 0 ||
	    tx_write_at(fd, text.data ? text.data : "", text.len, 0) != 0 ||
	    renameat(dirfd, tmp, dirfd, final) != 0) {
		rtw_error_set(err, "cannot rewrite %s: %s", final,
			      strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	tx_buf_free(&text);
	return rc;
}

void tx_partials_free(struct tx_partials *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].line);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}
