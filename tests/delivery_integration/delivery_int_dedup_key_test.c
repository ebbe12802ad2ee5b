/* The dedup key reaches handlers (struct rtw_event.dedup_key, ABI 1.1):
 * "id:<webhook-id>" when the request carried one, else "body:<32 hex>",
 * the same whether the event comes from memory or, after a restart, from
 * the spool. The flaky module (show_key = true) writes the key it got as
 * the text of its output line: "<seq> <bot> <type> <key>". */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dint_util.h"

static const char handlers[] =
    "handlers = ( { name = \"flaky\"; module = \"@FLAKY@\";\n"
    "  config = { out = \"@DIR@/out.txt\"; show_key = true;\n"
    "             retry_bot = \"bot-down\"; down_file = \"@DIR@/down\"; };"
    " } );\n";

static int setup(void **state)
{
	return dint_setup(state, handlers);
}

static long post_with_id(struct daemon *d, const char *bot, int idx,
			 const char *id)
{
	char body[2048], header[128];
	const char *headers[] = {header, NULL};
	size_t len = dint_event(bot, idx, body, sizeof(body));

	snprintf(header, sizeof(header), "webhook-id: %s", id);
	return dint_post(d->port, body, len, id != NULL ? headers : NULL, NULL,
			 0);
}

/* The key flaky wrote for bot's events, in order, into keys[]. */
static size_t keys_of(struct daemon *d, const char *bot, char keys[][256],
		      size_t max)
{
	struct flaky_line *lines;
	char path[512];
	size_t n, alarms, found = 0;

	lines = flaky_read(daemon_path(d, "out.txt", path, sizeof(path)), &n,
			   &alarms);
	assert_non_null(lines);
	for (size_t i = 0; i < n && found < max; i++)
		if (strcmp(lines[i].bot, bot) == 0)
			snprintf(keys[found++], 256, "%s", lines[i].text);
	free(lines);
	return found;
}

static int is_body_key(const char *key)
{
	if (strncmp(key, "body:", 5) != 0 || strlen(key) != 5 + 32)
		return 0;
	for (const char *p = key + 5; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p))
			return 0;
	return 1;
}

static void wait_lines(struct daemon *d, size_t n)
{
	char path[512];

	if (harness_wait_count(daemon_path(d, "out.txt", path, sizeof(path)),
			       "\n", n, 10000) < n)
		fail_msg("flaky wrote fewer than %zu lines", n);
}

static void handlers_get_the_webhook_id_or_a_body_digest(void **state)
{
	struct daemon *d = *state;
	char keys[4][256];

	assert_int_equal(post_with_id(d, "bot-k", 0, "msg_key_0"), 200);
	assert_int_equal(post_with_id(d, "bot-k", 1, NULL), 200);
	assert_int_equal(post_with_id(d, "bot-k", 2, NULL), 200);
	wait_lines(d, 3);
	assert_int_equal(keys_of(d, "bot-k", keys, 4), 3);
	assert_string_equal(keys[0], "id:msg_key_0");
	if (!is_body_key(keys[1]) || !is_body_key(keys[2]))
		fail_msg("want body:<32 hex>, got '%s' and '%s'", keys[1],
			 keys[2]);
	/* Different bodies, different digests. */
	assert_string_not_equal(keys[1], keys[2]);
}

static void the_key_survives_the_spool(void **state)
{
	struct daemon *d = *state;
	char down[512], keys[4][256];

	/* Handled only after a restart: read back from the spool. */
	daemon_path(d, "down", down, sizeof(down));
	assert_int_equal(harness_write_file(down, "", 0), 0);
	assert_int_equal(post_with_id(d, "bot-down", 0, "msg_key_spool"), 200);
	assert_int_equal(post_with_id(d, "bot-down", 1, NULL), 200);
	assert_int_equal(daemon_stop(d), 0);
	assert_int_equal(keys_of(d, "bot-down", keys, 4), 0);
	assert_int_equal(unlink(down), 0);
	assert_int_equal(daemon_start(d, NULL), 0);
	wait_lines(d, 2);
	assert_int_equal(keys_of(d, "bot-down", keys, 4), 2);
	assert_string_equal(keys[0], "id:msg_key_spool");
	assert_true(is_body_key(keys[1]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		handlers_get_the_webhook_id_or_a_body_digest, setup,
		daemon_teardown),
	    cmocka_unit_test_setup_teardown(the_key_survives_the_spool, setup,
					    daemon_teardown),
	};

	return cmocka_run_group_tests_name("delivery_int_dedup_key", tests,
					   NULL, NULL);
}
