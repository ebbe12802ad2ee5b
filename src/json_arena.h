/* json_arena.c: the memory of one event's parse tree, taken from a few
 * large blocks and given back at once.
 *
 * Why: jansson allocates every value, key and string of a parse on its
 * own (~100 mallocs for a 1 KB transcript event), on the HTTP thread
 * that parses it, and the handler worker that drops the event last used
 * to free them one by one. A free into another thread's malloc arena
 * takes that arena's lock, which the HTTP thread holds while it parses
 * the next event: the profile of the request path showed a fifth of its
 * CPU in those lock hand-offs. With an arena a parse is a few bump
 * allocations and its release a few free() calls.
 *
 * How: json_arena's allocation functions are installed into jansson for
 * the whole process before main(). Inside json_arena_begin/end, the
 * current thread's allocations come from the arena and jansson's frees of
 * them are no-ops; everywhere else they are malloc and free themselves,
 * so module code using jansson on any thread is unaffected (and strings
 * from json_dumps are still released with free()).
 *
 * Rule this relies on (include/rtwebhookd/handler.h says it to module
 * authors): nothing of an event's tree is used after the event is
 * released; handlers json_deep_copy what they keep. */
#ifndef RTW_JSON_ARENA_H
#define RTW_JSON_ARENA_H

#include <stddef.h>

struct json_arena;

/* A new, empty arena whose first block suits a body of body_len bytes,
 * or NULL when out of memory. */
struct json_arena *json_arena_new(size_t body_len);
/* Until json_arena_end, this thread's jansson allocations come from a. */
void json_arena_begin(struct json_arena *a);
void json_arena_end(void);
/* Releases every block. Every tree allocated in a is gone: do not
 * json_decref it before or after (the release is the decref). NULL is
 * ignored. */
void json_arena_free(struct json_arena *a);
/* The bytes a holds (its blocks' sizes), for memory accounting. */
size_t json_arena_size(const struct json_arena *a);

#endif
