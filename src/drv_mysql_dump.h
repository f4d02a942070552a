/* The schema of a MySQL/MariaDB database as mariadb-dump (mysqldump) writes
 * it with --no-data, cleaned for review. Part of the mysql module. */
#ifndef DBCTL_DRV_MYSQL_DUMP_H
#define DBCTL_DRV_MYSQL_DUMP_H

#include "err.h"
#include "strbuf.h"

struct driver_conn;

/* The driver's dump_schema: runs the client's dump program as the
 * connection's user against its database; none installed is exit 1. */
int my_dump_schema(struct driver_conn *conn, struct strbuf *out, struct err *err) MUST_CHECK;

#endif
