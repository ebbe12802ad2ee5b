/* Lanes (lanes.h): events of one bot come out in push order, one at a
 * time; bots take turns; a lane that backs off sleeps until its delay ends
 * while the others go on, and its delay doubles up to a maximum; event
 * references pass from the pusher to the lanes to the finisher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "delivery_util.h"
#include "lanes.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NOW	     INT64_C(1000000)

static void push(struct lanes *ls, const char *bot, int n)
{
	assert_int_equal(lanes_push(ls, event_of(bot, n)), 0);
}

/* Takes the next ready lane at now, failing the test if there is none. */
static struct lane *take(struct lanes *ls, int64_t now)
{
	int64_t wake;
	struct lane *l = lanes_take(ls, now, &wake);

	assert_non_null(l);
	return l;
}

static void expect_none_ready(struct lanes *ls, int64_t now)
{
	int64_t wake;

	assert_null(lanes_take(ls, now, &wake));
}

/* Finishes the head of l and returns its number (dropping the event). */
static int finish(struct lanes *ls, struct lane *l)
{
	struct stored_event *se = lanes_finish(ls, l);
	int n = event_number(se);

	stored_event_unref(se);
	return n;
}

static void events_of_one_bot_come_out_in_push_order(void **state)
{
	struct lanes *ls = lanes_new();

	for (int n = 1; n <= 5; n++)
		push(ls, "bot-A", n);
	for (int n = 1; n <= 5; n++) {
		struct lane *l = take(ls, NOW);

		assert_int_equal(event_number(lane_head(l)), n);
		assert_int_equal(finish(ls, l), n);
	}
	expect_none_ready(ls, NOW);
	lanes_free(ls);
}

static void a_busy_lane_is_not_taken_again(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;

	push(ls, "bot-A", 1);
	push(ls, "bot-A", 2);
	l = take(ls, NOW);
	expect_none_ready(ls, NOW);
	push(ls, "bot-A", 3); /* a push does not free a busy lane either */
	expect_none_ready(ls, NOW);
	assert_int_equal(finish(ls, l), 1);
	l = take(ls, NOW);
	assert_int_equal(event_number(lane_head(l)), 2);
	lanes_free(ls);
}

/* Bots pushed as A A A B B B come out as A B A B A B. */
static void two_bots_are_served_alternately(void **state)
{
	static const char *const want[] = {"bot-A", "bot-B", "bot-A",
					   "bot-B", "bot-A", "bot-B"};
	struct lanes *ls = lanes_new();

	for (int n = 1; n <= 3; n++)
		push(ls, "bot-A", n);
	for (int n = 1; n <= 3; n++)
		push(ls, "bot-B", n);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		struct lane *l = take(ls, NOW);

		assert_string_equal(lane_head(l)->ev.view.bot_id, want[i]);
		assert_int_equal(finish(ls, l), (int)i / 2 + 1);
	}
	lanes_free(ls);
}

static void two_bots_can_be_busy_at_once(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *a, *b;

	push(ls, "bot-A", 1);
	push(ls, "bot-B", 1);
	a = take(ls, NOW);
	b = take(ls, NOW);
	assert_ptr_not_equal(a, b);
	expect_none_ready(ls, NOW);
	lanes_free(ls);
}

static void events_without_a_bot_share_one_lane(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;

	push(ls, NULL, 1);
	push(ls, NULL, 2);
	l = take(ls, NOW);
	expect_none_ready(ls, NOW);
	assert_int_equal(finish(ls, l), 1);
	assert_int_equal(finish(ls, take(ls, NOW)), 2);
	lanes_free(ls);
}

static void backed_off_lane_sleeps_until_now_plus_delay(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;
	int64_t wake = 0;

	push(ls, "bot-A", 1);
	l = take(ls, NOW);
	assert_int_equal(lanes_backoff(ls, l, NOW, 100, 1000), 100);
	assert_null(lanes_take(ls, NOW + 99, &wake));
	assert_int_equal(wake, NOW + 100);
	l = take(ls, NOW + 100);
	assert_int_equal(event_number(lane_head(l)), 1); /* order kept */
	lanes_free(ls);
}

