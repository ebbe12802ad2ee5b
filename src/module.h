/* module.c: finding and loading handler modules (.so) and checking that
 * they speak this daemon's ABI. */
#ifndef RTW_MODULE_H
#define RTW_MODULE_H

#include <stddef.h>

#include "rtwebhookd/handler.h"

struct module {
	void *dl;
	const struct rtw_handler *desc;
	char *path;
};

/* Where built-in modules live: $RTWEBHOOKD_MODULE_DIR when set; the build
 * tree's handler directory when this binary runs from the build tree; the
 * installed module directory otherwise. */
const char *module_dir(void);

/* Resolves `name` (a built-in name, or a path containing '/') and loads it.
 * Returns 0, or -1 with an operator-readable reason in why (what file,
 * what was expected, what to check); nothing stays loaded on failure. */
int module_open(struct module *m, const char *name, char *why, size_t whylen);
void module_close(struct module *m);

#endif
