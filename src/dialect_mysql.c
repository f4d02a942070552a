/* MySQL's and MariaDB's dialect: the mysql client's statement boundaries,
 * backtick names, and a catalogue read from information_schema (which
 * every user may read, each seeing what it has rights on), and migrate's
 * tracking table (InnoDB, dbmate's varchar(128) version) and lock (GET_LOCK,
 * polled; the lease row for --lock=table). Linked into the mysql module. */
#include "dialect.h"

#include <string.h>

/* ---- the migration lock: GET_LOCK, a named lock of the session ---- */

/* GET_LOCK names are server-wide, so the database is part of the name;
 * MySQL takes at most 64 characters, so a longer name becomes a hash. The
 * expression is sent again for every check and release: DATABASE() then
 * still names the database the runner started in, unless a migration ran
 * USE, in which case the check fails and the runner stops (safe, if early). */
static void lock_key(struct strbuf *sql, long lock_id, const char *table_literal)
{
	if (lock_id) {
		strbuf_addf(sql, "'dbctl:%ld'", lock_id);
		return;
	}
	strbuf_addf(sql, "IF(CHAR_LENGTH(CONCAT('dbctl:', DATABASE(), '.', %s)) > 64, "
			 "CONCAT('dbctl:', SHA1(CONCAT(DATABASE(), '.', %s))), CONCAT('dbctl:', DATABASE(), '.', %s))",
		    table_literal, table_literal, table_literal);
}

/* IS_USED_LOCK names the connection holding it: this one before taking it
 * means a multiplexer (ProxySQL) shares the connection with other clients;
 * GET_LOCK is re-entrant, so taking it again would only count it twice. */
#define MY_HELD(key) "COALESCE(IS_USED_LOCK(" key ") = CONNECTION_ID(), 0)"

static void lock_take(struct strbuf *sql, const char *key)
{
	/* the select list is evaluated left to right: held is read before GET_LOCK runs */
	strbuf_addf(sql, "SELECT " MY_HELD("%s") ", IF(" MY_HELD("%s") ", 0, COALESCE(GET_LOCK(%s, 0), 0)), "
			 "CONNECTION_ID()",
		    key, key, key);
}

static void lock_release(struct strbuf *sql, const char *key)
{
	strbuf_addf(sql, "SELECT COALESCE(RELEASE_LOCK(%s), 0)", key);
}

/* No transaction-scoped named lock exists: pin is only the check. */
static void lock_check(struct strbuf *sql, const char *key, bool pin)
{
	(void)pin;
	strbuf_addf(sql, "SELECT " MY_HELD("%s"), key);
}

/* The lease. UTC_TIMESTAMP, not NOW(): runners whose sessions have different
 * time zones compare the same instants. The row is taken only while this
 * session holds the GET_LOCK name for a moment, so that it is never taken
 * while an advisory runner works (which in turn waits while a live lease
 * exists); each statement commits on its own (autocommit), the INSERT before
 * the RELEASE_LOCK. ON DUPLICATE KEY UPDATE assigns left to right, so
 * expires_at moves only when holder just became ours. */
static void lease_take(struct strbuf *sql, const char *table, const char *holder, int seconds, const char *key)
{
	strbuf_addf(sql, "CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, holder varchar(255) NOT NULL, "
			 "expires_at datetime(6) NOT NULL) ENGINE=InnoDB; "
			 "SET @dbctl_lease_key = IF(" MY_HELD("%s") ", 0, COALESCE(GET_LOCK(%s, 0), 0)); "
			 "INSERT INTO %s (id, holder, expires_at) SELECT 1, %s, UTC_TIMESTAMP(6) + INTERVAL %d SECOND "
			 "FROM DUAL WHERE @dbctl_lease_key = 1 "
			 "ON DUPLICATE KEY UPDATE holder = IF(expires_at < UTC_TIMESTAMP(6), VALUES(holder), holder), "
			 "expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at); "
			 "DO IF(@dbctl_lease_key = 1, RELEASE_LOCK(%s), 0); "
			 "SELECT holder FROM %s WHERE id = 1 AND holder = %s AND @dbctl_lease_key = 1",
		    table, key, key, table, holder, seconds, key, table, holder);
}

/* one row when renewed: an expired lease is not renewed (a rival may have seen it expired) */
static void lease_renew(struct strbuf *sql, const char *table, const char *holder, int seconds)
{
	strbuf_addf(sql, "UPDATE %s SET expires_at = UTC_TIMESTAMP(6) + INTERVAL %d SECOND WHERE id = 1 AND holder = %s "
			 "AND expires_at >= UTC_TIMESTAMP(6); "
			 "SELECT holder FROM %s WHERE id = 1 AND holder = %s AND expires_at >= UTC_TIMESTAMP(6)",
		    table, seconds, holder, table, holder);
}

static void lease_describe(struct strbuf *sql, const char *table)
{
	strbuf_addf(sql, "SELECT holder, GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) / 1e6)) "
			 "FROM %s WHERE id = 1",
		    table);
}

static void lease_exists(struct strbuf *sql, const char *schema, const char *name)
{
	strbuf_addf(sql, "SELECT COUNT(*) > 0 FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
		    schema ? schema : "DATABASE()", name);
}

static void lease_live(struct strbuf *sql, const char *table, const char *holder)
{
	strbuf_addf(sql, "SELECT 1 FROM %s WHERE id = 1 AND expires_at >= UTC_TIMESTAMP(6) AND holder <> %s", table,
		    holder);
}

