/* test_active_bots.c: the active-bots gauge: one count per bot however
 * many events it sends, bots forgotten once the window passed, events
 * without a bot not counted, and many bots counted exactly while stale
 * ones are dropped to make room. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "active_bots.h"

#define T0 INT64_C(1795712288737)

static void each_bot_counts_once(void **state)
{
	struct active_bots *ab = active_bots_new();

	(void)state;
	assert_non_null(ab);
	assert_int_equal(active_bots_count(ab, T0), 0);
	for (int i = 0; i < 10; i++) {
		active_bots_seen(ab, "bot-a", T0 + i);
		active_bots_seen(ab, "bot-b", T0 + i);
		active_bots_seen(ab, NULL, T0 + i);
	}
	assert_int_equal(active_bots_count(ab, T0 + 10), 2);
	active_bots_free(ab);
}

static void bots_drop_out_after_the_window(void **state)
{
	struct active_bots *ab = active_bots_new();

	(void)state;
	active_bots_seen(ab, "early", T0);
	active_bots_seen(ab, "late", T0 + ACTIVE_BOTS_WINDOW_MS / 2);
	assert_int_equal(active_bots_count(ab, T0 + ACTIVE_BOTS_WINDOW_MS - 1),
			 2);
	assert_int_equal(active_bots_count(ab, T0 + ACTIVE_BOTS_WINDOW_MS), 1);
	/* A new event makes a forgotten bot active again. */
	active_bots_seen(ab, "early", T0 + ACTIVE_BOTS_WINDOW_MS);
	assert_int_equal(active_bots_count(ab, T0 + ACTIVE_BOTS_WINDOW_MS), 2);
	active_bots_free(ab);
}

/* Far more bots than the first table holds, in waves: each wave's bots
 * count exactly, the earlier waves (stale) make room for the later. */
static void many_bots_are_counted_and_stale_ones_make_room(void **state)
{
	struct active_bots *ab = active_bots_new();
	char id[64];

	(void)state;
	for (int wave = 0; wave < 3; wave++) {
		int64_t at = T0 + (int64_t)wave * ACTIVE_BOTS_WINDOW_MS;

		for (int i = 0; i < 20000; i++) {
			snprintf(id, sizeof(id), "wave-%d-bot-%d", wave, i);
			active_bots_seen(ab, id, at);
		}
		assert_int_equal(active_bots_count(ab, at), 20000);
	}
	active_bots_free(ab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_bot_counts_once),
		cmocka_unit_test(bots_drop_out_after_the_window),
		cmocka_unit_test(many_bots_are_counted_and_stale_ones_make_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
