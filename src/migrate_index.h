/* Indexes that a transaction:false statement builds concurrently, read from
 * its text, so that the runner can check they came out valid. Pure: touches
 * no database. */
#ifndef DBCTL_MIGRATE_INDEX_H
#define DBCTL_MIGRATE_INDEX_H

#include <stdbool.h>
#include <stddef.h>

enum migrate_index_kind {
	MIGRATE_INDEX_NONE,
	MIGRATE_INDEX_CREATE,    /* CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table */
	MIGRATE_INDEX_REINDEX,   /* REINDEX ... CONCURRENTLY: leaves <name>_ccnew / _ccold when interrupted */
};

struct migrate_index {
	enum migrate_index_kind kind;
	char name[256];          /* CREATE: the index's name as the server folds it; "" when the statement names none */
	char table[1024];        /* CREATE: the table as written, each part as the server folds it, joined by '.' */
	char table_parts[4][256];
	size_t table_part_count;
};

/* Reads one PostgreSQL statement (comments allowed); the kind is NONE for
 * every other statement. */
void migrate_index_parse(const char *statement, struct migrate_index *out);

#endif
