/* SQLite driver module: files and :memory: databases through libsqlite3. */
#include "dialect.h"
#include "clock.h"
#include "driver.h"
#include "strbuf.h"
#include "url.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct driver_conn {
	sqlite3 *db;
	long busy_timeout_ms;
};

/* sqlite:///rel.db -> "rel.db", sqlite:////abs.db -> "/abs.db", sqlite::memory: -> ":memory:".
 * Query parameters (?mode=ro) make it a SQLite URI filename. Caller frees. */
static int sqlite_filename(const char *url, char **out, bool *is_uri, struct err *err)
{
	const char *path, *query;
	struct strbuf sb;

	*is_uri = false;
	if (strcmp(url, "sqlite::memory:") == 0) {
		*out = strdup(":memory:");
		return 0;
	}
	if (strncmp(url, "sqlite:///", 10) != 0 || !url[10] || url[10] == '?')
		return err_set(err, EXIT_USAGE, "invalid SQLite URL '%s': expected sqlite:///relative.db, "
			       "sqlite:////absolute/path.db or sqlite::memory:", url);
	path = url + 10;
	query = strchr(path, '?');
	strbuf_init(&sb);
	if (query) {
		*is_uri = true;
		strbuf_addstr(&sb, "file:");
		for (; path < query; path++) {
			if (*path == '#' || *path == '%')
				strbuf_addf(&sb, "%%%02X", (unsigned char)*path);
			else
				strbuf_addch(&sb, *path);
		}
		strbuf_addstr(&sb, query);
	} else {
		strbuf_addstr(&sb, path);
	}
	*out = strbuf_detach(&sb);
	return 0;
}

/* SQLite's result codes are not SQLSTATEs, so none is claimed. */
static int sqlite_error(sqlite3 *db, int rc, int code, struct err *err)
{
	err_set(err, code, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	/* SQLite waited busy_timeout for the lock before it said so */
	if (((db ? sqlite3_errcode(db) : rc) & 0xff) == SQLITE_BUSY)
		err_hint(err, "busy_timeout ran out: another process or connection holds a lock on the database file; "
			      "retry when it is done, or raise busy_timeout (-o busy_timeout=MS)");
	return -1;
}

/* Runs statements that return at most one row of one column into value (may be NULL). */
static int sqlite_scalar(sqlite3 *db, const char *sql, char *value, size_t size, struct err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK)
		return sqlite_error(db, rc, EXIT_FAILED, err);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && value) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);

		snprintf(value, size, "%s", text ? (const char *)text : "");
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite_error(db, rc, EXIT_FAILED, err);
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

/* WAL lets readers run beside a writer. It must be set outside a transaction,
 * so here, once per connection; a read-only file keeps what it has. */
static int set_journal_mode(sqlite3 *db, const char *mode, long busy_timeout_ms, struct err *err)
{
	char current[32], sql[64];
	long waited_ms;

	if (strcmp(mode, "keep") == 0 || sqlite3_db_readonly(db, "main") == 1)
		return 0;
	if (sqlite_scalar(db, "PRAGMA journal_mode", current, sizeof(current), err) != 0)
		return -1;
	if (strcasecmp(current, mode) == 0 || strcmp(current, "memory") == 0)
		return 0;   /* :memory: databases only do "memory" */
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	/* switching needs the file to itself, and SQLite does not wait for that on
	 * its own: retry within busy_timeout, then carry on in the current mode */
	for (waited_ms = 0;; waited_ms += 10) {
		struct err attempt;

		err_init(&attempt);
		if (sqlite_scalar(db, sql, NULL, 0, &attempt) == 0)
			return 0;
		if ((sqlite3_errcode(db) & 0xff) != SQLITE_BUSY && (sqlite3_errcode(db) & 0xff) != SQLITE_LOCKED) {
			*err = attempt;
			return -1;
		}
		if (waited_ms >= busy_timeout_ms)
			return 0;
		sqlite3_sleep(10);
	}
}

