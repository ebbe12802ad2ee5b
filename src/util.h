/* util.c: small things several files need: the wall clock in
 * milliseconds, mkdir -p and a writability probe. */
#ifndef RTW_UTIL_H
#define RTW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t now_ms(void);

/* Creates path and its missing parents with mode (existing ones are
 * left as they are). Returns 0, or -1 with errno set. */
int make_dirs(const char *path, mode_t mode);

/* Can a file of `bytes` be created and synced in dir right now? Returns
 * 0 or the errno that stopped it. Leaves nothing behind. */
int probe_writable_dir(const char *dir, size_t bytes);

#endif
