/* Removing the jsonl sink's "_rtwebhookd" member keeps every other byte
 * of the event: table-driven over where the member sits and what it and
 * its neighbours contain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonraw.h"

static const struct strip_case {
	const char *name;
	const char *in;
	const char *out; /* NULL: unchanged, the function returns 0 */
} cases[] = {
	{"sink line (first member)",
	 "{\"_rtwebhookd\":{\"seq\":42,\"received_at_ms\":1795712288737},"
	 "\"event\":\"transcript.data\",\"data\":{\"a\":1}}",
	 "{\"event\":\"transcript.data\",\"data\":{\"a\":1}}"},
	{"middle member, spaces kept around the rest",
	 "{ \"event\": \"x\", \"_rtwebhookd\": {\"seq\": 1} , \"data\": {} }",
	 "{ \"event\": \"x\", \"data\": {} }"},
	{"last member",
	 "{\"event\":\"x\",\"data\":{},\"_rtwebhookd\":{\"seq\":1}}",
	 "{\"event\":\"x\",\"data\":{}}"},
	{"only member", "{\"_rtwebhookd\":{\"seq\":1}}", "{}"},
	{"braces and quotes inside strings",
	 "{\"_rtwebhookd\":{\"note\":\"}{\\\"]\",\"x\":[1,{\"y\":\"}\"}]},"
	 "\"event\":\"a}b\"}",
	 "{\"event\":\"a}b\"}"},
	{"a nested member of that name stays",
	 "{\"event\":\"x\",\"data\":{\"_rtwebhookd\":1}}", NULL},
	{"a string value equal to the name stays",
	 "{\"event\":\"_rtwebhookd\",\"data\":{}}", NULL},
	{"a longer key with the name as prefix stays",
	 "{\"_rtwebhookd2\":1,\"event\":\"x\"}", NULL},
	{"scalar member", "{\"_rtwebhookd\":null,\"event\":\"x\"}",
	 "{\"event\":\"x\"}"},
	{"absent", "{\"event\":\"x\",\"data\":{}}", NULL},
};

static void test_jsonraw_removes_exactly_the_member(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct strip_case *c = &cases[i];
		char *text = strdup(c->in);
		size_t len = strlen(text);
		int rc = jsonraw_remove_member(text, &len, "_rtwebhookd");

		print_message("case: %s\n", c->name);
		assert_int_equal(rc, c->out != NULL ? 1 : 0);
		assert_string_equal(text, c->out != NULL ? c->out : c->in);
		assert_int_equal(len, strlen(text));
		free(text);
	}
}

static void test_jsonraw_output_is_valid_json(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = strdup(cases[i].in);
		size_t len = strlen(text);
		json_t *j;

		jsonraw_remove_member(text, &len, "_rtwebhookd");
		j = json_loadb(text, len, 0, NULL);
		assert_non_null(j);
		assert_null(json_object_get(j, "_rtwebhookd"));
		json_decref(j);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonraw_removes_exactly_the_member),
		cmocka_unit_test(test_jsonraw_output_is_valid_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
