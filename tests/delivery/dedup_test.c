/* Dedup (dedup.h): a reserved key is PENDING until confirmed, then SEEN
 * with its seq for the length of the window; a cancelled or expired key is
 * NEW again; restored events count from when they were received; keys tell
 * endpoints, ids and bodies apart. Times are passed explicitly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dedup.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define WINDOW	     INT64_C(900000)
#define T0	     INT64_C(1764174001480)
#define MANY_ENTRIES ((size_t)1 << 22)

static struct dedup_key key_of(const char *path, const char *id)
{
	char text[DEDUP_TEXT_LEN];
	struct dedup_key k;

	dedup_key_make(path, id, "{}", 2, &k, text);
	return k;
}

static struct dedup_key body_key(const char *path, const char *body)
{
	char text[DEDUP_TEXT_LEN];
	struct dedup_key k;

	dedup_key_make(path, NULL, body, strlen(body), &k, text);
	return k;
}

static int same_key(struct dedup_key a, struct dedup_key b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

static void expect_reserve(struct dedup *d, struct dedup_key k, int64_t now,
			   enum dedup_result want, uint64_t want_seq)
{
	uint64_t seq = 12345;
	enum dedup_result got = dedup_reserve(d, &k, now, &seq);

	assert_int_equal(got, want);
	if (want != DEDUP_NEW)
		assert_int_equal(seq, want_seq);
}

static void new_key_is_reserved_then_seen_with_its_confirmed_seq(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");

	expect_reserve(d, k, T0, DEDUP_NEW, 0);
	dedup_confirm(d, &k, 77);
	expect_reserve(d, k, T0 + 1, DEDUP_SEEN, 77);
	expect_reserve(d, k, T0 + 2, DEDUP_SEEN, 77);
	dedup_free(d);
}

static void reserved_key_is_pending_until_confirmed(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");

	expect_reserve(d, k, T0, DEDUP_NEW, 0);
	expect_reserve(d, k, T0 + 1, DEDUP_PENDING, 0);
	dedup_confirm(d, &k, 3);
	expect_reserve(d, k, T0 + 2, DEDUP_SEEN, 3);
	dedup_free(d);
}

static void cancelled_key_is_new_again(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");

	expect_reserve(d, k, T0, DEDUP_NEW, 0);
	dedup_cancel(d, &k);
	expect_reserve(d, k, T0 + 1, DEDUP_NEW, 0);
	/* The new reservation is an ordinary one. */
	expect_reserve(d, k, T0 + 2, DEDUP_PENDING, 0);
	dedup_confirm(d, &k, 9);
	expect_reserve(d, k, T0 + 3, DEDUP_SEEN, 9);
	dedup_free(d);
}

/* A seen key whose copy turned out unsure (spool_suspect) is reserved
 * again by one request only: the next one waits (PENDING), and once the
 * new copy is confirmed, a request still holding the old seq is told the
 * new one. */
static void a_key_is_reserved_again_by_one_request_only(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");
	uint64_t seq = 5;

	expect_reserve(d, k, T0, DEDUP_NEW, 0);
	dedup_confirm(d, &k, 5);
	assert_int_equal(dedup_reserve_again(d, &k, T0 + 1, &seq), DEDUP_NEW);
	seq = 5; /* a second retry that also saw 5 */
	assert_int_equal(dedup_reserve_again(d, &k, T0 + 2, &seq),
			 DEDUP_PENDING);
	expect_reserve(d, k, T0 + 3, DEDUP_PENDING, 0);
	dedup_confirm(d, &k, 9);
	seq = 5;
	assert_int_equal(dedup_reserve_again(d, &k, T0 + 4, &seq), DEDUP_SEEN);
	assert_int_equal(seq, 9);
	expect_reserve(d, k, T0 + 5, DEDUP_SEEN, 9);
	/* a failed second store: the key is new again */
	assert_int_equal(dedup_reserve_again(d, &k, T0 + 6, &seq), DEDUP_NEW);
	dedup_cancel(d, &k);
	expect_reserve(d, k, T0 + 7, DEDUP_NEW, 0);
	dedup_free(d);
}

