/* The shell's transaction rules, apart from any terminal: lazy BEGIN, a
 * savepoint per statement, explicit commit, reconnect after a lost connection. */
#include "session.h"
#include "clock.h"
#include "script.h"

#include <ctype.h>
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
	session->transactional = engine->driver->dialect->rolls_back;
}

static const struct driver *driver_of(const struct session *session)
{
	return session->engine->driver;
}

static int ignore_columns(void *context, int count, const char *const *names, const bool *numeric)
{
	(void)context, (void)count, (void)names, (void)numeric;
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

int session_connect(struct session *session, struct err *err)
{
	bool reconnecting = session->lost;

	if (session->work)
		return 0;
	if (engine_checkout(session->engine, clock_now() + 86400, &session->work, err) != 0)
		return -1;
	session->lost = false;
	/* the shell asks whether its transaction wrote before DDL and on leaving */
	if (driver_of(session)->watch_writes)
		driver_of(session)->watch_writes(session->work->conn);
	/* a new Redis connection starts on the URL's database, not the one the user chose */
	if (reconnecting && session->redis_select[0]) {
		if (driver_of(session)->query(session->work->conn, session->redis_select, &discard_sink, err) != 0)
			return -1;
		snprintf(session->notice, sizeof(session->notice), "connected again; restored '%s'",
			 session->redis_select);
	}
	return 0;
}

/* The connection died: the server rolled back whatever was open. The pointer
 * is cleared before the connection is freed, so that a Ctrl-C arriving in
 * between does not cancel through freed memory. */
static int connection_lost(struct session *session, bool transaction_was_open, struct err *err)
{
	struct pool_conn *work = session->work;

	session->work = NULL;
	session->lost = true;
	if (work)
		engine_checkin(session->engine, work, true);
	if (session->ending) {
		/* the server may have committed before the connection died: nobody can say */
		err->code = EXIT_UNKNOWN;
		err_hint(err, "the connection was lost after %s was sent: it may or may not have been applied;"
			      " check before doing it again (the next statement connects again)", session->ending);
		return -1;
	}
	err->code = EXIT_NO_ANSWER;
	err_hint(err, "the connection was lost%s; the next statement connects again",
		 transaction_was_open ? " and the open transaction was rolled back" : "");
	return -1;
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

/* Runs text on the session's connection; a lost connection is reported as such. */
static int send(struct session *session, const char *text, const struct driver_row_sink *sink, struct err *err)
{
	bool was_open = session_state(session) != SESSION_IDLE;

	if (driver_of(session)->query(session->work->conn, text, sink, err) == 0)
		return 0;
	if (err->code == EXIT_NO_ANSWER ||
	    driver_of(session)->transaction_state(session->work->conn) == DRIVER_TRANSACTION_UNKNOWN)
		return connection_lost(session, was_open, err);
	return -1;
}

static int run_sql(struct session *session, const char *sql, struct err *err)
{
	return send(session, sql, &discard_sink, err);
}

static int record_tag(void *context, const char *tag, long affected)
{
	struct session *session = context;

	(void)affected;
	snprintf(session->tag, sizeof(session->tag), "%s", tag);
	return 0;
}

/* Runs a transaction command for the session and keeps what the server said
 * it did ("ROLLBACK" for the COMMIT of a failed transaction); a backend
 * without command tags (SQLite) did what was asked: fallback. */
static int transaction_sql(struct session *session, const char *sql, const char *fallback, struct err *err)
{
	const struct driver_row_sink sink = { ignore_columns, ignore_row, record_tag, ignore_text, session };

	session->tag[0] = '\0';
	if (send(session, sql, &sink, err) != 0)
		return -1;
	if (!session->tag[0])
		snprintf(session->tag, sizeof(session->tag), "%s", fallback);
	return 0;
}

/* Sends what ends the transaction (COMMIT, COMMIT AND CHAIN, PREPARE
 * TRANSACTION) so that losing the connection meanwhile reads as an unknown
 * outcome. A connection already dead is found first by a round trip that
 * commits nothing: then the server has rolled back, and that is known. */
static int end_transaction(struct session *session, const char *sql, const char *what,
			   const struct driver_row_sink *sink, struct err *err)
{
	int rc;

	if (session->engine->driver->dialect->probe_sql) {
		bool had_failed = session_state(session) == SESSION_FAILED;
		struct err probe;

		/* in a failed transaction the probe fails as expected; otherwise a
		 * failure (a Ctrl-C or SIGTERM that cancelled it) stops the commit */
		err_init(&probe);
		if (send(session, session->engine->driver->dialect->probe_sql, &discard_sink, &probe) != 0 &&
		    (!session->work || !had_failed)) {
			*err = probe;
			return -1;
		}
	}
	session->ending = what;
	rc = sink ? send(session, sql, sink, err) : transaction_sql(session, sql, "COMMIT", err);
	session->ending = NULL;
	return rc;
}

bool session_has_changes(struct session *session)
{
	int wrote;

	if (!session->work || !session->transactional || session_state(session) == SESSION_IDLE)
		return false;
	wrote = driver_of(session)->transaction_wrote ? driver_of(session)->transaction_wrote(session->work->conn) : -1;
	return wrote != 0;   /* when the backend cannot tell, assume the worst */
}

int session_begin(struct session *session, struct err *err)
{
	session->tag[0] = '\0';
	if (session_connect(session, err) != 0)
		return -1;
	if (session_state(session) != SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice), "already in a transaction: \\commit or \\rollback ends it");
		return 0;
	}
	/* SQLite: a deferred BEGIN, so that an idle shell holds no write lock */
	return transaction_sql(session, "BEGIN", "BEGIN", err);
}

