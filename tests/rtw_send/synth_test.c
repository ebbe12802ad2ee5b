/* --synth's meetings, generated in-process: the documented shapes (by an
 * independent checker and by the daemon's parser), exact counts, time
 * order per bot, determinism, and the plausibility of a meeting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "event.h"
#include "feeds.h"
#include "synth.h"
#include "synth_shape.h"

static int collect(void *arg, const json_t *event)
{
	return json_array_append_new(arg, json_deep_copy(event));
}

/* The events of a run, in emission order. */
static json_t *generate(unsigned bots, unsigned events, uint64_t seed)
{
	struct synth_spec spec = {bots, events, seed};
	json_t *all = json_array();

	assert_int_equal(synth_generate(&spec, collect, all), 0);
	return all;
}

static char *serialize(const json_t *event)
{
	char *text = json_dumps(event, JSON_COMPACT | SYNTH_JSON_FLAGS);

	assert_non_null(text);
	return text;
}

/* All of a run as the JSON Lines --synth-out writes. */
static char *generate_text(unsigned bots, unsigned events, uint64_t seed)
{
	json_t *all = generate(bots, events, seed), *e;
	size_t i, len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	json_array_foreach(all, i, e)
	{
		char *line = serialize(e);

		fprintf(f, "%s\n", line);
		free(line);
	}
	fclose(f);
	json_decref(all);
	return text;
}

static const char *type_of(const json_t *e)
{
	return json_string_value(json_object_get(e, "event"));
}

static const json_t *payload_of(const json_t *e)
{
	return json_object_get(json_object_get(e, "data"), "data");
}

static const char *bot_of(const json_t *e)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(e, "data"), "bot"), "id"));
}

static void test_synth_every_event_has_the_documented_shape(void **state)
{
	for (uint64_t seed = 1; seed <= 5; seed++) {
		json_t *all = generate(4, 80, seed), *e;
		size_t i;

		json_array_foreach(all, i, e)
		{
			char why[200], *body = serialize(e);
			struct event parsed;

			if (synth_shape_check(e, why, sizeof(why)) != 0)
				fail_msg("seed %llu event %zu: %s: %s",
					 (unsigned long long)seed, i, why,
					 body);
			/* And the daemon takes it as a known, typed event. */
			assert_int_equal(event_parse(&parsed, body,
						     strlen(body), why,
						     sizeof(why)),
					 0);
			assert_int_not_equal(parsed.view.type,
					     RTW_EVENT_UNKNOWN);
			assert_string_equal(parsed.view.bot_id, bot_of(e));
			assert_non_null(parsed.view.participant);
			assert_true(parsed.view.timestamp.has_relative);
			event_clear(&parsed);
			free(body);
		}
		json_decref(all);
	}
}

static void test_synth_gives_exactly_the_events_asked_for(void **state)
{
	static const unsigned sizes[] = {1, 2, 3, 4, 5, 6, 7, 17, 100};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		json_t *all = generate(3, sizes[s], 11);
		json_t *per_bot = json_object(), *e;
		const char *bot;
		size_t i;

		json_array_foreach(all, i, e)
		{
			json_t *n = json_object_get(per_bot, bot_of(e));

			json_object_set_new(per_bot, bot_of(e),
					    json_integer(json_integer_value(n) +
							 1));
		}
		assert_int_equal(json_array_size(all), 3 * sizes[s]);
		assert_int_equal(json_object_size(per_bot), 3);
		json_object_foreach(per_bot, bot, e)
			assert_int_equal(json_integer_value(e), sizes[s]);
		/* The first event of a meeting is always a join. */
		assert_string_equal(type_of(json_array_get(all, 0)),
				    "participant_events.join");
		json_decref(per_bot);
		json_decref(all);
	}
}