/* A key reserved at T0 asked for again at T0 + age. */
static void a_key_is_seen_within_the_window_and_new_after_it(void **state)
{
	static const struct {
		int64_t age;
		enum dedup_result want;
	} cases[] = {
	    {1, DEDUP_SEEN},	     {WINDOW / 2, DEDUP_SEEN},
	    {WINDOW, DEDUP_SEEN},    {WINDOW + 1, DEDUP_NEW},
	    {2 * WINDOW, DEDUP_NEW}, {10 * WINDOW, DEDUP_NEW},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
		struct dedup_key k = key_of("/recall/events", "msg_1");

		expect_reserve(d, k, T0, DEDUP_NEW, 0);
		dedup_confirm(d, &k, 5);
		expect_reserve(d, k, T0 + cases[i].age, cases[i].want, 5);
		dedup_free(d);
	}
}

/* Keys keep being found while other keys come and go over several
 * windows (the tables rotate behind the scenes). */
static void keys_stay_seen_across_rotations_for_their_window(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	const int64_t step = WINDOW / 4;

	for (int i = 0; i < 20; i++) {
		char id[32];
		struct dedup_key k;

		snprintf(id, sizeof(id), "msg_%d", i);
		k = key_of("/e", id);
		expect_reserve(d, k, T0 + i * step, DEDUP_NEW, 0);
		dedup_confirm(d, &k, (uint64_t)i + 1);
		for (int back = 0; back <= i && back * step <= WINDOW; back++) {
			snprintf(id, sizeof(id), "msg_%d", i - back);
			expect_reserve(d, key_of("/e", id), T0 + i * step,
				       DEDUP_SEEN, (uint64_t)(i - back) + 1);
		}
	}
	dedup_free(d);
}

static void restored_event_within_the_window_is_seen(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");

	dedup_restore(d, &k, 41, T0 - WINDOW + 10, T0);
	assert_int_equal(dedup_count(d), 1);
	expect_reserve(d, k, T0, DEDUP_SEEN, 41);
	dedup_free(d);
}

static void restored_event_older_than_the_window_is_ignored(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");

	dedup_restore(d, &k, 41, T0 - WINDOW - 1, T0);
	assert_int_equal(dedup_count(d), 0);
	expect_reserve(d, k, T0, DEDUP_NEW, 0);
	dedup_free(d);
}

/* The window runs from when the event was received, not restored. */
static void restored_event_expires_a_window_after_it_was_received(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key k = key_of("/recall/events", "msg_1");

	dedup_restore(d, &k, 41, T0 - WINDOW + 10, T0);
	expect_reserve(d, k, T0 + 11, DEDUP_NEW, 0);
	dedup_free(d);
}

static void keys_differ_by_path_and_by_id(void **state)
{
	struct dedup_key base = key_of("/recall/events", "msg_1");

	assert_true(same_key(base, key_of("/recall/events", "msg_1")));
	assert_false(same_key(base, key_of("/recall/other", "msg_1")));
	assert_false(same_key(base, key_of("/recall/events", "msg_2")));
	assert_false(same_key(base, key_of("/recall/events", "msg_10")));
	/* The separator keeps path and id apart. */
	assert_false(same_key(key_of("/a", "bc"), key_of("/ab", "c")));
}

static void id_keys_do_not_depend_on_the_body(void **state)
{
	char text[DEDUP_TEXT_LEN];
	struct dedup_key a, b;

	dedup_key_make("/e", "msg_1", "{\"a\":1}", 7, &a, text);
	dedup_key_make("/e", "msg_1", "{\"b\":2}", 7, &b, text);
	assert_true(same_key(a, b));
}

static void body_keys_are_equal_for_equal_bodies_only(void **state)
{
	static const char *const bodies[] = {
	    "{}",
	    "{ }",
	    "{\"event\":\"a\"}",
	    "{\"event\":\"b\"}",
	    "{\"event\":\"a\",\"data\":{}}",
	};

	for (size_t i = 0; i < ARRAY_LEN(bodies); i++)
		for (size_t j = 0; j < ARRAY_LEN(bodies); j++)
			assert_int_equal(same_key(body_key("/e", bodies[i]),
						  body_key("/e", bodies[j])),
					 i == j);
	assert_false(same_key(body_key("/e", "{}"), body_key("/f", "{}")));
}

