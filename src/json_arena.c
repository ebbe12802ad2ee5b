/* Arenas for jansson parse trees (see json_arena.h for why). */
#include <jansson.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#include "json_arena.h"

/* What a parse takes: measured on the fixtures (tests/fixtures/events),
 * 6 to 11 times the body (jansson gives every object a hash table).
 * The first block is sized so that every fixture fits it (the unit test
 * checks); larger trees take more blocks, each twice the last. */
#define FIRST_BLOCK_PER_BODY_BYTE 8
#define MIN_BLOCK_BYTES		  4096
#define ALIGN			  16

struct block {
	struct block *next;
	size_t size, used;
	alignas(ALIGN) unsigned char data[];
};

struct json_arena {
	struct block *blocks; /* the newest first: the one allocated from */
	size_t first_size;
	size_t bytes;
};

static _Thread_local struct json_arena *current;

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static struct block *add_block(struct json_arena *a, size_t at_least)
{
	size_t size = a->blocks ? 2 * a->blocks->size : a->first_size;
	struct block *b;

	if (size < at_least)
		size = at_least;
	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->size = size;
	b->used = 0;
	b->next = a->blocks;
	a->blocks = b;
	a->bytes += size;
	return b;
}

static void *arena_alloc(struct json_arena *a, size_t size)
{
	size_t need = round_up(size);
	struct block *b = a->blocks;
	void *p;

	if (b == NULL || b->size - b->used < need) {
		b = add_block(a, need);
		if (b == NULL)
			return NULL;
	}
	p = b->data + b->used;
	b->used += need;
	return p;
}

static int in_arena(const struct json_arena *a, const void *ptr)
{
	const unsigned char *p = ptr;

	for (const struct block *b = a->blocks; b != NULL; b = b->next)
		if (p >= b->data && p < b->data + b->size)
			return 1;
	return 0;
}

static void *arena_or_heap_malloc(size_t size)
{
	if (current != NULL && size <= SIZE_MAX / 2)
		return arena_alloc(current, size);
	return malloc(size);
}

/* Memory from the arena goes back with the arena. jansson frees arena
 * memory only while the arena is current (its lexer's scratch buffers,
 * the partial tree of a failed parse): the tree itself is never
 * json_decref'd (json_arena_free is its release). Everything else is
 * plain malloc, so strings from json_dumps & co. may be passed to free()
 * as jansson documents. */
static void arena_or_heap_free(void *ptr)
{
	if (current != NULL && in_arena(current, ptr))
		return;
	free(ptr);
}

/* jansson must have its allocation functions before its first
 * allocation; a constructor runs before main() and before any other code
 * of the program can call jansson. */
__attribute__((constructor)) static void install_allocator(void)
{
	json_set_alloc_funcs(arena_or_heap_malloc, arena_or_heap_free);
}

struct json_arena *json_arena_new(size_t body_len)
{
	struct json_arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->first_size = MIN_BLOCK_BYTES;
	if (body_len < SIZE_MAX / 8)
		a->first_size += round_up(FIRST_BLOCK_PER_BODY_BYTE * body_len);
	return a;
}

void json_arena_begin(struct json_arena *a)
{
	current = a;
}

void json_arena_end(void)
{
	current = NULL;
}

void json_arena_free(struct json_arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

size_t json_arena_size(const struct json_arena *a)
{
	return a->bytes;
}
