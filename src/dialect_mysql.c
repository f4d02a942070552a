/* MySQL's and MariaDB's dialect: the mysql client's statement boundaries,
 * backtick names, and a catalogue read from information_schema (which
 * every user may read, each seeing what it has rights on). No migrate
 * support yet (migration NULL): the tracking table and GET_LOCK come later.
 * Linked into the mysql module. */
#include "dialect.h"

#include <string.h>

/* The server's own schemas, left out of completion and \dn. */
#define MY_SYSTEM_SCHEMAS "('information_schema', 'performance_schema', 'mysql', 'sys')"

/* Names in the current database complete unqualified. */
static const char completion_sql[] =
	"SELECT 's', SCHEMA_NAME, NULL, NULL, 't' FROM information_schema.SCHEMATA"
	" WHERE SCHEMA_NAME NOT IN " MY_SYSTEM_SCHEMAS
	" UNION ALL"
	" SELECT 'r', TABLE_SCHEMA, NULL, TABLE_NAME, CASE WHEN TABLE_SCHEMA = DATABASE() THEN 't' END"
	" FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN " MY_SYSTEM_SCHEMAS
	" UNION ALL"
	" (SELECT 'c', TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, CASE WHEN TABLE_SCHEMA = DATABASE() THEN 't' END"
	" FROM information_schema.COLUMNS WHERE TABLE_SCHEMA NOT IN " MY_SYSTEM_SCHEMAS " LIMIT 20000)";

#define MY_RELATIONS(types)                                                                                  \
	"SELECT TABLE_SCHEMA AS `Schema`, TABLE_NAME AS `Name`,"                                               \
	" CASE TABLE_TYPE WHEN 'BASE TABLE' THEN 'table' WHEN 'VIEW' THEN 'view' WHEN 'SEQUENCE' THEN 'sequence'" \
	" WHEN 'SYSTEM VERSIONED' THEN 'table' ELSE LOWER(TABLE_TYPE) END AS `Type`, ENGINE AS `Engine`"        \
	" FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN (" types ")"         \
	" ORDER BY 1, 2"

/* \d NAME in the current database (name is a quoted literal). */
static void describe(struct strbuf *sql, const char *name)
{
	strbuf_addf(sql, "SELECT COLUMN_NAME AS `Column`, COLUMN_TYPE AS `Type`,"
			 " CASE WHEN IS_NULLABLE = 'NO' THEN 'not null' ELSE '' END AS `Nullable`,"
			 " CASE WHEN COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL' THEN '' ELSE COLUMN_DEFAULT END AS `Default`,"
			 " CASE COLUMN_KEY WHEN 'PRI' THEN 'primary key' WHEN 'UNI' THEN 'unique' WHEN 'MUL' THEN 'index'"
			 " ELSE '' END AS `Key`"
			 " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
			 " ORDER BY ORDINAL_POSITION",
		    name);
}

/* sql_mode is a comma-separated list, upper-cased by the server. */
static bool no_backslash(const char *value)
{
	const char *p = strstr(value, "NO_BACKSLASH_ESCAPES");

	return p && (p == value || p[-1] == ',') && (p[20] == '\0' || p[20] == ',');
}

const struct dialect mysql_dialect = {
	.lexer = SQLSCAN_MYSQL,
	.rolls_back = true,
	.commit_word = "COMMIT",
	.committed = "committed",
	.commit_hint = "",
	.probe_sql = "SELECT 1",
	.slow_connect = true,   /* a handshake and an auth exchange, TLS often */
	/* NULL: the server reports no sql_mode change, so SQLSCAN_MYSQL follows
	 * SET sql_mode (NO_BACKSLASH_ESCAPES) in the text itself, in the check
	 * and the run pass alike, from one file to the next */
	.strings_setting = NULL,
	/* the server's own default may have NO_BACKSLASH_ESCAPES: the run pass
	 * starts from it, and says so if the check pass split otherwise */
	.start_strings_setting = "sql_mode",
	.start_no_backslash = no_backslash,
	.encoding_setting = NULL,   /* the driver asks for utf8mb4 (charset= in the URL) */
	/* multi-statement batches: the server splits an unquoted value's ';' again */
	.resplits_values = true,
	.error_style = DIALECT_ERRORS_SQL,
	.error_prefix = "ERROR: ",
	.identifier_quote = '`',
	.folds_case = false,   /* table names are case-sensitive on Linux (lower_case_table_names=0) */
	.prompt_idle = "=",
	.prompt_transaction = "*",
	.prompt_failed = "!",
	.prompt_continued = "-",
	.completion_sql = completion_sql,
	.tables_sql = MY_RELATIONS("'BASE TABLE', 'SYSTEM VERSIONED'"),
	.relations_sql = MY_RELATIONS("'BASE TABLE', 'SYSTEM VERSIONED', 'VIEW', 'SEQUENCE'"),
	.schemas_sql = "SELECT SCHEMA_NAME AS `Name`, DEFAULT_CHARACTER_SET_NAME AS `Charset`"
		       " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN " MY_SYSTEM_SCHEMAS " ORDER BY 1",
	.describe = describe,
	.no_catalogue = "",
	.migration = NULL,   /* not yet: migrate refuses MySQL targets */
};