static void empty_id_means_the_body_digest(void **state)
{
	char text[DEDUP_TEXT_LEN];
	struct dedup_key k;

	dedup_key_make("/e", "", "{}", 2, &k, text);
	assert_true(same_key(k, body_key("/e", "{}")));
	assert_true(strncmp(text, "body:", 5) == 0);
}

/* The text stored in the spool rebuilds the same key after a restart. */
static void key_rebuilt_from_its_text_is_the_same(void **state)
{
	static const char *const ids[] = {"msg_1", NULL, "", "é✓"};

	for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
		char text[DEDUP_TEXT_LEN];
		struct dedup_key made, rebuilt;

		dedup_key_make("/recall/events", ids[i], "{\"x\":1}", 7, &made,
			       text);
		dedup_key_from_text("/recall/events", 14, text, strlen(text),
				    &rebuilt);
		assert_true(same_key(made, rebuilt));
	}
}

#define GROWTH_KEYS 200000

static void two_hundred_thousand_keys_are_all_seen(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	char id[32];

	for (int i = 0; i < GROWTH_KEYS; i++) {
		struct dedup_key k;

		snprintf(id, sizeof(id), "msg_%d", i);
		k = key_of("/e", id);
		expect_reserve(d, k, T0 + i / 1000, DEDUP_NEW, 0);
		dedup_confirm(d, &k, (uint64_t)i + 1);
	}
	assert_int_equal(dedup_count(d), GROWTH_KEYS);
	for (int i = 0; i < GROWTH_KEYS; i++) {
		snprintf(id, sizeof(id), "msg_%d", i);
		expect_reserve(d, key_of("/e", id), T0 + 300, DEDUP_SEEN,
			       (uint64_t)i + 1);
	}
	dedup_free(d);
}

/* Generations of thousands of keys (the one after a rotation starts at the
 * size the previous one reached): the last two windows' keys are seen,
 * older ones are new again. */
static void large_generations_rotate_with_their_keys(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	const int per_window = 5000;
	char id[32];

	(void)state;
	for (int w = 0; w < 3; w++)
		for (int i = 0; i < per_window; i++) {
			struct dedup_key k;

			snprintf(id, sizeof(id), "w%d_%d", w, i);
			k = key_of("/e", id);
			expect_reserve(d, k, T0 + w * (WINDOW + 1), DEDUP_NEW, 0);
			dedup_confirm(d, &k, (uint64_t)(w * per_window + i) + 1);
		}
	for (int i = 0; i < per_window; i++) {
		snprintf(id, sizeof(id), "w2_%d", i);
		expect_reserve(d, key_of("/e", id), T0 + 2 * (WINDOW + 1),
			       DEDUP_SEEN, (uint64_t)(2 * per_window + i) + 1);
		snprintf(id, sizeof(id), "w0_%d", i);
		expect_reserve(d, key_of("/e", id), T0 + 2 * (WINDOW + 1),
			       DEDUP_NEW, 0);
	}
	dedup_free(d);
}

/* The table grows a few slots at a time (an outgrown table is moved into
 * its successor over the next operations): while entries are split
 * between the two, every key is found with its seq, a pending one stays
 * pending, and the count is the number of distinct keys. */
static void keys_keep_their_state_while_the_table_grows(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	const uint64_t n = 20000;

	(void)state;
	for (uint64_t i = 1; i <= n; i++) {
		struct dedup_key k = {i * UINT64_C(0x9E3779B97F4A7C15), i};

		expect_reserve(d, k, T0, DEDUP_NEW, 0);
		if (i % 3 != 0)
			dedup_confirm(d, &k, i);
		if (i % 97 != 0)
			continue;
		assert_int_equal(dedup_count(d), i);
		for (uint64_t j = i; j > 0; j = j * 2 / 3) {
			struct dedup_key old = {j * UINT64_C(0x9E3779B97F4A7C15),
						j};

			if (j % 3 == 0)
				expect_reserve(d, old, T0, DEDUP_PENDING, 0);
			else
				expect_reserve(d, old, T0, DEDUP_SEEN, j);
		}
	}
	dedup_free(d);
}

