/* One table describes every option: getopt_long's array, the help text
 * and the parsing all come from it, so they cannot drift apart. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

static int parse_long(const char *name, const char *text, long min, long max,
		      long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
		warnx("--%s wants an integer from %ld to %ld, not '%s'", name,
		      min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_positive(const char *name, const char *text, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(v) ||
	    v <= 0) {
		warnx("--%s wants a number above 0, not '%s'", name, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int set_url(struct options *o, const char *v)
{
	o->url = v;
	return 0;
}

static int set_secret(struct options *o, const char *v)
{
	o->secret = v;
	return 0;
}

static int set_svix(struct options *o, const char *v)
{
	o->svix = 1;
	return 0;
}

static int set_concurrency(struct options *o, const char *v)
{
	long n;

	if (parse_long("concurrency", v, 1, 100000, &n) != 0)
		return -1;
	o->concurrency = (unsigned)n;
	return 0;
}

static int set_timeout(struct options *o, const char *v)
{
	return parse_long("timeout-ms", v, 1, 86400000, &o->timeout_ms);
}

static int set_retry_interval(struct options *o, const char *v)
{
	return parse_long("retry-interval-ms", v, 0, 86400000,
			  &o->retry_interval_ms);
}

static int set_max_retries(struct options *o, const char *v)
{
	long n;

	if (parse_long("max-retries", v, 0, 1000000, &n) != 0)
		return -1;
	o->max_retries = (unsigned)n;
	return 0;
}

static int set_synth(struct options *o, const char *v)
{
	char why[160];

	if (synth_spec_parse(v, &o->spec, why, sizeof(why)) != 0) {
		warnx("--synth %s: %s", v, why);
		return -1;
	}
	o->synth = 1;
	return 0;
}

static int set_synth_out(struct options *o, const char *v)
{
	o->synth_out = v;
	return 0;
}

static int set_rate(struct options *o, const char *v)
{
	return parse_positive("rate", v, &o->rate);
}

static int set_speed(struct options *o, const char *v)
{
	return parse_positive("speed", v, &o->speed);
}

static int set_json(struct options *o, const char *v)
{
	o->json = 1;
	return 0;
}

static int set_help(struct options *o, const char *v)
{
	o->help = 1;
	return 0;
}

static int set_version(struct options *o, const char *v)
{
	o->version = 1;
	return 0;
}

static const struct opt_spec {
	const char *name;
	const char *arg; /* NULL for a flag */
	int (*set)(struct options *o, const char *value);
	const char *help;
} specs[] = {
	{"url", "URL", set_url, "where to POST (query string kept)"},
	{"secret", "whsec_...", set_secret,
	 "sign with Standard Webhooks headers"},
	{"svix", NULL, set_svix, "sign with svix-* header names instead"},
	{"concurrency", "N", set_concurrency,
	 "most bots with a request in flight (64)"},
	{"timeout-ms", "MS", set_timeout, "request timeout (15000)"},
	{"retry-interval-ms", "MS", set_retry_interval,
	 "wait after a failed attempt (1000)"},
	{"max-retries", "N", set_max_retries,
	 "retries of one event before its bot is failed (60)"},
	{"synth", "bots=N,events=M[,seed=S]", set_synth,
	 "generate N meetings of M events each"},
	{"synth-out", "FILE", set_synth_out,
	 "write the generated events as JSON Lines, send nothing"},
	{"rate", "EV/S", set_rate, "cap on requests started per second"},
	{"speed", "X", set_speed,
	 "replay each bot's timing X times faster"},
	{"json", NULL, set_json, "print the summary as one JSON object"},
	{"help", NULL, set_help, "show this help"},
	{"version", NULL, set_version, "show the version"},
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

void opts_usage(FILE *out)
{
	fprintf(out, "usage: rtw-send --url URL [options] FILE...\n"
		     "       rtw-send --url URL --synth bots=N,events=M "
		     "[options]\n"
		     "       rtw-send --synth bots=N,events=M --synth-out "
		     "FILE\n\noptions:\n");
	for (size_t i = 0; i < NSPECS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", specs[i].name,
			 specs[i].arg ? " " : "",
			 specs[i].arg ? specs[i].arg : "");
		fprintf(out, "  %-34s %s\n", left, specs[i].help);
	}
	fprintf(out, "\nexit status: 0 all delivered, 1 some bot failed, "
		     "2 usage or input error\n");
}

static void defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 64;
	o->timeout_ms = 15000;
	o->retry_interval_ms = 1000;
	o->max_retries = 60;
}

/* The combinations that make no sense. */
static int check(const struct options *o)
{
	if (o->help || o->version)
		return 0;
	if (o->synth && o->nfiles > 0)
		warnx("give either FILEs or --synth, not both");
	else if (!o->synth && o->nfiles == 0)
		warnx("no input: give FILEs (\"-\" for stdin) or --synth");
	else if (o->synth_out != NULL && !o->synth)
		warnx("--synth-out needs --synth");
	else if (o->synth_out != NULL && o->url != NULL)
		warnx("--synth-out writes events instead of sending them: "
		      "drop --url");
	else if (o->synth_out == NULL && o->url == NULL)
		warnx("--url is required");
	else if (o->svix && o->secret == NULL)
		warnx("--svix needs --secret");
	else
		return 0;
	return -1;
}

int opts_parse(int argc, char **argv, struct options *o)
{
	struct option longopts[NSPECS + 1];
	int c, index;

	defaults(o);
	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < NSPECS; i++) {
		longopts[i].name = specs[i].name;
		longopts[i].has_arg =
			specs[i].arg ? required_argument : no_argument;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &index)) != -1) {
		if (c == 'h')
			o->help = 1;
		else if (c != 0 || specs[index].set(o, optarg) != 0)
			return -1; /* getopt_long or set() said why */
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	return check(o);
}
