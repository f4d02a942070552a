/* MySQL/MariaDB pool stats (findings §6): the budget from GLOBAL_STATUS,
 * which any user may read; the per-state breakdown from PROCESSLIST and
 * INNODB_TRX, which need PROCESS to show other users' threads. */
#include "drv_mysql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One round trip for everything a user without privileges may read. */
static const char stats_sql[] =
	"SELECT @@max_connections,"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED'),"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_RUNNING'),"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'MAX_USED_CONNECTIONS'),"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'ABORTED_CONNECTS'),"
	" @@SESSION.max_user_connections, @@wait_timeout, @@version,"
	" (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'PROCESS'),"
	" (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND NOT IN ('Sleep', 'Daemon')),"
	" (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Sleep'),"
	/* max_user_connections counts the account's connections; PROCESSLIST
	 * names the user, not the account's host pattern, so this counts the
	 * user's from every host (an upper bound), and any user sees its own */
	" (SELECT COUNT(*) FROM information_schema.PROCESSLIST"
	" WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND COMMAND <> 'Daemon')";

/* Needs PROCESS: without it INNODB_TRX is refused (1227). */
static const char idle_trx_sql[] =
	"SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(SECOND, t.trx_started, NOW())), 0)"
	" FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
	" WHERE p.COMMAND = 'Sleep'";

/* Runs sql and copies its one row into cells (each malloc'd; NULL for SQL NULL). */
static int one_row(struct driver_conn *conn, const char *sql, char **cells, unsigned int count, struct err *err)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	double deadline = my_forever();
	int ret = 0, status;
	unsigned int i;

	status = mysql_real_query_start(&ret, conn->my, sql, (unsigned long)strlen(sql));
	while (status) {
		int ready = my_await(conn, status, deadline, err);

		if (!ready)
			return -1;
		status = mysql_real_query_cont(&ret, conn->my, ready);
	}
	if (ret == 0) {
		status = mysql_store_result_start(&res, conn->my);
		while (status) {
			int ready = my_await(conn, status, deadline, err);

			if (!ready)
				return -1;
			status = mysql_store_result_cont(&res, conn->my, ready);
		}
	}
	if (!res)
		return my_error(conn, err);
	row = mysql_fetch_row(res);
	if (!row || mysql_num_fields(res) != count) {
		mysql_free_result(res);
		return err_set(err, EXIT_FAILED, "pool stats: unexpected answer from the server");
	}
	for (i = 0; i < count; i++)
		cells[i] = row[i] ? strdup(row[i]) : NULL;
	mysql_free_result(res);
	return 0;
}

static void free_cells(char **cells, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		free(cells[i]);
}

static long number(const char *s)
{
	return s ? atol(s) : -1;
}

int my_server_stats(struct driver_conn *conn, struct driver_server_stats *out, struct err *err)
{
	char *c[12] = { 0 }, *t[2] = { 0 };
	const char *info = mysql_get_server_info(conn->my);
	bool process;
	long max_user;

	memset(out, 0, sizeof(*out));
	if (conn->broken)
		return err_set(err, EXIT_NO_ANSWER, "the connection was closed after an earlier failure");
	if (one_row(conn, stats_sql, c, 12, err) != 0)
		return -1;
	snprintf(out->version, sizeof(out->version), "%s %s", info && strstr(info, "MariaDB") ? "MariaDB" : "MySQL",
		 c[7] ? c[7] : "?");
	out->max_connections = number(c[0]);
	/* ordinary users get every slot; the one beyond is SUPER's */
	out->reserved = 0;
	out->in_use = number(c[1]);
	out->in_use_hidden = 0;   /* THREADS_CONNECTED counts every user's: exact */
	process = number(c[8]) > 0;
	driver_stat_add(out, "threads_running", true, "%ld", number(c[2]));
	driver_stat_add(out, "max_used_connections", true, "%ld", number(c[3]));
	driver_stat_add(out, "aborted_connects", true, "%ld", number(c[4]));
	if (process) {
		driver_stat_add(out, "active", true, "%ld", number(c[9]));
		driver_stat_add(out, "idle", true, "%ld", number(c[10]));
		if (one_row(conn, idle_trx_sql, t, 2, err) != 0) {
			free_cells(c, 12);
			return -1;
		}
		driver_stat_add(out, "idle_in_transaction", true, "%ld", number(t[0]));
		driver_stat_add(out, "oldest_idle_in_transaction_s", true, "%ld", number(t[1]));
		free_cells(t, 2);
	} else {
		driver_stat_add(out, "active", false, "unknown (needs PROCESS)");
		driver_stat_add(out, "idle", false, "unknown (needs PROCESS)");
		driver_stat_add(out, "idle_in_transaction", false, "unknown (needs PROCESS)");
		driver_stat_add(out, "oldest_idle_in_transaction_s", false, "unknown (needs PROCESS)");
	}
	max_user = number(c[5]);
	driver_stat_add(out, "max_user_connections", true, "%ld", max_user);
	driver_stat_add(out, "wait_timeout", true, "%ld", number(c[6]));
	/* for the command's generic questions: does N fit the account's own
	 * limit (1226 comes before the global 1040), and does pool_recycle
	 * retire a connection before the server closes it idle */
	if (max_user > 0) {
		out->account_limit = max_user;
		out->account_in_use = number(c[11]);
	}
	out->idle_timeout_s = number(c[6]) > 0 ? number(c[6]) : 0;
	if (!process)
		driver_stat_add(out, "hint", false, "grant PROCESS for the per-state breakdown "
				"(GRANT PROCESS ON *.* TO <user>)");
	free_cells(c, 12);
	return 0;
}
