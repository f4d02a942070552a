/* migrate_index_parse: which statements build indexes concurrently, and on what. */
#include "../../src/migrate_index.h"
#include "tap.h"

static void check(const char *sql, enum migrate_index_kind kind, const char *name, const char *table)
{
	struct migrate_index index;
	char label[256];
	char *nl;

	snprintf(label, sizeof(label), "%s", sql);
	while ((nl = strchr(label, '\n')) != NULL)
		*nl = ' ';   /* one TAP line per test */
	migrate_index_parse(sql, &index);
	is_int(index.kind, kind, label);
	if (kind == MIGRATE_INDEX_CREATE) {
		is_str(index.name, name, "... its index name");
		is_str(index.table, table, "... its table");
	}
}

int main(void)
{
	check("CREATE INDEX CONCURRENTLY users_email_idx ON users (email)", MIGRATE_INDEX_CREATE, "users_email_idx",
	      "users");
	check("create unique index concurrently if not exists \"Odd\"\"Name\" on only public.\"Users\"(email);",
	      MIGRATE_INDEX_CREATE, "Odd\"Name", "public.Users");
	check("-- a comment\n/* nested /* one */ */ CREATE INDEX CONCURRENTLY ON Sales.Orders USING btree (id)",
	      MIGRATE_INDEX_CREATE, "", "sales.orders");
	check("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t(x) WHERE x > 0", MIGRATE_INDEX_CREATE, "i", "t");
	check("CREATE INDEX i ON t (x)", MIGRATE_INDEX_NONE, NULL, NULL);
	check("DROP INDEX CONCURRENTLY i", MIGRATE_INDEX_NONE, NULL, NULL);
	check("REINDEX (VERBOSE) TABLE CONCURRENTLY t", MIGRATE_INDEX_REINDEX, NULL, NULL);
	check("REINDEX TABLE t", MIGRATE_INDEX_NONE, NULL, NULL);
	check("VACUUM", MIGRATE_INDEX_NONE, NULL, NULL);
	check("", MIGRATE_INDEX_NONE, NULL, NULL);
	check("CREATE INDEX CONCURRENTLY", MIGRATE_INDEX_NONE, NULL, NULL);
	return done_testing();
}
