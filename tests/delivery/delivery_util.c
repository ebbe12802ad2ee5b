/* Shared helpers of the delivery tests. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "delivery_util.h"

struct stored_event *event_of(const char *bot, int n)
{
	char *body = NULL, why[256] = "";
	struct stored_event *se;
	int len;

	if (bot != NULL)
		len = asprintf(&body,
			       "{\"event\":\"participant_events.join\","
			       "\"data\":{\"bot\":{\"id\":\"%s\"},\"n\":%d}}",
			       bot, n);
	else
		len = asprintf(&body,
			       "{\"event\":\"participant_events.join\","
			       "\"data\":{\"n\":%d}}",
			       n);
	assert_true(len > 0);
	se = stored_event_new(body, (size_t)len, why, sizeof(why));
	if (se == NULL)
		fail_msg("stored_event_new: %s", why);
	if (bot != NULL)
		assert_string_equal(se->ev.view.bot_id, bot);
	return se;
}

int event_number(const struct stored_event *se)
{
	json_t *data = json_object_get(se->ev.json, "data");

	return (int)json_integer_value(json_object_get(data, "n"));
}

int event_refs(struct stored_event *se)
{
	return atomic_load(&se->refs);
}

void make_scratch(char dir[PATH_MAX / 2])
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, PATH_MAX / 2, "%s/rtw-delivery-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp %s failed", dir);
}

void remove_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}
