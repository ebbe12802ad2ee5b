/* handler_subscribes: a handler's `events` list takes exact event names
 * and globs; an event goes to the handler when any entry matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "loader_util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_PATTERNS 3

static const struct subscription_case {
	const char *what;
	const char *patterns[MAX_PATTERNS];
	const char *event;
	int subscribed;
} cases[] = {
    {"star takes a known type", {"*"}, "transcript.data", 1},
    {"star takes an unknown type", {"*"}, "bot.some_future_event", 1},
    {"family glob takes its member",
     {"participant_events.*"},
     "participant_events.join",
     1},
    {"family glob takes an unknown member",
     {"participant_events.*"},
     "participant_events.hand_raised",
     1},
    {"family glob refuses another family",
     {"participant_events.*"},
     "transcript.data",
     0},
    {"family glob refuses the bare prefix",
     {"participant_events.*"},
     "participant_events",
     0},
    {"exact name takes itself", {"transcript.data"}, "transcript.data", 1},
    {"exact name refuses a longer name",
     {"transcript.data"},
     "transcript.data_extra",
     0},
    {"exact name refuses a sibling",
     {"transcript.data"},
     "transcript.partial_data",
     0},
    {"exact name is case sensitive", {"Transcript.data"}, "transcript.data", 0},
    {"any entry of several may match",
     {"transcript.data", "participant_events.join"},
     "participant_events.join",
     1},
    {"no entry of several matches",
     {"transcript.data", "participant_events.*"},
     "bot.done",
     0},
};

static void subscription_matches_as_specified(void **state)
{
	const struct subscription_case *c = *state;
	struct handler_setup *s = handler_setup_new("h", "good", "{}");
	struct handler h = {.conf = &s->conf};
	size_t n = 0;

	while (n < MAX_PATTERNS && c->patterns[n] != NULL)
		n++;
	handler_setup_events(s, (const char **)c->patterns, n);
	if (handler_subscribes(&h, c->event) != c->subscribed)
		fail_msg("%s: %s should %sbe delivered", c->what, c->event,
			 c->subscribed ? "" : "not ");
	handler_setup_free(s);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_LEN(cases)];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		tests[i] = (struct CMUnitTest){
		    .name = cases[i].what,
		    .test_func = subscription_matches_as_specified,
		    .initial_state = (void *)&cases[i],
		};
	return _cmocka_run_group_tests("loader_subscriptions", tests,
				       ARRAY_LEN(tests), NULL, NULL);
}
