/* Module loading: dlopen with RTLD_NOW | RTLD_LOCAL, then ABI checks. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"

#ifndef RTW_BUILD_DIR
#error "RTW_BUILD_DIR must be defined by the build"
#endif

const char *module_dir(void)
{
	static char exe[PATH_MAX];
	const char *env = getenv("RTWEBHOOKD_MODULE_DIR");
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0')
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char build[PATH_MAX];

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		/* /proc/self/exe is resolved: resolve the build dir too, in
		 * case it was reached through a symbolic link. */
		if (slash != NULL && realpath(RTW_BUILD_DIR, build) != NULL) {
			*slash = '\0';
			if (strcmp(exe, build) == 0)
				return RTW_BUILD_MODULE_DIR;
		}
	}
	return RTW_INSTALL_MODULE_DIR;
}

static int resolve(const char *name, char *path, size_t len)
{
	int n;

	if (strchr(name, '/') != NULL)
		n = snprintf(path, len, "%s", name);
	else
		n = snprintf(path, len, "%s/%s.so", module_dir(), name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int check_descriptor(const struct rtw_handler *d, const char *path,
			    char *why, size_t whylen)
{
	if (d == NULL) {
		snprintf(why, whylen, "%s: %s() returned NULL", path,
			 RTW_HANDLER_ENTRY_SYMBOL);
		return -1;
	}
	if (d->abi_version != RTW_HANDLER_ABI_VERSION) {
		snprintf(why, whylen, "%s: built for handler ABI %u, this "
				      "daemon speaks ABI %u; rebuild it "
				      "against this rtwebhookd's handler.h",
			 path, d->abi_version, RTW_HANDLER_ABI_VERSION);
		return -1;
	}
	if (!RTW_HAS_FIELD(d, struct rtw_handler, fini)) {
		snprintf(why, whylen, "%s: descriptor size %zu is smaller "
				      "than ABI %u's minimum %zu",
			 path, d->size, RTW_HANDLER_ABI_VERSION,
			 offsetof(struct rtw_handler, fini) +
				 sizeof(d->fini));
		return -1;
	}
	if (d->init == NULL || d->handle == NULL || d->fini == NULL) {
		snprintf(why, whylen, "%s: descriptor lacks init, handle or "
				      "fini (all three are required)",
			 path);
		return -1;
	}
	return 0;
}

int module_open(struct module *m, const char *name, char *why, size_t whylen)
{
	char path[PATH_MAX];
	rtw_handler_entry_fn entry;
	void *dl = NULL;

	memset(m, 0, sizeof(*m));
	if (resolve(name, path, sizeof(path)) != 0) {
		snprintf(why, whylen, "module name is too long (%zu bytes)",
			 strlen(name));
		return -1;
	}
	if (access(path, F_OK) != 0) {
		snprintf(why, whylen, "module '%s': no file %s", name, path);
		return -1;
	}
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		snprintf(why, whylen, "cannot load %s: %s (check its "
				      "dependencies with: ldd %s)",
			 path, dlerror(), path);
		return -1;
	}
	*(void **)&entry = dlsym(dl, RTW_HANDLER_ENTRY_SYMBOL);
	if (entry == NULL) {
		snprintf(why, whylen, "%s is not an rtwebhookd handler: it "
				      "does not export %s()",
			 path, RTW_HANDLER_ENTRY_SYMBOL);
		goto fail;
	}
	m->desc = entry();
	if (check_descriptor(m->desc, path, why, whylen) != 0)
		goto fail;
	m->path = strdup(path);
	if (m->path == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	m->dl = dl;
	return 0;
fail:
	dlclose(dl);
	memset(m, 0, sizeof(*m));
	return -1;
}

void module_close(struct module *m)
{
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m->path);
	memset(m, 0, sizeof(*m));
}
