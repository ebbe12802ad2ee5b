/* dint_util, outputs: readers of the flaky and jsonl handlers' files,
 * order checks, the daemon's stop summary and the spool's segments. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dint_util.h"

/* ---- outputs ------------------------------------------------------- */

/* The index in a mark "<bot>:<idx>" at the end of text, or -1. */
static int idx_from_mark(const char *text, const char *bot)
{
	size_t blen = strlen(bot);
	char *end;
	long v;

	if (strncmp(text, bot, blen) != 0 || text[blen] != ':')
		return -1;
	v = strtol(text + blen + 1, &end, 10);
	return end != text + blen + 1 && (*end == '\0' || *end == ' ') ? (int)v
								       : -1;
}

static int flaky_parse(const char *line, struct flaky_line *fl)
{
	int off = 0;

	memset(fl, 0, sizeof(*fl));
	if (sscanf(line, "%" SCNu64 " %63s %63s %n", &fl->seq, fl->bot,
		   fl->type, &off) != 3 ||
	    off == 0)
		return -1;
	snprintf(fl->text, sizeof(fl->text), "%s", line + off);
	fl->idx = idx_from_mark(fl->text, fl->bot);
	if (fl->idx < 0 &&
	    strcmp(fl->type, "participant_events.speech_on") == 0) {
		char *end;
		double rel = strtod(fl->text, &end);

		if (end != fl->text)
			fl->idx = (int)rel;
	}
	return 0;
}

struct flaky_line *flaky_read(const char *path, size_t *n, size_t *alarms)
{
	char *text = harness_read_file(path, NULL), *save = NULL, *line;
	struct flaky_line *out;
	size_t cap;

	*n = 0;
	if (alarms != NULL)
		*alarms = 0;
	if (text == NULL)
		return NULL;
	cap = harness_count(text, "\n") + 1;
	out = calloc(cap, sizeof(*out));
	for (line = strtok_r(text, "\n", &save); line != NULL && out != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '!') {
			fprintf(stderr, "dint: flaky reports: %s\n", line);
			if (alarms != NULL)
				(*alarms)++;
			continue;
		}
		if (flaky_parse(line, &out[*n]) != 0) {
			fprintf(stderr, "dint: bad flaky line: %s\n", line);
			continue;
		}
		(*n)++;
	}
	free(text);
	return out;
}

/* The mark of a parsed jsonl body: the first word, the chat text or the
 * participant's name. */
static const char *mark_of(json_t *root)
{
	json_t *inner = json_object_get(json_object_get(root, "data"), "data");
	json_t *words = json_object_get(inner, "words");
	const char *s;

	if (json_is_array(words))
		return json_string_value(
		    json_object_get(json_array_get(words, 0), "text"));
	s = json_string_value(
	    json_object_get(json_object_get(inner, "data"), "text"));
	if (s != NULL)
		return s;
	return json_string_value(
	    json_object_get(json_object_get(inner, "participant"), "name"));
}

struct jsonl_entry *jsonl_read(const char *path, size_t *n, size_t *bad)
{
	char *text = harness_read_file(path, NULL), *save = NULL, *line;
	struct jsonl_entry *out;

	*n = 0;
	*bad = 0;
	if (text == NULL)
		return NULL;
	out = calloc(harness_count(text, "\n") + 1, sizeof(*out));
	for (line = strtok_r(text, "\n", &save); line != NULL && out != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *root = json_loads(line, 0, NULL);
		json_t *seq = json_object_get(
		    json_object_get(root, "_rtwebhookd"), "seq");
		const char *bot = json_string_value(json_object_get(
		    json_object_get(json_object_get(root, "data"), "bot"),
		    "id"));
		const char *mark = mark_of(root);
		struct jsonl_entry *e = &out[*n];

		if (!json_is_integer(seq) || bot == NULL || mark == NULL) {
			fprintf(stderr, "dint: bad jsonl line: %.200s\n", line);
			(*bad)++;
			json_decref(root);
			continue;
		}
		e->seq = (uint64_t)json_integer_value(seq);
		snprintf(e->bot, sizeof(e->bot), "%s", bot);
		e->idx = idx_from_mark(mark, bot);
		(*n)++;
		json_decref(root);
	}
	free(text);
	return out;
}

