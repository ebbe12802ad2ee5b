/* Lines are parsed once to validate them and to find the bot and the
 * replay time; the body sent is the line's own bytes, not a re-serialized
 * copy, so that what was recorded is what is replayed. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "jsonraw.h"

static int is_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (strchr(" \t\r\n", line[i]) == NULL)
			return 0;
	return 1;
}

/* Drops the sink's member from the line (and from event). The raw cut
 * keeps the event's bytes; re-serializing is the fallback for a member
 * written with escapes, which a sink never does. */
static char *strip_sink_member(json_t *event, char *line, size_t *len)
{
	char *dumped;

	if (json_object_get(event, INPUT_SINK_MEMBER) == NULL)
		return line;
	json_object_del(event, INPUT_SINK_MEMBER);
	if (jsonraw_remove_member(line, len, INPUT_SINK_MEMBER) == 1)
		return line;
	dumped = json_dumps(event, JSON_COMPACT);
	free(line);
	*len = dumped != NULL ? strlen(dumped) : 0;
	return dumped;
}

/* Takes line over. Returns 0, or -1 after reporting the error. */
static int add_line(struct feed_set *set, const char *where, long lineno,
		    char *line, size_t len)
{
	json_error_t jerr;
	json_t *event = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	int rc = -1;

	if (event == NULL) {
		warnx("%s:%ld: not JSON: %s (column %d)", where, lineno,
		      jerr.text, jerr.column);
	} else if (!json_is_object(event) ||
		   !json_is_string(json_object_get(event, "event"))) {
		warnx("%s:%ld: not a JSON object with a string \"event\"",
		      where, lineno);
	} else if ((line = strip_sink_member(event, line, &len)) == NULL) {
		warnx("%s:%ld: out of memory", where, lineno);
	} else {
		rc = feeds_add(set, event, line, len);
		line = NULL; /* taken by feeds_add */
		if (rc != 0)
			warnx("%s:%ld: out of memory", where, lineno);
	}
	free(line);
	json_decref(event);
	return rc;
}

static int read_lines(FILE *in, const char *where, struct feed_set *set)
{
	char *line = NULL, *shrunk;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		if (is_blank(line, len))
			continue;
		while (len > 0 && (line[len - 1] == '\n' ||
				   line[len - 1] == '\r'))
			line[--len] = '\0';
		/* getline's buffer can be twice the line: give it back, as
		 * every line stays in memory until it is sent. */
		shrunk = realloc(line, len + 1);
		if (shrunk != NULL)
			line = shrunk;
		if (add_line(set, where, lineno, line, len) != 0) {
			line = NULL;
			return -1;
		}
		line = NULL; /* taken by add_line */
		cap = 0;
	}
	free(line);
	if (ferror(in)) {
		warn("%s: read error", where);
		return -1;
	}
	return 0;
}

int input_read_file(const char *path, struct feed_set *set)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *in = is_stdin ? stdin : fopen(path, "r");
	int rc;

	if (in == NULL) {
		warn("%s", path);
		return -1;
	}
	rc = read_lines(in, is_stdin ? "<stdin>" : path, set);
	if (!is_stdin)
		fclose(in);
	return rc;
}
