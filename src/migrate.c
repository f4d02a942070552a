/* Migrations: tracking table (created or adopted), status, lock, apply and revert. */
#include "migrate.h"
#include "clock.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The tracking table as dbctl writes it; dbmate's has the first column only,
 * golang-migrate's has (version bigint, dirty boolean). */
static const char *const tracking_columns[] = { "version", "name", "checksum", "checksum_algorithm", "applied_at",
						"duration_ms", "failed_statement", "error" };
#define TRACKING_COLUMN_COUNT 8

/* One connection's access to the tracking table. */
struct tracker {
	struct engine *engine;
	struct driver_conn *conn;
	bool postgres;
	const char *name;    /* borrowed; the table's name as configured */
	char *table;         /* owned; quoted identifier */
	char *table_name;    /* owned; quoted literal of the bare name */
	bool has_column[TRACKING_COLUMN_COUNT];
	bool golang_migrate; /* (version, dirty) */
	bool exists;
	char holder[256];    /* --lock=table: who we are in the lease row */
};

static void emit(const struct migrate_options *options, enum migrate_event_kind kind, const struct migration *m,
		 const char *message, double seconds, bool transaction)
{
	struct migrate_event event = { kind, m ? m->version : NULL, m ? m->name : NULL, message, seconds, transaction };

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

static int tracker_open(struct tracker *t, struct engine *engine, struct driver_conn *conn, const char *table,
			struct err *err)
{
	memset(t, 0, sizeof(*t));
	t->engine = engine;
	t->conn = conn;
	t->postgres = engine->backend == URL_BACKEND_POSTGRESQL;
	t->name = table;
	if (!engine->driver->quote)
		return err_set(err, EXIT_USAGE, "migrate is not supported for %s yet", engine->driver->display_name);
	t->table = engine->driver->quote(conn, table, true);
	t->table_name = engine->driver->quote(conn, table, false);
	return 0;
}

static void tracker_close(struct tracker *t)
{
	free(t->table);
	free(t->table_name);
}

/* Which columns the table has; none means it does not exist. */
static int tracker_inspect(struct tracker *t, struct err *err)
{
	struct driver_result r;
	struct strbuf sql;
	long i;
	int c, rc;

	strbuf_init(&sql);
	/* pg_catalog, not information_schema: its views cost ~5 ms on a fresh
	 * connection, most of a no-op migrate up */
	if (t->postgres)
		strbuf_addf(&sql, "SELECT attname::text FROM pg_catalog.pg_attribute WHERE attrelid = "
				  "to_regclass(quote_ident(current_schema()) || '.' || quote_ident(%s)) "
				  "AND attnum > 0 AND NOT attisdropped", t->table_name);
	else
		strbuf_addf(&sql, "SELECT name FROM pragma_table_info(%s)", t->table_name);
	rc = tracker_sql(t, sql.buf, &r, err);
	strbuf_release(&sql);
	if (rc != 0)
		return -1;
	memset(t->has_column, 0, sizeof(t->has_column));
	t->golang_migrate = false;
	t->exists = r.row_count > 0;
	for (i = 0; i < r.row_count; i++) {
		const char *name = r.cells[i];

		for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
			if (name && strcmp(name, tracking_columns[c]) == 0)
				t->has_column[c] = true;
		if (name && strcmp(name, "dirty") == 0)
			t->golang_migrate = true;
	}
	driver_result_release(&r);
	return 0;
}

/* ---- status ---- */

static const char *cell(const struct driver_result *r, long row, int column)
{
	const char *value = r->cells[row * r->column_count + column];

	return value ? value : "";
}

static struct migrate_entry *add_entry(struct migrate_status *status)
{
	status->entries = realloc(status->entries, (status->count + 1) * sizeof(*status->entries));
	if (!status->entries)
		abort();
	memset(&status->entries[status->count], 0, sizeof(*status->entries));
	status->entries[status->count].duration_ms = -1;
	status->entries[status->count].failed_statement = -1;
	return &status->entries[status->count++];
}

static int compare_entries(const void *a, const void *b)
{
	return migrate_version_compare(((const struct migrate_entry *)a)->version,
				       ((const struct migrate_entry *)b)->version);
}

void migrate_status_release(struct migrate_status *status)
{
	free(status->entries);
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
	if (t->golang_migrate) {
		strbuf_addf(&sql, "SELECT CAST(version AS TEXT), CAST(dirty AS TEXT) FROM %s", t->table);
	} else {
		strbuf_addstr(&sql, "SELECT ");
		for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
			strbuf_addf(&sql, "%s%s%s%s", c ? ", " : "", t->has_column[c] ? "CAST(" : "",
				    t->has_column[c] ? tracking_columns[c] : "NULL", t->has_column[c] ? " AS TEXT)" : "");
		strbuf_addf(&sql, " FROM %s", t->table);
	}
	rc = tracker_sql(t, sql.buf, &r, err);
	strbuf_release(&sql);
	if (rc != 0)
		return -1;
	for (i = 0; i < r.row_count; i++) {
		char *version = migrate_version_normalize(cell(&r, i, 0));
		const char *raw = version ? version : cell(&r, i, 0);

		if (t->golang_migrate) {
			bool dirty = strcmp(cell(&r, i, 1), "true") == 0 || strcmp(cell(&r, i, 1), "1") == 0;
			size_t f;

			for (f = 0; f < files->count; f++) {
				int order = migrate_version_compare(files->items[f].version, raw);
				struct migrate_entry *e;

				if (order > 0)
					break;
				e = add_entry(status);
				snprintf(e->version, sizeof(e->version), "%s", files->items[f].version);
				/* adopting the table writes one row per version, under this text */
				snprintf(e->row_version, sizeof(e->row_version), "%s", files->items[f].version);
				e->checksum_unknown = true;
				if (order == 0 && dirty) {
					e->state = MIGRATE_FAILED;
					snprintf(e->error, sizeof(e->error), "golang-migrate marked this version dirty");
				}
			}
		} else {
			struct migrate_entry *e = add_entry(status);

			snprintf(e->version, sizeof(e->version), "%s", raw);
			/* WHERE clauses need the text as stored: '001' = '1' in neither backend */
			snprintf(e->row_version, sizeof(e->row_version), "%s", cell(&r, i, 0));
			snprintf(e->name, sizeof(e->name), "%s", cell(&r, i, 1));
			snprintf(e->checksum, sizeof(e->checksum), "%s", cell(&r, i, 2));
			e->checksum_unknown = !*cell(&r, i, 2);
			snprintf(e->applied_at, sizeof(e->applied_at), "%s", cell(&r, i, 4));
			e->duration_ms = *cell(&r, i, 5) ? atol(cell(&r, i, 5)) : -1;
			if (*cell(&r, i, 6)) {
				e->state = MIGRATE_FAILED;
				e->failed_statement = atol(cell(&r, i, 6));
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

static int build_status(struct tracker *t, const struct migration_set *files, struct migrate_status *status,
			struct err *err)
{
	size_t applied_rows, i, f;
	char newest[64] = "";   /* a copy: add_entry() below may move the entries */
	bool *recorded;         /* owned; per file of the set */

	memset(status, 0, sizeof(*status));
	if (tracker_inspect(t, err) != 0)
		return -1;
	status->table_exists = t->exists;
	if (t->exists && read_rows(t, files, status, err) != 0) {
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
		if (!newest[0] || migrate_version_compare(e->version, newest) > 0)
			snprintf(newest, sizeof(newest), "%s", e->version);
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
		e = add_entry(status);
		snprintf(e->version, sizeof(e->version), "%s", m->version);
		snprintf(e->name, sizeof(e->name), "%s", m->name);
		e->file = m;
		e->state = newest[0] && migrate_version_compare(m->version, newest) < 0 ? MIGRATE_OUT_OF_ORDER : MIGRATE_PENDING;
	}
	free(recorded);
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

int migrate_status(struct engine *engine, const struct migration_set *files, const struct migrate_options *options,
		   struct migrate_status *out, struct err *err)
{
	struct pool_conn *pc;
	struct tracker t;
	int rc;

	if (engine_checkout(engine, clock_now() + 86400, &pc, err) != 0) {
		/* a SQLite file that does not exist yet: nothing applied, and status creates nothing */
		if (engine->backend == URL_BACKEND_SQLITE && engine->target.observe_only && err->code == EXIT_NO_ANSWER) {
			struct tracker none;
			size_t f;

			memset(out, 0, sizeof(*out));
			memset(&none, 0, sizeof(none));
			for (f = 0; f < files->count; f++) {
				struct migrate_entry *e = add_entry(out);

				snprintf(e->version, sizeof(e->version), "%s", files->items[f].version);
				snprintf(e->name, sizeof(e->name), "%s", files->items[f].name);
				e->file = &files->items[f];
				e->state = MIGRATE_PENDING;
				out->pending++;
			}
			err_init(err);
			return 0;
		}
		return -1;
	}
	rc = tracker_open(&t, engine, pc->conn, options->table, err);
	if (rc == 0)
		rc = build_status(&t, files, out, err);
	tracker_close(&t);
	engine_checkin(engine, pc, rc != 0);
	return rc;
}

/* ---- creating and adopting the tracking table ---- */

static int ensure_table(struct tracker *t, const struct migration_set *files, bool in_transaction, struct err *err)
{
	static const char *const types_pg[] = { "varchar(128) PRIMARY KEY", "text", "text", "text",
						"timestamptz DEFAULT now()", "bigint", "integer", "text" };
	static const char *const types_sqlite[] = { "TEXT PRIMARY KEY", "TEXT", "TEXT", "TEXT",
						    "TEXT DEFAULT CURRENT_TIMESTAMP", "INTEGER", "INTEGER", "TEXT" };
	const char *const *types = t->postgres ? types_pg : types_sqlite;
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
		char *old;

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
		strbuf_addf(&sql, "ALTER TABLE %s RENAME TO %s", t->table, old);
		/* the whole adoption or none of it: DDL is transactional in both backends */
		rc = in_transaction ? 0 : t->engine->driver->begin(t->conn, err);
		if (rc == 0)
			rc = tracker_sql(t, sql.buf, NULL, err);
		free(old);
		t->golang_migrate = false;
		t->exists = false;
		if (rc == 0) {
			strbuf_reset(&sql);
			strbuf_addf(&sql, "CREATE TABLE %s (", t->table);
			for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
				strbuf_addf(&sql, "%s%s %s", c ? ", " : "", tracking_columns[c], types[c]);
			strbuf_addch(&sql, ')');
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
		for (f = 0; rc == 0 && f < status.count; f++) {
			char *version;

			if (status.entries[f].state != MIGRATE_APPLIED)
				continue;   /* versions above golang-migrate's row are still to come */
			version = literal(t, status.entries[f].version);

			strbuf_reset(&sql);
			strbuf_addf(&sql, "INSERT INTO %s (version) VALUES (%s)", t->table, version);
			free(version);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
		migrate_status_release(&status);
		if (!in_transaction) {
			struct err ignored;

			err_init(&ignored);
			if (rc == 0)
				rc = t->engine->driver->commit(t->conn, err);
			else
				(void)t->engine->driver->rollback(t->conn, &ignored);
		}
	} else if (!t->exists) {
		created = true;
		strbuf_addf(&sql, "CREATE TABLE IF NOT EXISTS %s (", t->table);
		for (c = 0; c < TRACKING_COLUMN_COUNT; c++)
			strbuf_addf(&sql, "%s%s %s", c ? ", " : "", tracking_columns[c], types[c]);
		strbuf_addch(&sql, ')');
		rc = tracker_sql(t, sql.buf, NULL, err);
	} else {
		/* dbmate's table: add dbctl's columns beside its version */
		for (c = 1; c < TRACKING_COLUMN_COUNT && rc == 0; c++) {
			if (t->has_column[c])
				continue;
			strbuf_reset(&sql);
			/* SQLite cannot add a column with a non-constant default */
			strbuf_addf(&sql, "ALTER TABLE %s ADD COLUMN %s %s", t->table, tracking_columns[c],
				    c == 4 ? (t->postgres ? "timestamptz" : "TEXT") : types[c]);
			rc = tracker_sql(t, sql.buf, NULL, err);
		}
	}
	/* adopted rows (no checksum yet) get their name and checksum from the files */
	if (rc == 0 && !created) {
		struct driver_result unknown;
		long row;

		strbuf_reset(&sql);
		strbuf_addf(&sql, "SELECT CAST(version AS TEXT) FROM %s WHERE checksum IS NULL AND failed_statement IS NULL",
			    t->table);
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
	return rc;
}

/* ---- the lock ---- */

static void lock_key(struct tracker *t, const struct migrate_options *options, struct strbuf *out)
{
	if (options->lock_id)
		strbuf_addf(out, "%ld", options->lock_id);
	else
		strbuf_addf(out, "hashtext(current_database() || ':dbctl:' || %s)", t->table_name);
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

/* pg_try_advisory_lock in a loop, never pg_advisory_lock: a blocked waiter
 * holds a snapshot, and CREATE INDEX CONCURRENTLY in the runner holding the
 * lock would wait for it forever. */
static int take_lock(struct tracker *lock, const struct migrate_options *options, struct err *err)
{
	double deadline = clock_now() + options->lock_timeout, pause = 0.05;
	struct strbuf sql, key;
	bool waited = false;
	int rc = 0;

	strbuf_init(&sql);
	strbuf_init(&key);
	lock_key(lock, options, &key);
	strbuf_addf(&sql, "SELECT pg_try_advisory_lock(%s)", key.buf);
	for (;;) {
		struct driver_result r;
		bool got;

		if (tracker_sql(lock, sql.buf, &r, err) != 0) {
			rc = -1;
			break;
		}
		got = r.row_count == 1 && r.cells[0] && strcmp(r.cells[0], "t") == 0;
		driver_result_release(&r);
		if (got) {
			emit(options, MIGRATE_EVENT_LOCKED, NULL, NULL, 0, false);
			break;
		}
		if (clock_now() >= deadline) {
			rc = err_set(err, EXIT_FAILED, "could not take the migration lock within %g s: another dbctl migrate "
						       "is running on this database", options->lock_timeout);
			err_hint(err, "wait for it, or raise --lock-timeout");
			break;
		}
		if (!waited)
			emit(options, MIGRATE_EVENT_LOCK_WAIT, NULL, "another migrate holds the lock; waiting", 0, false);
		waited = true;
		if (!pause_until(pause, deadline)) {
			rc = err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lock");
			break;
		}
		pause = pause * 2 > 1 ? 1 : pause * 2;
	}
	strbuf_release(&sql);
	strbuf_release(&key);
	return rc;
}

/* --lock=table: behind PgBouncer in transaction pooling a session lock does
 * not hold, so a lease row does: taken when free or expired, renewed before
 * each migration, deleted at the end. */
#define LEASE_SECONDS 600

static int lease_sql(struct tracker *lock, const char *holder, bool renew, struct driver_result *out, struct err *err)
{
	char *lock_table, *who = literal(lock, holder);
	struct strbuf sql, name;
	int rc;

	strbuf_init(&name);
	strbuf_addf(&name, "%s_lock", lock->name);
	lock_table = lock->engine->driver->quote(lock->conn, name.buf, true);
	strbuf_init(&sql);
	if (renew)
		strbuf_addf(&sql, "UPDATE %s SET expires_at = now() + interval '%d seconds' WHERE id = 1 AND holder = %s "
				  "RETURNING holder", lock_table, LEASE_SECONDS, who);
	else
		strbuf_addf(&sql, "SET LOCAL client_min_messages = warning; "
				  "CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, holder text NOT NULL, "
				  "expires_at timestamptz NOT NULL); "
				  "INSERT INTO %s (id, holder, expires_at) VALUES (1, %s, now() + interval '%d seconds') "
				  "ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
				  "WHERE %s.expires_at < now() RETURNING holder",
			    lock_table, lock_table, who, LEASE_SECONDS, lock_table);
	rc = tracker_sql(lock, sql.buf, out, err);
	strbuf_release(&sql);
	strbuf_release(&name);
	free(lock_table);
	free(who);
	return rc;
}

static void lease_holder(char *out, size_t size)
{
	char host[128] = "?";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, size, "%s:%ld:%ld", host, (long)getpid(), (long)time(NULL));
}

static int take_lease(struct tracker *lock, const struct migrate_options *options, const char *holder, struct err *err)
{
	double deadline = clock_now() + options->lock_timeout, pause = 0.05;
	bool waited = false;

	for (;;) {
		struct driver_result r;
		bool got;

		if (lease_sql(lock, holder, false, &r, err) != 0) {
			/* two runners creating the table at once: one loses, and tries again */
			if (err->code == EXIT_NO_ANSWER || clock_now() > deadline)
				return -1;
			err_init(err);
			if (!pause_until(pause, deadline))
				return err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lease");
			continue;
		}
		got = r.row_count == 1;
		driver_result_release(&r);
		if (got) {
			emit(options, MIGRATE_EVENT_LOCKED, NULL, NULL, 0, false);
			return 0;
		}
		if (clock_now() >= deadline) {
			err_set(err, EXIT_FAILED, "could not take the migration lease within %g s: another dbctl migrate "
						  "holds it", options->lock_timeout);
			err_hint(err, "wait for it, or raise --lock-timeout; a lease left by a crashed runner expires after %d s",
				 LEASE_SECONDS);
			return -1;
		}
		if (!waited)
			emit(options, MIGRATE_EVENT_LOCK_WAIT, NULL, "another migrate holds the lease; waiting", 0, false);
		waited = true;
		if (!pause_until(pause, deadline))
			return err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the migration lease");
		pause = pause * 2 > 1 ? 1 : pause * 2;
	}
}

static void release_lock(struct tracker *lock, const struct migrate_options *options)
{
	struct strbuf sql, key;
	struct err ignored;

	strbuf_init(&sql);
	strbuf_init(&key);
	if (options->lock_mode == MIGRATE_LOCK_TABLE) {
		char *lock_table, *who = literal(lock, lock->holder);

		strbuf_addf(&key, "%s_lock", lock->name);
		lock_table = lock->engine->driver->quote(lock->conn, key.buf, true);
		strbuf_addf(&sql, "DELETE FROM %s WHERE id = 1 AND holder = %s", lock_table, who);
		free(lock_table);
		free(who);
	} else {
		lock_key(lock, options, &key);
		strbuf_addf(&sql, "SELECT pg_advisory_unlock(%s)", key.buf);
	}
	err_init(&ignored);
	if (tracker_sql(lock, sql.buf, NULL, &ignored) != 0) {
		/* the connection is discarded, which releases the lock too */
	}
	strbuf_release(&sql);
	strbuf_release(&key);
}

/* The migration lock on its own pooled connection, whichever the mode. */
struct migration_lock {
	struct pool_conn *pc;
	struct tracker tracker;
	bool opened;
	bool held;
};

static int lock_acquire(struct engine *engine, const struct migrate_options *options, struct migration_lock *lock,
			struct err *err)
{
	memset(lock, 0, sizeof(*lock));
	if (engine_checkout(engine, clock_now() + 86400, &lock->pc, err) != 0)
		return -1;
	if (tracker_open(&lock->tracker, engine, lock->pc->conn, options->table, err) != 0)
		return -1;
	lock->opened = true;
	lease_holder(lock->tracker.holder, sizeof(lock->tracker.holder));
	if ((options->lock_mode == MIGRATE_LOCK_TABLE ? take_lease(&lock->tracker, options, lock->tracker.holder, err)
						      : take_lock(&lock->tracker, options, err)) != 0)
		return -1;
	lock->held = true;
	return 0;
}

/* Releases what lock_acquire took, also after it failed half way. */
static void lock_release(struct engine *engine, const struct migrate_options *options, struct migration_lock *lock)
{
	if (lock->held)
		release_lock(&lock->tracker, options);
	if (lock->opened)
		tracker_close(&lock->tracker);
	if (lock->pc)
		engine_checkin(engine, lock->pc, !lock->held);
	memset(lock, 0, sizeof(*lock));
}

/* ---- running a section ---- */

static int run_section(struct tracker *t, const struct migration_section *section, bool transaction, long skip,
		       const struct migrate_options *options, long *completed, struct err *err)
{
	struct script_options script;
	struct script_summary summary;
	struct script_stream input;
	int rc;

	memset(&script, 0, sizeof(script));
	memset(&summary, 0, sizeof(summary));
	script.transaction = transaction;
	script.skip_statements = skip;
	script.on_statement = options->on_statement;
	script.context = options->context;
	input.stream = fmemopen(section->text, strlen(section->text), "r");
	input.name = section->path;
	input.first_line = section->first_line;
	if (!input.stream)
		return err_set(err, EXIT_FAILED, "out of memory");
	rc = script_run_stream(t->engine->driver, t->conn, &input, script_dialect(t->engine->backend), &script, &summary,
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
	sqlscan_init(&scan, in, section->path, script_dialect(engine->backend));
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

/* Whether a section runs in dbctl's transaction. golang-migrate has no
 * transaction:false marker and wraps nothing in a transaction itself: a file
 * of its with a statement that cannot run in one (CREATE INDEX CONCURRENTLY)
 * runs without, unless it wrapped itself in BEGIN/COMMIT or holds other
 * transaction control, which the check then refuses. Lexes the section: call
 * it only for sections about to run. */
static bool section_transaction(const struct engine *engine, const struct migration *m,
				const struct migration_section *section)
{
	struct sqlscan_statement statement;
	struct strbuf data;
	struct sqlscan scan;
	struct err ignored;
	bool outside = false, control = false;
	FILE *in;

	if (m->format != MIGRATION_GOLANG_MIGRATE || !section->transaction || section->unwrapped)
		return section->transaction;
	in = fmemopen(section->text, strlen(section->text), "r");
	if (!in)
		return true;
	sqlscan_init(&scan, in, section->path, script_dialect(engine->backend));
	scan.complete = engine->driver->statement_complete;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	while (sqlscan_next(&scan, &statement, &ignored) == 1) {
		outside = outside || statement.kind == SQLSCAN_OUTSIDE_TRANSACTION;
		control = control || statement.kind == SQLSCAN_TRANSACTION_CONTROL;
		while (statement.kind == SQLSCAN_COPY_IN && sqlscan_copy_line(&scan, &data, &ignored) == 1)
			;
	}
	strbuf_release(&data);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
	return !outside || control;
}

/* Refuses, before anything runs, sections whose statements do not fit their mode. */
static int check_section(const struct engine *engine, const struct migration *m,
			 const struct migration_section *section, bool transaction, struct err *err)
{
	struct script_options script;
	struct script_stream input;
	long statements;
	int rc;

	memset(&script, 0, sizeof(script));
	script.transaction = transaction;
	input.stream = fmemopen(section->text, strlen(section->text), "r");
	input.name = section->path;
	input.first_line = section->first_line;
	if (!input.stream)
		return err_set(err, EXIT_FAILED, "out of memory");
	rc = script_check_stream(&input, script_dialect(engine->backend), &script, engine->driver->statement_complete,
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

/* Writes the migration's row, updating the one stored as row_version when
 * not NULL; with and_commit the transaction ends in the same message,
 * saving a round trip per migration. */
static int record(struct tracker *t, const struct migration *m, long duration_ms, long failed_statement,
		  const char *error, const char *row_version, bool and_commit, struct err *err)
{
	char *version = literal(t, row_version ? row_version : m->version), *name = literal(t, m->name);
	char *message = literal(t, error ? error : "");
	struct strbuf sql;
	char failed[32] = "NULL";
	int rc;

	if (failed_statement >= 0)
		snprintf(failed, sizeof(failed), "%ld", failed_statement);
	strbuf_init(&sql);
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
		strbuf_addstr(&sql, "; COMMIT");
	rc = tracker_sql(t, sql.buf, NULL, err);
	if (rc != 0 && and_commit && err->code != EXIT_UNKNOWN && script_interrupted())
		err_set(err, EXIT_INTERRUPTED, "interrupted during the COMMIT of migration %s: rolled back, not recorded",
			m->version);
	if (rc != 0 && and_commit && err->code == EXIT_UNKNOWN) {
		err_prefix(err, "migration %s", m->version);
		err_hint(err, "run 'migrate status' to see whether %s was recorded as applied before running up again",
			 m->version);
	}
	strbuf_release(&sql);
	free(version);
	free(name);
	free(message);
	return rc;
}

static bool row_exists(struct tracker *t, const char *version_text, struct err *err, int *rc)
{
	char *version = literal(t, version_text);
	struct driver_result r;
	struct strbuf sql;
	bool exists = false;

	strbuf_init(&sql);
	strbuf_addf(&sql, "SELECT 1 FROM %s WHERE version = %s", t->table, version);
	*rc = tracker_sql(t, sql.buf, &r, err);
	if (*rc == 0) {
		exists = r.row_count > 0;
		driver_result_release(&r);
	}
	strbuf_release(&sql);
	free(version);
	return exists;
}

/* Applies one migration: its statements and its row commit together. A
 * transaction:false section records how far it got instead. */
static int apply_one(struct tracker *t, const struct migrate_entry *entry, const struct migrate_options *options,
		     bool in_outer_transaction, struct migrate_result *result, struct err *err)
{
	const struct migration *m = entry->file;
	double started = clock_now();
	long completed = 0, skip = entry->state == MIGRATE_FAILED ? entry->failed_statement : 0;
	bool commit_with_row, transaction = section_transaction(t->engine, m, &m->up);
	int rc, exists_rc = 0;

	emit(options, MIGRATE_EVENT_APPLYING, m, NULL, 0, transaction);
	if (!transaction) {
		if (options->dry_run) {
			emit(options, MIGRATE_EVENT_PLAN, m, "transaction:false section: shown, not run in a dry run", 0, false);
			show_section(t->engine, &m->up, options);
			return 0;
		}
		rc = run_section(t, &m->up, false, skip, options, &completed, err);
		if (rc != 0) {
			struct err record_err;
			char message[sizeof(err->message)];

			snprintf(message, sizeof(message), "%s", err->message);
			err_init(&record_err);
			if (err->code != EXIT_NO_ANSWER)
				(void)record(t, m, (long)((clock_now() - started) * 1000), skip + completed, message,
					     entry->state == MIGRATE_FAILED ? entry->row_version : NULL, false, &record_err);
			err_hint(err, "statements before it stayed applied (no transaction); fix the file and run up again "
				      "to resume at statement %ld, or fix the database and run 'migrate accept %s'",
				 skip + completed + 1, m->version);
			return -1;
		}
		result->statements += completed;
		rc = record(t, m, (long)((clock_now() - started) * 1000), -1, NULL,
			    entry->state == MIGRATE_FAILED ? entry->row_version : NULL, false, err);
		if (rc == 0) {
			result->applied++;
			emit(options, MIGRATE_EVENT_APPLIED, m, NULL, clock_now() - started, false);
		}
		return rc;
	}
	if (!in_outer_transaction && t->engine->driver->begin(t->conn, err) != 0)
		return -1;
	/* SQLite has no advisory lock: BEGIN IMMEDIATE serialises runners, and a
	 * runner that waited finds the row its rival wrote. On PostgreSQL the lock
	 * already made this runner the only one. */
	if (!t->postgres && (row_exists(t, m->version, err, &exists_rc) || exists_rc != 0)) {
		if (!in_outer_transaction && t->engine->driver->rollback(t->conn, err) != 0)
			return -1;
		return exists_rc;
	}
	commit_with_row = !in_outer_transaction && !options->dry_run;
	rc = run_section(t, &m->up, true, 0, options, &completed, err);
	if (rc == 0)
		rc = record(t, m, (long)((clock_now() - started) * 1000), -1, NULL, NULL, commit_with_row, err);
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

/* Drift, missing files, order and failed sections, decided before anything runs. */
static int check_plan(const struct engine *engine, const struct migrate_status *status, const char *target,
		      const struct migrate_options *options, struct err *err)
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
			emit(options, MIGRATE_EVENT_WARNING, e->file, message, 0, false);
		} else if (e->state == MIGRATE_MISSING_FILE) {
			snprintf(message, sizeof(message), "applied migration %s has no file in the migrations directory",
				 e->version);
			emit(options, MIGRATE_EVENT_WARNING, NULL, message, 0, false);
		} else if (e->state == MIGRATE_OUT_OF_ORDER && wanted(e, target) && !options->out_of_order_apply) {
			err_set(err, EXIT_FAILED, "%s: migration %s is pending but older than one already applied",
				e->file->path, e->version);
			err_hint(err, "--out-of-order=apply applies it anyway; or give it a newer version");
			return -1;
		} else if (e->state == MIGRATE_FAILED && wanted(e, target)) {
			/* a transaction:false section resumes once its file was fixed, or with --retry;
			 * golang-migrate's dirty flag needs a person to look */
			bool resumable = e->file && e->failed_statement >= 0 &&
					 (options->retry_failed || strcmp(e->checksum, e->file->up.checksum) != 0) &&
					 !section_transaction(engine, e->file, &e->file->up);

			if (resumable)
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

int migrate_up(struct engine *engine, const struct migration_set *files, const char *target,
	       const struct migrate_options *options, struct migrate_result *result, struct err *err)
{
	struct pool_conn *work = NULL;
	struct migration_lock lock;
	struct migrate_status status;
	struct tracker t;
	size_t i, pending = 0;
	bool outer = false;
	int rc;

	memset(result, 0, sizeof(*result));
	memset(&status, 0, sizeof(status));
	memset(&lock, 0, sizeof(lock));
	if (engine_checkout(engine, clock_now() + 86400, &work, err) != 0)
		return -1;
	rc = tracker_open(&t, engine, work->conn, options->table, err);
	if (rc == 0)
		rc = build_status(&t, files, &status, err);
	for (i = 0; rc == 0 && i < status.count; i++)
		pending += wanted(&status.entries[i], target);
	if (rc == 0)
		rc = check_plan(engine, &status, target, options, err);
	/* what CI runs on every deploy: nothing pending, no lock, two queries */
	if (rc != 0 || pending == 0)
		goto out;

	for (i = 0; rc == 0 && i < status.count; i++) {
		const struct migrate_entry *e = &status.entries[i];
		bool transaction;

		if (!wanted(e, target))
			continue;
		transaction = section_transaction(engine, e->file, &e->file->up);
		if (options->single_transaction && !transaction) {
			rc = err_set(err, EXIT_USAGE, "%s: --single-transaction cannot include a transaction:false migration",
				     e->file->path);
			break;
		}
		rc = check_section(engine, e->file, &e->file->up, transaction, err);
	}
	if (rc != 0)
		goto out;

	if (t.postgres) {
		if (options->dry_run)
			emit(options, MIGRATE_EVENT_PLAN, NULL, options->lock_mode == MIGRATE_LOCK_TABLE
					? "takes the lease row (held while the dry run lasts)"
					: "takes the advisory lock (pg_try_advisory_lock, polled; held while the dry run lasts)",
			     0, false);
		if (lock_acquire(engine, options, &lock, err) != 0) {
			rc = -1;
			goto out;
		}
		/* another runner may have applied some while we waited */
		migrate_status_release(&status);
		if (build_status(&t, files, &status, err) != 0) {
			rc = -1;
			goto out;
		}
	}
	if (options->dry_run || options->single_transaction) {
		emit(options, MIGRATE_EVENT_PLAN, NULL, options->dry_run ? "BEGIN (everything below is rolled back)" : "BEGIN",
		     0, true);
		if (engine->driver->begin(work->conn, err) != 0) {
			rc = -1;
			goto out;
		}
		outer = true;
	}
	rc = ensure_table(&t, files, outer, err);
	for (i = 0; rc == 0 && i < status.count; i++) {
		if (!wanted(&status.entries[i], target))
			continue;
		if (lock.held && options->lock_mode == MIGRATE_LOCK_TABLE) {
			struct driver_result r;

			if (lease_sql(&lock.tracker, lock.tracker.holder, true, &r, err) != 0) {
				rc = -1;
				break;
			}
			if (r.row_count != 1)
				rc = err_set(err, EXIT_FAILED, "the migration lease expired and another runner took it; stopping");
			driver_result_release(&r);
			if (rc != 0)
				break;
		}
		rc = apply_one(&t, &status.entries[i], options, outer, result, err);
	}
	if (outer) {
		struct err end_err;

		err_init(&end_err);
		if (rc != 0 || options->dry_run) {
			if (err->code != EXIT_NO_ANSWER)
				(void)engine->driver->rollback(work->conn, &end_err);
			if (options->dry_run && rc == 0)
				emit(options, MIGRATE_EVENT_PLAN, NULL, "ROLLBACK (dry run: nothing was written)", 0, true);
		} else if (engine->driver->commit(work->conn, err) != 0) {
			rc = -1;
		} else {
			emit(options, MIGRATE_EVENT_PLAN, NULL, "COMMIT", 0, true);
		}
	}
out:
	lock_release(engine, options, &lock);
	migrate_status_release(&status);
	tracker_close(&t);
	engine_checkin(engine, work, rc != 0);
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
	bool dry_outer = false;
	size_t i;
	int rc;

	memset(result, 0, sizeof(*result));
	memset(&status, 0, sizeof(status));
	memset(&lock, 0, sizeof(lock));
	if (engine_checkout(engine, clock_now() + 86400, &work, err) != 0)
		return -1;
	rc = tracker_open(&t, engine, work->conn, options->table, err);
	if (rc == 0 && t.postgres && !options->dry_run)
		rc = lock_acquire(engine, options, &lock, err);
	if (rc == 0)
		rc = build_status(&t, files, &status, err);
	/* a dry run reverts everything inside one transaction, adopting the table included */
	if (rc == 0 && options->dry_run) {
		emit(options, MIGRATE_EVENT_PLAN, NULL, "BEGIN (everything below is rolled back)", 0, true);
		rc = engine->driver->begin(work->conn, err);
		dry_outer = rc == 0;
	}
	if (rc == 0 && status.table_exists)
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
				rc = err_set(err, EXIT_USAGE, "%s: migration %s has no down section", e->file->path, e->version);
			else
				rc = check_section(engine, e->file, &e->file->down,
						   section_transaction(engine, e->file, &e->file->down), err);
		}
	}
	for (i = status.count; rc == 0 && i-- > 0;) {
		const struct migrate_entry *e = &status.entries[i];
		const struct migration *m = e->file;
		double started = clock_now();
		long completed = 0;
		char *version;
		struct strbuf sql;
		bool transaction;

		if (!revertible(e->state))
			continue;
		if (target_version ? migrate_version_compare(e->version, target_version) <= 0 : result->reverted >= count)
			break;
		if (!m) {
			rc = err_set(err, EXIT_USAGE, "cannot revert migration %s: its file is missing", e->version);
			break;
		}
		if (!m->down.present) {
			rc = err_set(err, EXIT_USAGE, "%s: migration %s has no down section", m->path, m->version);
			break;
		}
		transaction = section_transaction(engine, m, &m->down);
		rc = check_section(engine, m, &m->down, transaction, err);
		if (rc != 0)
			break;
		emit(options, MIGRATE_EVENT_REVERTING, m, NULL, 0, transaction);
		if (!transaction && options->dry_run) {
			emit(options, MIGRATE_EVENT_PLAN, m, "transaction:false section: shown, not run in a dry run", 0, false);
			show_section(engine, &m->down, options);
			result->reverted++;
			continue;
		}
		if (transaction && !dry_outer && engine->driver->begin(work->conn, err) != 0) {
			rc = -1;
			break;
		}
		rc = run_section(&t, &m->down, transaction, 0, options, &completed, err);
		if (rc == 0) {
			version = literal(&t, e->row_version);
			strbuf_init(&sql);
			strbuf_addf(&sql, "DELETE FROM %s WHERE version = %s", t.table, version);
			rc = tracker_sql(&t, sql.buf, NULL, err);
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
	}
	if (dry_outer) {
		struct err ignored;

		err_init(&ignored);
		if (err->code != EXIT_NO_ANSWER)
			(void)engine->driver->rollback(work->conn, &ignored);
		if (rc == 0)
			emit(options, MIGRATE_EVENT_PLAN, NULL, "ROLLBACK (dry run: nothing was written)", 0, true);
	}
	lock_release(engine, options, &lock);
	migrate_status_release(&status);
	tracker_close(&t);
	engine_checkin(engine, work, rc != 0);
	return rc;
}

/* ---- accept ---- */

int migrate_accept(struct engine *engine, const struct migration_set *files, const char *version,
		   const struct migrate_options *options, struct err *err)
{
	const struct migration *m = migrate_files_find(files, version);
	const struct migrate_entry *row = NULL;
	struct migrate_status status;
	struct pool_conn *work;
	struct tracker t;
	struct strbuf sql;
	size_t i;
	int rc;

	if (!m)
		return err_set(err, EXIT_USAGE, "no migration file has version %s", version);
	if (engine_checkout(engine, clock_now() + 86400, &work, err) != 0)
		return -1;
	memset(&status, 0, sizeof(status));
	rc = tracker_open(&t, engine, work->conn, options->table, err);
	if (rc == 0)
		rc = ensure_table(&t, files, false, err);
	/* the row as stored, which may spell the version '001' */
	if (rc == 0)
		rc = build_status(&t, files, &status, err);
	for (i = 0; rc == 0 && i < status.count && !row; i++)
		if (status.entries[i].row_version[0] && strcmp(status.entries[i].version, m->version) == 0)
			row = &status.entries[i];
	if (rc == 0 && !row)
		rc = err_set(err, EXIT_USAGE, "migration %s is not applied: nothing to accept", version);
	if (rc == 0) {
		char *v = literal(&t, row->row_version);

		strbuf_init(&sql);
		strbuf_addf(&sql, "UPDATE %s SET checksum = '%s', checksum_algorithm = 'sha256', failed_statement = NULL, "
				  "error = NULL WHERE version = %s", t.table, m->up.checksum, v);
		rc = tracker_sql(&t, sql.buf, NULL, err);
		strbuf_release(&sql);
		free(v);
	}
	migrate_status_release(&status);
	tracker_close(&t);
	engine_checkin(engine, work, rc != 0);
	return rc;
}
