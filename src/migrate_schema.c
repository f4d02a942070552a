/* The schema file: dumped after migrations, loaded into an empty database. */
#include "migrate_schema.h"
#include "clock.h"
#include "dialect.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void add_literal(struct engine *engine, struct driver_conn *conn, struct strbuf *sql, const char *value)
{
	char *quoted;

	if (!value || !*value) {
		strbuf_addstr(sql, "NULL");
		return;
	}
	quoted = engine->driver->quote(conn, value, false);
	if (!quoted)
		abort();
	strbuf_addstr(sql, quoted);
	free(quoted);
}

static void add_rows(struct engine *engine, struct driver_conn *conn, struct strbuf *sql,
		     const struct migrate_entry *entries, size_t count, bool *first)
{
	size_t i;

	for (i = 0; i < count; i++) {
		const struct migrate_entry *e = &entries[i];

		/* a row that says a migration stopped part way describes this database, not the schema */
		if (e->state == MIGRATE_FAILED || !e->row_version[0])
			continue;
		strbuf_addstr(sql, *first ? "\n    (" : ",\n    (");
		add_literal(engine, conn, sql, e->row_version);
		strbuf_addstr(sql, ", ");
		add_literal(engine, conn, sql, e->name);
		strbuf_addstr(sql, ", ");
		add_literal(engine, conn, sql, e->checksum);
		strbuf_addstr(sql, e->checksum[0] ? ", 'sha256', " : ", NULL, ");
		add_literal(engine, conn, sql, e->note);
		strbuf_addstr(sql, ")");
		*first = false;
	}
}

/* The tracking rows as one INSERT; "" when there is no tracking table. */
/* status: read before conn was checked out, since a pool of one
 * connection (SQLite's :memory:) has none for migrate_status while conn is out */
static void tracking_rows(struct engine *engine, struct driver_conn *conn, const struct migrate_options *options,
			  const struct migrate_status *status, struct strbuf *out)
{
	char *table;
	bool first = true;

	if (status->table_exists) {
		struct strbuf rows;

		strbuf_init(&rows);
		add_rows(engine, conn, &rows, status->entries, status->count, &first);
		add_rows(engine, conn, &rows, status->repeatables, status->repeatable_count, &first);
		if (!first) {
			table = engine->driver->quote(conn, options->table, true);
			strbuf_addf(out, "\n-- the migrations applied, as %s recorded them\n", options->table);
			strbuf_addf(out, "INSERT INTO %s (version, name, checksum, checksum_algorithm, note) VALUES%s;\n",
				    table, rows.buf);
			free(table);
		}
		strbuf_release(&rows);
	}
}

static int write_file(const char *path, const struct strbuf *text, struct err *err)
{
	struct strbuf temporary;
	FILE *f;
	int rc = 0;

	strbuf_init(&temporary);
	strbuf_addf(&temporary, "%s.dbctl-%ld", path, (long)getpid());
	f = fopen(temporary.buf, "w");
	if (!f) {
		rc = err_set(err, EXIT_FAILED, "cannot write the schema file '%s': %s", temporary.buf, strerror(errno));
	} else {
		bool written = fwrite(text->buf, 1, text->len, f) == text->len && fflush(f) == 0 && fsync(fileno(f)) == 0;

		if (fclose(f) != 0 || !written)
			rc = err_set(err, EXIT_FAILED, "cannot write the schema file '%s': %s", temporary.buf,
				     strerror(errno));
		else if (rename(temporary.buf, path) != 0)
			rc = err_set(err, EXIT_FAILED, "cannot write the schema file '%s': %s", path, strerror(errno));
		if (rc != 0)
			unlink(temporary.buf);
	}
	strbuf_release(&temporary);
	return rc;
}

int migrate_schema_dump(struct engine *engine, const struct migrate_options *options, const char *path,
			struct err *err)
{
	struct migration_set none = { 0 };
	struct migrate_status status;
	struct pool_conn *pc;
	struct strbuf text;
	int rc;

	if (!engine->driver->dump_schema)
		return err_set(err, EXIT_USAGE, "a schema file is not supported for %s", engine->driver->display_name);
	if (migrate_status(engine, &none, options, &status, err) != 0)
		return -1;
	if (engine_checkout(engine, clock_now() + 86400, &pc, err) != 0) {
		migrate_status_release(&status);
		return -1;
	}
	strbuf_init(&text);
	strbuf_addstr(&text, "-- Schema written by dbctl after its migrations: review it in diffs, load it into an\n"
			     "-- empty database with 'dbctl migrate load FILE'.\n\n");
	rc = engine->driver->dump_schema(pc->conn, &text, err);
	if (rc == 0)
		tracking_rows(engine, pc->conn, options, &status, &text);
	engine_checkin(engine, pc, rc != 0);
	migrate_status_release(&status);
	if (rc == 0)
		rc = write_file(path, &text, err);
	if (rc != 0)
		err_prefix(err, "the schema file was not written:");
	strbuf_release(&text);
	return rc;
}

int migrate_schema_load(struct engine *engine, const struct migrate_options *options, const char *path,
			struct script_summary *summary, struct err *err)
{
	struct migration_set none = { 0 };
	struct script_options script;
	struct migrate_status status;
	bool exists;

	memset(summary, 0, sizeof(*summary));
	if (migrate_status(engine, &none, options, &status, err) != 0)
		return -1;
	exists = status.table_exists;
	migrate_status_release(&status);
	if (exists) {
		err_set(err, EXIT_FAILED, "migrate load is for an empty database: %s exists here already", options->table);
		err_hint(err, "nothing was sent; load into a new database, or run 'migrate up' here");
		return -1;
	}
	memset(&script, 0, sizeof(script));
	/* where DDL commits implicitly (MySQL), a transaction would be refused: statement by statement */
	script.transaction = !engine->driver->dialect->migration || !engine->driver->dialect->migration->ddl_commits;
	script.dry_run = options->dry_run;
	script.on_statement = options->on_statement;
	script.context = options->context;
	return script_run(engine, &path, 1, &script, summary, err);
}
