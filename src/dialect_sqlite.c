/* SQLite's dialect: no server, so no lock of its own (a write transaction
 * serialises runners), and a catalogue read from sqlite_schema and pragmas.
 * Linked into the sqlite module. */
#include "dialect.h"

static void inspect(struct strbuf *sql, const char *schema, const char *table)
{
	(void)schema;   /* always main: an attached database is not where migrations are tracked */
	strbuf_addf(sql, "SELECT 'main', name, NULL, NULL, NULL, NULL FROM pragma_table_info(%s, 'main') "
			 "UNION ALL SELECT 'main', NULL, NULL, NULL, NULL, NULL",
		    table);
}

static const struct dialect_migration sqlite_migration = {
	.column_types = { "TEXT PRIMARY KEY", "TEXT", "TEXT", "TEXT", "TEXT DEFAULT CURRENT_TIMESTAMP", "INTEGER",
			  "INTEGER", "TEXT", "TEXT", "TEXT" },
	/* SQLite cannot add a column with a non-constant default */
	.added_applied_at = "TEXT",
	.text_type = "TEXT",
	.table_options = "",
	.widen_version = "ALTER COLUMN version TYPE text",   /* never asked: SQLite does not enforce varchar(N) */
	.ddl_commits = false,
	.swap_tables = NULL,   /* golang-migrate's table is renamed inside the adoption's transaction */
	.inspect = inspect,
	.commit_in_batch = true,
	.begin_sql = "BEGIN IMMEDIATE; ",   /* never sent: without a lock, the driver's begin opens it */
	.commit_sql = "; COMMIT",
	.duplicate_text = "UNIQUE constraint failed",
};

static const char completion_sql[] =
	"SELECT 'r', 'main', NULL, name, 't' FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
	" UNION ALL"
	" SELECT 'c', 'main', m.name, p.name, 't' FROM sqlite_schema m JOIN pragma_table_info(m.name) p"
	" WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'";

static void describe(struct strbuf *sql, const char *schema, const char *name)
{
	(void)schema;   /* no describe_name: always NULL */
	strbuf_addf(sql, "SELECT name AS \"Column\", type AS \"Type\","
			 " CASE WHEN \"notnull\" THEN 'not null' ELSE '' END AS \"Nullable\","
			 " coalesce(dflt_value, '') AS \"Default\", CASE WHEN pk > 0 THEN 'primary key' ELSE '' END AS \"Key\""
			 " FROM pragma_table_info(%s)",
		    name);
}

#define SQLITE_OBJECTS(types)                                                                     \
	"SELECT name AS \"Name\", type AS \"Type\" FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'" \
	" AND type IN (" types ") ORDER BY 1"

const struct dialect sqlite_dialect = {
	.lexer = SQLSCAN_SQLITE,
	.rolls_back = true,
	.commit_word = "COMMIT",
	.committed = "committed",
	.commit_hint = "",
	.absent_is_empty = true,
	.unbound_is_null = true,
	.resplits_values = true,
	.error_style = DIALECT_ERRORS_SQL,
	.error_prefix = "ERROR: ",
	.identifier_quote = '"',
	.prompt_idle = "=",
	.prompt_transaction = "*",
	.prompt_failed = "!",
	.prompt_continued = "-",
	.completion_sql = completion_sql,
	.tables_sql = SQLITE_OBJECTS("'table'"),
	.relations_sql = SQLITE_OBJECTS("'table', 'view', 'index', 'trigger'"),
	.schemas_sql = "SELECT name AS \"Name\", file AS \"File\" FROM pragma_database_list",
	.describe = describe,
	.no_catalogue = "",
	.migration = &sqlite_migration,
};
