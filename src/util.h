/* util.c: small things several files need: clocks in milliseconds,
 * monotonic condition variables, mkdir -p, a writability probe and
 * thread names. */
#ifndef RTW_UTIL_H
#define RTW_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Unix time in milliseconds (CLOCK_REALTIME): for times that are stored
 * or compared with other machines' (received_at, signatures, dedup). */
int64_t now_ms(void);

/* Milliseconds on CLOCK_MONOTONIC: for intervals, deadlines and backoff,
 * which a step of the wall clock (NTP, an operator) must not stretch or
 * cut short. */
int64_t mono_ms(void);
/* The same in microseconds, for durations. */
int64_t mono_us(void);

/* A condition variable whose timed waits take CLOCK_MONOTONIC deadlines,
 * and such a deadline `ms` from now. */
void cond_init_monotonic(pthread_cond_t *cv);
struct timespec mono_deadline(int64_t ms_from_now);

/* Creates path and its missing parents with mode (existing ones are
 * left as they are). Returns 0, or -1 with errno set. */
int make_dirs(const char *path, mode_t mode);

/* Can a file of `bytes` be created and synced in dir right now? Returns
 * 0 or the errno that stopped it. Leaves nothing behind. */
int probe_writable_dir(const char *dir, size_t bytes);

/* Replaces path with len bytes of data: written to tmp, synced, renamed
 * over path, so a power cut leaves the old file or the new one, never a
 * torn one. The directory is not synced (sync_dir). 0, or -1 with errno
 * set (tmp may be left behind). */
int replace_file(const char *tmp, const char *path, const void *data,
		 size_t len);
/* fsyncs a directory: a file created, renamed or removed in it lasts. 0,
 * or -1 with errno set. */
int sync_dir(const char *dir);

/* pthread_create (default attributes), then names the thread "<role>" or
 * "<role>:<handler>" (cut to the kernel's 15 bytes), as `top -H`,
 * `ps -L` and perf show it. Named by its creator, so it has its name by
 * the time this returns. Returns pthread_create's result. */
int thread_start(pthread_t *t, void *(*main_fn)(void *), void *arg,
		 const char *role, const char *handler);

#endif