/* A key cancelled, then outgrown with its table, then reserved again
 * before its slot was moved: the move must not bring the cancelled entry
 * back over the new reservation. The key's home is the last slot, the
 * last one moved. */
static void a_key_reserved_again_during_a_move_keeps_the_new_entry(void **state)
{
	struct dedup *d = dedup_new(WINDOW, MANY_ENTRIES);
	struct dedup_key x = {UINT64_C(1023) | (UINT64_C(7) << 40), 42};

	(void)state;
	expect_reserve(d, x, T0, DEDUP_NEW, 0);
	dedup_cancel(d, &x);
	/* 1,024 slots grow at 512 entries: x's table is being moved. */
	for (uint64_t i = 1; i <= 520; i++) {
		struct dedup_key k = {i * UINT64_C(0x9E3779B97F4A7C15), i};

		expect_reserve(d, k, T0, DEDUP_NEW, 0);
	}
	expect_reserve(d, x, T0, DEDUP_NEW, 0);
	dedup_confirm(d, &x, 77);
	/* Counted once, though its old entry is not moved yet (a count of
	 * two made the max_entries rotation come early). */
	assert_int_equal(dedup_count(d), 521);
	/* Enough operations to finish the move (8 slots each). */
	for (uint64_t i = 521; i <= 800; i++) {
		struct dedup_key k = {i * UINT64_C(0x9E3779B97F4A7C15), i};

		expect_reserve(d, k, T0, DEDUP_NEW, 0);
	}
	expect_reserve(d, x, T0, DEDUP_SEEN, 77);
	assert_int_equal(dedup_count(d), 801);
	dedup_free(d);
}

/* Memory is bounded: past max_entries the older generation is dropped,
 * shortening the window rather than growing. */
static void past_max_entries_the_oldest_keys_are_forgotten(void **state)
{
	struct dedup *d = dedup_new(WINDOW, 4);
	struct dedup_key k[9];
	char id[32];

	for (int i = 0; i < 9; i++) {
		snprintf(id, sizeof(id), "msg_%d", i);
		k[i] = key_of("/e", id);
		expect_reserve(d, k[i], T0, DEDUP_NEW, 0);
		dedup_confirm(d, &k[i], (uint64_t)i + 1);
	}
	assert_true(dedup_count(d) <= 2 * 4);
	expect_reserve(d, k[8], T0, DEDUP_SEEN, 9);
	expect_reserve(d, k[0], T0, DEDUP_NEW, 0);
	dedup_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		new_key_is_reserved_then_seen_with_its_confirmed_seq),
	    cmocka_unit_test(reserved_key_is_pending_until_confirmed),
	    cmocka_unit_test(cancelled_key_is_new_again),
	    cmocka_unit_test(a_key_is_reserved_again_by_one_request_only),
	    cmocka_unit_test(a_key_is_seen_within_the_window_and_new_after_it),
	    cmocka_unit_test(keys_stay_seen_across_rotations_for_their_window),
	    cmocka_unit_test(large_generations_rotate_with_their_keys),
	    cmocka_unit_test(keys_keep_their_state_while_the_table_grows),
	    cmocka_unit_test(
		a_key_reserved_again_during_a_move_keeps_the_new_entry),
	    cmocka_unit_test(restored_event_within_the_window_is_seen),
	    cmocka_unit_test(restored_event_older_than_the_window_is_ignored),
	    cmocka_unit_test(
		restored_event_expires_a_window_after_it_was_received),
	    cmocka_unit_test(keys_differ_by_path_and_by_id),
	    cmocka_unit_test(id_keys_do_not_depend_on_the_body),
	    cmocka_unit_test(body_keys_are_equal_for_equal_bodies_only),
	    cmocka_unit_test(empty_id_means_the_body_digest),
	    cmocka_unit_test(key_rebuilt_from_its_text_is_the_same),
	    cmocka_unit_test(two_hundred_thousand_keys_are_all_seen),
	    cmocka_unit_test(past_max_entries_the_oldest_keys_are_forgotten),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
