/* Handler progress: low watermark + done bitmap, saved as a small text
 * file:
 *   rtwebhookd-progress 1
 *   low 1041
 *   done 1043-1050
 *   done 1052-1052
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"
#include "util.h"

#define WORDS (PROGRESS_SPAN / 64)

struct progress {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	uint64_t low;
	uint64_t high;  /* highest seq marked done */
	uint64_t *bits; /* bit (seq % SPAN) for low < seq <= low + SPAN */
	int dirty;
	int failing; /* the last write failed (warned once until it works) */
};

static uint64_t *bit_word(const struct progress *p, uint64_t seq,
			  uint64_t *mask)
{
	uint64_t i = seq % PROGRESS_SPAN;

	*mask = UINT64_C(1) << (i % 64);
	return &p->bits[i / 64];
}

int progress_is_done(const struct progress *p, uint64_t seq)
{
	uint64_t mask;

	if (seq <= p->low)
		return 1;
	if (seq > p->low + PROGRESS_SPAN)
		return 0;
	return (*bit_word(p, seq, &mask) & mask) != 0;
}

void progress_mark_done(struct progress *p, uint64_t seq)
{
	uint64_t mask, *w;

	if (seq <= p->low || seq > p->low + PROGRESS_SPAN)
		return;
	w = bit_word(p, seq, &mask);
	*w |= mask;
	if (seq > p->high)
		p->high = seq;
	/* Slide the low mark over every consecutive done seq, clearing the
	 * bits it passes so the ring can hold seqs one SPAN further on. */
	for (;;) {
		w = bit_word(p, p->low + 1, &mask);
		if ((*w & mask) == 0)
			break;
		*w &= ~mask;
		p->low++;
	}
	p->dirty = 1;
}

uint64_t progress_low(const struct progress *p)
{
	return p->low;
}

void progress_skip_to(struct progress *p, uint64_t seq)
{
	while (p->low < seq && p->high > p->low)
		progress_mark_done(p, p->low + 1);
	if (p->low < seq) {
		memset(p->bits, 0, WORDS * sizeof(uint64_t));
		p->low = seq;
		p->high = seq;
		p->dirty = 1;
	}
}

/* One "done a-b" line. Returns 0, or -1 when it is not one. */
static int parse_done(struct progress *p, const char *line)
{
	unsigned long long a, b;
	int end = 0;

	if (sscanf(line, "done %llu-%llu\n%n", &a, &b, &end) != 2 ||
	    line[end] != '\0' || a > b || a <= p->low ||
	    b - p->low > PROGRESS_SPAN)
		return -1;
	for (uint64_t s = a; s <= b; s++)
		progress_mark_done(p, s);
	return 0;
}

/* The whole file must parse: a damaged one is refused rather than read as
 * "nothing done", which would offer every finished event again. */
static int read_file(struct progress *p, FILE *f)
{
	char line[128];
	unsigned long long low;
	int end = 0;

	if (fgets(line, sizeof(line), f) == NULL ||
	    strcmp(line, "rtwebhookd-progress 1\n") != 0 ||
	    fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "low %llu\n%n", &low, &end) != 1 ||
	    line[end] != '\0')
		return -1;
	p->low = low;
	p->high = low;
	while (fgets(line, sizeof(line), f) != NULL)
		if (parse_done(p, line) != 0)
			return -1;
	return 0;
}

struct progress *progress_load(const char *state_dir, uint64_t start_after,
			       char *why, size_t whylen)
{
	struct progress *p = calloc(1, sizeof(*p));
	FILE *f;

	if (p == NULL || (p->bits = calloc(WORDS, sizeof(uint64_t))) == NULL) {
		free(p);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	snprintf(p->path, sizeof(p->path), "%s/progress", state_dir);
	snprintf(p->tmp, sizeof(p->tmp), "%s/progress.tmp", state_dir);
	p->low = start_after;
	f = fopen(p->path, "re");
	if (f == NULL && errno != ENOENT) {
		snprintf(why, whylen, "cannot read %s: %s", p->path,
			 strerror(errno));
		progress_free(p);
		return NULL;
	}
	if (f != NULL) {
		int rc = read_file(p, f);

		fclose(f);
		if (rc != 0) {
			snprintf(why, whylen, "%s is not a progress file",
				 p->path);
			progress_free(p);
			return NULL;
		}
	}
	p->dirty = 0;
	return p;
}

void progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	free(p->bits);
	free(p);
}

/* Writes "done a-b" for each run of done seqs above the low mark. */
static void write_runs(const struct progress *p, FILE *f)
{
	uint64_t run_start = 0;

	for (uint64_t s = p->low + 2; s <= p->high + 1; s++) {
		int done = s <= p->high && progress_is_done(p, s);

		if (done && run_start == 0)
			run_start = s;
		else if (!done && run_start != 0) {
			fprintf(f, "done %" PRIu64 "-%" PRIu64 "\n", run_start,
				s - 1);
			run_start = 0;
		}
	}
}

char *progress_snapshot(struct progress *p, size_t *len, uint64_t *low)
{
	char *text = NULL;
	FILE *f;

	if (!p->dirty)
		return NULL;
	f = open_memstream(&text, len);
	if (f == NULL)
		return NULL;
	fprintf(f, "rtwebhookd-progress 1\nlow %" PRIu64 "\n", p->low);
	if (p->high > p->low)
		write_runs(p, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*low = p->low;
	p->dirty = 0;
	return text;
}

int progress_write(struct progress *p, const char *text, size_t len)
{
	/* Synced before the rename: after a power cut the file is the old
	 * state or the new one, never empty. */
	if (replace_file(p->tmp, p->path, text, len) != 0) {
		/* Retried at every save interval: one warning per outage. */
		if (!p->failing)
			log_warn("cannot save %s (retrying)", p->path);
		p->failing = 1;
		return -1;
	}
	if (p->failing)
		log_info("saved %s again", p->path);
	p->failing = 0;
	return 0;
}

void progress_mark_unsaved(struct progress *p)
{
	p->dirty = 1;
}

int progress_dirty(const struct progress *p)
{
	return p->dirty;
}

int progress_save(struct progress *p)
{
	uint64_t low;
	size_t len = 0;
	char *text = progress_snapshot(p, &len, &low);
	int rc;

	if (text == NULL)
		return p->dirty ? -1 : 0;
	rc = progress_write(p, text, len);
	free(text);
	if (rc != 0)
		progress_mark_unsaved(p);
	return rc;
}
