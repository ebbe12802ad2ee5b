/* Generated events are serialized once, compactly and in raw UTF-8, which
 * is also how Recall's bodies look. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "source.h"

static int add_generated(void *arg, const json_t *event)
{
	char *body = json_dumps(event, JSON_COMPACT | SYNTH_JSON_FLAGS);

	if (body == NULL)
		return -1;
	return feeds_add(arg, event, body, strlen(body));
}

int source_load(const struct options *o, struct feed_set *set)
{
	if (o->synth) {
		if (synth_generate(&o->spec, add_generated, set) == 0)
			return 0;
		warnx("cannot generate the meetings: out of memory");
		return -1;
	}
	for (int i = 0; i < o->nfiles; i++)
		if (input_read_file(o->files[i], set) != 0)
			return -1;
	return 0;
}

static int write_line(void *arg, const json_t *event)
{
	FILE *out = arg;

	if (json_dumpf(event, out, JSON_COMPACT | SYNTH_JSON_FLAGS) != 0 ||
	    fputc('\n', out) == EOF)
		return -1;
	return 0;
}

int source_write_synth(const struct synth_spec *spec, const char *path)
{
	int is_stdout = strcmp(path, "-") == 0;
	FILE *out = is_stdout ? stdout : fopen(path, "w");
	int rc;

	if (out == NULL) {
		warn("%s", path);
		return -1;
	}
	rc = synth_generate(spec, write_line, out);
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
	if (!is_stdout && fclose(out) != 0)
		rc = -1;
	if (rc != 0)
		warnx("%s: cannot write the generated events", path);
	return rc;
}
