/* MySQL/MariaDB driver module, internal: what its files share. */
#ifndef DBCTL_DRV_MYSQL_H
#define DBCTL_DRV_MYSQL_H

#include "driver.h"
#include "url.h"

#include <errmsg.h>
#include <mysql.h>
#include <signal.h>
#include <stdbool.h>

/* After an interrupt (and the KILL QUERY it sent), how long a reply may
 * still take before dbctl gives up on the connection. */
#define MY_INTERRUPT_GRACE_SECONDS 2.0
/* An interrupt during COMMIT sends no KILL QUERY (once sent, COMMIT is not
 * undone by one) and waits for its answer this long before saying the
 * outcome is unknown (exit 5); a second signal says so at once. */
#define MY_COMMIT_GRACE_SECONDS 30.0

struct driver_conn {
	MYSQL *my;
	const struct driver_target *target;   /* borrowed: the engine's */
	struct url_mysql url;                 /* parsed once; the KILL QUERY connection reuses it */
	const char *password;                 /* borrowed: the target's or url.password, "" when none */
	unsigned long thread_id;              /* for KILL QUERY */
	int cancel_pipe[2];                   /* my_cancel writes a byte: async-signal-safe */
	volatile sig_atomic_t cancel_requested;
	bool kill_conn;           /* this is the short-lived KILL QUERY connection */
	bool killed;              /* KILL QUERY sent for the statement in flight */
	bool kill_failed;         /* ... or tried, and the second connection or the KILL failed */
	bool broken;              /* a wait was abandoned: the protocol state is unknown */
	double interrupt_seen;
	int interrupts_cancelled; /* the interrupt count a cancel was sent for: one per interrupt, not per statement */
	bool committing;          /* COMMIT is sent (or being sent) and its answer not read */
	bool tracker_on;          /* session_track_transaction_info=STATE asked for */
	char trx_state[9];        /* the tracker's last report, "________" when none */
	unsigned long max_packet; /* @@max_allowed_packet, 0 until read */
	char *sql_mode;           /* @@sql_mode, NULL until read */
	bool deferred;            /* a batch was sent and its replies are still to be read */
	size_t deferred_count;    /* statements in it */
	size_t deferred_base;     /* their index offset in the caller's batch (0) */
	const size_t *deferred_lengths;
	bool own_transaction;     /* my_begin's transaction is open (not one the script began) */
	char xa_prepared[130];    /* the xid of the last XA PREPARE sent, as written ("" when none) */
	/* watch_writes: the session's row-write counters when its transaction's
	 * first statement after the opener was sent, to compare with later */
	bool watch_writes;
	enum { MY_WRITES_NONE, MY_WRITES_TAKING, MY_WRITES_TAKEN, MY_WRITES_UNKNOWN } writes_state;
	unsigned long long writes_base;
};

/* Notes the xid of an XA PREPARE in sql (for what a failed ROLLBACK says). */
void my_note_xa(struct driver_conn *conn, const char *sql, size_t length);

/* Waits for the library's next step: status is what a _start/_cont call
 * returned. Returns the status for _cont, or 0 with err set (timeout,
 * interrupt: the connection is then broken). */
int my_await(struct driver_conn *conn, int status, double deadline, struct err *err);

/* err from the library's last error on conn->my; the exit code by §2.3. */
int my_error(struct driver_conn *conn, struct err *err);

/* Runs one statement to its end, discarding any rows; 0 or -1 with err. */
int my_run(struct driver_conn *conn, const char *sql, double deadline, struct err *err);

/* The tracker's report after a statement, into conn->trx_state. */
void my_track(struct driver_conn *conn);

double my_forever(void);

/* The server's own errors; the library's (the connection's) are 2000-2999
 * and, Connector/C's own, 5000 and up. */
static inline bool my_server_error(unsigned int code)
{
	return code > 0 && (code < 2000 || (code >= 3000 && code < CER_MIN_ERROR));
}

/* The server status flags of the last reply (SERVER_STATUS_IN_TRANS, ...). */
static inline unsigned int my_server_status(MYSQL *my)
{
	unsigned int status = 0;

	if (mariadb_get_infov(my, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
		return 0;
	return status;
}
void my_close_conn(struct driver_conn *conn);

/* The driver's operations on a connection (drv_mysql.c), for the table in drv_mysql_module.c. */
int my_connect(const struct driver_target *target, double deadline, struct driver_conn **out, struct err *err);
int my_ping(struct driver_conn *conn, double deadline, char *version, size_t size, struct err *err);
int my_begin(struct driver_conn *conn, struct err *err);
int my_commit(struct driver_conn *conn, struct err *err);
int my_rollback(struct driver_conn *conn, struct err *err);
void my_cancel(struct driver_conn *conn);
enum driver_transaction my_transaction_state(struct driver_conn *conn);
/* drv_mysql_exec.c: the tracker's signs, and the write counters when watched. */
int my_transaction_wrote(struct driver_conn *conn);
void my_watch_writes(struct driver_conn *conn);
char *my_quote(struct driver_conn *conn, const char *value, bool identifier);

int my_exec(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err);
/* Reads the session's max_allowed_packet and sql_mode once (drv_mysql_exec.c). */
int my_read_session(struct driver_conn *conn, struct err *err);
int my_query(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink, struct err *err);
int my_exec_batch(struct driver_conn *conn, struct driver_batch *batch, struct err *err);
int my_server_stats(struct driver_conn *conn, struct driver_server_stats *out, struct err *err);

#endif