int session_commit(struct session *session, struct err *err)
{
	enum session_state state = session_state(session);

	session->tag[0] = '\0';
	if (state == SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice), "no transaction is open: nothing to commit");
		return 0;
	}
	if (end_transaction(session, "COMMIT", "COMMIT", NULL, err) != 0) {
		/* a COMMIT the server refused (a deferred constraint, a cancel) ended the transaction */
		if (session->work && state != SESSION_IDLE && session_state(session) == SESSION_IDLE)
			snprintf(session->notice, sizeof(session->notice), "the COMMIT failed: the transaction was rolled back");
		return -1;
	}
	/* COMMIT of a failed transaction is a rollback on the server: say so */
	if (state == SESSION_FAILED)
		snprintf(session->notice, sizeof(session->notice), "the transaction had failed: it was rolled back");
	return 0;
}

int session_rollback(struct session *session, struct err *err)
{
	session->tag[0] = '\0';
	if (session_state(session) == SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice), "no transaction is open: nothing to roll back");
		return 0;
	}
	return transaction_sql(session, "ROLLBACK", "ROLLBACK", err);
}

/* Does text start with these words (case and spacing aside)? */
static bool starts_with_words(const char *text, const char *const *words)
{
	const char *p = text;
	size_t i;

	for (i = 0; words[i]; i++) {
		size_t len = strlen(words[i]);

		p += strspn(p, " \t\r\n");
		if (strncasecmp(p, words[i], len) != 0 || isalnum((unsigned char)p[len]) || p[len] == '_')
			return false;
		p += len;
	}
	return true;
}

/* Statements that must not run inside the shell's own savepoint: the user's
 * savepoints (ours would release theirs), and SET TRANSACTION (it must not
 * run in a subtransaction). */
static bool needs_no_savepoint(const struct sqlscan_statement *statement)
{
	static const char *const set_transaction[] = { "SET", "TRANSACTION", NULL };

	return strcasecmp(statement->what, "SAVEPOINT") == 0 || strcasecmp(statement->what, "RELEASE") == 0 ||
	       strcasecmp(statement->what, "ROLLBACK") == 0 || starts_with_words(statement->text.buf, set_transaction);
}

/* Runs text in a savepoint, so that its failure leaves the transaction usable. */
static int query_in_savepoint(struct session *session, const char *text, const struct driver_row_sink *sink,
			      struct err *err)
{
	struct err cleanup;

	if (run_sql(session, "SAVEPOINT " STATEMENT_SAVEPOINT, err) != 0)
		return -1;
	if (send(session, text, sink, err) == 0)
		return run_sql(session, "RELEASE SAVEPOINT " STATEMENT_SAVEPOINT, err);
	if (!session->work)
		return -1;   /* lost: err says so */
	/* SQLite ends the whole transaction on some errors (an interrupted write) */
	if (session_state(session) == SESSION_IDLE) {
		snprintf(session->notice, sizeof(session->notice),
			 "the database ended the transaction: everything since it began was rolled back");
		return -1;
	}
	err_init(&cleanup);
	if (run_sql(session, "ROLLBACK TO SAVEPOINT " STATEMENT_SAVEPOINT, &cleanup) == 0)
		(void)run_sql(session, "RELEASE SAVEPOINT " STATEMENT_SAVEPOINT, &cleanup);
	if (!session->work) {
		err->code = EXIT_NO_ANSWER;
		snprintf(err->hint, sizeof(err->hint), "%s", cleanup.hint);
	}
	return -1;
}

