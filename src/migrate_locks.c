/* Lock evidence for a dry run: a snapshot of every table's storage, then,
 * after each statement, the session's own table locks compared with it. */
#include "migrate_locks.h"

#include <stdlib.h>
#include <string.h>

static char *copy_text(const char *text)
{
	char *copy = strdup(text ? text : "");

	if (!copy)
		abort();
	return copy;
}

static const char *cell(const struct driver_result *r, long row, int column)
{
	const char *value = r->cells[row * r->column_count + column];

	return value ? value : "";
}

static int compare_tables(const void *a, const void *b)
{
	return strcmp(((const struct migrate_locks_table *)a)->id, ((const struct migrate_locks_table *)b)->id);
}

static struct migrate_locks_table *find_table(struct migrate_locks *locks, const char *id)
{
	struct migrate_locks_table key = { .id = (char *)id };

	if (locks->count == 0)
		return NULL;
	return bsearch(&key, locks->tables, locks->count, sizeof(*locks->tables), compare_tables);
}

/* The index of mode in the dialect's list (its strength), -1 when unknown:
 * an unknown mode is never taken for a weaker one, so it is reported. */
static int mode_strength(const struct dialect_lock_evidence *sql, const char *mode, const char **shown)
{
	int i;

	for (i = 0; sql->modes[2 * i]; i++)
		if (strcmp(sql->modes[2 * i], mode) == 0) {
			*shown = sql->modes[2 * i + 1];
			return i;
		}
	*shown = mode;
	return -1;
}

void migrate_locks_init(struct migrate_locks *locks, const struct dialect_lock_evidence *sql)
{
	memset(locks, 0, sizeof(*locks));
	locks->sql = sql;
}

void migrate_locks_release(struct migrate_locks *locks)
{
	size_t i;

	for (i = 0; i < locks->count; i++) {
		free(locks->tables[i].id);
		free(locks->tables[i].name);
		free(locks->tables[i].storage);
	}
	free(locks->tables);
	locks->tables = NULL;
	locks->count = 0;
	locks->ready = false;
}

int migrate_locks_snapshot(struct migrate_locks *locks, const struct driver *driver, struct driver_conn *conn,
			   struct err *err)
{
	struct driver_result r;
	long row;

	migrate_locks_release(locks);
	if (driver->exec(conn, locks->sql->relations_sql, &r, err) != 0) {
		err_prefix(err, "reading the tables for the lock report:");
		return -1;
	}
	if (r.row_count > 0 && r.column_count >= 3) {
		locks->tables = calloc((size_t)r.row_count, sizeof(*locks->tables));
		if (!locks->tables)
			abort();
		for (row = 0; row < r.row_count; row++) {
			struct migrate_locks_table *table = &locks->tables[locks->count++];

			table->id = copy_text(cell(&r, row, 0));
			table->name = copy_text(cell(&r, row, 1));
			table->storage = copy_text(cell(&r, row, 2));
			table->strongest = -1;
		}
		qsort(locks->tables, locks->count, sizeof(*locks->tables), compare_tables);
	}
	driver_result_release(&r);
	locks->ready = true;
	return 0;
}

int migrate_locks_observe(struct migrate_locks *locks, const struct driver *driver, struct driver_conn *conn,
			  migrate_locks_report *report, void *context, struct err *err)
{
	struct driver_result r;
	size_t i;
	long row;

	/* no table existed before the dry run: none to report, and no query to pay per statement */
	if (locks->count == 0)
		return 0;
	if (driver->exec(conn, locks->sql->held_sql, &r, err) != 0) {
		err_prefix(err, "reading the locks this statement took:");
		return -1;
	}
	for (i = 0; i < locks->count; i++) {
		locks->tables[i].held = -2;
		locks->tables[i].held_mode = NULL;
		locks->tables[i].moved = false;
	}
	/* a table holds several modes at once: its strongest is the one worth a line */
	for (row = 0; r.column_count >= 3 && row < r.row_count; row++) {
		struct migrate_locks_table *table = find_table(locks, cell(&r, row, 0));
		const char *shown;
		int strength;

		if (!table)
			continue;
		strength = mode_strength(locks->sql, cell(&r, row, 1), &shown);
		if (table->held == -2 || strength < 0 || (table->held >= 0 && strength > table->held)) {
			table->held = strength;
			table->held_mode = shown;
		}
		/* no storage: the statement dropped the table, which is not a rewrite */
		if (r.cells[row * r.column_count + 2] && strcmp(cell(&r, row, 2), table->storage) != 0)
			table->moved = true;
	}
	for (i = 0; i < locks->count; i++) {
		struct migrate_locks_table *table = &locks->tables[i];
		struct migrate_locks_finding finding;

		if (table->held == -2)
			continue;
		memset(&finding, 0, sizeof(finding));
		finding.table = table->name;
		finding.mode = table->held_mode;
		finding.stronger = table->held < 0 || table->held > table->strongest;
		finding.rewritten = table->moved && !table->rewritten;
		if (table->held > table->strongest)
			table->strongest = table->held;
		if (table->moved)
			table->rewritten = true;
		if (report && (finding.stronger || finding.rewritten))
			report(context, &finding);
	}
	driver_result_release(&r);
	return 0;
}