static int sqlite_connect(const struct driver_target *target, double deadline, struct driver_conn **out,
			  struct err *err)
{
	struct driver_conn *conn;
	char *filename = NULL;
	bool is_uri;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	(void)deadline;   /* opening a file does not wait on anyone; busy_timeout bounds locks */
	if (sqlite_filename(target->url, &filename, &is_uri, err) != 0)
		return -1;
	if (is_uri)
		flags |= SQLITE_OPEN_URI;
	/* a health probe must not create the file it checks for */
	if (target->observe_only)
		flags &= ~SQLITE_OPEN_CREATE;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		free(filename);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	rc = sqlite3_open_v2(filename, &conn->db, flags, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, EXIT_NO_ANSWER, "cannot open SQLite database '%s': %s", filename,
			conn->db ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc));
		err->stage = STAGE_NONE;
		goto fail;
	}
	free(filename);
	filename = NULL;
	sqlite3_extended_result_codes(conn->db, 1);
	conn->busy_timeout_ms = target->busy_timeout_ms;
	sqlite3_busy_timeout(conn->db, (int)target->busy_timeout_ms);
	if (!target->observe_only && set_journal_mode(conn->db, target->journal_mode, target->busy_timeout_ms, err) != 0) {
		err_prefix(err, "cannot set journal_mode=%s", target->journal_mode);
		err->stage = STAGE_REACH;
		goto fail;
	}
	*out = conn;
	return 0;
fail:
	free(filename);
	sqlite3_close(conn->db);
	free(conn);
	return -1;
}

/* Reading the schema touches the file: a corrupt or foreign file fails here.
 * A lock held by another process is waited for within busy_timeout and the
 * deadline both, so that ping --timeout holds and --wait can retry. */
static int sqlite_ping(struct driver_conn *conn, double deadline, char *version, size_t size, struct err *err)
{
	long busy_ms = conn->busy_timeout_ms;
	int rc;

	if (clock_ms_left(deadline) < busy_ms)
		busy_ms = clock_ms_left(deadline);
	sqlite3_busy_timeout(conn->db, (int)busy_ms);
	rc = sqlite_scalar(conn->db, "SELECT count(*) FROM sqlite_schema", NULL, 0, err);
	sqlite3_busy_timeout(conn->db, (int)conn->busy_timeout_ms);
	if (rc != 0) {
		if ((sqlite3_errcode(conn->db) & 0xff) == SQLITE_BUSY && busy_ms < conn->busy_timeout_ms)
			err_set(err, EXIT_NO_ANSWER, "timed out waiting for another process's lock on the database");
		err->stage = STAGE_REACH;
		return -1;
	}
	snprintf(version, size, "SQLite %s", sqlite3_libversion());
	return 0;
}

static char *dup_text(const unsigned char *text)
{
	return text ? strdup((const char *)text) : NULL;
}

static int sqlite_exec(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err)
{
	const char *tail = text;
	sqlite3_stmt *stmt = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->affected = -1;
	while (tail && *tail) {
		long allocated = 0;
		int c;

		rc = sqlite3_prepare_v2(conn->db, tail, -1, &stmt, &tail);
		if (rc != SQLITE_OK)
			return sqlite_error(conn->db, rc, EXIT_FAILED, err);
		if (!stmt)
			continue;   /* whitespace or a comment */
		driver_result_release(out);
		out->affected = -1;
		out->column_count = sqlite3_column_count(stmt);
		out->column_names = calloc((size_t)out->column_count + 1, sizeof(char *));
		for (c = 0; c < out->column_count; c++)
			out->column_names[c] = strdup(sqlite3_column_name(stmt, c));
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (out->row_count == allocated) {
				allocated = allocated ? allocated * 2 : 16;
				out->cells = realloc(out->cells, (size_t)(allocated * out->column_count + 1) * sizeof(char *));
			}
			for (c = 0; c < out->column_count; c++)
				out->cells[out->row_count * out->column_count + c] = dup_text(sqlite3_column_text(stmt, c));
			out->row_count++;
		}
		if (rc != SQLITE_DONE) {
			sqlite_error(conn->db, rc, EXIT_FAILED, err);
			sqlite3_finalize(stmt);
			driver_result_release(out);
			return -1;
		}
		if (sqlite3_stmt_readonly(stmt) == 0)
			out->affected = sqlite3_changes(conn->db);
		sqlite3_finalize(stmt);
	}
	return 0;
}

/* Rows go to the sink as sqlite3_step produces them; a text may hold several
 * statements, each its own result. */
static int sqlite_query(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink,
			struct err *err)
{
	const char *tail = text;
	sqlite3_stmt *stmt = NULL;
	const char **values = NULL;   /* owned; one row's cells, borrowed from stmt */
	int rc = 0, step;