static int transaction_control(struct session *session, const struct sqlscan_statement *statement,
			       const struct driver_row_sink *sink, struct err *err)
{
	static const char *const and_chain[] = { "AND", "CHAIN", NULL };
	const char *what = statement->what, *rest = statement->text.buf + strspn(statement->text.buf, " \t\r\n");

	if (strcasecmp(what, "BEGIN") == 0 || strcasecmp(what, "START") == 0) {
		if (session_state(session) != SESSION_IDLE) {
			snprintf(session->notice, sizeof(session->notice),
				 "already in a transaction (the shell opens one for you): \\commit or \\rollback ends it");
			return 0;
		}
		return transaction_sql(session, statement->text.buf, "BEGIN", err);
	}
	/* COMMIT AND CHAIN, PREPARE TRANSACTION: as written, the server knows
	 * them, and its command tag goes to the sink like any statement's */
	rest += strcspn(rest, " \t\r\n");
	if (strcasecmp(what, "PREPARE") == 0 || strstr(rest, "chain") || strstr(rest, "CHAIN") ||
	    starts_with_words(rest, and_chain))
		return end_transaction(session, statement->text.buf, what, sink, err);
	if (strcasecmp(what, "COMMIT") == 0 || strcasecmp(what, "END") == 0)
		return session_commit(session, err);
	if (strcasecmp(what, "ROLLBACK") == 0 || strcasecmp(what, "ABORT") == 0)
		return session_rollback(session, err);
	/* The rest (MySQL's LOCK TABLES, SET autocommit, XA) takes the
	 * transaction out of the shell's hands: as written in autocommit mode,
	 * where the user runs the transactions; never in the shell's own. */
	if (!session->autocommit) {
		err_set(err, EXIT_USAGE, "%s is not run inside the shell's transaction: it would end it or take it over",
			what);
		err_hint(err, "\\commit or \\rollback end the transaction; dbctl shell --autocommit sends %s as written",
			 what);
		return -1;
	}
	return send(session, statement->text.buf, sink, err);
}

/* VACUUM, CREATE DATABASE, COMMIT PREPARED, ... CONCURRENTLY: only outside a
 * transaction, so one holding nothing is ended for them, and one holding
 * changes is kept and the statement refused. */
static int outside_transaction(struct session *session, const struct sqlscan_statement *statement,
			       const struct driver_row_sink *sink, struct err *err)
{
	if (session_state(session) != SESSION_IDLE) {
		if (session_has_changes(session)) {
			/* MySQL's DDL runs, but commits what is open first */
			if (statement->commits_implicitly)
				err_set(err, EXIT_USAGE, "%s would commit the open transaction, which has uncommitted "
					"changes", statement->what);
			else if (statement->unseen)
				/* EXECUTE, CALL: what they run may commit it, and the shell could not tell */
				err_set(err, EXIT_USAGE, "%s runs a statement dbctl cannot see, which may commit the open "
					"transaction, and this one has uncommitted changes", statement->what);
			else
				err_set(err, EXIT_USAGE, "%s cannot run inside a transaction, and this one has "
					"uncommitted changes", statement->what);
			err_hint(err, "\\commit or \\rollback first");
			return -1;
		}
		if (run_sql(session, "ROLLBACK", err) != 0)
			return -1;
	}
	if (send(session, statement->text.buf, sink, err) != 0)
		return -1;
	snprintf(session->notice, sizeof(session->notice), "%s ran outside a transaction: it is already applied",
		 statement->what);
	return 0;
}

/* Redis commands that turn the connection into a stream of pushes. */
static bool is_push_mode(const char *what)
{
	return strcasecmp(what, "MONITOR") == 0 || strcasecmp(what, "SUBSCRIBE") == 0 ||
	       strcasecmp(what, "PSUBSCRIBE") == 0 || strcasecmp(what, "SSUBSCRIBE") == 0;
}

static int execute_redis(struct session *session, const struct sqlscan_statement *statement,
			 const struct driver_row_sink *sink, struct err *err)
{
	int rc;

	if (is_push_mode(statement->what)) {
		err_set(err, EXIT_USAGE, "%s streams replies forever, which the shell does not show", statement->what);
		err_hint(err, "use redis-cli for %s", statement->what);
		return -1;
	}
	session->ending = strcasecmp(statement->what, "EXEC") == 0 ? "EXEC" : NULL;
	rc = send(session, statement->text.buf, sink, err);
	session->ending = NULL;
	if (rc != 0)
		return -1;
	if (strcasecmp(statement->what, "SELECT") == 0)
		snprintf(session->redis_select, sizeof(session->redis_select), "%s", statement->text.buf);
	return 0;
}