static void other_lanes_are_taken_while_one_backs_off(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;

	push(ls, "bot-A", 1);
	push(ls, "bot-B", 1);
	push(ls, "bot-B", 2);
	l = take(ls, NOW);
	assert_string_equal(lane_head(l)->ev.view.bot_id, "bot-A");
	lanes_backoff(ls, l, NOW, 500, 5000);
	for (int n = 1; n <= 2; n++) {
		l = take(ls, NOW + n);
		assert_string_equal(lane_head(l)->ev.view.bot_id, "bot-B");
		assert_int_equal(finish(ls, l), n);
	}
	expect_none_ready(ls, NOW + 499);
	lanes_free(ls);
}

static void pushing_to_a_sleeping_lane_does_not_wake_it(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;

	push(ls, "bot-A", 1);
	l = take(ls, NOW);
	lanes_backoff(ls, l, NOW, 100, 1000);
	push(ls, "bot-A", 2);
	expect_none_ready(ls, NOW + 50);
	l = take(ls, NOW + 100);
	assert_int_equal(finish(ls, l), 1);
	assert_int_equal(finish(ls, take(ls, NOW + 100)), 2);
	lanes_free(ls);
}

/* Each retry of the same head waits twice as long, up to the maximum. */
static void backoff_doubles_up_to_the_maximum(void **state)
{
	static const long want[] = {100, 200, 400, 800, 1000, 1000, 1000};
	struct lanes *ls = lanes_new();
	int64_t now = NOW;

	push(ls, "bot-A", 1);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		struct lane *l = take(ls, now);
		long delay = lanes_backoff(ls, l, now, 100, 1000);

		assert_int_equal(delay, want[i]);
		expect_none_ready(ls, now + delay - 1);
		now += delay;
	}
	lanes_free(ls);
}

static void finishing_resets_the_backoff(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;

	push(ls, "bot-A", 1);
	push(ls, "bot-A", 2);
	l = take(ls, NOW);
	lanes_backoff(ls, l, NOW, 100, 1000);
	l = take(ls, NOW + 100);
	assert_int_equal(lanes_backoff(ls, l, NOW + 100, 100, 1000), 200);
	l = take(ls, NOW + 300);
	assert_int_equal(finish(ls, l), 1);
	l = take(ls, NOW + 300);
	assert_int_equal(lanes_backoff(ls, l, NOW + 300, 100, 1000), 100);
	lanes_free(ls);
}

/* wake_ms names the earliest sleeper, or -1 when none sleeps. */
static void take_reports_when_the_earliest_sleeper_wakes(void **state)
{
	struct lanes *ls = lanes_new();
	struct lane *l;
	int64_t wake = 0;

	push(ls, "bot-A", 1);
	push(ls, "bot-B", 1);
	push(ls, "bot-C", 1);
	l = lanes_take(ls, NOW, &wake);
	assert_int_equal(wake, -1);
	lanes_backoff(ls, l, NOW, 300, 1000);
	l = lanes_take(ls, NOW, &wake);
	assert_int_equal(wake, NOW + 300);
	lanes_backoff(ls, l, NOW, 100, 1000);
	assert_non_null(lanes_take(ls, NOW, &wake)); /* bot-C */
	assert_int_equal(wake, NOW + 100);
	assert_null(lanes_take(ls, NOW + 50, &wake));
	assert_int_equal(wake, NOW + 100);
	l = lanes_take(ls, NOW + 100, &wake);
	assert_string_equal(lane_head(l)->ev.view.bot_id, "bot-B");
	assert_int_equal(wake, NOW + 300);
	lanes_free(ls);
}

