/* loader_util: fixture module paths and hand-built handler configuration
 * for the loader tests. */
#ifndef RTW_TEST_LOADER_UTIL_H
#define RTW_TEST_LOADER_UTIL_H

#include "config.h"
#include "errlist.h"
#include "handler.h"
#include "scratch.h"

/* The path of fixture module <name>.so (malloc'd). */
char *fixture_module(const char *name);

/* Is the shared object at path loaded in this process right now? */
int still_loaded(const char *path);

/* One handler block and the configuration around it, built by hand: a
 * scratch spool directory, the main config file, and the block at line 12
 * of an included file (errors must name the block's own file). */
struct handler_setup {
	char *spool;
	struct config config;
	struct handler_conf conf;
	struct errlist errs;
};

#define SETUP_MAIN_FILE "/etc/rtwebhookd/rtwebhookd.conf"
#define SETUP_CONF_FILE "/etc/rtwebhookd/handlers.d/test.conf"
#define SETUP_CONF_LINE 12

/* module is a fixture module name (good, init_fails...) or a path;
 * config_json the handler's config group as JSON text. */
struct handler_setup *handler_setup_new(const char *name, const char *module,
					const char *config_json);
/* Replaces the subscription list with the given patterns. */
void handler_setup_events(struct handler_setup *s, const char **patterns,
			  size_t count);
void handler_setup_free(struct handler_setup *s);

#endif