	while (rc == 0 && tail && *tail) {
		int count, c;

		step = sqlite3_prepare_v2(conn->db, tail, -1, &stmt, &tail);
		if (step != SQLITE_OK) {
			rc = sqlite_error(conn->db, step, EXIT_FAILED, err);
			break;
		}
		if (!stmt)
			continue;   /* whitespace or a comment */
		count = sqlite3_column_count(stmt);
		free(values);
		values = calloc((size_t)count + 1, sizeof(*values));
		if (!values) {
			rc = err_set(err, EXIT_FAILED, "out of memory");
			break;
		}
		if (count > 0) {
			for (c = 0; c < count; c++)
				values[c] = sqlite3_column_name(stmt, c);
			/* SQLite types values, not columns: nothing is known to be a number */
			if (sink->columns(sink->context, count, values, NULL) != 0)
				rc = err_set(err, EXIT_FAILED, "stopped: the output could not be written");
		}
		while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
			for (c = 0; c < count; c++)
				values[c] = (const char *)sqlite3_column_text(stmt, c);
			if (sink->row(sink->context, values) != 0)
				rc = err_set(err, EXIT_FAILED, "stopped: the output could not be written");
		}
		if (rc == 0 && step != SQLITE_DONE)
			rc = sqlite_error(conn->db, step, EXIT_FAILED, err);
		if (rc == 0 && sink->done(sink->context, "", sqlite3_stmt_readonly(stmt) ? -1 : sqlite3_changes(conn->db)) != 0)
			rc = err_set(err, EXIT_FAILED, "stopped: the output could not be written");
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	free(values);
	return rc;
}

static int sqlite_transaction_wrote(struct driver_conn *conn)
{
	return sqlite3_txn_state(conn->db, NULL) == SQLITE_TXN_WRITE;
}

static enum driver_transaction sqlite_transaction_state(struct driver_conn *conn)
{
	return sqlite3_get_autocommit(conn->db) ? DRIVER_TRANSACTION_NONE : DRIVER_TRANSACTION_OPEN;
}

static int sqlite_begin(struct driver_conn *conn, struct err *err)
{
	/* IMMEDIATE takes the write lock now, so a concurrent writer waits at the
	 * start (busy_timeout) instead of failing halfway through */
	return sqlite_scalar(conn->db, "BEGIN IMMEDIATE", NULL, 0, err);
}

static int sqlite_commit(struct driver_conn *conn, struct err *err)
{
	return sqlite_scalar(conn->db, "COMMIT", NULL, 0, err);
}

static int sqlite_rollback(struct driver_conn *conn, struct err *err)
{
	return sqlite_scalar(conn->db, "ROLLBACK", NULL, 0, err);
}

static void sqlite_cancel(struct driver_conn *conn)
{
	sqlite3_interrupt(conn->db);
}

static int sqlite_server_stats(struct driver_conn *conn, struct driver_server_stats *out, struct err *err)
{
	static const char *const pragmas[] = { "journal_mode", "page_size", "page_count", "freelist_count",
					       "busy_timeout" };
	const char *filename = sqlite3_db_filename(conn->db, "main");
	char value[64], sql[64];
	struct stat st;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "SQLite %s", sqlite3_libversion());
	out->max_connections = -1;
	out->reserved = 0;
	out->in_use = -1;
	driver_stat_add(out, "file", false, "%s", filename && *filename ? filename : ":memory:");
	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		snprintf(sql, sizeof(sql), "PRAGMA %s", pragmas[i]);
		if (sqlite_scalar(conn->db, sql, value, sizeof(value), err) != 0)
			return -1;
		driver_stat_add(out, pragmas[i], i > 0, "%s", value);
	}
	if (filename && *filename) {
		char wal[4096];

		snprintf(wal, sizeof(wal), "%s-wal", filename);
		driver_stat_add(out, "wal_bytes", true, "%lld", stat(wal, &st) == 0 ? (long long)st.st_size : 0LL);
	}
	return 0;
}


/* Statements run one by one in-process; there is no round trip to save. */
/* Runs every statement of one text: a script's statement is one, but an
 * unquoted -v value may have put several in it, and PostgreSQL runs them all.
 * *failed_at is where in text the one that failed starts. */