static int64_t iso_ms(const char *iso)
{
	struct tm tm = {0};
	int ms = 0;

	assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm));
	assert_int_equal(sscanf(iso + 20, "%3d", &ms), 1);
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void test_synth_timestamps_never_go_back_per_bot(void **state)
{
	json_t *all = generate(6, 300, 21), *e;
	const char *bot = NULL;
	double last = 0, last_replay = 0;
	int64_t start_ms = 0;
	size_t i;

	json_array_foreach(all, i, e)
	{
		char why[128], *body = serialize(e);
		struct event parsed;
		double t, replay;
		const json_t *ts = json_object_get(payload_of(e), "timestamp");

		assert_int_equal(event_parse(&parsed, body, strlen(body), why,
					     sizeof(why)),
				 0);
		t = parsed.view.timestamp.relative;
		assert_int_equal(feeds_event_time(e, &replay), 0);
		if (bot == NULL || strcmp(bot, bot_of(e)) != 0) {
			/* A new meeting starts near relative 0. */
			assert_true(t >= -2.0 && t <= 2.0);
			bot = bot_of(e);
			start_ms = 0;
		} else {
			if (t < last || replay < last_replay)
				fail_msg("event %zu goes back in time: %s", i,
					 body);
		}
		/* absolute - relative is the recording start, constant. */
		if (ts != NULL) {
			int64_t s = iso_ms(json_string_value(json_object_get(
					    ts, "absolute"))) -
				    (int64_t)llround(t * 1000);

			if (start_ms != 0)
				assert_true(llabs(s - start_ms) <= 1);
			start_ms = s;
		}
		last = t;
		last_replay = replay;
		event_clear(&parsed);
		free(body);
	}
	json_decref(all);
}

