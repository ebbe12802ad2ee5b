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

#define WORDS (PROGRESS_SPAN / 64)

struct progress {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	uint64_t low;
	uint64_t high;  /* highest seq marked done */
	uint64_t *bits; /* bit (seq % SPAN) for low < seq <= low + SPAN */
	int dirty;
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

static void parse_line(struct progress *p, const char *line)
{
	unsigned long long a, b;

	if (sscanf(line, "low %llu", &a) == 1) {
		p->low = a;
	} else if (sscanf(line, "done %llu-%llu", &a, &b) == 2) {
		for (uint64_t s = a; s <= b && b - a < PROGRESS_SPAN; s++)
			progress_mark_done(p, s);
	}
}

static int read_file(struct progress *p, FILE *f)
{
	char line[128];

	if (fgets(line, sizeof(line), f) == NULL ||
	    strcmp(line, "rtwebhookd-progress 1\n") != 0)
		return -1;
	/* "low" comes first, so the done ranges land above it. */
	while (fgets(line, sizeof(line), f) != NULL)
		parse_line(p, line);
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

int progress_dirty(const struct progress *p)
{
	return p->dirty;
}

int progress_save(struct progress *p)
{
	FILE *f;
	int rc;

	if (!p->dirty)
		return 0;
	f = fopen(p->tmp, "we");
	if (f == NULL) {
		log_warn("cannot write %s", p->tmp);
		return -1;
	}
	fprintf(f, "rtwebhookd-progress 1\nlow %" PRIu64 "\n", p->low);
	if (p->high > p->low)
		write_runs(p, f);
	rc = fclose(f);
	if (rc != 0 || rename(p->tmp, p->path) != 0) {
		log_warn("cannot save %s", p->path);
		return -1;
	}
	p->dirty = 0;
	return 0;
}