int session_execute(struct session *session, const struct sqlscan_statement *statement,
		    const struct driver_row_sink *sink, struct err *err)
{
	enum session_state state;

	session->notice[0] = '\0';
	session->tag[0] = '\0';
	if (statement->kind == SQLSCAN_COPY_IN) {
		err_set(err, EXIT_USAGE, "COPY ... FROM STDIN needs its data after it");
		err_hint(err, "put the COPY and its data in a file and run it with \\i FILE");
		return -1;
	}
	if (session_connect(session, err) != 0)
		return -1;
	if (!session->transactional)
		return execute_redis(session, statement, sink, err);
	if (statement->kind == SQLSCAN_TRANSACTION_CONTROL)
		return transaction_control(session, statement, sink, err);
	if (statement->kind == SQLSCAN_OUTSIDE_TRANSACTION)
		return outside_transaction(session, statement, sink, err);

	state = session_state(session);
	if (state == SESSION_IDLE && !session->autocommit) {
		if (session_begin(session, err) != 0)
			return -1;
		session->tag[0] = '\0';   /* the shell's own BEGIN: the prompt's * says it */
		state = SESSION_IN_TRANSACTION;
	}
	if (state == SESSION_IN_TRANSACTION && !needs_no_savepoint(statement))
		return query_in_savepoint(session, statement->text.buf, sink, err);
	return send(session, statement->text.buf, sink, err);
}

int session_query(struct session *session, const char *sql, const struct driver_row_sink *sink, struct err *err)
{
	if (session_connect(session, err) != 0)
		return -1;
	switch (session_state(session)) {
	case SESSION_FAILED:
		err_set(err, EXIT_USAGE, "the transaction has failed: commands are ignored until it ends");
		err_hint(err, "\\rollback, or ROLLBACK TO a savepoint of yours");
		return -1;
	case SESSION_IN_TRANSACTION:
		return query_in_savepoint(session, sql, sink, err);
	default:
		return send(session, sql, sink, err);
	}
}

/* The runner's hint names run's --no-transaction, which the shell has not:
 * say what works at the prompt instead. */
static void file_hint(struct err *err)
{
	if (strstr(err->message, "is not allowed here"))
		err_hint(err, "remove it from the file: \\i runs the file inside the shell's transaction,"
			      " which \\commit or \\rollback ends");
	else
		err_hint(err, "type it at the prompt instead: the shell runs it outside a transaction there");
}

int session_run_file(struct session *session, const char *path, long *statements, struct err *err)
{
	struct script_options options;
	struct script_summary summary;
	struct script_stream input;
	const struct dialect *dialect = session->engine->driver->dialect;
	FILE *file = fopen(path, "r");
	bool in_savepoint = false;
	long count = 0;
	int rc;

	*statements = 0;
	if (!file)
		return err_set(err, EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
	memset(&options, 0, sizeof(options));
	/* autocommit: each statement on its own, so that what ran before an error stays */
	options.transaction = session->transactional && !session->autocommit;
	input.stream = file;
	input.name = path;
	input.first_line = 1;
	rc = script_check_stream(&input, dialect, &options, driver_of(session)->statement_complete, &count, err);
	if (rc != 0 && strstr(err->hint, "--no-transaction"))
		file_hint(err);
	rewind(file);
	if (rc == 0)
		rc = session_connect(session, err);
	if (rc == 0 && options.transaction && session_state(session) == SESSION_IDLE)
		rc = session_begin(session, err);
	/* the whole file in one savepoint: a failing file undoes only itself */
	if (rc == 0 && options.transaction) {
		rc = run_sql(session, "SAVEPOINT " STATEMENT_SAVEPOINT, err);
		in_savepoint = rc == 0;
	}
	if (rc == 0) {
		bool was_open = session_state(session) != SESSION_IDLE;

		memset(&summary, 0, sizeof(summary));
		rc = script_run_stream(driver_of(session), session->work->conn, &input, dialect, &options, &summary, err);
		*statements = summary.statements;
		if (rc != 0 && err->code == EXIT_NO_ANSWER) {
			connection_lost(session, was_open, err);
		} else if (in_savepoint) {
			struct err cleanup;

			err_init(&cleanup);
			if (rc != 0 && run_sql(session, "ROLLBACK TO SAVEPOINT " STATEMENT_SAVEPOINT, &cleanup) != 0)
				rc = -1;
			else if (run_sql(session, "RELEASE SAVEPOINT " STATEMENT_SAVEPOINT, rc != 0 ? &cleanup : err) != 0)
				rc = -1;
		}
	}
	fclose(file);
	return rc;
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
	if (session->work && session->transactional && session_state(session) != SESSION_IDLE)
		(void)run_sql(session, "ROLLBACK", &ignored);   /* clears session->work if the connection is gone */
	if (session->work)
		engine_checkin(session->engine, session->work, false);
	session->work = NULL;
}
