/* The schema file: the database's schema plus the tracking rows, written
 * after migrations for review in a diff, and loaded into an empty database
 * instead of replaying every migration. */
#ifndef DBCTL_MIGRATE_SCHEMA_H
#define DBCTL_MIGRATE_SCHEMA_H

#include "engine.h"
#include "migrate.h"
#include "script.h"

/* Writes path (through a temporary file beside it, renamed, so a reader
 * never sees half of one): the backend's schema, then an INSERT of every
 * applied tracking row. A backend that cannot dump its schema: exit 3. */
int migrate_schema_dump(struct engine *engine, const struct migrate_options *options, const char *path,
			struct err *err) MUST_CHECK;

/* Runs path in one transaction, as `run` does, into a database whose
 * tracking table does not exist yet (else exit 1, nothing sent). */
int migrate_schema_load(struct engine *engine, const struct migrate_options *options, const char *path,
			struct script_summary *summary, struct err *err) MUST_CHECK;

#endif
