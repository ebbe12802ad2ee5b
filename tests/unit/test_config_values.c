/* test_config_values.c: what a loaded configuration holds: defaults for
 * absent sections, every key as written, @include, the handler `config`
 * group as JSON, and the accepted range of each number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "unit_helpers.h"

#define CONFIG_DIR RTW_TEST_SOURCE_DIR "/config"

struct int_field {
	const char *name;
	size_t offset;
	int64_t expected;
};

#define FIELD(f, v) {#f, offsetof(struct config, f), v}

static int64_t field_value(const struct config *c, const struct int_field *f)
{
	int64_t v;

	memcpy(&v, (const char *)c + f->offset, sizeof(v));
	return v;
}

static struct config *load_ok(const char *path)
{
	struct errlist errs = {0};
	struct config *conf = config_load(path, &errs);

	unit_errlist_print(&errs);
	assert_non_null(conf);
	errlist_free(&errs);
	return conf;
}

static void assert_int_fields(const struct config *c,
			      const struct int_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (field_value(c, &fields[i]) != fields[i].expected)
			fail_msg("%s is %lld, expected %lld", fields[i].name,
				 (long long)field_value(c, &fields[i]),
				 (long long)fields[i].expected);
	}
}

static void assert_strings(const struct string_list *l,
			   const char *const *expected, size_t n)
{
	assert_int_equal(l->count, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->items[i], expected[i]);
}

static int token_accepted(const struct endpoint_conf *ep, const char *t)
{
	return secret_token_matches(ep->tokens, ep->ntokens, t, strlen(t));
}

static void assert_key(const struct signing_key *k, const char *bytes)
{
	assert_int_equal(k->len, strlen(bytes));
	assert_memory_equal(k->bytes, bytes, k->len);
}

static void test_absent_sections_take_their_defaults(void **state)
{
	static const struct int_field defaults[] = {
		FIELD(listen_port, 8080),     FIELD(max_body_bytes, 1048576),
		FIELD(max_connections, 1024), FIELD(timeout_s, 10),
		FIELD(dedup_window_s, 900),
	};
	struct config *c = load_ok(CONFIG_DIR "/valid/minimal.conf");

	assert_int_fields(c, defaults, sizeof(defaults) / sizeof(*defaults));
	assert_string_equal(c->listen_address, "127.0.0.1");
	assert_string_equal(c->spool_dir, "/var/lib/rtwebhookd/spool");
	assert_int_equal(c->fsync, FSYNC_BATCH);
	assert_int_equal(c->nhandlers, 0);
	config_free(c);
}

static void test_endpoint_defaults_feed_all_handlers_with_300s_tolerance(
	void **state)
{
	struct config *c = load_ok(CONFIG_DIR "/valid/minimal.conf");

	assert_int_equal(c->nendpoints, 1);
	assert_string_equal(c->endpoints[0].path, "/recall/events");
	assert_int_equal(c->endpoints[0].handlers.count, 0);
	assert_int_equal(c->endpoints[0].signature_tolerance_s, 300);
	assert_int_equal(c->endpoints[0].nsigning_keys, 0);
	assert_true(token_accepted(&c->endpoints[0], "minimal-token"));
	config_free(c);
}

static void test_every_top_level_key_is_read_as_written(void **state)
{
	static const struct int_field written[] = {
		FIELD(listen_port, 9090),   FIELD(max_body_bytes, 65536),
		FIELD(max_connections, 16), FIELD(timeout_s, 30),
		FIELD(dedup_window_s, 60),
	};
	struct config *c = load_ok(CONFIG_DIR "/valid/full.conf");

	assert_int_fields(c, written, sizeof(written) / sizeof(*written));
	assert_string_equal(c->listen_address, "0.0.0.0");
	assert_string_equal(c->spool_dir, "/srv/rtw/spool");
	assert_int_equal(c->fsync, FSYNC_ALWAYS);
	config_free(c);
}

static void test_every_endpoint_key_is_read_as_written(void **state)
{
	static const char *const handlers[] = {"captions"};
	struct config *c = load_ok(CONFIG_DIR "/valid/full.conf");
	const struct endpoint_conf *ep = &c->endpoints[0];

	assert_int_equal(c->nendpoints, 2);
	assert_string_equal(ep->path, "/recall/events");
	assert_int_equal(ep->ntokens, 2);
	assert_true(token_accepted(ep, "token-one"));
	assert_true(token_accepted(ep, "token-two"));
	assert_false(token_accepted(ep, "token-three"));
	assert_int_equal(ep->nsigning_keys, 2);
	assert_key(&ep->signing_keys[0], "test-recall-secret");
	assert_key(&ep->signing_keys[1], "AB");
	assert_int_equal(ep->signature_tolerance_s, 120);
	assert_strings(&ep->handlers, handlers, 1);
	assert_string_equal(c->endpoints[1].path, "/recall/other");
	config_free(c);
}

static void test_every_handler_key_is_read_as_written(void **state)
{
	static const char *const events[] = {"transcript.data",
					     "participant_events.*"};
	struct config *c = load_ok(CONFIG_DIR "/valid/full.conf");
	const struct handler_conf *h = &c->handlers[1];

	assert_int_equal(c->nhandlers, 2);
	assert_string_equal(c->handlers[0].name, "archive");
	assert_string_equal(c->handlers[0].module, "jsonl");
	assert_string_equal(h->name, "captions");
	assert_string_equal(h->module, "/opt/rtw/transcript.so");
	assert_strings(&h->events, events, 2);
	assert_int_equal(h->workers, 4);
	assert_int_equal(h->retry_first_ms, 250);
	assert_int_equal(h->retry_max_ms, 60000);
	assert_string_equal(json_string_value(json_object_get(h->config, "dir")),
			    "/srv/rtw/transcripts");
	config_free(c);
}

static void test_handler_without_events_or_config_gets_star_and_empty_object(
	void **state)
{
	static const char *const star[] = {"*"};
	struct config *c = load_ok(CONFIG_DIR "/valid/include.conf");
	const struct handler_conf *h = &c->handlers[0];

	assert_strings(&h->events, star, 1);
	assert_true(json_is_object(h->config));
	assert_int_equal(json_object_size(h->config), 0);
	config_free(c);
}

static void test_handler_defaults_to_one_worker_and_100ms_to_30s_retries(
	void **state)
{
	struct config *c = load_ok(CONFIG_DIR "/valid/include.conf");
	const struct handler_conf *h = &c->handlers[0];

	assert_int_equal(h->workers, 1);
	assert_int_equal(h->retry_first_ms, 100);
	assert_int_equal(h->retry_max_ms, 30000);
	config_free(c);
}

static void test_include_is_resolved_against_the_including_file(void **state)
{
	static const char *const handlers[] = {"archive"};
	struct config *c = load_ok(CONFIG_DIR "/valid/include.conf");

	assert_int_equal(c->nendpoints, 1);
	assert_string_equal(c->endpoints[0].path, "/from-include");
	assert_true(token_accepted(&c->endpoints[0], "included-token"));
	assert_strings(&c->endpoints[0].handlers, handlers, 1);
	config_free(c);
}

static void test_hex_integers_are_read(void **state)
{
	struct config *c = load_ok(CONFIG_DIR "/valid/comments_and_types.conf");

	assert_int_equal(c->listen_port, 8080);
	config_free(c);
}

static void test_handler_index_finds_names_and_misses_others(void **state)
{
	struct config *c = load_ok(CONFIG_DIR "/valid/full.conf");

	assert_int_equal(config_handler_index(c, "archive"), 0);
	assert_int_equal(config_handler_index(c, "captions"), 1);
	assert_int_equal(config_handler_index(c, "Archive"), -1);
	assert_int_equal(config_handler_index(c, ""), -1);
	config_free(c);
}

/* The handler `config` group of handler_config.conf, as JSON. */
static json_t *typed_handler_config(struct config **c)
{
	*c = load_ok(CONFIG_DIR "/valid/handler_config.conf");
	assert_int_equal((*c)->nhandlers, 1);
	return (*c)->handlers[0].config;
}