int dint_check_sequence(const char *what, const char *bot, const int *seen,
			size_t nseen, const int *expect, size_t nexpect)
{
	size_t i;

	for (i = 0; i < nseen && i < nexpect; i++)
		if (seen[i] != expect[i])
			break;
	if (i == nseen && i == nexpect)
		return 0;
	fprintf(stderr,
		"dint: %s: bot %s: %zu event(s) found, %zu expected; first "
		"difference at position %zu: found %d, expected %d\n",
		what, bot, nseen, nexpect, i, i < nseen ? seen[i] : -1,
		i < nexpect ? expect[i] : -1);
	fprintf(stderr, "dint: %s: bot %s found:", what, bot);
	for (size_t k = i > 5 ? i - 5 : 0; k < nseen && k < i + 10; k++)
		fprintf(stderr, " %d", seen[k]);
	fprintf(stderr, "\n");
	return -1;
}

size_t dint_flaky_indices(const struct flaky_line *l, size_t n, const char *bot,
			  int *out, int *seq_ok)
{
	uint64_t last = 0;
	size_t k = 0;

	*seq_ok = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l[i].bot, bot) != 0)
			continue;
		if (k > 0 && l[i].seq <= last)
			*seq_ok = -1;
		last = l[i].seq;
		out[k++] = l[i].idx;
	}
	return k;
}

size_t dint_jsonl_indices(const struct jsonl_entry *e, size_t n,
			  const char *bot, int *out, int *seq_ok)
{
	uint64_t last = 0;
	size_t k = 0;

	*seq_ok = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].bot, bot) != 0)
			continue;
		if (k > 0 && e[i].seq <= last)
			*seq_ok = -1;
		last = e[i].seq;
		out[k++] = e[i].idx;
	}
	return k;
}

int dint_check_range(const char *what, const char *bot, const int *seen,
		     size_t nseen, int first, int count)
{
	int *expect = calloc((size_t)count + 1, sizeof(*expect));
	int rc;

	if (expect == NULL)
		return -1;
	for (int i = 0; i < count; i++)
		expect[i] = first + i;
	rc = dint_check_sequence(what, bot, seen, nseen, expect, (size_t)count);
	free(expect);
	return rc;
}

int dint_flaky_bot_exact(const struct flaky_line *l, size_t n, const char *bot,
			 int count)
{
	int *seen = calloc(n + 1, sizeof(*seen)), seq_ok;
	size_t k;
	int rc;

	if (seen == NULL)
		return -1;
	k = dint_flaky_indices(l, n, bot, seen, &seq_ok);
	rc = dint_check_range("flaky output", bot, seen, k, 0, count);
	if (seq_ok != 0) {
		fprintf(stderr,
			"dint: bot %s: seqs do not increase in the "
			"output\n",
			bot);
		rc = -1;
	}
	free(seen);
	return rc;
}

int dint_last_summary(const struct daemon *d, unsigned long long *accepted,
		      unsigned long long *ok, unsigned long long *retried,
		      unsigned long long *failed)
{
	char *log = daemon_log(d), *p = log, *last = NULL;
	int rc = -1;

	while ((p = strstr(p, "stopped: ")) != NULL)
		last = p++;
	if (last != NULL &&
	    sscanf(last,
		   "stopped: %llu event(s) accepted (%*u of unknown type), "
		   "%*u duplicate(s); handlers: %llu ok, %llu retried, "
		   "%llu failed",
		   accepted, ok, retried, failed) == 4)
		rc = 0;
	free(log);
	return rc;
}

size_t dint_count_segments(const char *spool_dir)
{
	char **list = harness_list(spool_dir, ".seg");
	size_t n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	harness_free_list(list);
	return n;
}
