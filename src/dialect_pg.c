/* PostgreSQL's dialect: its catalogue, its prompt, and how migrate keeps
 * its tracking table and its advisory lock there. Linked into the pg module. */
#include "dialect.h"

#include <string.h>

/* ---- the migration lock: a session advisory lock, polled ---- */

static void lock_key(struct strbuf *sql, long lock_id, const char *table_literal)
{
	if (lock_id)
		strbuf_addf(sql, "(%ld)::bigint", lock_id);
	else
		strbuf_addf(sql, "(pg_catalog.hashtext(pg_catalog.current_database() || ':dbctl:' || %s))::bigint",
			    table_literal);
}

/* pg_locks tells a lock this session took before (a transaction pooler
 * left it there) from one taken now. */
static void held_by_this_session(struct strbuf *sql, const char *key)
{
	strbuf_addf(sql, "WITH before AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE "
			 "locktype = 'advisory' AND objsubid = 1 AND granted AND pid = pg_backend_pid() AND "
			 "((classid::bigint << 32) | objid::bigint) = %s) AS held) ",
		    key);
}

static void lock_take(struct strbuf *sql, const char *key)
{
	held_by_this_session(sql, key);
	strbuf_addf(sql, "SELECT held, CASE WHEN held THEN false ELSE pg_catalog.pg_try_advisory_lock(%s) END, "
			 "pg_backend_pid() FROM before",
		    key);
}

static void lock_release(struct strbuf *sql, const char *key)
{
	strbuf_addf(sql, "SELECT pg_catalog.pg_advisory_unlock(%s)", key);
}

static void lock_check(struct strbuf *sql, const char *key, bool pin)
{
	held_by_this_session(sql, key);
	if (pin)
		strbuf_addf(sql, "SELECT CASE WHEN held THEN pg_catalog.pg_try_advisory_xact_lock(%s) ELSE false END "
				 "FROM before",
			    key);
	else
		strbuf_addstr(sql, "SELECT held FROM before");
}

static void lock_pin(struct strbuf *sql, const char *key)
{
	strbuf_addf(sql, "SELECT pg_catalog.pg_try_advisory_xact_lock(%s)", key);
}

/* The lease row is taken only in a transaction that also gets the lock's key
 * as a transaction lock, so that it is never taken while an advisory runner works. */
static void lease_take(struct strbuf *sql, const char *table, const char *holder, int seconds, const char *key)
{
	strbuf_addf(sql, "SET LOCAL client_min_messages = warning; "
			 "CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, holder text NOT NULL, "
			 "expires_at timestamptz NOT NULL); "
			 "INSERT INTO %s (id, holder, expires_at) SELECT 1, %s, now() + interval '%d seconds' "
			 "WHERE pg_catalog.pg_try_advisory_xact_lock(%s) "
			 "ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
			 "WHERE %s.expires_at < now() RETURNING holder",
		    table, table, holder, seconds, key, table);
}

static void lease_renew(struct strbuf *sql, const char *table, const char *holder, int seconds)
{
	strbuf_addf(sql, "UPDATE %s SET expires_at = now() + interval '%d seconds' WHERE id = 1 AND holder = %s "
			 "AND expires_at >= now() RETURNING holder",
		    table, seconds, holder);
}

static void lease_describe(struct strbuf *sql, const char *table)
{
	strbuf_addf(sql, "SELECT holder, GREATEST(0, ceil(extract(epoch FROM expires_at - now())))::bigint FROM %s "
			 "WHERE id = 1",
		    table);
}

static void lease_exists(struct strbuf *sql, const char *schema, const char *name)
{
	strbuf_addf(sql, "SELECT to_regclass(quote_ident(%s) || '.' || quote_ident(%s)) IS NOT NULL",
		    schema ? schema : "current_schema()", name);
}

static void lease_live(struct strbuf *sql, const char *table, const char *holder)
{
	strbuf_addf(sql, "SELECT 1 FROM %s WHERE id = 1 AND expires_at >= now() AND holder <> %s", table, holder);
}

static const struct dialect_lock pg_lock = {
	.key = lock_key,
	.take = lock_take,
	.release = lock_release,
	.check = lock_check,
	.pin = lock_pin,
	.session_id_sql = "SELECT pg_backend_pid()",
	.lease_take = lease_take,
	.lease_renew = lease_renew,
	.lease_describe = lease_describe,
	.lease_exists = lease_exists,
	.lease_live = lease_live,
	.release_statements = "pg_advisory_unlock_all(), pg_advisory_unlock() or DISCARD ALL",
	.name = "pg_try_advisory_lock",
};

