/* The shell's transaction rules, apart from any terminal: lazy BEGIN, a
 * savepoint per statement, explicit commit, reconnect after a lost connection. */
#include "session.h"
#include "clock.h"
#include "script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* psql's ON_ERROR_ROLLBACK uses a savepoint of its own name in the same way. */
#define STATEMENT_SAVEPOINT "dbctl_statement"

void session_init(struct session *session, struct engine *engine)
{
	memset(session, 0, sizeof(*session));
	session->engine = engine;
	session->transactional = engine->backend != URL_BACKEND_REDIS;
}

static const struct driver *driver_of(const struct session *session)
{
	return session->engine->driver;
}

int session_connect(struct session *session, struct err *err)
{
	if (session->work)
		return 0;
	return engine_checkout(session->engine, clock_now() + 86400, &session->work, err);
}

/* After the connection died the server has rolled the transaction back; the
 * next statement connects again. */
static void drop_connection(struct session *session)
{
	if (!session->work)
		return;
	engine_checkin(session->engine, session->work, true);
	session->work = NULL;
	session->wrote = false;
}

/* Fails with the connection gone: say what that means for the user's work. */
static int connection_lost(struct session *session, struct err *err)
{
	bool had_work = session->wrote;

	drop_connection(session);
	err_hint(err, "the connection was lost%s; the next statement connects again",
		 had_work ? " and the open transaction was rolled back by the server" : "");
	return -1;
}

static int ignore_columns(void *context, int count, const char *const *names)
{
	(void)context, (void)count, (void)names;
	return 0;
}

static int ignore_row(void *context, const char *const *cells)
{
	(void)context, (void)cells;
	return 0;
}

static int ignore_done(void *context, const char *tag, long affected)
{
	(void)context, (void)tag, (void)affected;
	return 0;
}

static int ignore_text(void *context, const char *text)
{
	(void)context, (void)text;
	return 0;
}

static const struct driver_row_sink discard_sink = { ignore_columns, ignore_row, ignore_done, ignore_text, NULL };

static int run_sql(struct session *session, const char *sql, struct err *err)
{
	if (driver_of(session)->query(session->work->conn, sql, &discard_sink, err) != 0)
		return err->code == EXIT_NO_ANSWER ? connection_lost(session, err) : -1;
	return 0;
}

enum session_state session_state(const struct session *session)
{
	if (!session->work)
		return SESSION_IDLE;
	switch (driver_of(session)->transaction_state(session->work->conn)) {
	case DRIVER_TRANSACTION_OPEN:
		return SESSION_IN_TRANSACTION;
	case DRIVER_TRANSACTION_FAILED:
		return SESSION_FAILED;
	default:
		return SESSION_IDLE;
	}
}

int session_begin(struct session *session, struct err *err)
{
	if (session_connect(session, err) != 0)
		return -1;
	if (session_state(session) != SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice), "already in a transaction: \\commit or \\rollback ends it");
		return 0;
	}
	session->wrote = false;
	/* SQLite: a deferred BEGIN, so that an idle shell holds no write lock */
	return run_sql(session, "BEGIN", err);
}

int session_commit(struct session *session, struct err *err)
{
	enum session_state state = session_state(session);

	if (state == SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice), "no transaction is open: nothing to commit");
		return 0;
	}
	if (run_sql(session, "COMMIT", err) != 0)
		return -1;
	/* COMMIT of a failed transaction is a rollback on the server: say so */
	if (state == SESSION_FAILED)
		snprintf(session->notice, sizeof(session->notice), "the transaction had failed: it was rolled back");
	session->wrote = false;
	return 0;
}

int session_rollback(struct session *session, struct err *err)
{
	if (session_state(session) == SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice), "no transaction is open: nothing to roll back");
		return 0;
	}
	session->wrote = false;
	return run_sql(session, "ROLLBACK", err);
}

/* Statements whose effect needs no COMMIT to keep: leaving after only these asks nothing. */
static bool is_read_only(const char *what)
{
	static const char *const reads[] = { "SELECT", "SHOW", "EXPLAIN", "VALUES", "TABLE", "WITH", "FETCH", "PRAGMA" };
	size_t i;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strcasecmp(what, reads[i]) == 0)
			return true;
	return false;
}

/* The user's own savepoints: ours around them would release theirs. */
static bool manages_savepoints(const struct sqlscan_statement *statement)
{
	return strcasecmp(statement->what, "SAVEPOINT") == 0 || strcasecmp(statement->what, "RELEASE") == 0 ||
	       strcasecmp(statement->what, "ROLLBACK") == 0;
}

