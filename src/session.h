/* An interactive session's transaction rules: nothing commits on its own, and
 * each statement runs in a savepoint so that one error loses only itself. */
#ifndef DBCTL_SESSION_H
#define DBCTL_SESSION_H

#include "engine.h"
#include "sqlscan.h"

#include <stdbool.h>

enum session_state {
	SESSION_IDLE,             /* no transaction open: "=>" */
	SESSION_IN_TRANSACTION,   /* "*>" */
	SESSION_FAILED,           /* the server aborted the transaction: only a rollback helps: "!>" */
};

struct session {
	struct engine *engine;          /* borrowed */
	struct pool_conn *work;         /* the session's own connection; NULL until first needed or after it was lost */
	bool autocommit;                /* \autocommit on: each statement commits at once, as psql's default */
	bool transactional;             /* false for Redis: commands apply as they run */
	bool lost;                      /* the connection died: the next statement connects again */
	char redis_select[64];          /* Redis: the user's last SELECT, restored after a reconnect */
	char notice[256];               /* what the last call wants the user told, "" when nothing */
	/* what the transaction command the session ran itself did, as the
	 * server's command tag ("COMMIT", "ROLLBACK", "BEGIN"); "" when it ran
	 * none (COMMIT AND CHAIN and Redis MULTI/EXEC report through the sink) */
	char tag[32];
	const char *ending;             /* while COMMIT or EXEC is in flight: its name, for an unknown outcome */
};

/* Connects nothing yet; the first statement checks out the connection. */
void session_init(struct session *session, struct engine *engine);

/* Checks out the session's connection now, opening no transaction (for quoting, catalog reads). */
int session_connect(struct session *session, struct err *err) MUST_CHECK;

/* Gives the connection back; rolls back an open transaction first. */
void session_release(struct session *session);

/* Runs one statement from the lexer with the session's rules: BEGIN before
 * the first, a savepoint around each; COMMIT, ROLLBACK and BEGIN typed by the
 * user act on the session's transaction. On failure err has the server's
 * message and position; the transaction goes on unless the connection died. */
int session_execute(struct session *session, const struct sqlscan_statement *statement,
		    const struct driver_row_sink *sink, struct err *err) MUST_CHECK;

/* Runs catalog or helper SQL on the session's connection, inside a savepoint
 * when a transaction is open, without counting as a change. */
int session_query(struct session *session, const char *sql, const struct driver_row_sink *sink,
		  struct err *err) MUST_CHECK;

int session_begin(struct session *session, struct err *err) MUST_CHECK;
int session_commit(struct session *session, struct err *err) MUST_CHECK;
int session_rollback(struct session *session, struct err *err) MUST_CHECK;

/* Runs a script file through the runner inside the session's transaction (\i). */
int session_run_file(struct session *session, const char *path, long *statements, struct err *err) MUST_CHECK;

enum session_state session_state(const struct session *session);

/* Whether leaving now would lose changes (asks the server where it can tell). */
bool session_has_changes(struct session *session);

/* From a signal handler: asks the server to stop the statement in flight. */
void session_cancel(struct session *session);

#endif
