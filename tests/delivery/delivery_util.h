/* delivery_util: what the delivery tests share: stored events built from
 * small JSON bodies, and a scratch directory per test. Failures fail the
 * running cmocka test. */
#ifndef RTW_TEST_DELIVERY_UTIL_H
#define RTW_TEST_DELIVERY_UTIL_H

#include <limits.h>

#include "stored_event.h"

/* A participant event of bot (no data.bot when bot is NULL) carrying the
 * number n, with one reference. */
struct stored_event *event_of(const char *bot, int n);
/* The number n an event_of event carries. */
int event_number(const struct stored_event *se);
int event_refs(struct stored_event *se);

/* A new empty directory under $TMPDIR or /tmp; remove_scratch removes it
 * with the files in it (no subdirectories). */
void make_scratch(char dir[PATH_MAX / 2]);
void remove_scratch(const char *dir);

#endif