/* ---- the tracking table ---- */

/* pg_catalog, not information_schema: its views cost ~5 ms on a fresh
 * connection, most of a no-op migrate up. */
static void inspect(struct strbuf *sql, const char *schema, const char *table)
{
	strbuf_addf(sql, "SELECT s.name, a.attname::text, CASE WHEN a.atttypid = 'pg_catalog.varchar'::regtype "
			 "AND a.atttypmod > 4 THEN (a.atttypmod - 4)::text END, s.role, s.statement_timeout, "
			 "s.lock_timeout FROM (SELECT %s::text AS name, current_user::text AS role, "
			 "current_setting('statement_timeout') AS statement_timeout, "
			 "current_setting('lock_timeout') AS lock_timeout) s "
			 "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = to_regclass(quote_ident(s.name) || "
			 "'.' || quote_ident(%s)) AND a.attnum > 0 AND NOT a.attisdropped",
		    schema ? schema : "current_schema()", table);
}

static void guard(struct strbuf *sql, const char *role, const char *statement_timeout, const char *lock_timeout)
{
	strbuf_addf(sql, "SET LOCAL ROLE %s; SET LOCAL statement_timeout = %s; SET LOCAL lock_timeout = %s; ", role,
		    statement_timeout, lock_timeout);
}

static void invalid_indexes(struct strbuf *sql, bool reindex, const char *table, const char *name)
{
	strbuf_addstr(sql, "SELECT i.indexrelid::regclass::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c "
			   "ON c.oid = i.indexrelid WHERE NOT i.indisvalid");
	if (reindex) {
		strbuf_addstr(sql, " AND c.relname ~ '_cc(new|old)[0-9]*$'");
	} else {
		/* the table as the statement resolved it: same session, same search_path */
		strbuf_addf(sql, " AND i.indrelid = to_regclass(%s)", table);
		if (name)
			strbuf_addf(sql, " AND c.relname = %s", name);
	}
	strbuf_addstr(sql, " ORDER BY 1");
}

/* Ordinary, partitioned and materialized tables, views and foreign tables
 * outside the system schemas: what a migration's statement can block other
 * sessions on (CREATE OR REPLACE VIEW takes ACCESS EXCLUSIVE on the view,
 * which waits behind every reader of it and queues the next ones). */
#define PG_USER_TABLE                                                                                            \
	" c.relkind IN ('r', 'p', 'm', 'v', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"

static const char *const pg_lock_modes[] = {
	"AccessShareLock", "ACCESS SHARE", "RowShareLock", "ROW SHARE", "RowExclusiveLock", "ROW EXCLUSIVE",
	"ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE", "ShareLock", "SHARE", "ShareRowExclusiveLock",
	"SHARE ROW EXCLUSIVE", "ExclusiveLock", "EXCLUSIVE", "AccessExclusiveLock", "ACCESS EXCLUSIVE", NULL,
};

/* The session sees its own uncommitted catalogue: after a rewrite inside
 * the dry run's transaction, relfilenode already names the new file.
 * SIReadLock (every read under SERIALIZABLE) blocks nobody: shown, it would
 * be a line under each statement and hide the modes that do block. */
static const struct dialect_lock_evidence pg_lock_evidence = {
	.relations_sql = "SELECT c.oid, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
			 " c.relfilenode FROM pg_catalog.pg_class c"
			 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE" PG_USER_TABLE,
	/* LEFT JOIN: a table the statement dropped has no pg_class row for this
	 * session any more, and its lock is the one that blocks (the snapshot
	 * says whether it counts); indexes and catalogues stay on the server */
	.held_sql = "SELECT l.relation, l.mode, c.relfilenode FROM pg_catalog.pg_locks l"
		    " LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation"
		    " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		    " WHERE l.locktype = 'relation' AND l.granted AND l.pid = pg_catalog.pg_backend_pid()"
		    " AND l.mode <> 'SIReadLock' AND (c.oid IS NULL OR" PG_USER_TABLE ")",
	.modes = pg_lock_modes,
};

/* SET LOCAL: the timeout ends with the migration's transaction, and the
 * session's own value is back for the tracking writes and the next one */
static void lock_timeout(struct strbuf *sql, long ms)
{
	strbuf_addf(sql, "SET LOCAL lock_timeout = %ld; ", ms);
}

