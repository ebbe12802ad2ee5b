/* test_json_arena.c: jansson parse trees in arenas. Inside begin/end a
 * thread's jansson allocations land in the arena; outside, and on every
 * other thread, they stay on the heap; a tree in an arena is whole until
 * the arena is freed (ASan reports any block left behind or freed twice).
 * The fixtures fit the first block, as json_arena.c's sizing says. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_arena.h"

#define EVENTS_DIR RTW_TEST_SOURCE_DIR "/fixtures/events"

/* Reads a fixture; returns its bytes (malloc'd) and length. */
static char *read_fixture(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", EVENTS_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static json_t *parse_in(struct json_arena *a, const char *body, size_t len)
{
	json_error_t err;
	json_t *j;

	json_arena_begin(a);
	j = json_loadb(body, len, 0, &err);
	json_arena_end();
	return j;
}

/* The size of an arena's first block for a body of len bytes: the
 * arena's size after one small allocation. */
static size_t first_block_size(size_t len)
{
	struct json_arena *a = json_arena_new(len);
	size_t size;

	json_arena_begin(a);
	json_decref(json_integer(1));
	json_arena_end();
	size = json_arena_size(a);
	json_arena_free(a);
	return size;
}

/* Every fixture parses into its arena's first block: one block, and
 * nothing allocated while the arena is not current lands in it. */
static void fixtures_fit_the_first_block(void **state)
{
	DIR *d = opendir(EVENTS_DIR);
	struct dirent *e;
	int seen = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len, first;
		struct json_arena *a;
		char *body;
		json_t *j, *outside;

		if (strstr(e->d_name, ".json") == NULL)
			continue;
		body = read_fixture(e->d_name, &len);
		a = json_arena_new(len);
		assert_non_null(a);
		assert_non_null(j = parse_in(a, body, len));
		first = json_arena_size(a);
		assert_true(first > 0);
		outside = json_pack("{s:s}", "on", "the heap");
		assert_int_equal(json_arena_size(a), first);
		json_decref(outside);
		assert_int_equal(first, first_block_size(len));
		json_arena_free(a);
		free(body);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 10);
}

/* A body far bigger than the first block: the arena grows and the tree
 * reads back whole. */
static void a_large_body_grows_the_arena(void **state)
{
	enum { ITEMS = 20000 };
	struct json_arena *a = json_arena_new(16);
	json_t *built = json_array(), *parsed;
	char *text;

	(void)state;
	for (int i = 0; i < ITEMS; i++)
		json_array_append_new(
		    built, json_pack("{s:i,s:s}", "n", i, "word", "zoë"));
	text = json_dumps(built, JSON_COMPACT);
	assert_non_null(text);
	parsed = parse_in(a, text, strlen(text));
	assert_non_null(parsed);
	assert_true(json_arena_size(a) > first_block_size(16));
	assert_int_equal(json_array_size(parsed), ITEMS);
	assert_true(json_equal(parsed, built));
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(parsed, ITEMS - 1), "word")),
			    "zoë");
	/* A reference taken and dropped again leaves the tree whole. */
	json_decref(json_incref(json_array_get(parsed, 7)));
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(parsed, 7), "n")),
	    7);
	json_arena_free(a);
	json_decref(built);
	free(text);
}

/* A parse error gives back what it took only with the arena. */
static void a_failed_parse_is_released_with_the_arena(void **state)
{
	static const char broken[] = "{\"event\":\"x\",\"data\":{\"a\":[1,2,";
	struct json_arena *a = json_arena_new(sizeof(broken));

	(void)state;
	assert_null(parse_in(a, broken, sizeof(broken) - 1));
	json_arena_free(a);
	json_arena_free(NULL);
}

struct other_thread {
	struct json_arena *watched;
	size_t size_before, size_after;
};

static void *allocate_on_the_heap(void *arg)
{
	struct other_thread *t = arg;
	json_t *j;

	/* Far more than the watched arena's first block: had it landed
	 * there, the arena would have grown. */
	enum { ITEMS = 5000 };
	json_t *array;

	t->size_before = json_arena_size(t->watched);
	array = json_array();
	for (int i = 0; i < ITEMS; i++)
		json_array_append_new(array, json_integer(i));
	j = json_pack("{s:o}", "elsewhere", array);
	t->size_after = json_arena_size(t->watched);
	json_decref(j);
	return NULL;
}

/* The current arena is per thread: another thread parsing meanwhile
 * stays on the heap. */
static void the_arena_is_per_thread(void **state)
{
	struct json_arena *a = json_arena_new(64);
	struct other_thread t = {.watched = a};
	pthread_t th;
	json_t *mine;

	(void)state;
	json_arena_begin(a);
	mine = json_loads("{\"here\":true}", 0, NULL);
	assert_int_equal(pthread_create(&th, NULL, allocate_on_the_heap, &t),
			 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	json_arena_end();
	assert_non_null(mine);
	assert_true(t.size_before > 0);
	assert_int_equal(t.size_after, t.size_before);
	json_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fixtures_fit_the_first_block),
	    cmocka_unit_test(a_large_body_grows_the_arena),
	    cmocka_unit_test(a_failed_parse_is_released_with_the_arena),
	    cmocka_unit_test(the_arena_is_per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
