/* meter.c: the progress line shown on a terminal during long runs. */
#ifndef RTWSEND_METER_H
#define RTWSEND_METER_H

#include <stdint.h>
#include <stdio.h>

#include "summary.h"

#define METER_INTERVAL_US 500000 /* about two updates a second */

struct meter {
	FILE *out;        /* NULL: no progress line */
	int64_t next_us;  /* when to redraw */
	int64_t last_us;  /* previous redraw, for the rate */
	uint64_t last_acked;
};

/* Shows progress on out only when it is a terminal. */
void meter_init(struct meter *m, FILE *out, int64_t now_us);
/* Redraws the line when an interval has passed. */
void meter_tick(struct meter *m, const struct summary *s, int64_t now_us);
/* Erases the line, so that a warning or the summary starts on a clean
 * one; the next tick draws it again. */
void meter_clear(struct meter *m);

#endif
