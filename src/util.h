/* util.c: two small things several files need: the wall clock in
 * milliseconds and mkdir -p. */
#ifndef RTW_UTIL_H
#define RTW_UTIL_H

#include <stdint.h>
#include <sys/types.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t now_ms(void);

/* Creates path and its missing parents with mode (existing ones are
 * left as they are). Returns 0, or -1 with errno set. */
int make_dirs(const char *path, mode_t mode);

#endif
