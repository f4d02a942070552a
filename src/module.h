/* Loading driver modules, so that a backend's library is loaded only when it is used. */
#ifndef DBCTL_MODULE_H
#define DBCTL_MODULE_H

#include "driver.h"

/* Loads dbctl-<short_name>.so from $DBCTL_MODULE_DIR, else <executable's dir>/../lib/dbctl.
 * The module stays loaded until the process exits. */
const struct driver *module_load(const char *short_name, struct err *err) MUST_CHECK;

/* Loads dbctl-<short_name>.so the same way and finds one exported symbol; NULL with err set. */
void *module_symbol(const char *short_name, const char *symbol, struct err *err) MUST_CHECK;

#endif