/* Runs text in a savepoint, so that its failure leaves the transaction usable. */
static int query_in_savepoint(struct session *session, const char *text, const struct driver_row_sink *sink,
			      struct err *err)
{
	struct err cleanup;

	if (run_sql(session, "SAVEPOINT " STATEMENT_SAVEPOINT, err) != 0)
		return -1;
	if (driver_of(session)->query(session->work->conn, text, sink, err) == 0)
		return run_sql(session, "RELEASE SAVEPOINT " STATEMENT_SAVEPOINT, err);
	if (err->code == EXIT_NO_ANSWER)
		return connection_lost(session, err);
	err_init(&cleanup);
	if (run_sql(session, "ROLLBACK TO SAVEPOINT " STATEMENT_SAVEPOINT, &cleanup) != 0 ||
	    run_sql(session, "RELEASE SAVEPOINT " STATEMENT_SAVEPOINT, &cleanup) != 0) {
		if (!session->work)
			return connection_lost(session, err);
	}
	return -1;
}

static bool mentions_chain(const char *text)
{
	for (; *text; text++)
		if (strncasecmp(text, "CHAIN", 5) == 0)
			return true;
	return false;
}

static int transaction_control(struct session *session, const struct sqlscan_statement *statement,
			       const struct driver_row_sink *sink, struct err *err)
{
	const char *what = statement->what;

	if (strcasecmp(what, "BEGIN") == 0 || strcasecmp(what, "START") == 0) {
		if (session_state(session) != SESSION_IDLE) {
			snprintf(session->notice, sizeof(session->notice),
				 "already in a transaction (the shell opens one for you): \\commit or \\rollback ends it");
			return 0;
		}
		session->wrote = false;
		return run_sql(session, statement->text.buf, err);
	}
	/* COMMIT AND CHAIN, PREPARE TRANSACTION: as written, the server knows them */
	if (mentions_chain(statement->text.buf) || strcasecmp(what, "PREPARE") == 0) {
		if (driver_of(session)->query(session->work->conn, statement->text.buf, sink, err) != 0)
			return err->code == EXIT_NO_ANSWER ? connection_lost(session, err) : -1;
		session->wrote = false;
		return 0;
	}
	if (strcasecmp(what, "COMMIT") == 0 || strcasecmp(what, "END") == 0)
		return session_commit(session, err);
	return session_rollback(session, err);
}

/* VACUUM, CREATE DATABASE, ... CONCURRENTLY: only outside a transaction, so
 * one holding nothing is ended for them, and one holding changes is kept. */
static int outside_transaction(struct session *session, const struct sqlscan_statement *statement,
			       const struct driver_row_sink *sink, struct err *err)
{
	if (session_state(session) != SESSION_IDLE) {
		if (session->wrote) {
			err_set(err, EXIT_USAGE, "%s cannot run inside a transaction, and this one has uncommitted changes",
				statement->what);
			err_hint(err, "\\commit or \\rollback first");
			return -1;
		}
		if (run_sql(session, "ROLLBACK", err) != 0)
			return -1;
	}
	if (driver_of(session)->query(session->work->conn, statement->text.buf, sink, err) != 0)
		return err->code == EXIT_NO_ANSWER ? connection_lost(session, err) : -1;
	snprintf(session->notice, sizeof(session->notice), "%s ran outside a transaction: it is already applied",
		 statement->what);
	return 0;
}

int session_execute(struct session *session, const struct sqlscan_statement *statement,
		    const struct driver_row_sink *sink, struct err *err)
{
	enum session_state state;

	session->notice[0] = '\0';
	if (statement->kind == SQLSCAN_COPY_IN) {
		err_set(err, EXIT_USAGE, "COPY ... FROM STDIN needs its data after it");
		err_hint(err, "put the COPY and its data in a file and run it with \\i FILE");
		return -1;
	}
	if (session_connect(session, err) != 0)
		return -1;
	if (!session->transactional) {
		if (driver_of(session)->query(session->work->conn, statement->text.buf, sink, err) != 0)
			return err->code == EXIT_NO_ANSWER ? connection_lost(session, err) : -1;
		return 0;
	}
	if (statement->kind == SQLSCAN_TRANSACTION_CONTROL)
		return transaction_control(session, statement, sink, err);
	if (statement->kind == SQLSCAN_OUTSIDE_TRANSACTION)
		return outside_transaction(session, statement, sink, err);

	state = session_state(session);
	if (state == SESSION_IDLE && !session->autocommit) {
		if (session_begin(session, err) != 0)
			return -1;
		state = SESSION_IN_TRANSACTION;
	}
	if (state == SESSION_IN_TRANSACTION && !manages_savepoints(statement)) {
		if (query_in_savepoint(session, statement->text.buf, sink, err) != 0)
			return -1;
	} else if (driver_of(session)->query(session->work->conn, statement->text.buf, sink, err) != 0) {
		return err->code == EXIT_NO_ANSWER ? connection_lost(session, err) : -1;
	}
	if (session_state(session) != SESSION_IDLE && !is_read_only(statement->what))
		session->wrote = true;
	return 0;
}

