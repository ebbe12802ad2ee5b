/* opts.c: the command line. */
#ifndef RTWSEND_OPTS_H
#define RTWSEND_OPTS_H

#include <stdio.h>

#include "synth.h"

struct options {
	const char *url;
	const char *secret;     /* "whsec_...", or NULL: unsigned */
	int svix;               /* svix-* header names */
	unsigned concurrency;
	long timeout_ms;
	long retry_interval_ms;
	unsigned max_retries;
	int synth;              /* generate instead of reading files */
	struct synth_spec spec;
	const char *synth_out;  /* write the generated events here */
	double rate;            /* 0: unpaced */
	double speed;           /* 0: no replay timing */
	int json;
	int help, version;
	char **files;
	int nfiles;
};

/* Parses argv into o (defaults first). Returns 0, or -1 after printing
 * what is wrong on standard error. */
int opts_parse(int argc, char **argv, struct options *o);
void opts_usage(FILE *out);

#endif
