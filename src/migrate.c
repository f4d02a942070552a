/* Migrations: tracking table (created or adopted), status, lock, apply and revert. */
#include "migrate.h"
#include "clock.h"
#include "dialect.h"
#include "migrate_heartbeat.h"
#include "migrate_index.h"
#include "migrate_locks.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The tracking table as dbctl writes it; dbmate's has the first column only,
 * golang-migrate's has (version bigint, dirty boolean). */
static const char *const tracking_columns[] = { "version", "name", "checksum", "checksum_algorithm", "applied_at",
						"duration_ms", "failed_statement", "error", "failed_section", "note" };
#define TRACKING_COLUMN_COUNT 10

/* One connection's access to the tracking table. */
struct tracker {
	struct engine *engine;
	struct driver_conn *conn;
	const struct dialect_migration *sql;   /* the backend's tracking table and lock */
	const char *name;    /* borrowed; the table's name as configured */
	char *table;         /* owned; quoted identifier, schema-qualified once located */
	char *table_name;    /* owned; quoted literal of the bare name */
	char *schema_name;   /* owned; quoted literal of the schema, NULL until the first inspection */
	char *schema_ident;  /* owned; the schema as a quoted identifier, NULL until then too */
	long version_limit;  /* varchar(N) of the version column; 0 none */
	char *lock_key;      /* owned; the lock's key while this runner holds the lock or the lease, else NULL */
	bool lock_session;   /* the key is held as a session advisory lock (not the lease) */
	double lock_timeout; /* --lock-timeout */
	char *guard;         /* owned; statements that put the session back as the first inspection found it */
	bool has_column[TRACKING_COLUMN_COUNT];
	bool golang_migrate; /* (version, dirty) */
	struct migrate_heartbeat *heartbeat; /* borrowed; renews the lease while migrations run, or NULL */
	char *goose_table;   /* owned; goose's goose_db_version beside a table that does not exist yet, else NULL */
	bool exists;
	bool told_implicit;  /* said why a migration runs without a transaction (DDL commits implicitly) */
	bool lock_verified;  /* the session lock was found held, and nothing ran on the session since */
	struct migrate_locks *locks; /* borrowed; a dry run's lock evidence, NULL when not measured */
	char *begin_settings; /* owned; what follows BEGIN in a migration's transaction (its lock wait limit), or NULL */
};

static void emit(const struct migrate_options *options, enum migrate_event_kind kind, const struct migration *m,
		 const char *message, double seconds, bool transaction)
{
	struct migrate_event event = {
		.kind = kind,
		.version = m ? m->version : NULL,
		.name = m ? m->name : NULL,
		.message = message,
		.seconds = seconds,
		.transaction = transaction,
		.repeatable = m && m->repeatable,
	};

	if (options->on_event)
		options->on_event(options->context, &event);
}

static int tracker_sql(struct tracker *t, const char *sql, struct driver_result *out, struct err *err)
{
	struct driver_result ignored;
	int rc = t->engine->driver->exec(t->conn, sql, out ? out : &ignored, err);

	if (rc == 0 && !out)
		driver_result_release(&ignored);
	return rc;
}

static char *literal(struct tracker *t, const char *value)
{
	char *quoted = t->engine->driver->quote(t->conn, value, false);

	if (!quoted)
		abort();
	return quoted;
}

static int tracker_open(struct tracker *t, struct engine *engine, struct driver_conn *conn,
			const struct migrate_options *options, struct err *err)
{
	memset(t, 0, sizeof(*t));
	t->engine = engine;
	t->conn = conn;
	t->sql = engine->driver->dialect->migration;
	t->name = options->table;
	if (!t->sql || !engine->driver->quote)
		return err_set(err, EXIT_USAGE, "migrate is not supported for %s", engine->driver->display_name);
	t->table = engine->driver->quote(conn, options->table, true);
	t->table_name = engine->driver->quote(conn, options->table, false);
	if (t->sql->lock_timeout && options->migration_lock_timeout_ms > 0) {
		struct strbuf sql;

		strbuf_init(&sql);
		t->sql->lock_timeout(&sql, options->migration_lock_timeout_ms);
		t->begin_settings = strbuf_detach(&sql);
	}
	return 0;
}

/* Opens a migration's transaction: with the wait limit for its locks in the
 * same message, so that it costs no round trip. */
static int migration_begin(struct tracker *t, struct err *err)
{
	struct strbuf sql;
	int rc;

	if (!t->begin_settings)
		return t->engine->driver->begin(t->conn, err);
	strbuf_init(&sql);
	strbuf_addstr(&sql, t->sql->begin_sql);
	strbuf_addstr(&sql, t->begin_settings);
	rc = tracker_sql(t, sql.buf, NULL, err);
	strbuf_release(&sql);
	return rc;
}

/* Inside one transaction for every migration (--single-transaction, a dry
 * run) each one still starts with the wait limit: an earlier one's own SET
 * LOCAL lock_timeout is its own, not the next one's. */
static int outer_settings(struct tracker *t, struct err *err)
{
	return t->begin_settings ? tracker_sql(t, t->begin_settings, NULL, err) : 0;
}

static void tracker_close(struct tracker *t)
{
	free(t->table);
	free(t->table_name);
	free(t->schema_name);
	free(t->schema_ident);
	free(t->guard);
	free(t->lock_key);
	free(t->begin_settings);
	free(t->goose_table);
}

/* The schema is fixed by the first inspection, before any migration runs on
 * this connection: a migration's own SET search_path (pg_dump's
 * set_config('search_path', '', false)) must not move the tracking reads and
 * writes, nor make the table unreachable. */
static int tracker_locate(struct tracker *t, const char *schema, struct err *err)
{
	struct strbuf qualified;
	char *quoted;

	if (!schema || !*schema)
		return err_set(err, EXIT_USAGE, "no schema for the tracking table %s: the search_path names no schema "
						"that exists", t->name);
	quoted = t->engine->driver->quote(t->conn, schema, true);
	t->schema_name = t->engine->driver->quote(t->conn, schema, false);
	if (!quoted || !t->schema_name)
		abort();
	strbuf_init(&qualified);
	strbuf_addf(&qualified, "%s.%s", quoted, t->table);
	t->schema_ident = quoted;
	free(t->table);
	t->table = strbuf_detach(&qualified);
	return 0;
}

/* A migration may SET ROLE, statement_timeout, lock_timeout or
 * default_transaction_read_only for the rest of its session: dbctl's own
 * writes to the tracking table must not fail because of that (the work would
 * stay applied, unrecorded, and run again). They run under the role and
 * timeouts the first inspection found, before any migration ran. */
static void tracker_guard(struct tracker *t, const char *role, const char *statement_timeout, const char *lock_timeout)
{
	char *r, *st, *lt;
	struct strbuf sql;

	if (!t->sql->guard || !role || !statement_timeout || !lock_timeout)
		return;
	r = t->engine->driver->quote(t->conn, role, true);
	st = literal(t, statement_timeout);
	lt = literal(t, lock_timeout);
	if (!r)
		abort();
	strbuf_init(&sql);
	t->sql->guard(&sql, r, st, lt);
	t->guard = strbuf_detach(&sql);
	free(r);
	free(st);
	free(lt);
}

/* Starts a tracking write with the guard; outside a transaction block the
 * statements form one implicit transaction, which is made read-write first.
 * Inside one, only when it ends right after (own): a SET LOCAL would
 * otherwise change the session for the next migrations of a
 * --single-transaction run or a dry run, which stand or fall together. */
static void guarded(struct tracker *t, struct strbuf *sql, bool own)
{
	bool autocommit = t->engine->driver->transaction_state(t->conn) == DRIVER_TRANSACTION_NONE;

	if (!t->guard || (!autocommit && !own))
		return;
	if (autocommit && t->sql->read_write_sql)
		strbuf_addstr(sql, t->sql->read_write_sql);
	strbuf_addstr(sql, t->guard);
}

/* goose keeps its history in goose_db_version (id, version_id, is_applied,
 * tstamp), one row per up or down: where dbctl's table does not exist yet,
 * the one beside it is read, and adopted by the first up. */
static int find_goose(struct tracker *t, struct err *err)
{
	char *name = t->engine->driver->quote(t->conn, "goose_db_version", false);
	bool version_id = false, is_applied = false;
	struct driver_result r;
	struct strbuf sql;
	long i;
	int rc;

	free(t->goose_table);
	t->goose_table = NULL;
	strbuf_init(&sql);
	t->sql->inspect(&sql, t->schema_name, name);
	free(name);
	rc = tracker_sql(t, sql.buf, &r, err);
	strbuf_release(&sql);
	if (rc != 0) {
		err_prefix(err, "looking for goose's goose_db_version failed");
		return -1;
	}
	for (i = 0; i < r.row_count; i++) {
		const char *column = r.cells[i * 6 + 1];

		version_id = version_id || (column && strcmp(column, "version_id") == 0);
		is_applied = is_applied || (column && strcmp(column, "is_applied") == 0);
	}
	driver_result_release(&r);
	if (version_id && is_applied) {
		char *quoted = t->engine->driver->quote(t->conn, "goose_db_version", true);

		strbuf_init(&sql);
		if (t->schema_ident)
			strbuf_addf(&sql, "%s.", t->schema_ident);
		strbuf_addstr(&sql, quoted);
		free(quoted);
		t->goose_table = strbuf_detach(&sql);
	}
	return 0;
}

/* goose's applied versions: those whose newest row says applied (version 0 is
 * the row goose writes when it creates the table) */
static void goose_versions(const struct tracker *t, struct strbuf *sql)
{
	strbuf_addf(sql, "SELECT CAST(version_id AS %s) FROM %s g WHERE version_id > 0 AND is_applied AND "
			 "id = (SELECT max(id) FROM %s WHERE version_id = g.version_id)",
		    t->sql->text_type, t->goose_table, t->goose_table);
}

/* Which columns the table has; none means it does not exist. */
static int tracker_inspect(struct tracker *t, struct err *err)
{
	struct driver_result r;
	struct strbuf sql;
	long i;
	int c, rc;

	strbuf_init(&sql);
	/* one row at least: the schema, then the columns (none when the table does not exist) */
	t->sql->inspect(&sql, t->schema_name, t->table_name);
	rc = tracker_sql(t, sql.buf, &r, err);
	strbuf_release(&sql);
	if (rc != 0) {
		err_prefix(err, "reading the tracking table %s failed", t->name);
		return -1;
	}
	if (!t->schema_name && tracker_locate(t, r.row_count ? r.cells[0] : NULL, err) != 0) {
		driver_result_release(&r);
		return -1;
	}
	if (!t->guard && r.row_count > 0)
		tracker_guard(t, r.cells[3], r.cells[4], r.cells[5]);
	memset(t->has_column, 0, sizeof(t->has_column));
	t->golang_migrate = false;
	t->exists = false;
	t->version_limit = 0;
	for (i = 0; i < r.row_count; i++) {
		const char *name = r.cells[i * 6 + 1];

		t->exists = t->exists || name;
		if (name && strcmp(name, "version") == 0 && r.cells[i * 6 + 2])
			t->version_limit = atol(r.cells[i * 6 + 2]);

		for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
			if (name && strcmp(name, tracking_columns[c]) == 0)
				t->has_column[c] = true;
		if (name && strcmp(name, "dirty") == 0)
			t->golang_migrate = true;
	}
	driver_result_release(&r);
	/* someone else's table under that name (goose's goose_db_version named as
	 * migrations_table): adding dbctl's columns to it would change it for nothing */
	if (t->exists && !t->has_column[0]) {
		err_set(err, EXIT_USAGE, "the tracking table %s has no version column: it is not a table of dbctl, dbmate "
					 "or golang-migrate", t->name);
		err_hint(err, "set migrations_table to a table of its own; goose's goose_db_version is read (and "
			      "adopted) where migrations_table does not exist yet");
		return -1;
	}
	return t->exists ? 0 : find_goose(t, err);
}

/* ---- status ---- */

static const char *cell(const struct driver_result *r, long row, int column)
{
	const char *value = r->cells[row * r->column_count + column];

	return value ? value : "";
}

static char *xstrdup(const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		abort();
	return copy;
}

/* Versions are kept whole: they compare as numbers of any length. */
static void entry_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static struct migrate_entry *add_to(struct migrate_entry **list, size_t *count)
{
	struct migrate_entry *e;

	*list = realloc(*list, (*count + 1) * sizeof(**list));
	if (!*list)
		abort();
	e = &(*list)[(*count)++];
	memset(e, 0, sizeof(*e));
	e->version = xstrdup("");
	e->row_version = xstrdup("");
	e->duration_ms = -1;
	e->failed_statement = -1;
	return e;
}

static struct migrate_entry *add_entry(struct migrate_status *status)
{
	return add_to(&status->entries, &status->count);
}

static int compare_entries(const void *a, const void *b)
{
	return migrate_version_compare(((const struct migrate_entry *)a)->version,
				       ((const struct migrate_entry *)b)->version);
}

void migrate_status_release(struct migrate_status *status)
{
	size_t i;

	for (i = 0; i < status->count; i++) {
		free(status->entries[i].version);
		free(status->entries[i].row_version);
	}
	for (i = 0; i < status->repeatable_count; i++) {
		free(status->repeatables[i].version);
		free(status->repeatables[i].row_version);
	}
	free(status->entries);
	free(status->repeatables);
	memset(status, 0, sizeof(*status));
}

/* Rows of the tracking table as entries; golang-migrate's one row means every
 * version up to it. */
static int read_rows(struct tracker *t, const struct migration_set *files, struct migrate_status *status,
		     struct err *err)
{
	struct driver_result r;
	struct strbuf sql;
	long i;
	int c, rc;

	strbuf_init(&sql);
	if (!t->exists) {
		goose_versions(t, &sql);
	} else if (t->golang_migrate) {
		strbuf_addf(&sql, "SELECT CAST(version AS %s), CAST(dirty AS %s) FROM %s", t->sql->text_type,
			    t->sql->text_type, t->table);
	} else {
		strbuf_addstr(&sql, "SELECT ");
		for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
			strbuf_addf(&sql, "%s%s%s%s%s%s", c ? ", " : "", t->has_column[c] ? "CAST(" : "",
				    t->has_column[c] ? tracking_columns[c] : "NULL", t->has_column[c] ? " AS " : "",
				    t->has_column[c] ? t->sql->text_type : "", t->has_column[c] ? ")" : "");
		strbuf_addf(&sql, " FROM %s", t->table);
	}
	rc = tracker_sql(t, sql.buf, &r, err);
	strbuf_release(&sql);
	if (rc != 0)
		return -1;
	for (i = 0; i < r.row_count; i++) {
		char *version = migrate_version_normalize(cell(&r, i, 0));
		const char *raw = version ? version : cell(&r, i, 0);

		if (!t->exists) {
			struct migrate_entry *e = add_entry(status);

			entry_set(&e->version, raw);
			/* adopting the table writes one row per version, under this text */
			entry_set(&e->row_version, raw);
			e->checksum_unknown = true;
			e->state = MIGRATE_APPLIED;
		} else if (t->golang_migrate) {
			bool dirty = strcmp(cell(&r, i, 1), "true") == 0 || strcmp(cell(&r, i, 1), "1") == 0;
			size_t f;

			for (f = 0; f < files->count; f++) {
				int order = migrate_version_compare(files->items[f].version, raw);
				struct migrate_entry *e;

				if (order > 0)
					break;
				e = add_entry(status);
				entry_set(&e->version, files->items[f].version);
				/* adopting the table writes one row per version, under this text */
				entry_set(&e->row_version, files->items[f].version);
				e->checksum_unknown = true;
				if (order == 0 && dirty) {
					e->state = MIGRATE_FAILED;
					snprintf(e->error, sizeof(e->error), "golang-migrate marked this version dirty");
				}
			}
		} else {
			/* a repeatable migration's row: beside the versioned ones, never ordered with them */
			struct migrate_entry *e = strncmp(cell(&r, i, 0), "R__", 3) == 0
							  ? add_to(&status->repeatables, &status->repeatable_count)
							  : add_entry(status);

			entry_set(&e->version, raw);
			/* WHERE clauses need the text as stored: '001' = '1' in neither backend */
			entry_set(&e->row_version, cell(&r, i, 0));
			snprintf(e->name, sizeof(e->name), "%s", cell(&r, i, 1));
			snprintf(e->checksum, sizeof(e->checksum), "%s", cell(&r, i, 2));
			e->checksum_unknown = !*cell(&r, i, 2);
			snprintf(e->applied_at, sizeof(e->applied_at), "%s", cell(&r, i, 4));
			e->duration_ms = *cell(&r, i, 5) ? atol(cell(&r, i, 5)) : -1;
			snprintf(e->note, sizeof(e->note), "%s", cell(&r, i, 9));
			if (*cell(&r, i, 6)) {
				e->state = MIGRATE_FAILED;
				e->failed_statement = atol(cell(&r, i, 6));
				e->failed_down = strcmp(cell(&r, i, 8), "down") == 0;
			}
			if (e->state == MIGRATE_FAILED)
				snprintf(e->error, sizeof(e->error), "%s", cell(&r, i, 7));
			else
				e->state = MIGRATE_APPLIED;
		}
		free(version);
	}
	driver_result_release(&r);
	return 0;
}