static void lanes_count_the_events_they_hold(void **state)
{
	struct lanes *ls = lanes_new();

	assert_int_equal(lanes_events(ls), 0);
	push(ls, "bot-A", 1);
	push(ls, "bot-A", 2);
	push(ls, "bot-B", 1);
	assert_int_equal(lanes_events(ls), 3);
	assert_int_equal(finish(ls, take(ls, NOW)), 1);
	assert_int_equal(lanes_events(ls), 2);
	lanes_free(ls);
}

/* Lanes left empty are kept for reuse and swept past a bound; bots come
 * back to working lanes either way (600 bots: more than one sweep). */
static void bots_whose_lanes_emptied_are_served_again(void **state)
{
	enum { BOTS = 600 };
	struct lanes *ls = lanes_new();
	char bot[32];

	for (int round = 1; round <= 3; round++) {
		for (int b = 0; b < BOTS; b++) {
			snprintf(bot, sizeof(bot), "bot-%d", b);
			push(ls, bot, round * 10);
			push(ls, bot, round * 10 + 1);
		}
		for (int b = 0; b < BOTS; b++) {
			struct lane *l = take(ls, NOW);

			snprintf(bot, sizeof(bot), "bot-%d", b);
			assert_string_equal(lane_head(l)->ev.view.bot_id, bot);
			assert_int_equal(finish(ls, l), round * 10);
		}
		for (int b = 0; b < BOTS; b++)
			assert_int_equal(finish(ls, take(ls, NOW)),
					 round * 10 + 1);
		assert_int_equal(lanes_events(ls), 0);
		expect_none_ready(ls, NOW);
	}
	lanes_free(ls);
}

/* The lanes hold the pushed reference; lanes_finish hands it over. */
static void finish_hands_the_event_reference_to_the_caller(void **state)
{
	struct lanes *ls = lanes_new();
	struct stored_event *se = event_of("bot-A", 1), *got;

	stored_event_ref(se); /* the test's own, to watch the count */
	assert_int_equal(lanes_push(ls, se), 0);
	assert_int_equal(event_refs(se), 2);
	got = lanes_finish(ls, take(ls, NOW));
	assert_ptr_equal(got, se);
	assert_int_equal(event_refs(se), 2);
	stored_event_unref(got);
	assert_int_equal(event_refs(se), 1);
	lanes_free(ls);
	assert_int_equal(event_refs(se), 1);
	stored_event_unref(se);
}

static void free_drops_the_references_of_events_still_held(void **state)
{
	struct stored_event *se[3] = {
	    event_of("bot-A", 1), event_of("bot-A", 2), event_of("bot-B", 1)};
	struct lanes *ls = lanes_new();

	for (int i = 0; i < 3; i++)
		assert_int_equal(lanes_push(ls, stored_event_ref(se[i])), 0);
	take(ls, NOW); /* one busy lane, one ready */
	lanes_free(ls);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(event_refs(se[i]), 1);
		stored_event_unref(se[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(events_of_one_bot_come_out_in_push_order),
	    cmocka_unit_test(a_busy_lane_is_not_taken_again),
	    cmocka_unit_test(two_bots_are_served_alternately),
	    cmocka_unit_test(two_bots_can_be_busy_at_once),
	    cmocka_unit_test(events_without_a_bot_share_one_lane),
	    cmocka_unit_test(backed_off_lane_sleeps_until_now_plus_delay),
	    cmocka_unit_test(other_lanes_are_taken_while_one_backs_off),
	    cmocka_unit_test(pushing_to_a_sleeping_lane_does_not_wake_it),
	    cmocka_unit_test(backoff_doubles_up_to_the_maximum),
	    cmocka_unit_test(finishing_resets_the_backoff),
	    cmocka_unit_test(take_reports_when_the_earliest_sleeper_wakes),
	    cmocka_unit_test(lanes_count_the_events_they_hold),
	    cmocka_unit_test(bots_whose_lanes_emptied_are_served_again),
	    cmocka_unit_test(finish_hands_the_event_reference_to_the_caller),
	    cmocka_unit_test(free_drops_the_references_of_events_still_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
