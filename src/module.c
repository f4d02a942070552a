/* Modules: each backend's client library (and libedit, for the shell) is linked into its own .so,
 * opened here on first use. Linking libpq into the binary would cost every
 * Redis or SQLite probe ~5 ms of loading krb5, ldap and gnutls. */
#include "module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int module_dir(char *out, size_t size, struct err *err)
{
	const char *env = getenv("DBCTL_MODULE_DIR");
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return 0;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return err_set(err, EXIT_USAGE, "cannot find the dbctl executable to locate driver modules");
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(out, size, "%s/../lib/dbctl", exe) >= size)
		return err_set(err, EXIT_USAGE, "the path of the dbctl executable is too long");
	return 0;
}

void *module_symbol(const char *short_name, const char *symbol, struct err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	void *handle, *found;

	if (module_dir(dir, sizeof(dir), err) != 0)
		return NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/dbctl-%s.so", dir, short_name) >= sizeof(path)) {
		err_set(err, EXIT_USAGE, "module path too long");
		return NULL;
	}
	/* lazy binding: a probe calls a handful of libpq's functions, not all of them */
	handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (!handle) {
		err_set(err, EXIT_USAGE, "cannot load the %s module: %s", short_name, dlerror());
		err_hint(err, "dbctl looks for its modules in %s (or $DBCTL_MODULE_DIR)", dir);
		return NULL;
	}
	found = dlsym(handle, symbol);
	if (!found) {
		err_set(err, EXIT_USAGE, "module '%s' does not match this dbctl; reinstall it", path);
		dlclose(handle);
	}
	return found;
}

const struct driver *module_load(const char *short_name, struct err *err)
{
	const struct driver *driver;
	driver_entry_fn entry;

	*(void **)&entry = module_symbol(short_name, DRIVER_ENTRY_SYMBOL, err);
	if (!entry)
		return NULL;
	driver = entry();
	if (!driver || driver->abi_version != DRIVER_ABI_VERSION) {
		err_set(err, EXIT_USAGE, "the %s driver module does not match this dbctl; reinstall it", short_name);
		return NULL;
	}
	return driver;
}
