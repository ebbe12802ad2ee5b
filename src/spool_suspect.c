/* Ranges of unsure records, saved beside the segments (spool_suspect.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool_suspect.h"
#include "util.h"

#define SUSPECT_FILE "suspect"

void suspect_add(struct spool_suspect *ss, uint64_t lo, uint64_t hi)
{
	unsigned slot = ss->next, after = (slot + 1) % SUSPECT_RANGES;

	/* full: the oldest is merged into the next oldest */
	if (ss->r[slot].hi != 0 && ss->r[after].hi != 0)
		ss->r[after].lo = ss->r[slot].lo;
	ss->r[slot].lo = lo;
	ss->r[slot].hi = hi;
	ss->next = after;
}

void suspect_extend(struct spool_suspect *ss, uint64_t lo, uint64_t hi)
{
	unsigned last = (ss->next + SUSPECT_RANGES - 1) % SUSPECT_RANGES;

	if (ss->r[last].hi != 0)
		ss->r[last].hi = hi;
	else
		suspect_add(ss, lo, hi);
}

int suspect_has(const struct spool_suspect *ss, uint64_t seq)
{
	for (unsigned i = 0; i < SUSPECT_RANGES; i++)
		if (ss->r[i].hi != 0 && seq >= ss->r[i].lo &&
		    seq <= ss->r[i].hi)
			return 1;
	return 0;
}

int suspect_prune(struct spool_suspect *ss, uint64_t oldest)
{
	int dropped = 0;

	for (unsigned i = 0; i < SUSPECT_RANGES; i++)
		if (ss->r[i].hi != 0 && ss->r[i].hi < oldest) {
			ss->r[i].lo = ss->r[i].hi = 0;
			dropped = 1;
		}
	return dropped;
}

uint64_t suspect_max(const struct spool_suspect *ss)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < SUSPECT_RANGES; i++)
		if (ss->r[i].hi > top)
			top = ss->r[i].hi;
	return top;
}

/* The ranges, oldest first, as text into buf. Returns the length. */
static size_t format_ranges(const struct spool_suspect *ss, char *buf,
			    size_t cap)
{
	size_t len = 0;

	for (unsigned i = 0; i < SUSPECT_RANGES; i++) {
		unsigned k = (ss->next + i) % SUSPECT_RANGES;

		if (ss->r[k].hi != 0)
			len += (size_t)snprintf(buf + len, cap - len,
						"%" PRIu64 " %" PRIu64 "\n",
						ss->r[k].lo, ss->r[k].hi);
	}
	return len;
}

int suspect_save(const struct spool_suspect *ss, const char *dir)
{
	/* 2 numbers of at most 20 digits per range */
	char text[SUSPECT_RANGES * 44], tmp[PATH_MAX], path[PATH_MAX];
	size_t len = format_ranges(ss, text, sizeof(text));

	snprintf(path, sizeof(path), "%s/" SUSPECT_FILE, dir);
	snprintf(tmp, sizeof(tmp), "%s/" SUSPECT_FILE ".tmp", dir);
	if (len == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			return -1;
		return sync_dir(dir);
	}
	if (replace_file(tmp, path, text, len) != 0) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
		return -1;
	}
	return sync_dir(dir);
}

/* Is the range read from the file one to keep? */
static int believed(uint64_t lo, uint64_t hi, uint64_t oldest,
		    uint64_t next_seq)
{
	return lo >= 1 && hi >= lo && hi >= oldest &&
	       hi <= next_seq + SUSPECT_MAX_AHEAD;
}

int suspect_load(struct spool_suspect *ss, const char *dir, uint64_t oldest,
		 uint64_t next_seq)
{
	char path[PATH_MAX];
	uint64_t lo, hi;
	int kept = 0, dropped = 0;
	FILE *f;

	memset(ss, 0, sizeof(*ss));
	snprintf(path, sizeof(path), "%s/" SUSPECT_FILE ".tmp", dir);
	unlink(path); /* a save a crash cut short: the file before stands */
	snprintf(path, sizeof(path), "%s/" SUSPECT_FILE, dir);
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fscanf(f, "%" SCNu64 " %" SCNu64, &lo, &hi) == 2) {
		if (believed(lo, hi, oldest, next_seq)) {
			suspect_add(ss, lo, hi);
			kept++;
			continue;
		}
		dropped++;
		if (hi >= oldest)
			log_warnx("spool: %s: range %" PRIu64 "-%" PRIu64
				  " ignored (damaged?)",
				  path, lo, hi);
	}
	if (!feof(f)) { /* a line that is no range: the rest is lost */
		log_warnx("spool: %s is damaged after %d range(s)", path,
			  kept + dropped);
		dropped++;
	}
	fclose(f);
	if (kept > 0)
		log_info("spool: %d range(s) of records written before a "
			 "failed flush: their events are stored again if the "
			 "sender retries them",
			 kept);
	else if (unlink(path) != 0 && errno != ENOENT)
		log_warn("spool: cannot remove %s", path);
	return kept > 0 ? dropped : 0;
}