static void test_handler_config_scalars_become_json_scalars(void **state)
{
	struct config *c;
	json_t *j = typed_handler_config(&c);

	assert_string_equal(json_string_value(json_object_get(j, "path")),
			    "/tmp/out.jsonl");
	assert_true(json_is_integer(json_object_get(j, "count")));
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 42);
	assert_true(json_integer_value(json_object_get(j, "big")) ==
		    5000000000LL);
	assert_true(json_is_real(json_object_get(j, "ratio")));
	assert_true(json_real_value(json_object_get(j, "ratio")) == 0.25);
	assert_true(json_is_true(json_object_get(j, "enabled")));
	assert_true(json_is_false(json_object_get(j, "disabled")));
	assert_int_equal(json_object_size(j), 9);
	config_free(c);
}

static void test_handler_config_arrays_and_lists_become_json_arrays(
	void **state)
{
	struct config *c;
	json_t *j = typed_handler_config(&c);
	json_t *tags = json_object_get(j, "tags");
	json_t *mixed = json_object_get(j, "mixed");

	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(json_string_value(json_array_get(tags, 1)), "b");
	assert_int_equal(json_array_size(mixed), 3);
	assert_int_equal(json_integer_value(json_array_get(mixed, 0)), 1);
	assert_string_equal(json_string_value(json_array_get(mixed, 1)),
			    "two");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(mixed, 2), "three")),
			 3);
	config_free(c);
}

static void test_handler_config_nested_groups_become_json_objects(
	void **state)
{
	struct config *c;
	json_t *j = typed_handler_config(&c);
	json_t *nested = json_object_get(j, "nested");

	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(nested, "inner"), "depth")),
			 2);
	assert_true(json_is_object(json_object_get(nested, "empty")));
	assert_int_equal(json_object_size(json_object_get(nested, "empty")),
			 0);
	config_free(c);
}

/* A configuration text with one setting varied, accepted or refused. */
struct variant {
	const char *setting;
	int accepted;
};

