/* The MySQL/MariaDB module's driver table, and what the table adds around
 * the statement paths of drv_mysql_exec.c: after a failure, the server
 * status read again, because an error packet does not carry it. Kept apart
 * so that the connection code (drv_mysql.c) and the statement code
 * (drv_mysql_exec.c) each depend on the one below, never on each other. */
#include "drv_mysql.h"
#include "drv_mysql_dump.h"
#include "dialect.h"

#include <mysqld_error.h>
#include <string.h>

/* An error packet carries no server status: the library keeps the last OK's,
 * which after a deadlock (1213, the whole transaction rolled back) still
 * says "in a transaction". One round trip that touches no table, after a
 * failure only, reads the server's own status (and the tracker's) again. */
static void refresh_status(struct driver_conn *conn)
{
	struct err ignored;

	err_init(&ignored);
	if (!conn->broken && (my_server_status(conn->my) & SERVER_STATUS_IN_TRANS))
		(void)my_run(conn, "DO 0", my_forever(), &ignored);
}

static int my_query_status(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink,
			   struct err *err)
{
	if (my_query(conn, text, sink, err) == 0)
		return 0;
	refresh_status(conn);
	return -1;
}

static int my_exec_status(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err)
{
	if (my_exec(conn, text, out, err) == 0)
		return 0;
	refresh_status(conn);
	return -1;
}

/* A batch that failed inside a transaction: had the statement committed
 * implicitly before failing (DDL commits first, even when it then fails),
 * the statements before it are committed, and the ERR packet would not say
 * so. The status read again tells: the transaction is gone. Only a deadlock
 * or a lock wait timeout (innodb_rollback_on_timeout) ends it by rolling
 * back; any other way, what came before stays committed. */
static int my_exec_batch_status(struct driver_conn *conn, struct driver_batch *batch, struct err *err)
{
	bool in_trans = my_server_status(conn->my) & SERVER_STATUS_IN_TRANS;
	unsigned int code;

	if (my_exec_batch(conn, batch, err) == 0)
		return 0;
	if (err->code == EXIT_NO_ANSWER) {
		/* lost: no status to read again, and the server rolls the
		 * transaction back, all but what the tracker saw written to
		 * non-transactional tables (MyISAM, Aria) */
		if (in_trans && conn->tracker_on && conn->trx_state[3] == 'w')
			err->partly_applied = true;
		return -1;
	}
	code = mysql_errno(conn->my);
	if (!in_trans || err->partly_applied || conn->broken)
		return -1;
	refresh_status(conn);
	if (conn->broken || (my_server_status(conn->my) & SERVER_STATUS_IN_TRANS) || code == ER_LOCK_DEADLOCK ||
	    code == ER_LOCK_WAIT_TIMEOUT)
		return -1;
	err->partly_applied = true;
	err_hint(err, "this statement ended the transaction before it failed: it commits implicitly (as DDL does, even "
		      "when it fails), so the statements before it stay committed");
	return -1;
}

/* sql_mode, read once on demand (NO_BACKSLASH_ESCAPES for the lexer),
 * through the statement path so that a silent server cannot hang it. */
static const char *my_parameter(struct driver_conn *conn, const char *name)
{
	struct err err;

	if (strcmp(name, "sql_mode") != 0 || conn->broken)
		return NULL;
	err_init(&err);
	if (!conn->sql_mode && my_read_session(conn, &err) != 0)
		return NULL;
	return conn->sql_mode;
}

static const struct driver mysql_driver = {
	.abi_version = DRIVER_ABI_VERSION,
	.name = "mysql",
	.display_name = "MySQL/MariaDB",
	.dialect = &mysql_dialect,
	.connect = my_connect,
	.ping = my_ping,
	.exec = my_exec_status,
	.begin = my_begin,
	.commit = my_commit,
	.rollback = my_rollback,
	.cancel = my_cancel,
	.server_stats = my_server_stats,
	.exec_batch = my_exec_batch_status,
	.quote = my_quote,
	.query = my_query_status,
	.transaction_state = my_transaction_state,
	.transaction_wrote = my_transaction_wrote,
	.watch_writes = my_watch_writes,
	.close = my_close_conn,
	.parameter = my_parameter,
	.session_shared = NULL,
	.dump_schema = my_dump_schema,
};

__attribute__((visibility("default"))) const struct driver *dbctl_driver_entry(void);
const struct driver *dbctl_driver_entry(void)
{
	return &mysql_driver;
}