static void test_synth_is_deterministic_for_a_seed(void **state)
{
	char *a = generate_text(5, 50, 7), *b = generate_text(5, 50, 7);
	char *c = generate_text(5, 50, 8);

	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void test_synth_ids_are_unique_across_bots_and_seeds(void **state)
{
	json_t *seen = json_object();

	for (uint64_t seed = 1; seed <= 3; seed++) {
		json_t *all = generate(50, 1, seed), *e;
		size_t i;

		json_array_foreach(all, i, e)
		{
			const json_t *d = json_object_get(e, "data");
			static const char *const refs[] = {
				"bot", "recording", "realtime_endpoint",
				"participant_events"};

			for (size_t r = 0; r < 4; r++) {
				const json_t *ref = json_object_get(d, refs[r]);
				const char *id = json_string_value(
					json_object_get(ref, "id"));

				assert_null(json_object_get(seen, id));
				json_object_set_new(seen, id, json_true());
			}
		}
		json_decref(all);
	}
	json_decref(seen);
}

/* What one long meeting per bot contains. */
struct coverage {
	json_t *types;   /* type -> count */
	int non_ascii_name, word_absolute, word_relative_only, word_null_end;
	int chat_text;
};

static void cover(struct coverage *c, const json_t *e)
{
	const json_t *p = payload_of(e), *w;
	const json_t *part = json_object_get(p, "participant");
	const char *name = json_string_value(json_object_get(part, "name"));
	const char *text = json_string_value(
		json_object_get(json_object_get(p, "data"), "text"));
	size_t i;

	json_object_set_new(c->types, type_of(e), json_true());
	for (; name != NULL && *name != '\0'; name++)
		c->non_ascii_name |= (unsigned char)*name >= 0x80;
	c->chat_text |= text != NULL && text[0] != '\0';
	json_array_foreach(json_object_get(p, "words"), i, w)
	{
		const json_t *start = json_object_get(w, "start_timestamp");

		c->word_absolute |= json_object_get(start, "absolute") != NULL;
		c->word_relative_only |=
			json_object_get(start, "absolute") == NULL;
		c->word_null_end |=
			json_is_null(json_object_get(w, "end_timestamp"));
	}
}

static void test_synth_meetings_cover_every_documented_event(void **state)
{
	struct coverage c = {json_object(), 0, 0, 0, 0, 0};
	json_t *all = generate(5, 300, 3), *e;
	size_t i;

	json_array_foreach(all, i, e)
		cover(&c, e);
	/* The ten participant event types and both transcript types. */
	assert_int_equal(json_object_size(c.types), 12);
	assert_true(c.non_ascii_name);
	assert_true(c.chat_text);
	assert_true(c.word_absolute);
	assert_true(c.word_relative_only);
	assert_true(c.word_null_end);
	json_decref(c.types);
	json_decref(all);
}

/* Per bot: joins first with email null, leaves last, and an email once
 * known stays on that participant's later events. */
static void test_synth_meeting_follows_a_plausible_order(void **state)
{
	json_t *all = generate(4, 200, 5), *e;
	json_t *email = json_object(); /* bot/participant -> email */
	int in_meeting = 0, saw_other = 0;
	const char *bot = NULL;
	size_t i;

	json_array_foreach(all, i, e)
	{
		const char *type = type_of(e);
		const json_t *part =
			json_object_get(payload_of(e), "participant");
		const char *mail =
			json_string_value(json_object_get(part, "email"));
		char key[96];

		if (bot == NULL || strcmp(bot, bot_of(e)) != 0) {
			bot = bot_of(e);
			saw_other = 0;
			in_meeting = 0;
		}
		snprintf(key, sizeof(key), "%s/%lld", bot,
			 (long long)json_integer_value(
				 json_object_get(part, "id")));
		if (strcmp(type, "participant_events.join") == 0) {
			assert_false(saw_other);
			assert_null(mail);
			in_meeting++;
		} else if (strcmp(type, "participant_events.leave") == 0) {
			in_meeting--;
			saw_other = 1;
		} else {
			assert_true(in_meeting > 0);
			saw_other = 1;
		}
		if (json_object_get(email, key) != NULL)
			assert_string_equal(mail,
					    json_string_value(json_object_get(
						    email, key)));
		if (strcmp(type, "participant_events.update") == 0) {
			assert_non_null(mail);
			json_object_set_new(email, key, json_string(mail));
		}
	}
	assert_true(json_object_size(email) > 0);
	json_decref(email);
	json_decref(all);
}

/* speech_on, partials, the final transcript, speech_off: same speaker,
 * and the partials grow toward the final. */
static void test_synth_utterances_are_well_formed(void **state)
{
	json_t *all = generate(3, 250, 9);
	size_t n = json_array_size(all), utterances = 0;

	for (size_t i = 0; i < n; i++) {
		const json_t *on = json_array_get(all, i);
		const json_t *id = json_object_get(
			json_object_get(payload_of(on), "participant"), "id");
		size_t words = 0, j = i + 1;

		if (strcmp(type_of(on), "participant_events.speech_on") != 0)
			continue;
		for (; strcmp(type_of(json_array_get(all, j)),
			      "transcript.partial_data") == 0;
		     j++) {
			size_t w = json_array_size(json_object_get(
				payload_of(json_array_get(all, j)), "words"));

			assert_true(w >= words);
			words = w;
		}
		assert_string_equal(type_of(json_array_get(all, j)),
				    "transcript.data");
		assert_true(json_array_size(json_object_get(
				    payload_of(json_array_get(all, j)),
				    "words")) >= words);
		assert_string_equal(type_of(json_array_get(all, j + 1)),
				    "participant_events.speech_off");
		for (size_t k = i; k <= j + 1; k++)
			assert_true(json_equal(
				id, json_object_get(
					    json_object_get(
						    payload_of(json_array_get(
							    all, k)),
						    "participant"),
					    "id")));
		utterances++;
	}
	assert_true(utterances > 10);
	json_decref(all);
}

static void test_synth_spec_parsing(void **state)
{
	static const struct spec_case {
		const char *text;
		int ok;
		unsigned bots, events;
		uint64_t seed;
	} cases[] = {
		{"bots=3,events=10", 1, 3, 10, 1},
		{"events=10,bots=3,seed=99", 1, 3, 10, 99},
		{"bots=1,events=1,seed=18446744073709551615", 1, 1, 1,
		 UINT64_MAX},
		{"bots=3", 0, 0, 0, 0},
		{"events=3", 0, 0, 0, 0},
		{"bots=0,events=3", 0, 0, 0, 0},
		{"bots=3,events=0", 0, 0, 0, 0},
		{"bots=3,events=x", 0, 0, 0, 0},
		{"bots=3,events=10,colour=red", 0, 0, 0, 0},
		{"bots=3,bots=4,events=10", 0, 0, 0, 0},
		{"bots=-3,events=10", 0, 0, 0, 0},
		{"", 0, 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct synth_spec spec = {0};
		char why[160] = "";
		int rc = synth_spec_parse(cases[i].text, &spec, why,
					  sizeof(why));

		print_message("spec '%s'\n", cases[i].text);
		assert_int_equal(rc, cases[i].ok ? 0 : -1);
		if (!cases[i].ok) {
			assert_true(why[0] != '\0');
			continue;
		}
		assert_int_equal(spec.bots, cases[i].bots);
		assert_int_equal(spec.events, cases[i].events);
		assert_true(spec.seed == cases[i].seed);
	}
}

#define TEST(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_synth_every_event_has_the_documented_shape),
		TEST(test_synth_gives_exactly_the_events_asked_for),
		TEST(test_synth_timestamps_never_go_back_per_bot),
		TEST(test_synth_is_deterministic_for_a_seed),
		TEST(test_synth_ids_are_unique_across_bots_and_seeds),
		TEST(test_synth_meetings_cover_every_documented_event),
		TEST(test_synth_meeting_follows_a_plausible_order),
		TEST(test_synth_utterances_are_well_formed),
		TEST(test_synth_spec_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