static const struct dialect_migration pg_migration = {
	/* text: versions have no length limit (a varchar(128) of an older table is checked by up) */
	.column_types = { "text PRIMARY KEY", "text", "text", "text", "timestamptz DEFAULT now()", "bigint", "integer",
			  "text", "text", "text" },
	.added_applied_at = "timestamptz",
	.text_type = "TEXT",
	.table_options = "",
	.widen_version = "ALTER COLUMN version TYPE text",
	.ddl_commits = false,   /* DDL is transactional: a migration and its row commit together */
	.swap_tables = NULL,   /* golang-migrate's table is renamed inside the adoption's transaction */
	.inspect = inspect,
	.guard = guard,
	.read_write_sql = "SET LOCAL transaction_read_only = off; ",
	.commit_in_batch = true,
	.begin_sql = "BEGIN; ",
	.commit_sql = "; COMMIT",
	.exists_state = "42P07",
	.duplicate_state = "23505",
	.invalid_indexes = invalid_indexes,
	.lock_evidence = &pg_lock_evidence,
	.lock_timeout = lock_timeout,
	.lock = &pg_lock,
};

/* ---- the catalogue ---- */

static const char completion_sql[] =
	"SELECT 's', nspname, NULL, NULL, 't' FROM pg_catalog.pg_namespace"
	" WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
	" UNION ALL"
	" SELECT 'r', n.nspname, NULL, c.relname, CASE WHEN pg_catalog.pg_table_is_visible(c.oid) THEN 't' END"
	" FROM pg_catalog.pg_class c"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
	" UNION ALL"
	" (SELECT 'c', n.nspname, c.relname, a.attname, CASE WHEN pg_catalog.pg_table_is_visible(c.oid) THEN 't' END"
	" FROM pg_catalog.pg_attribute a"
	" JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
	" AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' LIMIT 20000)";

#define PG_RELATIONS(kinds)                                                                                    \
	"SELECT n.nspname AS \"Schema\", c.relname AS \"Name\","                                                 \
	" CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'"          \
	" WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' END AS \"Type\"," \
	" pg_catalog.pg_get_userbyid(c.relowner) AS \"Owner\""                                                   \
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"                   \
	" WHERE c.relkind IN (" kinds ") AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"          \
	" AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1, 2"

static void describe(struct strbuf *sql, const char *schema, const char *name)
{
	(void)schema;   /* no describe_name: always NULL */
	strbuf_addf(sql, "SELECT a.attname AS \"Column\", pg_catalog.format_type(a.atttypid, a.atttypmod) AS \"Type\","
			 " CASE WHEN a.attnotnull THEN 'not null' ELSE '' END AS \"Nullable\","
			 " coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') AS \"Default\""
			 " FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
			 " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
			 " WHERE a.attrelid = %s::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
		    name);
}

/* standard_conforming_strings = off: '\\' escapes inside '...' */
static bool backslash_strings(const char *value)
{
	return strcmp(value, "off") == 0;
}

const struct dialect pg_dialect = {
	.lexer = SQLSCAN_POSTGRESQL,
	.rolls_back = true,
	.commit_word = "COMMIT",
	.committed = "committed",
	.commit_hint = " (a deferred constraint or trigger is checked at COMMIT)",
	.probe_sql = "SELECT 1",
	.slow_connect = true,
	.strings_setting = "standard_conforming_strings",
	.backslash_strings = backslash_strings,
	.encoding_setting = "client_encoding",
	.encoding_expected = "UTF8",
	.resplits_values = true,
	.error_style = DIALECT_ERRORS_SQL,
	.error_prefix = "ERROR: ",
	.identifier_quote = '"',
	.folds_case = true,
	.prompt_idle = "=",
	.prompt_transaction = "*",
	.prompt_failed = "!",
	.prompt_continued = "-",
	.completion_sql = completion_sql,
	.tables_sql = PG_RELATIONS("'r', 'p'"),
	.relations_sql = PG_RELATIONS("'r', 'p', 'v', 'm', 'S', 'f'"),
	.schemas_sql = "SELECT nspname AS \"Name\", pg_catalog.pg_get_userbyid(nspowner) AS \"Owner\""
		       " FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_'"
		       " AND nspname <> 'information_schema' ORDER BY 1",
	.describe = describe,
	.no_catalogue = "",
	.lint = &pg_lint_rules,
	.migration = &pg_migration,
};