static int compare_repeatable_entries(const void *a, const void *b)
{
	return strcmp(((const struct migrate_entry *)a)->version, ((const struct migrate_entry *)b)->version);
}

/* A repeatable migration is due when it never ran, its file changed since
 * it last did, or it stopped part way; one whose file is gone stays as it
 * last ran. */
static void match_repeatables(const struct migration_set *files, struct migrate_status *status)
{
	size_t i, known = status->repeatable_count;

	for (i = 0; i < known; i++) {
		struct migrate_entry *e = &status->repeatables[i];

		e->file = migrate_files_find_repeatable(files, e->version);
		if (!e->file) {
			if (e->state != MIGRATE_FAILED)
				e->state = MIGRATE_MISSING_FILE;
			continue;
		}
		snprintf(e->name, sizeof(e->name), "%s", e->file->name);
		/* one for other environments that ran here once stays as it ran: not run again */
		if (e->file->other_environment) {
			status->other_environment++;
			continue;
		}
		if (e->state == MIGRATE_APPLIED && strcmp(e->checksum, e->file->up.checksum) != 0)
			e->state = MIGRATE_MODIFIED;
		status->repeatable_due += e->state != MIGRATE_APPLIED;
	}
	for (i = 0; i < files->repeatable_count; i++) {
		const struct migration *m = &files->repeatables[i];
		struct migrate_entry *e;
		size_t j;

		for (j = 0; j < known && strcmp(status->repeatables[j].version, m->version) != 0; j++)
			;
		if (j < known)
			continue;
		if (m->other_environment) {
			status->other_environment++;
			continue;
		}
		e = add_to(&status->repeatables, &status->repeatable_count);
		entry_set(&e->version, m->version);
		snprintf(e->name, sizeof(e->name), "%s", m->name);
		e->file = m;
		e->state = MIGRATE_PENDING;
		status->repeatable_due++;
	}
	if (status->repeatable_count)
		qsort(status->repeatables, status->repeatable_count, sizeof(*status->repeatables),
		      compare_repeatable_entries);
}

static bool repeatable_due(const struct migrate_entry *e)
{
	return e->file && !e->file->other_environment && e->state != MIGRATE_APPLIED;
}

static int build_status(struct tracker *t, const struct migration_set *files, struct migrate_status *status,
			struct err *err)
{
	size_t applied_rows, i, f;
	char *newest = NULL;    /* owned; a copy: add_entry() below may move the entries */
	bool *recorded;         /* owned; per file of the set */

	memset(status, 0, sizeof(*status));
	if (tracker_inspect(t, err) != 0)
		return -1;
	status->table_exists = t->exists;
	status->version_limit = t->version_limit;
	if ((t->exists || t->goose_table) && read_rows(t, files, status, err) != 0) {
		migrate_status_release(status);
		return -1;
	}
	applied_rows = status->count;
	/* which files have a row, by index: one pass instead of a search per file */
	recorded = calloc(files->count + 1, sizeof(*recorded));
	if (!recorded) {
		migrate_status_release(status);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	for (i = 0; i < applied_rows; i++) {
		struct migrate_entry *e = &status->entries[i];

		e->file = migrate_files_find(files, e->version);
		if (e->file)
			recorded[e->file - files->items] = true;
		if (!newest || migrate_version_compare(e->version, newest) > 0)
			entry_set(&newest, e->version);
		if (!e->file) {
			if (e->state != MIGRATE_FAILED)
				e->state = MIGRATE_MISSING_FILE;
			continue;
		}
		snprintf(e->name, sizeof(e->name), "%s", e->file->name);
		if (e->state == MIGRATE_APPLIED && !e->checksum_unknown && strcmp(e->checksum, e->file->up.checksum) != 0)
			e->state = MIGRATE_MODIFIED;
	}
	for (f = 0; f < files->count; f++) {
		const struct migration *m = &files->items[f];
		struct migrate_entry *e;

		if (recorded[f])
			continue;
		/* not for this environment, and never run here: nothing to show as pending */
		if (m->other_environment) {
			status->other_environment++;
			continue;
		}
		e = add_entry(status);
		entry_set(&e->version, m->version);
		snprintf(e->name, sizeof(e->name), "%s", m->name);
		e->file = m;
		e->state = newest && migrate_version_compare(m->version, newest) < 0 ? MIGRATE_OUT_OF_ORDER : MIGRATE_PENDING;
	}
	free(recorded);
	free(newest);
	match_repeatables(files, status);
	if (status->count)   /* a directory of repeatable migrations alone has no entries: qsort(NULL) is undefined */
		qsort(status->entries, status->count, sizeof(*status->entries), compare_entries);
	for (i = 0; i < status->count; i++) {
		switch (status->entries[i].state) {
		case MIGRATE_APPLIED: status->applied++; break;
		case MIGRATE_PENDING: status->pending++; break;
		case MIGRATE_MODIFIED: status->modified++; break;
		case MIGRATE_MISSING_FILE: status->missing++; break;
		case MIGRATE_OUT_OF_ORDER: status->out_of_order++; break;
		case MIGRATE_FAILED: status->failed++; break;
		}
	}
	return 0;
}

static int mark_running(struct tracker *t, const struct migrate_options *options, struct migrate_status *status,
			struct err *err);

int migrate_status(struct engine *engine, const struct migration_set *files, const struct migrate_options *options,
		   struct migrate_status *out, struct err *err)
{
	struct pool_conn *pc;
	struct tracker t;
	int rc;