#define HANDLER(keys) "handlers = ({ module = \"jsonl\"; " keys " });"

static const struct variant range_cases[] = {
	{"listen = { port = 0; };", 1},
	{"listen = { port = 65535; };", 1},
	{"listen = { port = 65536; };", 0},
	{"listen = { port = -1; };", 0},
	{"listen = { port = 8080L; };", 1},
	{"limits = { max_body_bytes = 64; };", 1},
	{"limits = { max_body_bytes = 63; };", 0},
	{"limits = { max_body_bytes = 67108864; };", 1},
	{"limits = { max_body_bytes = 67108865; };", 0},
	{"limits = { max_connections = 1; };", 1},
	{"limits = { max_connections = 65537; };", 0},
	{"limits = { timeout_s = 1; };", 1},
	{"limits = { timeout_s = 3600; };", 1},
	{"limits = { timeout_s = 3601; };", 0},
	{"dedup = { window_s = 0; };", 1},
	{"dedup = { window_s = 604800; };", 1},
	{"dedup = { window_s = 604801; };", 0},
	{"spool = { fsync = \"off\"; };", 1},
	{"spool = { fsync = \"always\"; };", 1},
	{"spool = { fsync = \"Batch\"; };", 0},
	{HANDLER("name = \"h\"; workers = 1;"), 1},
	{HANDLER("name = \"h\"; workers = 64;"), 1},
	{HANDLER("name = \"h\"; workers = 0;"), 0},
	{HANDLER("name = \"h\"; workers = 65;"), 0},
	{HANDLER("name = \"h\"; retry_first_ms = 0;"), 0},
	{HANDLER("name = \"h\"; retry_max_ms = 3600000;"), 1},
	{HANDLER("name = \"h\"; retry_max_ms = 3600001;"), 0},
};

static const struct variant handler_name_cases[] = {
	{HANDLER("name = \"a\";"), 1},
	{HANDLER("name = \"Archive_2.old-copy\";"), 1},
	{HANDLER("name = \"" "0123456789012345678901234567890123456789"
		 "012345678901234567890123\";"), 1},
	{HANDLER("name = \"" "0123456789012345678901234567890123456789"
		 "0123456789012345678901234\";"), 0},
	{HANDLER("name = \"\";"), 0},
	{HANDLER("name = \"two words\";"), 0},
	{HANDLER("name = \"a/b\";"), 0},
	{HANDLER("name = \"semi;colon\";"), 0},
	{HANDLER("name = \"caf\u00e9\";"), 0},
	{HANDLER("name = \"tab\\there\";"), 0},
};

/* Loads each variant, next to one valid endpoint, from a scratch file. */
static void assert_variants(const struct variant *cases, size_t n)
{
	char *dir = unit_tempdir_create();

	for (size_t i = 0; i < n; i++) {
		struct errlist errs = {0};
		char text[512];
		char *path;
		struct config *c;

		snprintf(text, sizeof(text), "%s\nendpoints = ({ path = "
			 "\"/e\"; tokens = [\"t\"]; });\n",
			 cases[i].setting);
		path = unit_write_file(dir, "variant.conf", text);
		c = config_load(path, &errs);
		if ((c != NULL) != cases[i].accepted) {
			unit_errlist_print(&errs);
			fail_msg("'%s' should be %s", cases[i].setting,
				 cases[i].accepted ? "accepted" : "refused");
		}
		config_free(c);
		errlist_free(&errs);
		free(path);
	}
	unit_tempdir_remove(dir);
}

static void test_numbers_are_accepted_exactly_within_their_range(
	void **state)
{
	assert_variants(range_cases, sizeof(range_cases) / sizeof(*range_cases));
}

static void test_handler_names_are_1_to_64_of_a_safe_alphabet(void **state)
{
	assert_variants(handler_name_cases, sizeof(handler_name_cases) /
						    sizeof(*handler_name_cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_sections_take_their_defaults),
		cmocka_unit_test(
			test_endpoint_defaults_feed_all_handlers_with_300s_tolerance),
		cmocka_unit_test(test_every_top_level_key_is_read_as_written),
		cmocka_unit_test(test_every_endpoint_key_is_read_as_written),
		cmocka_unit_test(test_every_handler_key_is_read_as_written),
		cmocka_unit_test(
			test_handler_without_events_or_config_gets_star_and_empty_object),
		cmocka_unit_test(
			test_handler_defaults_to_one_worker_and_100ms_to_30s_retries),
		cmocka_unit_test(
			test_include_is_resolved_against_the_including_file),
		cmocka_unit_test(test_hex_integers_are_read),
		cmocka_unit_test(
			test_handler_index_finds_names_and_misses_others),
		cmocka_unit_test(
			test_handler_config_scalars_become_json_scalars),
		cmocka_unit_test(
			test_handler_config_arrays_and_lists_become_json_arrays),
		cmocka_unit_test(
			test_handler_config_nested_groups_become_json_objects),
		cmocka_unit_test(
			test_numbers_are_accepted_exactly_within_their_range),
		cmocka_unit_test(
			test_handler_names_are_1_to_64_of_a_safe_alphabet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