static const struct dialect_lock my_lock = {
	.key = lock_key,
	.take = lock_take,
	.release = lock_release,
	.check = lock_check,
	.pin = NULL,
	.session_id_sql = "SELECT CONNECTION_ID()",
	.lease_take = lease_take,
	.lease_renew = lease_renew,
	.lease_describe = lease_describe,
	.lease_exists = lease_exists,
	.lease_live = lease_live,
	.release_statements = "RELEASE_LOCK() or RELEASE_ALL_LOCKS()",
	.name = "GET_LOCK",
};

/* ---- the tracking table ---- */

/* One row for the schema (the session's database), then one per column.
 * No role or timeouts to put back (guard is NULL): MySQL has no SET LOCAL,
 * and a session-wide SET would undo a migration's own SET for the next ones. */
static void inspect(struct strbuf *sql, const char *schema, const char *table)
{
	const char *s = schema ? schema : "DATABASE()";

	strbuf_addf(sql, "SELECT %s, NULL, NULL, NULL, NULL, NULL UNION ALL "
			 "SELECT TABLE_SCHEMA, COLUMN_NAME, CASE WHEN DATA_TYPE = 'varchar' THEN "
			 "CAST(CHARACTER_MAXIMUM_LENGTH AS CHAR) END, NULL, NULL, NULL FROM information_schema.COLUMNS "
			 "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
		    s, s, table);
}

/* RENAME TABLE of several tables is atomic */
static void swap_tables(struct strbuf *sql, const char *table, const char *aside, const char *fresh)
{
	strbuf_addf(sql, "RENAME TABLE %s TO %s, %s TO %s", table, aside, fresh, table);
}

static const char *const my_locks_tables[] = { "LOCK TABLE", "FLUSH TABLE", NULL };
static const char *const my_unlocks_tables[] = { "UNLOCK TABLE", NULL };

static const struct dialect_migration my_migration = {
	.locks_tables = my_locks_tables,
	.unlocks_tables = my_unlocks_tables,
	/* varchar(128): dbmate's MySQL form, and TEXT cannot be a key without a prefix length (1170) */
	.column_types = { "varchar(128) PRIMARY KEY", "text", "varchar(64)", "varchar(32)",
			  "timestamp(6) NULL DEFAULT CURRENT_TIMESTAMP(6)", "bigint", "int", "text", "varchar(8)", "varchar(64)" },
	.added_applied_at = "timestamp(6) NULL DEFAULT NULL",
	.text_type = "CHAR",   /* CAST(x AS TEXT) is a syntax error on MariaDB */
	/* the rows must roll back with the migration, whatever default_storage_engine says */
	.table_options = " ENGINE=InnoDB",
	.widen_version = "MODIFY version varchar(255)",
	.ddl_commits = true,
	.swap_tables = swap_tables,
	.inspect = inspect,
	.guard = NULL,
	.read_write_sql = NULL,
	.commit_in_batch = true,   /* a failed INSERT stops the multi-statement message before its COMMIT */
	.begin_sql = "SET autocommit=0; START TRANSACTION; ",   /* as the driver's begin */
	.commit_sql = "; COMMIT; SET autocommit=1",             /* as the driver's commit */
	.exists_state = NULL,
	.duplicate_text = "Duplicate entry",   /* 1062's SQLSTATE 23000 is every integrity error */
	.invalid_indexes = NULL,
	.lock = &my_lock,
};

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

/* \d NAME, in schema or the current database (quoted literals). */
static void describe(struct strbuf *sql, const char *schema, const char *name)
{
	strbuf_addf(sql, "SELECT COLUMN_NAME AS `Column`, COLUMN_TYPE AS `Type`,"
			 " CASE WHEN IS_NULLABLE = 'NO' THEN 'not null' ELSE '' END AS `Nullable`,"
			 " CASE WHEN COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL' THEN '' ELSE COLUMN_DEFAULT END AS `Default`,"
			 " CASE COLUMN_KEY WHEN 'PRI' THEN 'primary key' WHEN 'UNI' THEN 'unique' WHEN 'MUL' THEN 'index'"
			 " ELSE '' END AS `Key`"
			 " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
			 " ORDER BY ORDINAL_POSITION",
		    schema ? schema : "DATABASE()", name);
}

/* One part of a name: `a``b` (the backticks off, doubled ones single) or
 * a bare word up to the next '.'; returns what follows it. */
static const char *name_part(const char *p, struct strbuf *out)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '`') {
		for (p++; *p; p++) {
			if (*p == '`' && p[1] == '`')
				p++;
			else if (*p == '`')
				return p + 1;
			strbuf_add(out, p, 1);
		}
		return p;   /* unterminated: what there is */
	}
	while (*p && *p != '.')
		strbuf_add(out, p++, 1);
	while (out->len && (out->buf[out->len - 1] == ' ' || out->buf[out->len - 1] == '\t'))
		out->buf[--out->len] = '\0';
	return p;
}

/* \d `orders`, \d app.orders, \d `app`.`orders`: the server compares
 * TABLE_NAME with the name itself, not as typed in a statement. */
static void describe_name(const char *arg, struct strbuf *schema, struct strbuf *name)
{
	const char *p = name_part(arg, name);

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '.')
		return;
	strbuf_add(schema, name->buf, name->len);
	strbuf_reset(name);
	p = name_part(p + 1, name);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p) {
		/* a.b.c: no such name; looked up whole, it finds nothing, as it should */
		strbuf_reset(schema);
		strbuf_reset(name);
		strbuf_addstr(name, arg);
	}
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
	.describe_name = describe_name,
	.no_catalogue = "",
	.migration = &my_migration,
};
