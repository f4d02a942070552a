/* The schema of a PostgreSQL database as pg_dump writes it, without the
 * noise that makes two dumps hard to compare. Part of the pg module. */
#ifndef DBCTL_DRV_PG_DUMP_H
#define DBCTL_DRV_PG_DUMP_H

#include "err.h"
#include "strbuf.h"

#include <libpq-fe.h>

/* Runs the pg_dump of the server's major version (--schema-only) against
 * the database pg is connected to, as the same user, and appends what it
 * wrote to out, cleaned. No such pg_dump: -1 with a message naming where
 * it was looked for. The password goes to pg_dump in its environment only. */
int pg_dump_schema(PGconn *pg, struct strbuf *out, struct err *err) MUST_CHECK;

#endif
