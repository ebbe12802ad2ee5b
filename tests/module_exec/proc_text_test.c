/* proc_text: child output becomes one line of valid UTF-8 for logs and
 * dead-letter reasons, never cut inside a character. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "proc.h"

struct head_case {
	const char *in;
	int max_lines;
	size_t room; /* dst size */
	const char *want;
};

static const struct head_case head_cases[] = {
    {"one\ntwo\nthree\n", 5, 128, "one | two | three"},
    {"one\ntwo\nthree\n", 2, 128, "one | two..."},
    {"\n\none\r\n\r\ntwo\n\n", 5, 128, "one | two"},
    {"tab\there\x1b[31m\n", 5, 128, "tab\\x09here\\x1b[31m"},
    {"caf\xc3\xa9 ok\n", 5, 128, "caf\xc3\xa9 ok"},
    {"bad \xff\xfe end\n", 5, 128, "bad \\xff\\xfe end"},
    {"overlong \xc0\xaf and surrogate \xed\xa0\x80\n", 5, 128,
     "overlong \\xc0\\xaf and surrogate \\xed\\xa0\\x80"},
    {"truncated \xe2\x82", 5, 128, "truncated \\xe2\\x82"},
    /* 12 bytes of room: 8 of text + "..." + NUL; the euro sign (3
     * bytes) would straddle the cut, so it is left out whole. */
    {"abcdef\xe2\x82\xac more", 5, 12, "abcdef..."},
    {"", 5, 128, ""},
    {"\n\n", 5, 128, ""},
};

static void head_quotes_first_lines_cleanly(void **state)
{
	for (size_t i = 0; i < sizeof(head_cases) / sizeof(*head_cases); i++) {
		const struct head_case *c = &head_cases[i];
		char out[256];
		size_t n;
		json_t *s;

		memset(out, 'Z', sizeof(out));
		n = proc_text_head(out, c->room, c->in, strlen(c->in),
				   c->max_lines);
		if (strcmp(out, c->want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out,
				 c->want);
		assert_int_equal(n, strlen(out));
		assert_true(n < c->room);
		s = json_string(out); /* NULL unless valid UTF-8 */
		assert_non_null(s);
		json_decref(s);
	}
}

static void clean_never_overflows_or_splits_a_character(void **state)
{
	const char *in = "\xe2\x82\xac\xe2\x82\xac\x01";

	for (size_t room = 1; room < 20; room++) {
		char out[32];
		size_t n;
		json_t *s;

		memset(out, 'Z', sizeof(out));
		n = proc_text_clean(out, room, in, strlen(in));
		assert_true(n < room);
		assert_int_equal(out[n], '\0');
		assert_int_equal(out[room], 'Z');
		s = json_string(out);
		assert_non_null(s);
		json_decref(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(head_quotes_first_lines_cleanly),
	    cmocka_unit_test(clean_never_overflows_or_splits_a_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