int session_query(struct session *session, const char *sql, const struct driver_row_sink *sink, struct err *err)
{
	if (session_connect(session, err) != 0)
		return -1;
	switch (session_state(session)) {
	case SESSION_FAILED:
		err_set(err, EXIT_FAILED, "the transaction has failed: commands are ignored until \\rollback");
		return -1;
	case SESSION_IN_TRANSACTION:
		return query_in_savepoint(session, sql, sink, err);
	default:
		if (driver_of(session)->query(session->work->conn, sql, sink, err) != 0)
			return err->code == EXIT_NO_ANSWER ? connection_lost(session, err) : -1;
		return 0;
	}
}

int session_run_file(struct session *session, const char *path, long *statements, struct err *err)
{
	struct script_options options;
	struct script_summary summary;
	struct script_stream input;
	enum sqlscan_dialect dialect = script_dialect(session->engine->backend);
	FILE *file = fopen(path, "r");
	long count = 0;
	int rc;

	*statements = 0;
	if (!file)
		return err_set(err, EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
	memset(&options, 0, sizeof(options));
	options.transaction = session->transactional;
	input.stream = file;
	input.name = path;
	input.first_line = 1;
	rc = script_check_stream(&input, dialect, &options, driver_of(session)->statement_complete, &count, err);
	rewind(file);
	if (rc == 0)
		rc = session_connect(session, err);
	if (rc == 0 && session->transactional && session_state(session) == SESSION_IDLE && !session->autocommit)
		rc = session_begin(session, err);
	/* the whole file in one savepoint: a failing file undoes only itself */
	if (rc == 0 && session->transactional && session_state(session) == SESSION_IN_TRANSACTION)
		rc = run_sql(session, "SAVEPOINT " STATEMENT_SAVEPOINT, err);
	if (rc == 0) {
		bool in_savepoint = session->transactional && session_state(session) == SESSION_IN_TRANSACTION;

		memset(&summary, 0, sizeof(summary));
		rc = script_run_stream(driver_of(session), session->work->conn, &input, dialect, &options, &summary, err);
		*statements = summary.statements;
		if (rc != 0 && err->code == EXIT_NO_ANSWER) {
			connection_lost(session, err);
		} else if (in_savepoint) {
			struct err cleanup;

			err_init(&cleanup);
			if (rc != 0 && run_sql(session, "ROLLBACK TO SAVEPOINT " STATEMENT_SAVEPOINT, &cleanup) != 0)
				rc = -1;
			else if (run_sql(session, "RELEASE SAVEPOINT " STATEMENT_SAVEPOINT, rc != 0 ? &cleanup : err) != 0)
				rc = -1;
			if (rc == 0 && summary.statements > 0)
				session->wrote = true;
		}
	}
	fclose(file);
	return rc;
}

/* PostgreSQL knows exactly: a transaction that wrote anything has an xid.
 * Elsewhere, any statement that is not a plain read counts. */
bool session_has_changes(struct session *session)
{
	struct driver_result result;
	struct err ignored;
	bool changed = session->wrote;

	if (!session->work || !session->transactional || session_state(session) != SESSION_IN_TRANSACTION)
		return false;
	err_init(&ignored);
	if (session->engine->backend == URL_BACKEND_POSTGRESQL &&
	    driver_of(session)->exec(session->work->conn, "SELECT txid_current_if_assigned() IS NOT NULL", &result,
				     &ignored) == 0) {
		if (result.row_count == 1 && result.column_count == 1 && result.cells[0])
			changed = strcmp(result.cells[0], "t") == 0;
		driver_result_release(&result);
	}
	return changed;
}

void session_cancel(struct session *session)
{
	struct pool_conn *work = session->work;

	if (work)
		driver_of(session)->cancel(work->conn);
}

void session_release(struct session *session)
{
	struct err ignored;

	err_init(&ignored);
	if (session->work && session->transactional && session_state(session) != SESSION_IDLE &&
	    run_sql(session, "ROLLBACK", &ignored) != 0)
		return;   /* the connection is gone, and with it the transaction */
	if (session->work)
		engine_checkin(session->engine, session->work, false);
	session->work = NULL;
}