	if (engine_checkout(engine, clock_now() + 86400, &pc, err) != 0) {
		/* a SQLite file that does not exist yet: nothing applied, and status creates nothing */
		if (engine->driver->dialect->absent_is_empty && engine->target.observe_only && err->code == EXIT_NO_ANSWER) {
			struct tracker none;
			size_t f;

			memset(out, 0, sizeof(*out));
			memset(&none, 0, sizeof(none));
			for (f = 0; f < files->count; f++) {
				struct migrate_entry *e;

				if (files->items[f].other_environment) {
					out->other_environment++;
					continue;
				}
				e = add_entry(out);
				entry_set(&e->version, files->items[f].version);
				snprintf(e->name, sizeof(e->name), "%s", files->items[f].name);
				e->file = &files->items[f];
				e->state = MIGRATE_PENDING;
				out->pending++;
			}
			match_repeatables(files, out);
			err_init(err);
			return 0;
		}
		return -1;
	}
	rc = tracker_open(&t, engine, pc->conn, options, err);
	if (rc == 0)
		rc = build_status(&t, files, out, err);
	if (rc == 0)
		rc = mark_running(&t, options, out, err);
	tracker_close(&t);
	engine_checkin(engine, pc, rc != 0);
	return rc;
}

/* ---- creating and adopting the tracking table ---- */

/* A table beside the tracking table, in its schema: NAME + suffix, quoted. */
static char *sibling(struct tracker *t, const char *suffix)
{
	struct strbuf name;
	char *quoted;

	strbuf_init(&name);
	strbuf_addf(&name, "%s%s", t->name, suffix);
	quoted = t->engine->driver->quote(t->conn, name.buf, true);
	if (!quoted)
		abort();
	strbuf_reset(&name);
	if (t->schema_ident)
		strbuf_addf(&name, "%s.", t->schema_ident);
	strbuf_addstr(&name, quoted);
	free(quoted);
	return strbuf_detach(&name);
}

/* The table exists with every column of dbctl's: ensure_table has nothing to change. */
static bool table_ready(const struct tracker *t)
{
	int c;

	if (!t->exists || t->golang_migrate)
		return false;
	for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
		if (!t->has_column[c])
			return false;
	return true;
}

static int ensure_table(struct tracker *t, const struct migration_set *files, bool in_transaction, struct err *err)
{
	const char *const *types = t->sql->column_types;
	struct strbuf sql;
	bool created = false;
	int c, rc = 0;
	size_t f;

	if (tracker_inspect(t, err) != 0)
		return -1;
	strbuf_init(&sql);
	if (t->golang_migrate) {
		/* golang-migrate: one row (version, dirty); keep it under another name
		 * and record every version up to it in dbctl's table */
		struct migrate_status status;
		bool swap = t->sql->swap_tables != NULL;
		char *old, *aside = NULL, *fresh = NULL;
		const char *into = t->table;

		if (build_status(t, files, &status, err) != 0)
			return -1;
		if (status.failed) {
			migrate_status_release(&status);
			err_set(err, EXIT_FAILED, "the tracking table comes from golang-migrate, which marked a version dirty");
			err_hint(err, "check that migration by hand, fix the row (dirty = false), then run dbctl again");
			return -1;
		}
		strbuf_addf(&sql, "%s_golang_migrate", t->name);
		old = t->engine->driver->quote(t->conn, sql.buf, true);
		strbuf_reset(&sql);
		if (swap) {
			/* DDL commits: fill a table of dbctl's beside it, then swap the two in one statement */
			aside = sibling(t, "_golang_migrate");
			fresh = sibling(t, "_dbctl_adopting");
			into = fresh;
			strbuf_addf(&sql, "DROP TABLE IF EXISTS %s", fresh);   /* left by an adoption that stopped */
		} else {
			strbuf_addf(&sql, "ALTER TABLE %s RENAME TO %s", t->table, old);
		}
		/* the whole adoption or none of it, where DDL is transactional */
		rc = in_transaction ? 0 : t->engine->driver->begin(t->conn, err);
		if (rc == 0)
			rc = tracker_sql(t, sql.buf, NULL, err);
		free(old);
		t->golang_migrate = false;
		t->exists = false;
		if (rc == 0) {
			strbuf_reset(&sql);
			strbuf_addf(&sql, "CREATE TABLE %s (", into);
			for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
				strbuf_addf(&sql, "%s%s %s", c ? ", " : "", tracking_columns[c], types[c]);
			strbuf_addf(&sql, ")%s", t->sql->table_options);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
		for (f = 0; rc == 0 && f < status.count; f++) {
			char *version;

			if (status.entries[f].state != MIGRATE_APPLIED)
				continue;   /* versions above golang-migrate's row are still to come */
			version = literal(t, status.entries[f].version);

			strbuf_reset(&sql);
			strbuf_addf(&sql, "INSERT INTO %s (version) VALUES (%s)", into, version);
			free(version);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
		migrate_status_release(&status);
		if (rc == 0 && swap) {
			strbuf_reset(&sql);
			t->sql->swap_tables(&sql, t->table, aside, fresh);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
		free(aside);
		free(fresh);
		if (!in_transaction) {
			struct err ignored;

			err_init(&ignored);
			if (rc == 0)
				rc = t->engine->driver->commit(t->conn, err);
			else
				(void)t->engine->driver->rollback(t->conn, &ignored);
		}
	} else if (!t->exists) {
		/* goose's rows are copied into the new table (and named below); its own table is left as it was.
		 * Where DDL commits, an empty table of dbctl's left by a copy that failed would hide goose's
		 * rows from then on (every version pending again): the copy is filled aside, then renamed. */
		char *fresh = t->goose_table && t->sql->swap_tables ? sibling(t, "_dbctl_adopting") : NULL;
		const char *into = fresh ? fresh : t->table;

		created = !t->goose_table;
		if (fresh) {
			strbuf_addf(&sql, "DROP TABLE IF EXISTS %s", fresh);   /* left by an adoption that stopped */
			rc = tracker_sql(t, sql.buf, NULL, err);
			strbuf_reset(&sql);
		}
		strbuf_addf(&sql, "CREATE TABLE IF NOT EXISTS %s (", into);
		for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
			strbuf_addf(&sql, "%s%s %s", c ? ", " : "", tracking_columns[c], types[c]);
		strbuf_addf(&sql, ")%s", t->sql->table_options);
		if (rc == 0)
			rc = tracker_sql(t, sql.buf, NULL, err);
		if (rc == 0 && t->goose_table) {
			strbuf_reset(&sql);
			strbuf_addf(&sql, "INSERT INTO %s (version) ", into);
			goose_versions(t, &sql);
			rc = tracker_sql(t, sql.buf, NULL, err);
			if (rc != 0)
				err_prefix(err, "adopting goose's goose_db_version failed");
		}
		if (rc == 0 && fresh) {
			strbuf_reset(&sql);
			strbuf_addf(&sql, "ALTER TABLE %s RENAME TO %s", fresh, t->table);
			rc = tracker_sql(t, sql.buf, NULL, err);
			if (rc != 0)
				err_prefix(err, "adopting goose's goose_db_version failed");
		}
		free(fresh);
	} else {
		/* dbmate's table: add dbctl's columns beside its version */
		for (c = 1; c < TRACKING_COLUMN_COUNT && rc == 0; c++) {
			if (t->has_column[c])
				continue;
			strbuf_reset(&sql);
			/* SQLite cannot add a column with a non-constant default */
			strbuf_addf(&sql, "ALTER TABLE %s ADD COLUMN %s %s", t->table, tracking_columns[c],
				    c == 4 ? t->sql->added_applied_at : types[c]);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
	}
	/* adopted rows (no checksum yet) get their name and checksum from the files */
	if (rc == 0 && !created) {
		struct driver_result unknown;
		long row;

		strbuf_reset(&sql);
		strbuf_addf(&sql, "SELECT CAST(version AS %s) FROM %s WHERE checksum IS NULL AND failed_statement IS NULL",
			    t->sql->text_type, t->table);
		rc = tracker_sql(t, sql.buf, &unknown, err);
		for (row = 0; rc == 0 && row < unknown.row_count; row++) {
			char *normal = migrate_version_normalize(unknown.cells[row] ? unknown.cells[row] : "");
			const struct migration *m = normal ? migrate_files_find(files, normal) : NULL;
			char *version, *name;

			free(normal);
			if (!m)
				continue;
			version = literal(t, unknown.cells[row]);
			name = literal(t, m->name);
			strbuf_reset(&sql);
			strbuf_addf(&sql, "UPDATE %s SET name = %s, checksum = '%s', checksum_algorithm = 'sha256' "
					  "WHERE version = %s", t->table, name, m->up.checksum, version);
			free(version);
			free(name);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
		if (unknown.column_names)
			driver_result_release(&unknown);
	}
	strbuf_release(&sql);
	if (rc == 0)
		t->exists = true;
	else
		err_prefix(err, "%s the tracking table %s failed", created ? "creating" : "updating", t->name);
	return rc;
}

/* ---- the lock ---- */

/* The migration lock lives on the connection that runs the migrations, in
 * either mode: it lasts exactly as long as the server session doing the work
 * (a runner killed mid-statement keeps it until its orphaned statement ends),
 * that session is never idle while the work goes on, so an idle-session
 * killer cannot take it away unnoticed, and a runner needs one server
 * connection, so that runners queued in a session pooler cannot deadlock
 * each other. */
struct migration_lock {
	enum migrate_lock_mode mode;   /* what is taken: ADVISORY or TABLE */
	bool held;
	bool shared;                   /* a proxy is in between: the server session may change */
	char why[256];                 /* what showed it */
	char pid[16];                  /* advisory: the server session that holds it */
	char holder[256];              /* table: who we are in the lease row */
	double deadline;               /* the whole wait for the lock ends here */
	struct migrate_heartbeat *heartbeat;   /* owned; table: renews the lease meanwhile */
	struct pool_conn *heartbeat_conn;      /* owned (checked out); the heartbeat's connection */
};

static void lock_key(struct tracker *t, const struct migrate_options *options, struct strbuf *out)
{
	t->sql->lock->key(out, options->lock_id, t->table_name);
}

/* A boolean cell as any backend spells it: PostgreSQL's t, MySQL's 1 */
static bool cell_true(const struct driver_result *r, int column)
{
	const char *value = r->row_count == 1 && column < r->column_count ? r->cells[column] : NULL;

	return value && (strcmp(value, "t") == 0 || strcmp(value, "1") == 0 || strcmp(value, "true") == 0);
}

/* Sleeps until the earlier of seconds and deadline; false when interrupted. */
static bool pause_until(double seconds, double deadline)
{
	double left = deadline - clock_now();
	struct timespec ts;

	if (seconds > left)
		seconds = left > 0 ? left : 0;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		if (script_interrupted())
			return false;
	return !script_interrupted();
}

/* Starts the wait: --lock-timeout counts from here, and the first answer of
 * the server (which a pooler with every server connection in use makes
 * wait) must come within it. Also asks the driver whether the session may
 * change between transactions, which decides the mode. */
static int lock_begin(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock,
		      struct err *err)
{
	int shared = 0;

	memset(lock, 0, sizeof(*lock));
	lock->deadline = clock_now() + options->lock_timeout;
	if (t->engine->driver->session_shared) {
		shared = t->engine->driver->session_shared(t->conn, lock->deadline, lock->why, sizeof(lock->why), err);
		if (shared < 0) {
			if (err->code == EXIT_NO_ANSWER && clock_now() >= lock->deadline)
				err_hint(err, "no answer within --lock-timeout (%g s); behind a pooler such as PgBouncer, every "
					      "server connection may be in use", options->lock_timeout);
			return -1;
		}
	}
	lock->shared = shared == 1;
	lock->mode = options->lock_mode;
	if (lock->mode == MIGRATE_LOCK_AUTO)
		lock->mode = lock->shared ? MIGRATE_LOCK_TABLE : MIGRATE_LOCK_ADVISORY;
	return 0;
}

/* Beside the tracking table, in its schema once that is located: a
 * migration's own SET search_path must not move the lease either (before the
 * first inspection no migration has run, so the current schema is that one). */
static char *lease_table(struct tracker *t)
{
	struct strbuf name;
	char *quoted;

	strbuf_init(&name);
	strbuf_addf(&name, "%s_lock", t->name);
	quoted = t->engine->driver->quote(t->conn, name.buf, true);
	strbuf_release(&name);
	if (!quoted)
		abort();
	if (!t->schema_ident)
		return quoted;
	strbuf_init(&name);
	strbuf_addf(&name, "%s.%s", t->schema_ident, quoted);
	free(quoted);
	return strbuf_detach(&name);
}

/* Is a lease row taken and not expired? An advisory runner must not work
 * while a --lock=table runner holds one. */
static int lease_live(struct tracker *t, const char *holder, bool *live, struct err *err)
{
	char *table = lease_table(t), *name_literal;
	struct driver_result r;
	struct strbuf sql, name;
	int rc;

	*live = false;
	strbuf_init(&name);
	strbuf_addf(&name, "%s_lock", t->name);
	name_literal = literal(t, name.buf);
	strbuf_init(&sql);
	t->sql->lock->lease_exists(&sql, t->schema_name, name_literal);
	rc = tracker_sql(t, sql.buf, &r, err);
	if (rc == 0) {
		bool exists = cell_true(&r, 0);

		driver_result_release(&r);
		if (exists) {
			char *who = literal(t, holder);

			strbuf_reset(&sql);
			t->sql->lock->lease_live(&sql, table, who);
			free(who);
			rc = tracker_sql(t, sql.buf, &r, err);
			if (rc == 0) {
				*live = r.row_count > 0;
				driver_result_release(&r);
			}
		}
	}
	strbuf_release(&sql);
	strbuf_release(&name);
	free(name_literal);
	free(table);
	return rc;
}

/* A try in a loop, never a blocking wait: on PostgreSQL a blocked waiter
 * holds a snapshot, and CREATE INDEX CONCURRENTLY in the runner holding the
 * lock would wait for it forever; and the wait obeys --lock-timeout and Ctrl-C. A server session that holds the lock
 * before this runner took it is one other clients share (a transaction
 * pooler left it there): taking it again would only count it twice. */
static int take_lock(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock,
		     struct err *err)
{
	double pause = 0.05;
	struct strbuf sql, key, unlock;
	const char *waiting = NULL;
	int rc = 0;

	strbuf_init(&sql);
	strbuf_init(&key);
	strbuf_init(&unlock);
	lock_key(t, options, &key);
	t->sql->lock->take(&sql, key.buf);
	t->sql->lock->release(&unlock, key.buf);
	for (;;) {
		struct driver_result r;
		bool held_before, got, live = false;
		const char *now_waiting;

		if (tracker_sql(t, sql.buf, &r, err) != 0) {
			rc = -1;
			break;
		}
		held_before = cell_true(&r, 0);
		got = cell_true(&r, 1);
		if (r.row_count == 1 && r.cells[2])
			snprintf(lock->pid, sizeof(lock->pid), "%s", r.cells[2]);
		driver_result_release(&r);
		if (held_before) {
			rc = err_set(err, EXIT_FAILED, "server session %s already holds the migration lock, which this "
						       "runner never took: the connection is shared with other clients "
						       "(a transaction pooler such as PgBouncer?)", lock->pid);
			err_hint(err, "use --lock=table behind transaction pooling; the lock stays until that server "
				      "connection closes");
			break;
		}
		if (got && lease_live(t, lock->holder, &live, err) != 0) {
			rc = -1;
			break;
		}
		if (got && live && tracker_sql(t, unlock.buf, NULL, err) != 0) {
			rc = -1;
			break;
		}
		if (got && !live) {
			emit(options, MIGRATE_EVENT_LOCKED, NULL, NULL, 0, false);
			break;
		}
		if (clock_now() >= lock->deadline) {
			rc = err_set(err, EXIT_FAILED, "could not take the migration lock within %g s: another dbctl migrate "
						       "is running on this database", options->lock_timeout);
			err_hint(err, "wait for it, or raise --lock-timeout");
			break;
		}
		now_waiting = live ? "another migrate holds the lease (--lock=table); waiting"
				   : "another migrate holds the lock; waiting";
		if (now_waiting != waiting)
			emit(options, MIGRATE_EVENT_LOCK_WAIT, NULL, now_waiting, 0, false);
		waiting = now_waiting;
		if (!pause_until(pause, lock->deadline)) {
			rc = err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lock");
			break;
		}
		pause = pause * 2 > 1 ? 1 : pause * 2;
	}
	strbuf_release(&sql);
	strbuf_release(&key);
	strbuf_release(&unlock);
	return rc;
}

/* --lock=table: behind PgBouncer in transaction pooling a session lock does
 * not hold, so a lease row does: taken when free or expired, renewed before
 * each migration, deleted at the end. It is taken only in a transaction that
 * also gets the advisory lock's key as a transaction lock, so that it is
 * never taken while an advisory runner works; advisory runners in turn wait
 * while a live lease exists. */
#define LEASE_SECONDS 600

/* --lease, whole seconds as the lease row keeps them */
static int lease_seconds(const struct migrate_options *options)
{
	return options->lease_seconds > 0 ? (int)(options->lease_seconds + 0.5) : LEASE_SECONDS;
}

static int lease_sql(struct tracker *t, const struct migrate_options *options, const char *holder, bool renew,
		     struct driver_result *out, struct err *err)
{
	char *table = lease_table(t), *who = literal(t, holder);
	struct strbuf sql, key;
	int rc;

	strbuf_init(&sql);
	strbuf_init(&key);
	lock_key(t, options, &key);
	if (renew) {
		/* after a migration's own SETs; an expired lease is not renewed:
		 * an advisory runner may have started since, seeing it expired */
		guarded(t, &sql, false);
		t->sql->lock->lease_renew(&sql, table, who, lease_seconds(options));
	} else {
		t->sql->lock->lease_take(&sql, table, who, lease_seconds(options), key.buf);
	}
	rc = tracker_sql(t, sql.buf, out, err);
	strbuf_release(&sql);
	strbuf_release(&key);
	free(table);
	free(who);
	return rc;
}

/* Who holds the lease and for how long still, for the message of a runner
 * that gave up waiting ("" when it cannot tell): a lease left by a lost
 * connection blocks the next run until it expires, and the user must see that. */
static void lease_describe(struct tracker *t, char *out, size_t size)
{
	char *table = lease_table(t);
	struct driver_result r;
	struct strbuf sql;
	struct err ignored;

	out[0] = '\0';
	err_init(&ignored);
	strbuf_init(&sql);
	t->sql->lock->lease_describe(&sql, table);
	if (tracker_sql(t, sql.buf, &r, &ignored) == 0) {
		if (r.row_count == 1 && r.cells[0] && r.cells[1])
			snprintf(out, size, " (the lease of %s, which expires in %s s)", r.cells[0], r.cells[1]);
		driver_result_release(&r);
	}
	strbuf_release(&sql);
	free(table);
}

static void lease_holder(char *out, size_t size)
{
	char host[128] = "?";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, size, "%s:%ld:%ld", host, (long)getpid(), (long)time(NULL));
}

static int take_lease(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock,
		      struct err *err)
{
	double pause = 0.05;
	bool waited = false;

	for (;;) {
		struct driver_result r;
		bool got;

		if (lease_sql(t, options, lock->holder, false, &r, err) != 0) {
			/* two runners creating the table at once: one loses, and tries again */
			if (err->code == EXIT_NO_ANSWER || clock_now() > lock->deadline)
				return -1;
			err_init(err);
			if (!pause_until(pause, lock->deadline))
				return err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lease");
			continue;
		}
		got = r.row_count == 1;
		driver_result_release(&r);
		if (got) {
			emit(options, MIGRATE_EVENT_LOCKED, NULL, NULL, 0, false);
			return 0;
		}
		if (clock_now() >= lock->deadline) {
			char held_by[300];

			lease_describe(t, held_by, sizeof(held_by));
			err_set(err, EXIT_FAILED, "could not take the migration lease within %g s: another dbctl migrate "
						  "holds it%s or the advisory lock", options->lock_timeout, held_by);
			err_hint(err, "wait for it, or raise --lock-timeout; a lease left by a crashed runner expires after %d s",
				 lease_seconds(options));
			return -1;
		}
		if (!waited)
			emit(options, MIGRATE_EVENT_LOCK_WAIT, NULL, "another migrate holds the lease; waiting", 0, false);
		waited = true;
		if (!pause_until(pause, lock->deadline))
			return err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lease");
		pause = pause * 2 > 1 ? 1 : pause * 2;
	}
}

/* A second connection renews the lease a few times per lease length, so
 * that one long statement does not outlive it. Without a connection to
 * spare, the renewals between migrations are all there is: said, not fatal. */
static void heartbeat_start(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock)
{
	char *table = lease_table(t), *who = literal(t, lock->holder);
	double seconds = lease_seconds(options);
	struct strbuf sql;
	struct err err;

	err_init(&err);
	strbuf_init(&sql);
	t->sql->lock->lease_renew(&sql, table, who, (int)seconds);
	/* a pool with none to spare answers at once: the warning below, not a wait */
	if (engine_checkout(t->engine, clock_now() + 2, &lock->heartbeat_conn, &err) != 0 ||
	    migrate_heartbeat_start(&lock->heartbeat, t->engine->driver, lock->heartbeat_conn->conn, sql.buf,
				    seconds / 4 < 0.25 ? 0.25 : seconds / 4, seconds, &err) != 0) {
		char message[600];

		if (lock->heartbeat_conn)
			engine_checkin(t->engine, lock->heartbeat_conn, true);
		lock->heartbeat_conn = NULL;
		snprintf(message, sizeof(message), "the lease is renewed only between migrations: no connection for its "
			 "heartbeat (%s)", err.message);
		emit(options, MIGRATE_EVENT_WARNING, NULL, message, 0, false);
	}
	t->heartbeat = lock->heartbeat;
	strbuf_release(&sql);
	free(table);
	free(who);
}

static void heartbeat_stop(struct tracker *t, struct migration_lock *lock)
{
	migrate_heartbeat_stop(lock->heartbeat);
	lock->heartbeat = NULL;
	t->heartbeat = NULL;
	/* closed: a renewal stop cancelled leaves the session in no state worth pooling */
	if (lock->heartbeat_conn)
		engine_checkin(t->engine, lock->heartbeat_conn, true);
	lock->heartbeat_conn = NULL;
}

static int lease_lost(struct tracker *t, const char *where, struct err *err)
{
	char why[256];

	if (!migrate_heartbeat_lost(t->heartbeat, why, sizeof(why)))
		return 0;
	err_set(err, EXIT_FAILED, "the migration lease was lost (%s): stopped before %s, which was not sent", why, where);
	err_hint(err, "another runner may be migrating now: check 'migrate status' before running again");
	return -1;
}

/* before each statement of a migration: a runner whose lease is gone sends no more */
static int lease_still_held(void *context, const char *file, const struct sqlscan_statement *statement,
			    struct err *err)
{
	struct tracker *t = context;
	char where[4200];

	snprintf(where, sizeof(where), "%s:%d", file, statement->line);
	return lease_lost(t, where, err);
}

static int lock_acquire(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock,
			struct err *err)
{
	if (options->lock_mode == MIGRATE_LOCK_AUTO && lock->shared) {
		char message[512];

		snprintf(message, sizeof(message), "a pooler or proxy is between dbctl and the server (%s); behind "
			 "transaction pooling a session lock does not hold, so migrate takes the lease row "
			 "(--lock=table, which also silences this; --lock=advisory for a session pooler)", lock->why);
		emit(options, MIGRATE_EVENT_WARNING, NULL, message, 0, false);
	}
	lease_holder(lock->holder, sizeof(lock->holder));
	if ((lock->mode == MIGRATE_LOCK_TABLE ? take_lease(t, options, lock, err) : take_lock(t, options, lock, err)) != 0)
		return -1;
	lock->held = true;
	{
		struct strbuf key;

		strbuf_init(&key);
		lock_key(t, options, &key);
		t->lock_key = strbuf_detach(&key);
		t->lock_session = lock->mode == MIGRATE_LOCK_ADVISORY;
		t->lock_timeout = options->lock_timeout;
	}
	if (lock->mode == MIGRATE_LOCK_TABLE)
		heartbeat_start(t, options, lock);
	return 0;
}

/* The session lock was found released before path. */
static int lock_released(struct tracker *t, const char *path, struct err *err)
{
	err_set(err, EXIT_FAILED, "the migration lock was released on this runner's own server session before %s: a "
				  "migration ran %s; stopping",
		path, t->sql->lock->release_statements);
	err_hint(err, "remove that statement from the migration: dbctl's advisory lock is on the session that runs "
		      "the migrations; another runner may have started meanwhile");
	return -1;
}

static int lock_pin_try(struct tracker *t, bool pin, bool begin, bool *held, struct err *err)
{
	struct driver_result r;
	struct strbuf sql;
	int rc;

	strbuf_init(&sql);
	if (begin) {
		strbuf_addstr(&sql, t->sql->begin_sql);
		if (t->begin_settings)
			strbuf_addstr(&sql, t->begin_settings);
	}
	if (!t->lock_session)
		t->sql->lock->pin(&sql, t->lock_key);
	else
		t->sql->lock->check(&sql, t->lock_key, pin);
	rc = tracker_sql(t, sql.buf, &r, err);
	strbuf_release(&sql);
	if (rc != 0)
		return -1;
	*held = cell_true(&r, 0);
	driver_result_release(&r);
	return 0;
}

/* The advisory lock lives on the session that runs the migrations, so a
 * migration can release it (pg_advisory_unlock_all(), DISCARD ALL) and let a
 * rival start beside it. Before each section the session must still hold
 * it; a transaction also takes it as a transaction lock (pin), which nothing
 * the migration runs can release before its COMMIT. Under the lease the pin
 * alone keeps a rival out of a transaction that outlives the lease (neither
 * an advisory runner nor a lease taker gets the key while it is open). */
static int lock_pin(struct tracker *t, bool pin, bool begin, const char *path, struct err *err)
{
	double until = clock_now() + t->lock_timeout, pause = 0.02;
	bool held = false;

	if (!t->lock_key || (!t->lock_session && !pin))
		return 0;
	/* under the lease, without a transaction lock to pin (MySQL): the lease alone */
	if (!t->lock_session && !t->sql->lock->pin)
		return begin ? migration_begin(t, err) : 0;
	if (lock_pin_try(t, pin, begin, &held, err) != 0)
		return -1;
	/* under the lease: an advisory runner holds the id for a moment, until it sees the lease */
	while (!held && !t->lock_session && clock_now() < until) {
		if (!pause_until(pause, until))
			return err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lock");
		pause = pause * 2 > 0.5 ? 0.5 : pause * 2;
		if (lock_pin_try(t, pin, false, &held, err) != 0)
			return -1;
	}
	if (held)
		return 0;
	if (!t->lock_session)
		return err_set(err, EXIT_FAILED, "another runner holds the migration lock's id while this one holds the "
						 "lease, before %s; stopping", path);
	return lock_released(t, path, err);
}

/* Before each migration: the lease is renewed (and still ours); through a
 * proxy, an advisory lock is still on the server session that took it. */
static int lock_check(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock,
		      struct err *err)
{
	struct driver_result r;
	int rc = 0;

	if (!lock->held || (lock->mode == MIGRATE_LOCK_ADVISORY && !lock->shared))
		return 0;
	if (lock->mode == MIGRATE_LOCK_TABLE) {
		if (lease_lost(t, "the next migration", err) != 0)
			return -1;
		if (lease_sql(t, options, lock->holder, true, &r, err) != 0)
			return -1;
		if (r.row_count != 1)
			rc = err_set(err, EXIT_FAILED, "the migration lease expired (another runner may have taken it, or "
						       "the lock); stopping");
		driver_result_release(&r);
		return rc;
	}
	if (tracker_sql(t, t->sql->lock->session_id_sql, &r, err) != 0)
		return -1;
	if (r.row_count != 1 || !r.cells[0] || strcmp(r.cells[0], lock->pid) != 0) {
		rc = err_set(err, EXIT_FAILED, "the server session under this connection changed (backend %s, now %s): "
					       "the advisory lock stayed on the first one, so it does not hold; stopping",
			     lock->pid, r.row_count == 1 && r.cells[0] ? r.cells[0] : "?");
		err_hint(err, "a transaction pooler (PgBouncer pool_mode=transaction) is in between: use --lock=table");
	}
	driver_result_release(&r);
	return rc;
}

/* Releases the lock on the connection that holds it; false when that
 * connection must be discarded (an advisory lock then ends with its server
 * session). A lease that a lost connection could not delete is left to
 * expire: the server may still be running that connection's last statement,
 * and deleting it from another connection would let a rival start beside it. */
static bool lock_release(struct tracker *t, const struct migrate_options *options, struct migration_lock *lock)
{
	struct strbuf sql, key;
	struct driver_result r;
	struct err ignored;
	bool released = true;

	if (!lock->held)
		return true;
	strbuf_init(&sql);
	strbuf_init(&key);
	err_init(&ignored);
	if (lock->mode == MIGRATE_LOCK_TABLE) {
		char *table = lease_table(t), *who = literal(t, lock->holder);
		enum driver_transaction state = t->engine->driver->transaction_state(t->conn);

		/* a failed migration's transaction may still be open: the lease row is not part of it */
		if (state == DRIVER_TRANSACTION_UNKNOWN)
			released = false;
		else if ((state == DRIVER_TRANSACTION_OPEN || state == DRIVER_TRANSACTION_FAILED) &&
			 t->engine->driver->rollback(t->conn, &ignored) != 0)
			released = false;
		/* after that ROLLBACK: a renewal may be waiting for the row this session's transaction held */
		heartbeat_stop(t, lock);
		if (released) {
			guarded(t, &sql, false);
			strbuf_addf(&sql, "DELETE FROM %s WHERE id = 1 AND holder = %s", table, who);
			released = tracker_sql(t, sql.buf, NULL, &ignored) == 0;
		}
		free(table);
		free(who);
	} else {
		lock_key(t, options, &key);
		t->sql->lock->release(&sql, key.buf);
		if (tracker_sql(t, sql.buf, &r, &ignored) != 0) {
			released = false;
		} else {
			if (!cell_true(&r, 0)) {
				char message[128];

				snprintf(message, sizeof(message), "the migration lock was not held by server session %s at the "
					 "end", lock->pid);
				emit(options, MIGRATE_EVENT_WARNING, NULL, message, 0, false);
				released = false;
			}
			driver_result_release(&r);
		}
	}
	strbuf_release(&sql);
	strbuf_release(&key);
	lock->held = false;
	return released;
}

/* ---- running a section ---- */

struct progress;
static int progress_mark(void *context, long index, const struct sqlscan_statement *statement, struct err *err);

/* A dry run measuring the locks of one migration's statements. */
struct lock_watch {
	struct tracker *tracker;
	const struct migration *migration;
	const struct migrate_options *options;
	const char *file;
	int line;
};

static void report_lock(void *context, const struct migrate_locks_finding *finding)
{
	struct lock_watch *watch = context;
	struct migrate_event event = {
		.kind = MIGRATE_EVENT_LOCKS,
		.version = watch->migration->version,
		.name = watch->migration->name,
		.transaction = true,
		.file = watch->file,
		.line = watch->line,
		.table = finding->table,
		.mode = finding->stronger ? finding->mode : NULL,
		.rewritten = finding->rewritten,
	};

	if (watch->options->on_event)
		watch->options->on_event(watch->options->context, &event);
}

static int watch_statement(void *context, const char *file, const struct sqlscan_statement *statement,
			   struct err *err)
{
	struct lock_watch *watch = context;
	struct tracker *t = watch->tracker;

	watch->file = file;
	watch->line = statement->line;
	return migrate_locks_observe(t->locks, t->engine->driver, t->conn, report_lock, watch, err);
}

/* Before a section's first statement: the tables as they were before the
 * dry run changed anything, and the locks dbctl's own reads and rows took,
 * so that they are not laid at the migration's door. */
static int watch_begin(struct tracker *t, struct err *err)
{
	if (!t->locks->ready && migrate_locks_snapshot(t->locks, t->engine->driver, t->conn, err) != 0)
		return -1;
	return migrate_locks_observe(t->locks, t->engine->driver, t->conn, NULL, NULL, err);
}

/* progress: where a section without a transaction records each statement's start (NULL with one) */
static int run_section(struct tracker *t, const struct migration *m, const struct migration_section *section,
		       bool transaction, long skip, const struct migrate_options *options, struct progress *progress,
		       long *completed, struct err *err)
{
	struct script_options script;
	struct script_summary summary;
	struct script_stream input;
	struct lock_watch watch = { .tracker = t, .migration = m, .options = options };
	int rc;

	memset(&script, 0, sizeof(script));
	memset(&summary, 0, sizeof(summary));
	script.transaction = transaction;
	script.skip_statements = skip;
	script.on_statement = options->on_statement;
	script.context = options->context;
	if (progress) {
		script.before_statement = progress_mark;
		script.progress_context = progress;
	}
	if (t->heartbeat) {
		script.before_each = lease_still_held;
		script.before_each_context = t;
	}
	if (t->locks && transaction) {
		if (watch_begin(t, err) != 0)
			return -1;
		script.after_statement = watch_statement;
		script.after_context = &watch;
	}
	input.stream = fmemopen(section->text, strlen(section->text), "r");
	input.name = section->path;
	input.first_line = section->first_line;
	if (!input.stream)
		return err_set(err, EXIT_FAILED, "out of memory");
	rc = script_run_stream(t->engine->driver, t->conn, &input, t->engine->driver->dialect, &script, &summary,
			       err);
	fclose(input.stream);
	*completed = summary.statements;
	return rc;
}

/* A dry run shows a transaction:false section's statements without running them. */
static void show_section(const struct engine *engine, const struct migration_section *section,
			 const struct migrate_options *options)
{
	struct sqlscan_statement statement;
	struct strbuf data;
	struct sqlscan scan;
	struct err ignored;
	FILE *in = fmemopen(section->text, strlen(section->text), "r");

	if (!in || !options->on_statement) {
		if (in)
			fclose(in);
		return;
	}
	sqlscan_init(&scan, in, section->path, engine->driver->dialect->lexer);
	scan.line_number = section->first_line - 1;
	scan.complete = engine->driver->statement_complete;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	while (sqlscan_next(&scan, &statement, &ignored) == 1) {
		options->on_statement(options->context, section->path, &statement);
		while (statement.kind == SQLSCAN_COPY_IN && sqlscan_copy_line(&scan, &data, &ignored) == 1)
			;
	}
	strbuf_release(&data);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
}

/* What a section's statements say about transactions: any that cannot run
 * in one, any transaction control, and how many commit implicitly (MySQL's
 * DDL), with the first of those for the notice. */
struct section_kinds {
	bool outside, control;
	long implicit;
	char first_what[64];
	int first_line;
};

static void section_kinds(const struct engine *engine, const struct migration_section *section,
			  struct section_kinds *out)
{
	struct sqlscan_statement statement;
	struct strbuf data;
	struct sqlscan scan;
	struct err ignored;
	FILE *in;

	memset(out, 0, sizeof(*out));
	in = fmemopen(section->text, strlen(section->text), "r");
	if (!in)
		return;
	sqlscan_init(&scan, in, section->path, engine->driver->dialect->lexer);
	scan.line_number = section->first_line - 1;
	scan.complete = engine->driver->statement_complete;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	while (sqlscan_next(&scan, &statement, &ignored) == 1) {
		out->outside = out->outside || statement.kind == SQLSCAN_OUTSIDE_TRANSACTION;
		out->control = out->control || statement.kind == SQLSCAN_TRANSACTION_CONTROL;
		if (statement.commits_implicitly && out->implicit++ == 0) {
			snprintf(out->first_what, sizeof(out->first_what), "%s", statement.what);
			out->first_line = statement.line;
		}
		while (statement.kind == SQLSCAN_COPY_IN && sqlscan_copy_line(&scan, &data, &ignored) == 1)
			;
	}
	strbuf_release(&data);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
}

/* Whether a section runs in dbctl's transaction. golang-migrate has no
 * transaction:false marker and wraps nothing in a transaction itself: a file
 * of its with a statement that cannot run in one (CREATE INDEX CONCURRENTLY)
 * runs without, unless it wrapped itself in BEGIN/COMMIT or holds other
 * transaction control, which the check then refuses. Where DDL commits
 * implicitly (MySQL), a section of any format with such a statement cannot
 * be atomic: it runs as transaction:false does, recording how far it got
 * (unless it also holds transaction control, which the check refuses).
 * Lexes the section: call it only for sections about to run. */
static bool section_transaction(const struct engine *engine, const struct migration *m,
				const struct migration_section *section)
{
	bool golang = m->format == MIGRATION_GOLANG_MIGRATE && !section->unwrapped;
	struct section_kinds kinds;

	if (!section->transaction || (!golang && !engine->driver->dialect->migration->ddl_commits))
		return section->transaction;
	section_kinds(engine, section, &kinds);
	if (kinds.control)
		return true;
	return golang ? !kinds.outside : kinds.implicit == 0;
}

/* How messages name a migration: VERSION_name, or a repeatable one's R__name. */
static const char *label(const struct migration *m, char *buf, size_t size)
{
	if (m->repeatable)
		snprintf(buf, size, "%s", m->version);
	else
		snprintf(buf, size, "%s_%s", m->version, m->name);
	return buf;
}

/* Says once per command, on stderr, why a migration runs without a
 * transaction when its file did not ask for that. */
static void tell_implicit(struct tracker *t, const struct migration *m, const struct migration_section *section,
			  const struct migrate_options *options)
{
	struct section_kinds kinds;
	char message[768], name[256];

	if (t->told_implicit || !section->transaction || !t->sql->ddl_commits)
		return;
	section_kinds(t->engine, section, &kinds);
	if (!kinds.implicit)
		return;
	t->told_implicit = true;
	snprintf(message, sizeof(message), "%s runs without a transaction: %ld of its statements commit implicitly on "
		 "%s (%s at %s:%d), so it cannot be atomic; its progress is recorded, and if a statement fails, the ones "
		 "before it stay applied and the next 'migrate %s' %s",
		 label(m, name, sizeof(name)), kinds.implicit, t->engine->driver->display_name, kinds.first_what,
		 section->path, kinds.first_line, section == &m->down ? "down --retry" : "up",
		 m->repeatable ? "runs it again from statement 1 (a repeatable migration runs whole)" : "resumes at it");
	emit(options, MIGRATE_EVENT_WARNING, m, message, 0, false);
}

/* Refuses, before anything runs, sections whose statements do not fit their mode. */
static int check_section(const struct engine *engine, const struct migration *m,
			 const struct migration_section *section, bool transaction, struct err *err)
{
	struct script_options script;
	struct script_stream input;
	long statements;
	int rc;

	if (section->envsub_error)
		return err_set(err, EXIT_USAGE, "%s", section->envsub_error);
	memset(&script, 0, sizeof(script));
	script.transaction = transaction;
	input.stream = fmemopen(section->text, strlen(section->text), "r");
	input.name = section->path;
	input.first_line = section->first_line;
	if (!input.stream)
		return err_set(err, EXIT_FAILED, "out of memory");
	rc = script_check_stream(&input, engine->driver->dialect, &script, engine->driver->statement_complete,
				 &statements, err);
	fclose(input.stream);
	if (rc != 0 && err->code == EXIT_USAGE && strstr(err->hint, "--no-transaction")) {
		/* golang-migrate has no marker to suggest: say what works for its files */
		if (m->format != MIGRATION_GOLANG_MIGRATE)
			err_hint(err, "mark the section '-- migrate:up transaction:false' (goose: '-- +goose NO TRANSACTION')");
		else if (strstr(err->hint, "remove it"))
			err_hint(err, "remove it: dbctl runs each golang-migrate file in a transaction, and drops only a "
				      "BEGIN that opens the file and a COMMIT that closes it");
		else
			err_hint(err, "move it to a migration of its own without BEGIN/COMMIT: such a file runs without a "
				      "transaction");
	}
	return rc;
}

/* Whether a section holds no statement (only comments, or nothing). */
static bool section_is_empty(const struct engine *engine, const struct migration_section *section)
{
	struct sqlscan_statement statement;
	struct sqlscan scan;
	struct err ignored;
	bool empty;
	FILE *in = fmemopen(section->text, strlen(section->text), "r");

	if (!in)
		return false;
	sqlscan_init(&scan, in, section->path, engine->driver->dialect->lexer);
	scan.complete = engine->driver->statement_complete;
	sqlscan_statement_init(&statement);
	err_init(&ignored);
	empty = sqlscan_next(&scan, &statement, &ignored) == 0;
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
	return empty;
}

/* A migration without a down section reverts as a no-op when its up
 * section has nothing to undo (goose and golang-migrate do the same), or
 * when --allow-missing-down says its changes may stay; else -1, naming it. */
static int check_missing_down(const struct engine *engine, const struct migration *m,
			      const struct migrate_options *options, struct err *err)
{
	if (m->down.present || options->allow_missing_down || section_is_empty(engine, &m->up))
		return 0;
	err_set(err, EXIT_USAGE, "%s: migration %s has no down section", m->path, m->version);
	err_hint(err, "add one; or pass --allow-missing-down to revert it by deleting its tracking row only (what its "
		      "up section did stays)");
	return -1;
}

/* A tracking-table error names the migration and the step; a duplicate row
 * means another runner recorded it meanwhile, so its statements ran twice. */
static bool duplicate_row(const struct tracker *t, const struct err *err)
{
	return (t->sql->duplicate_state && strcmp(err->sqlstate, t->sql->duplicate_state) == 0) ||
	       (t->sql->duplicate_text && strstr(err->message, t->sql->duplicate_text));
}

static void tracking_error(const struct tracker *t, struct err *err, const char *step, const struct migration *m)
{
	bool duplicate = duplicate_row(t, err);
	char name[256];

	err_prefix(err, "%s %s failed", step, label(m, name, sizeof(name)));
	if (duplicate && t->sql->lock)
		err_hint(err, "another runner recorded migration %s at the same time, so its statements may have run "
			      "twice: check the database; were two runners using different --lock modes or lock ids?",
			 m->version);
	else if (duplicate)
		err_hint(err, "another runner recorded migration %s at the same time: SQLite does not serialise "
			      "transaction:false sections, so its statements ran twice; check the database and run them "
			      "from one process", m->version);
}

/* Writes the migration's row, updating the one stored as row_version when
 * not NULL; with and_commit the transaction ends in the same message,
 * saving a round trip per migration. With still_held, the same message then
 * asks whether the session still holds the advisory lock (the check after a
 * transaction:false section), saving another. */
static int record(struct tracker *t, const struct migration *m, long duration_ms, long failed_statement,
		  const char *error, const char *row_version, bool and_commit, bool *still_held, struct err *err)
{
	struct driver_result held;
	char *version = literal(t, row_version ? row_version : m->version), *name = literal(t, m->name);
	char *message = literal(t, error ? error : "");
	struct strbuf sql;
	char failed[32] = "NULL";
	bool commits;
	int rc;

	if (failed_statement >= 0)
		snprintf(failed, sizeof(failed), "%ld", failed_statement);
	strbuf_init(&sql);
	guarded(t, &sql, and_commit);
	if (row_version)
		strbuf_addf(&sql, "UPDATE %s SET name = %s, checksum = '%s', checksum_algorithm = 'sha256', "
				  "applied_at = CURRENT_TIMESTAMP, duration_ms = %ld, failed_statement = %s, error = %s "
				  "WHERE version = %s",
			    t->table, name, m->up.checksum, duration_ms, failed, error ? message : "NULL", version);
	else
		strbuf_addf(&sql, "INSERT INTO %s (version, name, checksum, checksum_algorithm, applied_at, duration_ms, "
				  "failed_statement, error) VALUES (%s, %s, '%s', 'sha256', CURRENT_TIMESTAMP, %ld, %s, %s)",
			    t->table, version, name, m->up.checksum, duration_ms, failed, error ? message : "NULL");
	if (and_commit)
		strbuf_addstr(&sql, t->sql->commit_sql);
	if (still_held) {
		strbuf_addstr(&sql, "; ");
		t->sql->lock->check(&sql, t->lock_key, false);
	}
	commits = and_commit || (t->engine->driver->transaction_state &&
				 t->engine->driver->transaction_state(t->conn) == DRIVER_TRANSACTION_NONE);
	rc = tracker_sql(t, sql.buf, still_held ? &held : NULL, err);
	if (rc == 0 && still_held) {
		*still_held = cell_true(&held, 0);
		driver_result_release(&held);
	}
	/* lost once the row (and with it the migration) was sent to commit: it may have */
	if (rc != 0 && commits && err->code == EXIT_NO_ANSWER)
		err->code = EXIT_UNKNOWN;
	if (rc != 0 && and_commit && err->code != EXIT_UNKNOWN && script_interrupted()) {
		err_set(err, EXIT_INTERRUPTED, "interrupted during the COMMIT of migration %s: rolled back, not recorded",
			m->version);
	} else if (rc != 0 && commits && err->code == EXIT_UNKNOWN) {
		err_prefix(err, "migration %s", m->version);
		err_hint(err, "the connection was lost after migration %s and its tracking row were sent to commit: it "
			      "may or may not be applied; 'migrate status' tells which, and the next 'migrate up' applies it "
			      "only if it is not", m->version);
	} else if (rc != 0 && (!and_commit || strstr(err->message, t->name) ||
			       (t->engine->driver->transaction_state &&
				t->engine->driver->transaction_state(t->conn) == DRIVER_TRANSACTION_FAILED))) {
		/* with the COMMIT in the message, an error may be the migration's own (a
		 * deferred constraint), which is the commit path's to report: PostgreSQL
		 * leaves the transaction failed only when the INSERT failed */
		tracking_error(t, err, "recording the tracking row of", m);
	}
	strbuf_release(&sql);
	free(version);
	free(name);
	free(message);
	return rc;
}

/* checksum: a repeatable migration's, whose row counts only when it records
 * this text (NULL for a versioned one: any row) */
static bool row_exists(struct tracker *t, const char *version_text, const char *checksum, struct err *err, int *rc)
{
	char *version = literal(t, version_text);
	struct driver_result r;
	struct strbuf sql;
	bool exists = false;

	strbuf_init(&sql);
	strbuf_addf(&sql, "SELECT 1 FROM %s WHERE version = %s", t->table, version);
	if (checksum)
		strbuf_addf(&sql, " AND checksum = '%s' AND failed_statement IS NULL", checksum);
	*rc = tracker_sql(t, sql.buf, &r, err);
	if (*rc != 0)
		err_prefix(err, "reading the tracking row of version %s failed", version_text);
	if (*rc == 0) {
		exists = r.row_count > 0;
		driver_result_release(&r);
	}
	strbuf_release(&sql);
	free(version);
	return exists;
}

/* The invalid indexes one statement may have left, as "a, b"; "" when none. */
static int invalid_indexes(struct tracker *t, const struct migrate_index *index, struct strbuf *out, struct err *err)
{
	struct driver_result r;
	struct strbuf sql, table;
	long row;
	size_t i;
	int rc;

	strbuf_init(&sql);
	strbuf_init(&table);
	if (index->kind == MIGRATE_INDEX_REINDEX) {
		t->sql->invalid_indexes(&sql, true, NULL, NULL);
	} else {
		char *literal_table, *name = NULL;

		/* the table as the statement resolved it: same session, same search_path */
		for (i = 0; i < index->table_part_count; i++) {
			char *part = t->engine->driver->quote(t->conn, index->table_parts[i], true);

			strbuf_addf(&table, "%s%s", i ? "." : "", part);
			free(part);
		}
		literal_table = literal(t, table.buf);
		if (index->name[0])
			name = literal(t, index->name);
		t->sql->invalid_indexes(&sql, false, literal_table, name);
		free(literal_table);
		free(name);
	}
	rc = tracker_sql(t, sql.buf, &r, err);
	for (row = 0; rc == 0 && row < r.row_count; row++)
		strbuf_addf(out, "%s%s", row ? ", " : "", r.cells[row] ? r.cells[row] : "?");
	if (rc == 0)
		driver_result_release(&r);
	strbuf_release(&sql);
	strbuf_release(&table);
	return rc;
}

/* CREATE INDEX CONCURRENTLY that is interrupted (connection lost, cancel,
 * statement_timeout) leaves an INVALID index, which IF NOT EXISTS then
 * skips: the migration would be recorded over an index that serves no query.
 * After the section ran, each such statement run in this attempt (from skip
 * on) must have left only valid indexes; otherwise *completed becomes the
 * statements before it and the section fails there. REINDEX CONCURRENTLY
 * leaves <index>_ccnew/_ccold: detected the same way. Dropping and
 * rebuilding is left to a person: the invalid index may be another session's
 * build still in progress. */
static int check_indexes(struct tracker *t, const struct migration_section *section, long skip, long *completed,
			 struct err *err)
{
	struct sqlscan_statement statement;
	struct strbuf data, invalid;
	struct sqlscan scan;
	struct err ignored;
	long index_no = 0;
	int rc = 0;
	FILE *in = fmemopen(section->text, strlen(section->text), "r");

	if (!in)
		return err_set(err, EXIT_FAILED, "out of memory");
	sqlscan_init(&scan, in, section->path, t->engine->driver->dialect->lexer);
	scan.line_number = section->first_line - 1;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	strbuf_init(&invalid);
	err_init(&ignored);
	while (rc == 0 && sqlscan_next(&scan, &statement, &ignored) == 1) {
		struct migrate_index index;

		if (statement.kind == SQLSCAN_OUTSIDE_TRANSACTION && index_no >= skip) {
			migrate_index_parse(statement.text.buf, &index);
			if (index.kind != MIGRATE_INDEX_NONE) {
				strbuf_reset(&invalid);
				rc = invalid_indexes(t, &index, &invalid, err);
				if (rc != 0) {
					err_prefix(err, "%s:%d: checking the indexes it built failed", section->path, statement.line);
					*completed = index_no - skip;   /* unchecked: a resume must check it again */
				} else if (invalid.len) {
					rc = err_set(err, EXIT_FAILED, "%s:%d: invalid index %s after %s: an earlier build was interrupted "
								       "(or another session is still building it); drop it "
								       "(DROP INDEX CONCURRENTLY %s) before this runs again",
						     section->path, statement.line, invalid.buf,
						     index.kind == MIGRATE_INDEX_REINDEX ? "REINDEX CONCURRENTLY"
											 : "CREATE INDEX CONCURRENTLY",
						     invalid.buf);
					*completed = index_no - skip;
				}
			}
		}
		while (statement.kind == SQLSCAN_COPY_IN && sqlscan_copy_line(&scan, &data, &ignored) == 1)
			;
		index_no++;
	}
	strbuf_release(&invalid);
	strbuf_release(&data);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
	return rc;
}

/* CREATE INDEX CONCURRENTLY without IF NOT EXISTS fails with "already
 * exists" over the invalid index an earlier, interrupted build left: say so. */
static void hint_invalid_index(struct tracker *t, const struct migration_section *section, long statement,
			       struct err *err)
{
	char hint[sizeof(err->hint)];
	const char *what;
	struct err probe;
	long at = 0;

	err_init(&probe);
	if (check_indexes(t, section, statement, &at, &probe) == 0 || at != 0)
		return;
	what = strstr(probe.message, "invalid index ");
	if (!what)
		return;
	snprintf(hint, sizeof(hint), "%s; and it is an %s", err->hint, what);
	snprintf(err->hint, sizeof(err->hint), "%s", hint);
}

/* Writes how far a transaction:false down section got: the migration stays
 * recorded (part of it is still in), as failed in its down section. */
static int record_down_failure(struct tracker *t, const struct migrate_entry *entry, long failed_statement,
			       const char *error, struct err *err)
{
	char *version = literal(t, entry->row_version), *message = literal(t, error);
	struct strbuf sql;
	int rc;

	strbuf_init(&sql);
	guarded(t, &sql, false);
	strbuf_addf(&sql, "UPDATE %s SET failed_statement = %ld, error = %s, failed_section = 'down' WHERE version = %s",
		    t->table, failed_statement, message, version);
	rc = tracker_sql(t, sql.buf, NULL, err);
	if (rc != 0 && entry->file)
		tracking_error(t, err, "recording the tracking row of", entry->file);
	strbuf_release(&sql);
	free(version);
	free(message);
	return rc;
}

/* "statements 2 to 4", "statement 2": which ones of a section ran in this run. */
static void statement_range(char *out, size_t size, long first, long last)
{
	if (first == last)
		snprintf(out, size, "statement %ld", first);
	else
		snprintf(out, size, "statements %ld to %ld", first, last);
}

/* What the tracking row says while a statement of a section without a
 * transaction runs. Written before each statement (not only when one
 * fails), so that a runner killed or cut off during a statement leaves a row
 * that names it: the next runner neither runs the statements before it again
 * nor claims to know whether it applied. While its runner still holds the
 * lock, the same row is what 'migrate status' shows of a migration in flight. */
static const char running_text[] = "running, or its runner stopped during it: whether it applied is unknown";

/* Whether another session holds the migration lock (or a live lease) now:
 * the lock is tried without waiting and, when taken, given back at once. */
static int lock_held_elsewhere(struct tracker *t, const struct migrate_options *options, bool *held, struct err *err)
{
	struct strbuf sql, key;
	struct driver_result r;
	bool live = false;
	int rc;

	*held = false;
	strbuf_init(&sql);
	strbuf_init(&key);
	lock_key(t, options, &key);
	t->sql->lock->take(&sql, key.buf);
	rc = tracker_sql(t, sql.buf, &r, err);
	if (rc == 0) {
		bool before = cell_true(&r, 0), got = cell_true(&r, 1);

		driver_result_release(&r);
		*held = !before && !got;
		if (got) {
			strbuf_reset(&sql);
			t->sql->lock->release(&sql, key.buf);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
	}
	if (rc == 0 && !*held)
		rc = lease_live(t, "", &live, err);
	*held = *held || live;
	strbuf_release(&sql);
	strbuf_release(&key);
	return rc;
}

/* A row at a statement marked running is a runner that stopped there, or
 * one at it now: the lock tells them apart. */
static int mark_running(struct tracker *t, const struct migrate_options *options, struct migrate_status *status,
			struct err *err)
{
	bool any = false, held;
	size_t i;

	for (i = 0; i < status->count; i++)
		any = any || (status->entries[i].state == MIGRATE_FAILED && strcmp(status->entries[i].error, running_text) == 0);
	if (!any || !t->sql->lock)
		return 0;
	if (lock_held_elsewhere(t, options, &held, err) != 0)
		return -1;
	if (!held)
		return 0;
	for (i = 0; i < status->count; i++) {
		struct migrate_entry *e = &status->entries[i];

		if (e->state == MIGRATE_FAILED && strcmp(e->error, running_text) == 0) {
			e->running_now = true;
			status->failed--;
			status->running++;
		}
	}
	return 0;
}

/* A section's progress: the row it writes before each statement. */
struct progress {
	struct tracker *t;
	const struct migrate_entry *entry;
	bool down;
	bool inserted;       /* this run wrote the up section's row, which had none */
	bool marked;         /* the row now says that statement `index` is running */
	bool write_failed;   /* the last mark failed: its statement was not sent */
	bool tables_locked;  /* the session holds table locks (LOCK TABLES): it can write no row */
	long opened_at;      /* the statement that opened a transaction of the section's own, -1 none */
	long index;
	double started;
};

static void progress_init(struct progress *p, struct tracker *t, const struct migrate_entry *entry, bool down)
{
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->entry = entry;
	p->down = down;
	p->opened_at = -1;
	p->started = clock_now();
}

/* The row's version as stored, NULL while there is no row. */
static const char *progress_row(const struct progress *p)
{
	if (p->down || p->entry->state == MIGRATE_FAILED || (p->entry->file->repeatable && p->entry->row_version[0]))
		return p->entry->row_version;
	return p->inserted ? p->entry->file->version : NULL;
}

static bool starts_with_any(const char *what, const char *const *heads)
{
	for (; heads && *heads; heads++)
		if (strncasecmp(what, *heads, strlen(*heads)) == 0)
			return true;
	return false;
}

static int progress_mark(void *context, long index, const struct sqlscan_statement *statement, struct err *err)
{
	struct progress *p = context;
	struct tracker *t = p->t;
	const struct migration *m = p->entry->file;
	const char *row = progress_row(p);
	char *version, *name, *text;
	struct strbuf sql;
	int rc;

	bool locked = p->tables_locked;

	/* the row would be written under LOCK TABLES, or inside a transaction the
	 * section opened itself (and be rolled back with it): the row keeps
	 * naming an earlier statement, which errs on the side of running it again */
	if (starts_with_any(statement->what, t->sql->unlocks_tables))
		p->tables_locked = false;
	else if (starts_with_any(statement->what, t->sql->locks_tables))
		p->tables_locked = true;
	if (t->engine->driver->transaction_state(t->conn) != DRIVER_TRANSACTION_NONE) {
		if (p->opened_at < 0)
			p->opened_at = index - 1;
		return 0;
	}
	p->opened_at = -1;
	if (locked)
		return 0;
	/* no row yet says as much as one naming statement 1: the next runner
	 * starts there either way, and a one-statement DDL migration (most of
	 * MySQL's) costs no write more than it did. Without a lock (SQLite) a
	 * row another runner can see would make it resume a section that runs. */
	if ((!row && index == 0) || !t->sql->lock)
		return 0;
	version = literal(t, row ? row : m->version);
	name = literal(t, m->name);
	text = literal(t, running_text);
	strbuf_init(&sql);
	guarded(t, &sql, false);
	if (p->down)   /* the row keeps the up section's checksum */
		strbuf_addf(&sql, "UPDATE %s SET failed_section = 'down', failed_statement = %ld, error = %s "
				  "WHERE version = %s", t->table, index, text, version);
	else if (row)  /* the row names the file that runs now, as a failure's would */
		strbuf_addf(&sql, "UPDATE %s SET checksum = '%s', failed_statement = %ld, error = %s WHERE version = %s",
			    t->table, m->up.checksum, index, text, version);
	else
		strbuf_addf(&sql, "INSERT INTO %s (version, name, checksum, checksum_algorithm, applied_at, duration_ms, "
				  "failed_statement, error) VALUES (%s, %s, '%s', 'sha256', CURRENT_TIMESTAMP, 0, %ld, %s)",
			    t->table, version, name, m->up.checksum, index, text);
	rc = tracker_sql(t, sql.buf, NULL, err);
	p->write_failed = rc != 0;
	if (rc == 0) {
		p->inserted = p->inserted || !row;
		p->marked = true;
		p->index = index;
	} else {
		bool duplicate = duplicate_row(t, err);

		err_prefix(err, "%s: recording that statement %ld starts failed", m->path, index + 1);
		if (duplicate)
			err_hint(err, "another runner recorded migration %s at the same time; this one stopped before "
				      "statement %ld%s", m->version, index + 1,
				 t->sql->lock ? ": were two runners using different --lock modes or lock ids?"
					      : ": SQLite does not serialise transaction:false sections; run them from one process");
	}
	strbuf_release(&sql);
	free(version);
	free(name);
	free(text);
	return rc;
}

/* Puts the row back as this run found it: an interrupt before any statement
 * completed leaves nothing to decide (a cancelled CI job must not block the
 * next deploy). */
static int progress_undo(struct progress *p, struct err *err)
{
	struct tracker *t = p->t;
	const struct migrate_entry *e = p->entry;
	bool had = p->down ? e->failed_down : e->state == MIGRATE_FAILED;
	char *version = literal(t, progress_row(p)), *error = had ? literal(t, e->error) : NULL;
	char *checksum = literal(t, e->checksum);
	struct strbuf sql;
	int rc;

	strbuf_init(&sql);
	guarded(t, &sql, false);
	if (!had && !p->down)
		strbuf_addf(&sql, "DELETE FROM %s WHERE version = %s", t->table, version);
	else if (!had)
		strbuf_addf(&sql, "UPDATE %s SET failed_section = NULL, failed_statement = NULL, error = NULL "
				  "WHERE version = %s", t->table, version);
	else if (p->down)
		strbuf_addf(&sql, "UPDATE %s SET failed_statement = %ld, error = %s WHERE version = %s", t->table,
			    e->failed_statement, error, version);
	else
		strbuf_addf(&sql, "UPDATE %s SET checksum = %s, failed_statement = %ld, error = %s WHERE version = %s",
			    t->table, checksum, e->failed_statement, error, version);
	rc = tracker_sql(t, sql.buf, NULL, err);
	if (rc == 0)
		p->marked = false;
	strbuf_release(&sql);
	free(version);
	free(error);
	free(checksum);
	return rc;
}

/* A section without a transaction must not leave one open (a BEGIN
 * without COMMIT, MySQL's SET autocommit=0): its row would be written, and
 * rolled back, inside it. section_stopped rolls it back and says so. */
static int section_closed(struct tracker *t, const struct migration *m, const struct migration_section *section,
			  struct err *err)
{
	if (t->engine->driver->transaction_state(t->conn) == DRIVER_TRANSACTION_NONE)
		return 0;
	err_set(err, EXIT_FAILED, "%s: migration %s left a transaction open at the end of its transaction:false %s "
		"(a BEGIN without COMMIT, or SET autocommit=0)", section->path, m->version,
		section == &m->down ? "down section" : "section");
	return -1;
}

/* A resumed statement that was running when its runner stopped: the error may be its own earlier effect. */
static void hint_was_running(struct err *err, long number)
{
	char hint[sizeof(err->hint)];

	snprintf(hint, sizeof(hint), "statement %ld was running when an earlier runner stopped, and may have applied "
				     "then; %s", number, err->hint);
	snprintf(err->hint, sizeof(err->hint), "%s", hint);
}

/* A transaction:false section stopped at statement skip + completed (from 0):
 * the statements before it committed. Records how far it got when a person
 * has something to decide; a lost connection can record nothing (the row
 * then names the statement that was running), and an interrupt before any
 * statement completed puts the row back. The hint says what ran and exactly
 * what the next run does. */
static void section_stopped(struct tracker *t, struct progress *p, long skip, long completed, struct err *err)
{
	const struct migrate_entry *entry = p->entry;
	const struct migration *m = entry->file;
	bool down = p->down, had_row = down ? entry->failed_down : entry->state == MIGRATE_FAILED;
	bool lost = err->code == EXIT_NO_ANSWER || err->code == EXIT_UNKNOWN;
	bool interrupted = err->code == EXIT_INTERRUPTED;
	long stopped = skip + completed + 1;   /* from 1, as messages count */
	const char *cmd = down ? "down" : "up", *what = down ? "down section" : "section";
	char ran[256] = "", next[512], message[sizeof(err->message)], mark_hint[sizeof(err->hint)];
	struct err record_err;
	int recorded = -1;

	if (completed > 0) {
		statement_range(ran, sizeof(ran) - 40, skip + 1, skip + completed);
		strcat(ran, " ran and stayed applied (no transaction); ");
	} else if (skip > 0) {
		statement_range(ran, sizeof(ran) - 40, 1, skip);
		strcat(ran, " had run before (no transaction); ");
	}
	snprintf(message, sizeof(message), "%s", err->message);
	snprintf(mark_hint, sizeof(mark_hint), "%s", p->write_failed ? err->hint : "");
	err_init(&record_err);
	/* a transaction the section opened itself (BEGIN, SET autocommit=0) is
	 * rolled back here: the statements since it began did not stay, and the
	 * row says the section stopped at the statement that opened it */
	if (!lost && t->engine->driver->transaction_state(t->conn) != DRIVER_TRANSACTION_NONE) {
		long opened = p->opened_at >= 0 ? p->opened_at : skip + completed - 1;

		(void)t->engine->driver->rollback(t->conn, &record_err);
		err_init(&record_err);
		if (opened >= skip && opened < skip + completed) {
			char undone[128];

			statement_range(undone, sizeof(undone), opened + 1, skip + completed);
			completed = opened - skip;
			stopped = opened + 1;
			ran[0] = '\0';
			if (completed > 0)
				statement_range(ran, sizeof(ran) - 40, skip + 1, skip + completed);
			snprintf(ran + strlen(ran), sizeof(ran) - strlen(ran), "%s%s rolled back with the transaction the "
				 "section opened; ", completed > 0 ? " stayed applied, " : "", undone);
		}
	}
	if (interrupted && completed == 0) {
		if (p->marked)
			(void)progress_undo(p, &record_err);
	} else if (!lost) {
		recorded = down ? record_down_failure(t, entry, stopped - 1, message, &record_err)
				: record(t, m, (long)((clock_now() - p->started) * 1000), stopped - 1, message,
					 progress_row(p), false, NULL, &record_err);
	}
	/* a repeatable one never resumes: its next run is the whole file again */
	if (recorded == 0 && m->repeatable && !down)
		snprintf(next, sizeof(next), "recorded as stopped at statement %ld; a repeatable migration runs whole, so "
					     "the next 'migrate up' runs it again from statement 1: fix the file (or the "
					     "database) first", stopped);
	else if (recorded == 0 && interrupted)
		snprintf(next, sizeof(next), "recorded as stopped at statement %ld: 'migrate %s --retry' resumes there, "
					     "or fix the database and run 'migrate accept %s'", stopped, cmd, m->version);
	else if (recorded == 0 && down)
		snprintf(next, sizeof(next), "migration %s stays recorded, as failed in its down section: fix the file "
					     "or the database and run 'migrate down --retry' to resume at statement %ld, "
					     "or 'migrate accept %s' to keep it applied", m->version, stopped, m->version);
	else if (recorded == 0)
		snprintf(next, sizeof(next), "fix the file and run up again to resume at statement %ld, run up --retry "
					     "to retry it unchanged, or fix the database and run 'migrate accept %s'",
			 stopped, m->version);
	else if (p->marked)
		snprintf(next, sizeof(next), "its tracking row says statement %ld was running, so whether it applied is "
					     "unknown: %s runs it again, not the ones before it (if it did apply, that "
					     "run stops there with the error it gives)", p->index + 1,
			 down ? "'migrate down --retry'" : "the next 'migrate up'");
	else if (had_row)
		snprintf(next, sizeof(next), "nothing new could be recorded%s%s; its tracking row still says it stopped at "
					     "statement %ld: 'migrate %s --retry' (or, for up, a fixed file) resumes there",
			 record_err.code ? ": " : "", record_err.code ? record_err.message : "", skip + 1, cmd);
	else
		snprintf(next, sizeof(next), "nothing %s recorded%s%s, so the next 'migrate %s' runs this %s again "
					     "from statement 1", record_err.code ? "could be" : "was",
			 record_err.code ? ": " : "", record_err.code ? record_err.message : "", cmd, what);
	/* the row could say neither that the statement starts nor that it
	 * failed: what the mark's failure means is the hint (a rival's row) */
	if (p->write_failed && recorded != 0 && !lost && mark_hint[0])
		err_hint(err, "%s%s", ran, mark_hint);
	else if (lost && p->write_failed)
		err_hint(err, "the connection was lost while dbctl recorded that statement %ld of this transaction:false "
			      "%s starts, so it was not sent; %s%s", stopped, what, ran, next);
	else if (lost)
		err_hint(err, "the connection was lost during statement %ld of this transaction:false %s (it may have "
			      "completed on the server); %s%s", stopped, what, ran, next);
	else if (interrupted && p->write_failed)
		err_hint(err, "interrupted before statement %ld of this transaction:false %s was sent; %s%s", stopped, what,
			 ran, next);
	else if (interrupted)
		err_hint(err, "interrupted during statement %ld of this transaction:false %s, which was cancelled; %s%s",
			 stopped, what, ran, next);
	else
		err_hint(err, "%s%s", ran[0] ? ran : "no statement before it ran (no transaction); ", next);
}

/* Applies one migration: its statements and its row commit together. A
 * transaction:false section records how far it got instead. */
static int apply_one(struct tracker *t, const struct migrate_entry *entry, const struct migrate_options *options,
		     bool in_outer_transaction, struct migrate_result *result, struct err *err)
{
	const struct migration *m = entry->file;
	double started = clock_now();
	/* a repeatable one runs whole again: its file may have changed since it stopped */
	long completed = 0, skip = entry->state == MIGRATE_FAILED && !m->repeatable ? entry->failed_statement : 0;
	bool commit_with_row, transaction = section_transaction(t->engine, m, &m->up);
	struct progress progress;
	bool verified = t->lock_verified, held = true;
	int rc, exists_rc = 0;

	t->lock_verified = false;

	emit(options, MIGRATE_EVENT_APPLYING, m, NULL, 0, transaction);
	progress_init(&progress, t, entry, false);
	if (!transaction) {
		tell_implicit(t, m, &m->up, options);
		if (options->dry_run) {
			emit(options, MIGRATE_EVENT_PLAN, m, "transaction:false section: shown, not run in a dry run", 0, false);
			show_section(t->engine, &m->up, options);
			return 0;
		}
		if (entry->failed_down)
			return err_set(err, EXIT_FAILED, "%s: migration %s stopped in its down section", m->path, m->version);
		/* SQLite does not serialise transaction:false sections: skip one a rival has just recorded */
		if (!t->sql->lock && entry->state != MIGRATE_FAILED &&
		    (row_exists(t, m->version, m->repeatable ? m->up.checksum : NULL, err, &exists_rc) || exists_rc != 0))
			return exists_rc;
		/* the check after the previous transaction:false section holds: nothing ran since */
		if (!verified && lock_pin(t, false, false, m->path, err) != 0)
			return -1;
		rc = run_section(t, m, &m->up, false, skip, options, &progress, &completed, err);
		if (rc == 0)
			rc = section_closed(t, m, &m->up, err);
		if (rc == 0 && t->sql->invalid_indexes)
			rc = check_indexes(t, &m->up, skip, &completed, err);
		if (rc != 0) {
			bool clash = t->sql->invalid_indexes && t->sql->exists_state &&
				     strcmp(err->sqlstate, t->sql->exists_state) == 0;

			section_stopped(t, &progress, skip, completed, err);
			if (completed == 0 && entry->state == MIGRATE_FAILED && strcmp(entry->error, running_text) == 0)
				hint_was_running(err, skip + 1);
			if (clash)
				hint_invalid_index(t, &m->up, skip + completed, err);
			return -1;
		}
		result->statements += completed;
		rc = record(t, m, (long)((clock_now() - started) * 1000), -1, NULL, progress_row(&progress), false,
			    t->lock_key && t->lock_session ? &held : NULL, err);
		/* unless tracking_error already said what happened (a rival's row) */
		if (rc != 0 && !err->hint[0]) {
			if (err->code == EXIT_NO_ANSWER || err->code == EXIT_UNKNOWN)
				err_hint(err, "every statement of this transaction:false section ran; the connection was lost "
					      "while its row was written, which may or may not have happened: check 'migrate status'");
			else if (progress.marked)
				err_hint(err, "every statement of this transaction:false section ran, but it is not recorded as "
					      "applied: its row says statement %ld was running, so the next 'migrate up' asks "
					      "whether it applied; 'migrate accept %s' records it as applied",
					 progress.index + 1, m->version);
			else if (entry->state == MIGRATE_FAILED)
				err_hint(err, "every statement of this transaction:false section ran, but it is not recorded as "
					      "applied: its row still says it stopped at statement %ld", skip + 1);
			else
				err_hint(err, "every statement of this transaction:false section ran, but it is not recorded as "
					      "applied, so the next 'migrate up' runs it again from statement 1");
		}
		if (rc == 0) {
			result->applied++;
			emit(options, MIGRATE_EVENT_APPLIED, m, NULL, clock_now() - started, false);
			if (!held)
				lock_released(t, "the end of this section", err);
			t->lock_verified = held;
			if (!held) {
				err_prefix(err, "%s: migration %s is applied and recorded, but", m->path, m->version);
				err_hint(err, "its transaction:false section released dbctl's advisory lock, so another runner "
					      "may have run it at the same time: check the database, and remove that statement");
				return -1;
			}
		}
		return rc;
	}
	/* with a lock to pin, BEGIN travels in the pin's message: one round trip less per migration */
	if (!in_outer_transaction && !t->lock_key && migration_begin(t, err) != 0)
		return -1;
	if (!in_outer_transaction && lock_pin(t, true, true, m->path, err) != 0) {
		struct err ignored;

		err_init(&ignored);
		(void)t->engine->driver->rollback(t->conn, &ignored);
		return -1;
	}
	/* SQLite has no advisory lock: BEGIN IMMEDIATE serialises runners, and a
	 * runner that waited finds the row its rival wrote. On PostgreSQL the lock
	 * already made this runner the only one. */
	if (!t->sql->lock && (row_exists(t, m->version, m->repeatable ? m->up.checksum : NULL, err, &exists_rc) || exists_rc != 0)) {
		if (!in_outer_transaction && t->engine->driver->rollback(t->conn, err) != 0)
			return -1;
		return exists_rc;
	}
	commit_with_row = !in_outer_transaction && !options->dry_run && t->sql->commit_in_batch;
	if (in_outer_transaction && outer_settings(t, err) != 0)
		return -1;
	rc = run_section(t, m, &m->up, true, 0, options, NULL, &completed, err);
	/* statements travel in batches: a lease lost during one is caught here, before the COMMIT */
	if (rc == 0)
		rc = lease_lost(t, "the migration's COMMIT", err);
	/* a repeatable one that ran before has its row: updated with the new checksum */
	if (rc == 0)
		rc = record(t, m, (long)((clock_now() - started) * 1000), -1, NULL,
			    m->repeatable && entry->row_version[0] ? entry->row_version : NULL, commit_with_row, NULL, err);
	if (rc != 0) {
		struct err ignored;

		err_init(&ignored);
		/* a failed COMMIT has ended the transaction already */
		if (!in_outer_transaction && err->code != EXIT_NO_ANSWER &&
		    t->engine->driver->transaction_state(t->conn) != DRIVER_TRANSACTION_NONE)
			(void)t->engine->driver->rollback(t->conn, &ignored);
		return -1;
	}
	if (!in_outer_transaction && !commit_with_row) {
		rc = options->dry_run ? t->engine->driver->rollback(t->conn, err) : t->engine->driver->commit(t->conn, err);
		if (rc != 0)
			return -1;
	}
	result->applied++;
	result->statements += completed;
	emit(options, MIGRATE_EVENT_APPLIED, m, NULL, clock_now() - started, true);
	return 0;
}

/* ---- up ---- */

static bool wanted(const struct migrate_entry *e, const char *target)
{
	return (e->state == MIGRATE_PENDING || e->state == MIGRATE_OUT_OF_ORDER || e->state == MIGRATE_FAILED) &&
	       (!target || migrate_version_compare(e->version, target) <= 0);
}

/* Whether before (the status read before the lock) shows the same failure
 * of e's version: --retry retries the failure the runner was started on,
 * not one that another runner's retry left while this one waited. */
static bool same_failure(const struct migrate_status *before, const struct migrate_entry *e)
{
	size_t i;

	for (i = 0; i < before->count; i++) {
		const struct migrate_entry *b = &before->entries[i];

		if (strcmp(b->version, e->version) == 0)
			return b->state == MIGRATE_FAILED && b->failed_statement == e->failed_statement &&
			       strcmp(b->applied_at, e->applied_at) == 0 && strcmp(b->error, e->error) == 0;
	}
	return false;
}

/* Drift, missing files, order and failed sections, decided before anything
 * runs: on the status read first, and again on the one read once the lock
 * is held (before: the first one; its warnings are not repeated). */
static int check_plan(const struct engine *engine, const struct migrate_status *status,
		      const struct migrate_status *before, const char *target, const struct migrate_options *options,
		      struct err *err)
{
	size_t i;

	for (i = 0; i < status->count; i++) {
		const struct migrate_entry *e = &status->entries[i];
		char message[512];

		if (e->state == MIGRATE_MODIFIED) {
			if (!options->drift_warn) {
				err_set(err, EXIT_FAILED, "%s: migration %s was applied, and its file has changed since",
					e->file->path, e->version);
				err_hint(err, "restore the file, or run 'dbctl migrate accept %s' if the change is deliberate "
					      "(--on-drift=warn only warns)", e->version);
				return -1;
			}
			snprintf(message, sizeof(message), "%s: applied migration %s has changed since", e->file->path, e->version);
			if (!before)
				emit(options, MIGRATE_EVENT_WARNING, e->file, message, 0, false);
		} else if (e->state == MIGRATE_MISSING_FILE && !before) {
			snprintf(message, sizeof(message), "applied migration %s has no file in the migrations directory",
				 e->version);
			emit(options, MIGRATE_EVENT_WARNING, NULL, message, 0, false);
		} else if (e->state == MIGRATE_OUT_OF_ORDER && wanted(e, target) && !options->out_of_order_apply) {
			err_set(err, EXIT_FAILED, "%s: migration %s is pending but older than one already applied",
				e->file->path, e->version);
			err_hint(err, "--out-of-order=apply applies it anyway; or give it a newer version");
			return -1;
		} else if (e->state == MIGRATE_FAILED && e->failed_down && wanted(e, target)) {
			/* half reverted: up cannot know what its up section would find */
			err_set(err, EXIT_FAILED, "%s: migration %s stopped in its down section at statement %ld: %s",
				e->file ? e->file->path : "?", e->version, e->failed_statement + 1, e->error);
			err_hint(err, "finish the revert with 'migrate down --retry' (it resumes at that statement), or fix the "
				      "database by hand and run 'migrate accept %s' to keep it applied", e->version);
			return -1;
		} else if (e->state == MIGRATE_FAILED && wanted(e, target)) {
			/* a transaction:false section resumes once its file was fixed, or with --retry;
			 * golang-migrate's dirty flag needs a person to look */
			bool resumable = e->file && e->failed_statement >= 0 &&
					 ((options->retry_failed && (!before || same_failure(before, e))) ||
					  strcmp(e->checksum, e->file->up.checksum) != 0) &&
					 !section_transaction(engine, e->file, &e->file->up);

			/* A statement that was running when its runner stopped runs again,
			 * and the ones before it do not: no worse than running the section
			 * again from the start, as a runner that recorded nothing would.
			 * While its runner still holds the lock, this one waits for it. */
			if (resumable || (strcmp(e->error, running_text) == 0 && e->file &&
					  !section_transaction(engine, e->file, &e->file->up)))
				continue;
			if (e->failed_statement < 0) {
				err_set(err, EXIT_FAILED, "golang-migrate marked version %s dirty: it stopped there and "
							  "may be half applied", e->version);
				err_hint(err, "check that migration's changes by hand, then UPDATE %s SET dirty = false and run "
					      "dbctl again", options->table);
				return -1;
			}
			err_set(err, EXIT_FAILED, "%s: migration %s stopped at statement %ld: %s",
				e->file ? e->file->path : "?", e->version, e->failed_statement + 1, e->error);
			err_hint(err, "fix the file and run up again (it resumes at that statement), run up --retry to "
				      "retry it unchanged, or 'migrate accept %s' after fixing the database by hand", e->version);
			return -1;
		}
	}
	return 0;
}

/* Counts what up would apply and checks it: the plan's rules, then each
 * section's statements against its mode. */
/* A migration up will run: lexed and checked against the mode it runs in. */
static int check_planned(const struct engine *engine, const struct migrate_entry *e,
			 const struct migrate_options *options, struct err *err)
{
	bool transaction = section_transaction(engine, e->file, &e->file->up);

	if (options->single_transaction && !transaction)
		return err_set(err, EXIT_USAGE, "%s: --single-transaction cannot include a transaction:false migration",
			       e->file->path);
	return check_section(engine, e->file, &e->file->up, transaction, err);
}

static int plan_up(const struct engine *engine, const struct tracker *t, const struct migrate_status *status,
		   const struct migrate_status *before, const char *target, const struct migrate_options *options,
		   size_t *pending, struct err *err)
{
	size_t i;
	int rc;

	*pending = 0;
	for (i = 0; i < status->count; i++)
		*pending += wanted(&status->entries[i], target);
	/* repeatable migrations follow a whole up, not one to a version */
	if (!target)
		*pending += status->repeatable_due;
	rc = check_plan(engine, status, before, target, options, err);
	for (i = 0; rc == 0 && !target && i < status->repeatable_count; i++)
		if (repeatable_due(&status->repeatables[i]))
			rc = check_planned(engine, &status->repeatables[i], options, err);
	for (i = 0; rc == 0 && *pending > 0 && i < status->count; i++) {
		const struct migrate_entry *e = &status->entries[i];

		if (!wanted(e, target))
			continue;
		rc = check_planned(engine, e, options, err);
		if (rc == 0 && status->version_limit > 0 && strlen(e->version) > (size_t)status->version_limit) {
			rc = err_set(err, EXIT_USAGE, "%s: version %s has %zu digits; the version column of the tracking table "
						      "holds %ld", e->file->path, e->version, strlen(e->version),
				     status->version_limit);
			err_hint(err, "widen the column first: ALTER TABLE %s %s", t->table, t->sql->widen_version);
		}
	}
	return rc;
}

int migrate_up(struct engine *engine, const struct migration_set *files, const char *target,
	       const struct migrate_options *options, struct migrate_result *result, struct err *err)
{
	struct pool_conn *work = NULL;
	struct migration_lock lock;
	struct migrate_status status;
	struct tracker t;
	struct migrate_locks evidence;
	size_t i, pending = 0;
	bool outer = false, released;
	int rc;

	memset(result, 0, sizeof(*result));
	migrate_locks_init(&evidence, NULL);
	memset(&status, 0, sizeof(status));
	memset(&lock, 0, sizeof(lock));
	if (engine_checkout(engine, clock_now() + 86400, &work, err) != 0)
		return -1;
	rc = tracker_open(&t, engine, work->conn, options, err);
	if (rc == 0 && t.sql->lock)
		rc = lock_begin(&t, options, &lock, err);
	if (rc == 0)
		rc = build_status(&t, files, &status, err);
	if (rc == 0)
		rc = plan_up(engine, &t, &status, NULL, target, options, &pending, err);
	/* what CI runs on every deploy: nothing pending, no lock, three queries */
	if (rc != 0 || pending == 0)
		goto out;

	if (t.sql->lock) {
		struct migrate_status before;

		if (options->dry_run && lock.mode == MIGRATE_LOCK_TABLE) {
			emit(options, MIGRATE_EVENT_PLAN, NULL, "takes the lease row (held while the dry run lasts)", 0, false);
		} else if (options->dry_run) {
			char plan[160];

			snprintf(plan, sizeof(plan), "takes the advisory lock (%s, polled; held while the dry run lasts)",
				 t.sql->lock->name);
			emit(options, MIGRATE_EVENT_PLAN, NULL, plan, 0, false);
		}
		if (lock_acquire(&t, options, &lock, err) != 0) {
			rc = -1;
			goto out;
		}
		/* another runner may have applied some, or failed, while we waited:
		 * the plan is decided again on what the tracking table says now */
		before = status;
		memset(&status, 0, sizeof(status));
		rc = build_status(&t, files, &status, err);
		if (rc == 0)
			rc = plan_up(engine, &t, &status, &before, target, options, &pending, err);
		migrate_status_release(&before);
		if (rc != 0 || pending == 0)
			goto out;
	}
	/* where DDL commits implicitly, creating or adopting the table inside
	 * the BEGIN below would commit it (and the dry run's rows after it) */
	if ((options->dry_run || options->single_transaction) && t.sql->ddl_commits) {
		bool ready = table_ready(&t);

		if (!ready && options->dry_run)
			emit(options, MIGRATE_EVENT_PLAN, NULL, "creates or adopts the tracking table first, for real: DDL "
								 "commits implicitly here, so it cannot be rolled back", 0, false);
		rc = ensure_table(&t, files, false, err);
		if (rc != 0)
			goto out;
	}
	if (options->dry_run || options->single_transaction) {
		emit(options, MIGRATE_EVENT_PLAN, NULL, options->dry_run ? "BEGIN (everything below is rolled back)" : "BEGIN",
		     0, true);
		if (migration_begin(&t, err) != 0) {
			rc = -1;
			goto out;
		}
		outer = true;
		rc = lock_pin(&t, true, false, "the first migration", err);
		if (options->dry_run && t.sql->lock_evidence) {
			migrate_locks_init(&evidence, t.sql->lock_evidence);
			t.locks = &evidence;
		}
	}
	if (rc == 0 && !(outer && t.sql->ddl_commits))
		rc = ensure_table(&t, files, outer, err);
	for (i = 0; rc == 0 && i < status.count; i++) {
		if (!wanted(&status.entries[i], target))
			continue;
		rc = lock_check(&t, options, &lock, err);
		if (rc == 0)
			rc = apply_one(&t, &status.entries[i], options, outer, result, err);
	}
	/* after every versioned one, in name order, as Flyway runs them */
	for (i = 0; rc == 0 && !target && i < status.repeatable_count; i++) {
		if (!repeatable_due(&status.repeatables[i]))
			continue;
		rc = lock_check(&t, options, &lock, err);
		if (rc == 0)
			rc = apply_one(&t, &status.repeatables[i], options, outer, result, err);
	}
	if (outer) {
		struct err end_err;

		err_init(&end_err);
		if (rc != 0 || options->dry_run) {
			if (err->code != EXIT_NO_ANSWER)
				(void)engine->driver->rollback(work->conn, &end_err);
			if (options->dry_run && rc == 0)
				emit(options, MIGRATE_EVENT_PLAN, NULL, "ROLLBACK (dry run: nothing was written)", 0, true);
			else if (rc != 0 && !options->dry_run && result->applied > 0)
				emit(options, MIGRATE_EVENT_PLAN, NULL, "ROLLBACK (--single-transaction: the migrations applied "
									 "above were rolled back too; nothing was applied)", 0, true);
			if (rc != 0)
				result->applied = 0;
		} else if (engine->driver->commit(work->conn, err) != 0) {
			rc = -1;
		} else {
			emit(options, MIGRATE_EVENT_PLAN, NULL, "COMMIT", 0, true);
		}
	}
out:
	released = lock_release(&t, options, &lock);
	migrate_status_release(&status);
	migrate_locks_release(&evidence);
	tracker_close(&t);
	/* a migration's own SET (search_path, role) must not follow the connection
	 * into the next step: redo and to run down, then up, on one engine */
	engine_checkin(engine, work, rc != 0 || !released || result->applied > 0);
	return rc;
}

/* ---- down ---- */

static bool revertible(enum migrate_state state)
{
	return state == MIGRATE_APPLIED || state == MIGRATE_MODIFIED || state == MIGRATE_MISSING_FILE ||
	       state == MIGRATE_FAILED;
}

const char *migrate_newest_revertible(const struct migrate_status *status)
{
	size_t i;

	for (i = status->count; i-- > 0;)
		if (revertible(status->entries[i].state))
			return status->entries[i].version;
	return NULL;
}

int migrate_down(struct engine *engine, const struct migration_set *files, long count, const char *target_version,
		 const struct migrate_options *options, struct migrate_result *result, struct err *err)
{
	struct pool_conn *work = NULL;
	struct migration_lock lock;
	struct migrate_status status;
	struct tracker t;
	struct migrate_locks evidence;
	bool dry_outer = false, released;
	size_t i;
	int rc;

	memset(result, 0, sizeof(*result));
	migrate_locks_init(&evidence, NULL);
	memset(&status, 0, sizeof(status));
	memset(&lock, 0, sizeof(lock));
	if (engine_checkout(engine, clock_now() + 86400, &work, err) != 0)
		return -1;
	rc = tracker_open(&t, engine, work->conn, options, err);
	if (rc == 0 && t.sql->lock && !options->dry_run)
		rc = lock_begin(&t, options, &lock, err);
	if (rc == 0 && t.sql->lock && !options->dry_run)
		rc = lock_acquire(&t, options, &lock, err);
	if (rc == 0)
		rc = build_status(&t, files, &status, err);
	/* a dry run reverts everything inside one transaction, adopting the table
	 * included, except where DDL commits implicitly: adopted before BEGIN */
	/* goose's rows count as applied: its table is adopted as dbctl's one would be */
	if (rc == 0 && options->dry_run && (status.table_exists || t.goose_table) && t.sql->ddl_commits) {
		if (!table_ready(&t))
			emit(options, MIGRATE_EVENT_PLAN, NULL, "adopts the tracking table first, for real: DDL commits "
								 "implicitly here, so it cannot be rolled back", 0, false);
		rc = ensure_table(&t, files, false, err);
	}
	if (rc == 0 && options->dry_run) {
		emit(options, MIGRATE_EVENT_PLAN, NULL, "BEGIN (everything below is rolled back)", 0, true);
		rc = migration_begin(&t, err);
		dry_outer = rc == 0;
		if (dry_outer && t.sql->lock_evidence) {
			migrate_locks_init(&evidence, t.sql->lock_evidence);
			t.locks = &evidence;
		}
	}
	if (rc == 0 && (status.table_exists || t.goose_table) && !(dry_outer && t.sql->ddl_commits))
		rc = ensure_table(&t, files, dry_outer, err);
	/* every migration to revert must be revertible before the first one is */
	{
		long planned = 0;

		for (i = status.count; rc == 0 && i-- > 0;) {
			const struct migrate_entry *e = &status.entries[i];

			if (!revertible(e->state))
				continue;
			if (target_version ? migrate_version_compare(e->version, target_version) <= 0 : planned >= count)
				break;
			planned++;
			if (!e->file)
				rc = err_set(err, EXIT_USAGE, "cannot revert migration %s: its file is missing", e->version);
			else if (!e->file->down.present)
				rc = check_missing_down(engine, e->file, options, err);
			else
				rc = check_section(engine, e->file, &e->file->down,
						   section_transaction(engine, e->file, &e->file->down), err);
		}
	}
	for (i = status.count; rc == 0 && i-- > 0;) {
		const struct migrate_entry *e = &status.entries[i];
		const struct migration *m = e->file;
		double started = clock_now();
		long completed = 0, skip;
		struct progress progress;
		char *version;
		struct strbuf sql;
		bool transaction;
		char no_text[1] = "";
		struct migration_section nothing = { .present = true, .text = no_text, .first_line = 1, .transaction = true };
		const struct migration_section *down;

		if (!revertible(e->state))
			continue;
		if (target_version ? migrate_version_compare(e->version, target_version) <= 0 : result->reverted >= count)
			break;
		if (!m) {
			rc = err_set(err, EXIT_USAGE, "cannot revert migration %s: its file is missing", e->version);
			break;
		}
		down = &m->down;
		if (!m->down.present) {
			if ((rc = check_missing_down(engine, m, options, err)) != 0)
				break;
			nothing.path = m->path;
			down = &nothing;
			if (!section_is_empty(engine, &m->up)) {
				char message[512];

				snprintf(message, sizeof(message), "%s: migration %s has no down section: --allow-missing-down "
					 "reverts it by deleting its tracking row; what its up section did stays",
					 m->path, m->version);
				emit(options, MIGRATE_EVENT_WARNING, m, message, 0, false);
			}
		}
		transaction = section_transaction(engine, m, down);
		rc = check_section(engine, m, down, transaction, err);
		if (rc != 0)
			break;
		/* a transaction:false down that stopped part way resumes only when asked: the
		 * statements before the one that failed are already reverted */
		skip = e->failed_down && !transaction ? e->failed_statement : 0;
		if (e->failed_down && !options->retry_failed) {
			rc = err_set(err, EXIT_FAILED, "%s: migration %s stopped in its down section at statement %ld: %s",
				     m->path, m->version, e->failed_statement + 1, e->error);
			err_hint(err, "fix the file or the database, then run 'migrate down --retry' to resume at that "
				      "statement, or 'migrate accept %s' to keep it applied", m->version);
			break;
		}
		rc = lock_check(&t, options, &lock, err);
		if (rc != 0)
			break;
		emit(options, MIGRATE_EVENT_REVERTING, m, NULL, 0, transaction);
		if (!transaction)
			tell_implicit(&t, m, down, options);
		if (!transaction && options->dry_run) {
			emit(options, MIGRATE_EVENT_PLAN, m, "transaction:false section: shown, not run in a dry run", 0, false);
			show_section(engine, down, options);
			result->reverted++;
			continue;
		}
		if (transaction && !dry_outer && migration_begin(&t, err) != 0) {
			rc = -1;
			break;
		}
		if (transaction && dry_outer && outer_settings(&t, err) != 0) {
			rc = -1;
			break;
		}
		if (lock_pin(&t, transaction && !dry_outer, false, m->path, err) != 0) {
			struct err ignored;

			err_init(&ignored);
			if (transaction && !dry_outer)
				(void)engine->driver->rollback(work->conn, &ignored);
			rc = -1;
			break;
		}
		progress_init(&progress, &t, e, true);
		rc = run_section(&t, m, down, transaction, skip, options, transaction ? NULL : &progress, &completed, err);
		if (rc == 0 && !transaction)
			rc = section_closed(&t, m, down, err);
		if (rc != 0 && !transaction) {
			section_stopped(&t, &progress, skip, completed, err);
			break;
		}
		if (rc == 0) {
			version = literal(&t, e->row_version);
			strbuf_init(&sql);
			guarded(&t, &sql, transaction && !dry_outer);
			strbuf_addf(&sql, "DELETE FROM %s WHERE version = %s", t.table, version);
			rc = tracker_sql(&t, sql.buf, NULL, err);
			if (rc != 0)
				tracking_error(&t, err, "deleting the tracking row of", m);
			strbuf_release(&sql);
			free(version);
		}
		if (transaction && !dry_outer) {
			struct err ignored;

			err_init(&ignored);
			if (rc != 0) {
				if (err->code != EXIT_NO_ANSWER)
					(void)engine->driver->rollback(work->conn, &ignored);
			} else {
				rc = engine->driver->commit(work->conn, err);
			}
		}
		if (rc == 0) {
			result->reverted++;
			result->statements += completed;
			emit(options, MIGRATE_EVENT_REVERTED, m, NULL, clock_now() - started, transaction);
		}
		if (rc == 0 && !transaction && lock_pin(&t, false, false, "the end of this section", err) != 0) {
			err_prefix(err, "%s: migration %s is reverted, but", m->path, m->version);
			err_hint(err, "its transaction:false down section released dbctl's advisory lock, so another runner "
				      "may have run at the same time: check the database, and remove that statement");
			rc = -1;
		}
	}
	if (dry_outer) {
		struct err ignored;

		err_init(&ignored);
		if (err->code != EXIT_NO_ANSWER)
			(void)engine->driver->rollback(work->conn, &ignored);
		if (rc == 0)
			emit(options, MIGRATE_EVENT_PLAN, NULL, "ROLLBACK (dry run: nothing was written)", 0, true);
	}
	released = lock_release(&t, options, &lock);
	migrate_status_release(&status);
	migrate_locks_release(&evidence);
	tracker_close(&t);
	engine_checkin(engine, work, rc != 0 || !released || result->reverted > 0);   /* as in migrate_up */
	return rc;
}

/* ---- accept and baseline ---- */

/* What accept and baseline write on: a connection that holds the migration
 * lock (a runner in flight rewrites rows: they wait for it, as up does),
 * the tracking table made or adopted, and its status read under the lock. */
struct locked_table {
	struct pool_conn *work;   /* NULL when checkout failed */
	struct tracker t;
	struct migration_lock lock;
	struct migrate_status status;
};

static int locked_open(struct locked_table *l, struct engine *engine, const struct migration_set *files,
		       const struct migrate_options *options, struct err *err)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if (engine_checkout(engine, clock_now() + 86400, &l->work, err) != 0) {
		l->work = NULL;
		return -1;
	}
	rc = tracker_open(&l->t, engine, l->work->conn, options, err);
	if (rc == 0 && l->t.sql->lock) {
		rc = lock_begin(&l->t, options, &l->lock, err);
		if (rc == 0)
			rc = lock_acquire(&l->t, options, &l->lock, err);
	}
	if (rc == 0)
		rc = ensure_table(&l->t, files, false, err);
	if (rc == 0)
		rc = build_status(&l->t, files, &l->status, err);
	return rc;
}

static void locked_close(struct locked_table *l, struct engine *engine, const struct migrate_options *options,
			 bool failed)
{
	bool released;

	if (!l->work)
		return;
	released = lock_release(&l->t, options, &l->lock);
	migrate_status_release(&l->status);
	tracker_close(&l->t);
	engine_checkin(engine, l->work, failed || !released);
}

int migrate_accept(struct engine *engine, const struct migration_set *files, const char *version,
		   const struct migrate_options *options, struct err *err)
{
	const struct migration *m = migrate_files_find(files, version);
	const struct migrate_entry *row = NULL;
	struct locked_table l;
	struct strbuf sql;
	size_t i;
	int rc;

	if (!m)
		return err_set(err, EXIT_USAGE, "no migration file has version %s", version);
	rc = locked_open(&l, engine, files, options, err);
	/* the row as stored, which may spell the version '001' */
	for (i = 0; rc == 0 && i < l.status.count && !row; i++)
		if (l.status.entries[i].row_version[0] && strcmp(l.status.entries[i].version, m->version) == 0)
			row = &l.status.entries[i];
	if (rc == 0 && !row)
		rc = err_set(err, EXIT_USAGE, "migration %s is not applied: nothing to accept", version);
	if (rc == 0) {
		char *v = literal(&l.t, row->row_version);

		strbuf_init(&sql);
		strbuf_addf(&sql, "UPDATE %s SET checksum = '%s', checksum_algorithm = 'sha256', failed_statement = NULL, "
				  "error = NULL, failed_section = NULL WHERE version = %s", l.t.table, m->up.checksum, v);
		rc = tracker_sql(&l.t, sql.buf, NULL, err);
		if (rc != 0)
			tracking_error(&l.t, err, "updating the tracking row of", m);
		strbuf_release(&sql);
		free(v);
	}
	locked_close(&l, engine, options, rc != 0);
	return rc;
}

/* For a database that has the schema already (made by hand, by another
 * tool, or restored from a dump): every migration up to version is
 * recorded as applied without running, in one transaction, under the lock.
 * Only on a table that records nothing yet, as Flyway's baseline: over rows,
 * it could hide a migration that really is missing. */
int migrate_baseline(struct engine *engine, const struct migration_set *files, const char *version,
		     const struct migrate_options *options, long *recorded, struct err *err)
{
	const struct migration *target = migrate_files_find(files, version);
	struct locked_table l;
	struct strbuf sql;
	size_t i, rows = 0;
	int rc;

	*recorded = 0;
	if (!target)
		return err_set(err, EXIT_USAGE, "no migration file has version %s", version);
	strbuf_init(&sql);
	rc = locked_open(&l, engine, files, options, err);
	for (i = 0; rc == 0 && i < l.status.count; i++)
		rows += l.status.entries[i].row_version[0] != '\0';
	if (rc == 0 && rows > 0) {
		rc = err_set(err, EXIT_FAILED, "the tracking table %s already records %zu migration%s: a baseline is for a "
			     "database that records none", options->table, rows, rows == 1 ? "" : "s");
		err_hint(err, "'migrate status' lists them; 'migrate accept VERSION' records the current file of one "
			      "applied migration");
	}
	if (rc == 0) {
		const char *separator = "";

		guarded(&l.t, &sql, true);
		strbuf_addf(&sql, "INSERT INTO %s (version, name, checksum, checksum_algorithm, applied_at, "
				  "failed_statement, error, note) VALUES ", l.t.table);
		for (i = 0; i < l.status.count; i++) {
			const struct migration *m = l.status.entries[i].file;
			char *v, *name;

			if (!m || migrate_version_compare(m->version, target->version) > 0)
				continue;
			v = literal(&l.t, m->version);
			name = literal(&l.t, m->name);
			strbuf_addf(&sql, "%s(%s, %s, '%s', 'sha256', CURRENT_TIMESTAMP, NULL, NULL, 'baseline')", separator, v,
				    name, m->up.checksum);
			separator = ", ";
			(*recorded)++;
			free(v);
			free(name);
		}
		rc = engine->driver->begin(l.work->conn, err);
		if (rc == 0)
			rc = lock_pin(&l.t, true, false, target->path, err);
		if (rc == 0)
			rc = tracker_sql(&l.t, sql.buf, NULL, err);
		if (rc != 0) {
			struct err ignored;

			err_init(&ignored);
			if (err->code != EXIT_NO_ANSWER)
				(void)engine->driver->rollback(l.work->conn, &ignored);
			tracking_error(&l.t, err, "recording the baseline up to", target);
		} else if (engine->driver->commit(l.work->conn, err) != 0) {
			rc = -1;
		}
		if (rc != 0)
			*recorded = 0;
	}
	strbuf_release(&sql);
	locked_close(&l, engine, options, rc != 0);
	return rc;
}

/* ---- validate ---- */

int migrate_check_section(const struct engine *engine, const struct migration *m,
			  const struct migration_section *section, struct err *err)
{
	if (!section->present)
		return 0;
	return check_section(engine, m, section, section_transaction(engine, m, section), err);
}
