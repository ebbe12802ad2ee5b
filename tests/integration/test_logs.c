/* log.format = "json": every line the daemon writes once its configuration
 * is read is one JSON object with ts, level and msg (and component for a
 * handler's lines), rejections included, with their status, reason and
 * client address, and a client's control characters stay escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon_harness.h"

static int setup(void **state)
{
	return daemon_setup(state,
			    "log = { format = \"json\"; };\n" HARNESS_DEFAULT_BODY,
			    NULL);
}

/* The rejections the test provokes, as logged (the newline escaped). */
static const char *const wanted[] = {
	"rejected 404 POST /recall/events\\x0aforged from 127.0.0.1: ",
	"rejected 401 POST /recall/events from 127.0.0.1: wrong token",
};

/* Checks one line; returns a bit per wanted rejection it is. */
static int check_line(const char *line, size_t len)
{
	json_error_t error;
	json_t *o = json_loadb(line, len, 0, &error);
	const char *msg, *level;
	int found;

	if (o == NULL)
		fail_msg("not JSON (%s): %.*s", error.text, (int)len, line);
	msg = json_string_value(json_object_get(o, "msg"));
	level = json_string_value(json_object_get(o, "level"));
	assert_non_null(msg);
	assert_non_null(level);
	assert_non_null(json_string_value(json_object_get(o, "ts")));
	found = 0;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(*wanted); i++)
		if (strstr(msg, wanted[i]) != NULL &&
		    strcmp(level, "notice") == 0)
			found |= 1 << i;
	json_decref(o);
	return found;
}

static void every_line_is_a_json_object(void **state)
{
	struct daemon *d = *state;
	char *log, *line, *next;
	int lines = 0, found = 0;

	/* A path with a newline, to forge a line if it were not escaped. */
	assert_int_equal(http_post(d->port,
				   "/recall/events%0Aforged?token=wrong",
				   "application/json", "{}", 2),
			 404);
	assert_int_equal(http_post(d->port, "/recall/events?token=wrong",
				   "application/json", "{}", 2),
			 401);
	assert_int_equal(daemon_stop(d), 0);
	log = daemon_log(d);
	/* Lines before the configuration was read (its own warnings) are
	 * text; from the first JSON line on, all must be JSON. */
	line = strchr(log, '{');
	assert_non_null(line);
	for (; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		assert_non_null(next); /* every line ends */
		found |= check_line(line, (size_t)(next - line));
		lines++;
		next++;
	}
	free(log);
	assert_true(lines >= 5);
	assert_int_equal(found, 3); /* both rejections, as JSON */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_line_is_a_json_object,
						setup, daemon_teardown),
	};

	return cmocka_run_group_tests_name("integration_logs", tests, NULL,
					   NULL);
}
