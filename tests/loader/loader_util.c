/* Fixture modules and hand-built handler configuration. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader_util.h"

char *fixture_module(const char *name)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s.so", LOADER_MODULE_DIR, name) < 0)
		fail_msg("out of memory");
	return path;
}

int still_loaded(const char *path)
{
	void *dl = dlopen(path, RTLD_NOW | RTLD_NOLOAD);

	if (dl == NULL)
		return 0;
	dlclose(dl);
	return 1;
}

static char *dup_or_fail(const char *s)
{
	char *copy = strdup(s);

	assert_non_null(copy);
	return copy;
}

struct handler_setup *handler_setup_new(const char *name, const char *module,
					const char *config_json)
{
	struct handler_setup *s = calloc(1, sizeof(*s));
	static const char *all[] = {"*"};

	assert_non_null(s);
	s->spool = scratch_dir();
	s->config.file = dup_or_fail(SETUP_MAIN_FILE);
	s->config.spool_dir = dup_or_fail(s->spool);
	s->conf.name = dup_or_fail(name);
	s->conf.module = strchr(module, '/') != NULL ? dup_or_fail(module)
						     : fixture_module(module);
	s->conf.config = json_loads(config_json, 0, NULL);
	assert_non_null(s->conf.config);
	s->conf.file = dup_or_fail(SETUP_CONF_FILE);
	s->conf.line = SETUP_CONF_LINE;
	handler_setup_events(s, all, 1);
	return s;
}

static void free_events(struct string_list *events)
{
	for (size_t i = 0; i < events->count; i++)
		free(events->items[i]);
	free(events->items);
	events->items = NULL;
	events->count = 0;
}

void handler_setup_events(struct handler_setup *s, const char **patterns,
			  size_t count)
{
	free_events(&s->conf.events);
	s->conf.events.items = calloc(count + 1, sizeof(char *));
	assert_non_null(s->conf.events.items);
	for (size_t i = 0; i < count; i++)
		s->conf.events.items[i] = dup_or_fail(patterns[i]);
	s->conf.events.count = count;
}

void handler_setup_free(struct handler_setup *s)
{
	if (s == NULL)
		return;
	free_events(&s->conf.events);
	json_decref(s->conf.config);
	free(s->conf.file);
	free(s->conf.module);
	free(s->conf.name);
	free(s->config.spool_dir);
	free(s->config.file);
	errlist_free(&s->errs);
	scratch_remove(s->spool);
	free(s);
}