static int sqlite_exec_text(struct driver_conn *conn, const char *text, size_t length, long *affected,
			    const char **failed_at)
{
	const char *at = text, *end = text + length;
	int rc = SQLITE_OK;

	while (at < end && rc == SQLITE_OK) {
		sqlite3_stmt *stmt = NULL;
		const char *tail = NULL;
		/* sqlite3_changes() repeats the last DML's count after DDL; the total does not */
		int before = sqlite3_total_changes(conn->db);

		/* the length with the NUL after the text: SQLite then parses it in
		 * place instead of copying it to terminate it */
		*failed_at = at;
		rc = sqlite3_prepare_v2(conn->db, at, (int)(end - at) + 1, &stmt, &tail);
		if (rc == SQLITE_OK && !stmt)
			break;   /* only blanks or comments were left */
		if (rc == SQLITE_OK) {
			while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
				;
			if (rc == SQLITE_DONE) {
				rc = SQLITE_OK;
				*affected += sqlite3_total_changes(conn->db) - before;
			}
		}
		sqlite3_finalize(stmt);
		at = tail && tail > at ? tail : end;
	}
	return rc;
}

static int sqlite_exec_batch(struct driver_conn *conn, struct driver_batch *batch, struct err *err)
{
	size_t i;

	batch->completed = 0;
	batch->affected = 0;
	for (i = 0; i < batch->count; i++) {
		const char *failed_at = batch->texts[i];
		int rc = sqlite_exec_text(conn, batch->texts[i], batch->lengths[i], &batch->affected, &failed_at);

		if (rc != SQLITE_OK) {
			int offset = sqlite3_error_offset(conn->db);
			size_t from = (size_t)(failed_at - batch->texts[i]);

			sqlite_error(conn->db, rc, EXIT_FAILED, err);
			err->item = (long)i;
			if (offset >= 0 && from + (size_t)offset < batch->lengths[i]) {
				int chars = 1;
				size_t b;

				for (b = 0; b < from + (size_t)offset; b++)
					if (((unsigned char)batch->texts[i][b] & 0xc0) != 0x80)
						chars++;
				err->position = chars;
			}
			return -1;
		}
		batch->completed++;
	}
	return 0;
}

static char *sqlite_quote(struct driver_conn *conn, const char *value, bool identifier)
{
	char *quoted = sqlite3_mprintf(identifier ? "\"%w\"" : "%Q", value), *copy;

	(void)conn;
	if (!quoted)
		return NULL;
	copy = strdup(quoted);
	sqlite3_free(quoted);
	return copy;
}

static bool sqlite_statement_complete(const char *text)
{
	return sqlite3_complete(text) != 0;
}

static void sqlite_close(struct driver_conn *conn)
{
	if (!conn)
		return;
	sqlite3_close(conn->db);
	free(conn);
}

/* every connection to :memory: opens a database of its own */
static bool sqlite_single_connection(const char *url)
{
	return strncmp(url, "sqlite::memory:", 15) == 0 || strstr(url, "mode=memory") != NULL;
}

/* As the sqlite3 shell's .schema: each object's own CREATE text, in the
 * order they were made, which is an order they can be made again in. */
static int sqlite_dump_schema(struct driver_conn *conn, struct strbuf *out, struct err *err)
{
	struct driver_result r;
	long i;

	if (sqlite_exec(conn, "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' "
			      "ESCAPE '\\' ORDER BY rowid", &r, err) != 0)
		return -1;
	for (i = 0; i < r.row_count; i++)
		strbuf_addf(out, "%s;\n\n", r.cells[i] ? r.cells[i] : "");
	driver_result_release(&r);
	return 0;
}

static const struct driver sqlite_driver = {
	.abi_version = DRIVER_ABI_VERSION,
	.name = "sqlite",
	.display_name = "SQLite",
	.dialect = &sqlite_dialect,
	.connect = sqlite_connect,
	.ping = sqlite_ping,
	.exec = sqlite_exec,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.cancel = sqlite_cancel,
	.query = sqlite_query,
	.transaction_state = sqlite_transaction_state,
	.transaction_wrote = sqlite_transaction_wrote,
	.server_stats = sqlite_server_stats,
	.exec_batch = sqlite_exec_batch,
	.quote = sqlite_quote,
	.statement_complete = sqlite_statement_complete,
	.close = sqlite_close,
	.single_connection = sqlite_single_connection,
	.dump_schema = sqlite_dump_schema,
};

__attribute__((visibility("default"))) const struct driver *dbctl_driver_entry(void);
const struct driver *dbctl_driver_entry(void)
{
	return &sqlite_driver;
}
