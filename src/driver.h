/* The backend interface: what every database driver module provides. */
#ifndef DBCTL_DRIVER_H
#define DBCTL_DRIVER_H

#include "err.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Bumped whenever struct driver or what it promises changes, so that a stale module is refused. */
#define DRIVER_ABI_VERSION 13

struct dialect;   /* dialect.h: the backend's language, for the runner, the shell and migrate */
struct strbuf;    /* strbuf.h */

/* Everything a driver needs to connect; every pointer is borrowed from the settings. */
struct driver_target {
	const char *url;
	const char *password;          /* overrides the URL's; "" when unset */
	double connect_timeout;        /* seconds */
	long statement_timeout_ms;     /* 0: none */
	long lock_timeout_ms;
	const char *application_name;
	const char *search_path;       /* "" keeps the server's */
	long busy_timeout_ms;          /* SQLite */
	const char *journal_mode;      /* SQLite; "keep" leaves it alone */
	bool observe_only;             /* probes: create nothing, change no setting of the database */
	/* Ctrl-C/SIGTERM so far, and a descriptor readable after the first:
	 * every wait polls it beside its socket (NULL / -1: none) */
	const volatile sig_atomic_t *interrupts;
	int interrupt_fd;
	/* A server's notice or warning ("WARNING: ..."), for the caller to
	 * print; item is the statement of the batch in flight that caused it,
	 * -2 when it is one of that batch's but which one cannot be told, -1
	 * outside a batch. NULL: the library's own handling. */
	void (*notice)(void *context, const char *text, long item);
	void *notice_context;
};

/* A result set with every value as text; NULL cells are SQL NULLs. */
struct driver_result {
	int column_count;
	char **column_names;   /* owned */
	long row_count;
	char **cells;          /* owned; row_count * column_count, row-major */
	long affected;         /* rows changed, -1 when not applicable */
	char tag[64];          /* command tag, e.g. "INSERT 0 1" */
};

void driver_result_release(struct driver_result *result);

/* One line of a server's own statistics, shown by `pool stats`. */
struct driver_stat {
	char key[48];
	char value[160];
	bool numeric;   /* print without quotes in JSON */
};

struct driver_server_stats {
	char version[160];
	long max_connections;    /* -1: no limit / unknown */
	long reserved;           /* slots ordinary users cannot take */
	long in_use;             /* client connections open now, ours included */
	long in_use_hidden;      /* of those, how many the server would not let us see the type of,
				    counted as clients: in_use is then an upper bound */
	struct driver_stat items[24];
	int item_count;
	/* Zero when the backend has none (every driver memsets the struct): */
	long idle_timeout_s;     /* the server closes a connection idle this long (MySQL's wait_timeout) */
	long account_limit;      /* connections the account we logged in as may hold at once */
	long account_in_use;     /* of those, open now, ours included (with account_limit only) */
};

struct driver_conn;   /* defined by each driver */

/* Where a query's results go, one row at a time, so that a result of any size
 * is never held whole. Each callback returns 0, or -1 to stop (the output
 * failed): the driver then cancels the statement and fails with EXIT_FAILED.
 * Every pointer passed is borrowed for the call only. */
struct driver_row_sink {
	/* a result set starts; numeric[i] says a column holds numbers (NULL: unknown) */
	int (*columns)(void *context, int count, const char *const *names, const bool *numeric);
	int (*row)(void *context, const char *const *cells);                  /* NULL cell: SQL NULL */
	/* a statement ended: its command tag ("INSERT 0 1"; "" when the backend has none) */
	int (*done)(void *context, const char *tag, long affected);
	/* a reply that is not a table (Redis), rendered the way redis-cli shows it */
	int (*text)(void *context, const char *text);
	void *context;
};

/* Where the connection stands, as far as the backend can tell. */
enum driver_transaction {
	DRIVER_TRANSACTION_NONE,     /* autocommit: no transaction open */
	DRIVER_TRANSACTION_OPEN,     /* inside a transaction block */
	DRIVER_TRANSACTION_FAILED,   /* inside a failed one: only ROLLBACK works */
	DRIVER_TRANSACTION_UNKNOWN,  /* the connection is gone, or the backend cannot say */
};

/* Where COPY ... FROM STDIN data comes from: 1 with a line (newline
 * included), 0 at the end of the data, -1 with err set. */
struct driver_copy_source {
	int (*next_line)(void *context, const char **data, size_t *length, struct err *err);
	void *context;
};

/* Statements sent together, so that a script does not pay a round trip per
 * statement. Only the last one may be a COPY FROM STDIN. */
struct driver_batch {
	const char *const *texts;       /* borrowed; each followed by a NUL: texts[i][lengths[i]] == '\0' */
	const size_t *lengths;
	size_t count;                   /* may be 0 after a deferred batch: then only its replies are read */
	bool last_is_copy;
	struct driver_copy_source copy;
	/* The driver may return once the batch is sent and read its replies at
	 * the next exec_batch, so that the server works on them while the
	 * caller reads the next batch. Only inside the caller's transaction:
	 * a failure found late still rolls everything back. */
	bool may_defer;
	size_t completed;               /* out: statements that succeeded (of a deferred batch too) */
	long affected;                  /* out: rows they changed */
	bool deferred;                  /* out: this batch's replies are still to be read */
	bool failed_earlier;            /* out: err->item is in the batch of the call before, deferred */
};

/* Deadlines are absolute clock_now() values. Every function that can fail
 * fills err: EXIT_NO_ANSWER when nothing answered in time, EXIT_FAILED when
 * the server refused, EXIT_USAGE for a target it cannot parse; err->stage
 * says how far a failed connect got. */
struct driver {
	int abi_version;
	const char *name;            /* "postgresql" */
	const char *display_name;    /* "PostgreSQL" */
	const struct dialect *dialect;

	int (*connect)(const struct driver_target *target, double deadline, struct driver_conn **out,
		       struct err *err);
	/* The cheapest real round trip; fills version (may be "") on success. */
	int (*ping)(struct driver_conn *conn, double deadline, char *version, size_t version_size, struct err *err);
	int (*exec)(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err);
	int (*begin)(struct driver_conn *conn, struct err *err);
	int (*commit)(struct driver_conn *conn, struct err *err);
	int (*rollback)(struct driver_conn *conn, struct err *err);
	/* Asks the server to stop the statement in flight; safe to call from a signal handler. */
	void (*cancel)(struct driver_conn *conn);
	int (*server_stats)(struct driver_conn *conn, struct driver_server_stats *out, struct err *err);
	/* Runs a batch; on failure err->item is the failing statement's index in
	 * it and err->position the error's place in that statement, when known.
	 * Redis inside MULTI only queues: errors of queued commands come at commit. */
	int (*exec_batch)(struct driver_conn *conn, struct driver_batch *batch, struct err *err);
	/* Quotes value as a literal or an identifier with the library's own
	 * escaping; the caller frees the result. NULL when the backend has none. */
	char *(*quote)(struct driver_conn *conn, const char *value, bool identifier);
	/* Runs one statement, streaming its rows into sink. */
	int (*query)(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink, struct err *err);
	enum driver_transaction (*transaction_state)(struct driver_conn *conn);
	/* Has the open transaction changed anything? 1 yes, 0 no, -1 cannot tell
	 * (the caller then assumes it has). */
	int (*transaction_wrote)(struct driver_conn *conn);
	/* Optional: transaction_wrote will be asked of this connection's
	 * transactions (the shell), so the driver may spend a round trip per
	 * transaction to see writes its cheap signs miss (MySQL: a function
	 * called by a SELECT). */
	void (*watch_writes)(struct driver_conn *conn);
	/* Optional: does text end with a complete statement? (SQLite's own rule) */
	bool (*statement_complete)(const char *text);
	void (*close)(struct driver_conn *conn);
	/* Optional: a setting as the server last reported it (PostgreSQL's
	 * parameter status, e.g. standard_conforming_strings); NULL when unknown. */
	const char *(*parameter)(struct driver_conn *conn, const char *name);
	/* Optional: can the server session under conn change between
	 * transactions, as behind a transaction pooler? 1 maybe (why says what
	 * showed it: the server's peer is not this socket), 0 no, -1 with err
	 * set (no answer by deadline: EXIT_NO_ANSWER). Session state such as an
	 * advisory lock is certain to last only on 0. */
	int (*session_shared)(struct driver_conn *conn, double deadline, char *why, size_t why_size, struct err *err);
	/* Optional: does every connection to url see a database of its own
	 * (SQLite's :memory:)? Then the pool holds exactly one. */
	bool (*single_connection)(const char *url);
	/* Optional: appends the database's schema as statements that create it
	 * again (PostgreSQL: pg_dump --schema-only, cleaned; SQLite: its schema
	 * table), for migrate's schema file. */
	int (*dump_schema)(struct driver_conn *conn, struct strbuf *out, struct err *err);
};

/* How a wait ended. */
enum driver_wait {
	DRIVER_WAIT_READY,
	DRIVER_WAIT_TIMEOUT,
	DRIVER_WAIT_INTERRUPTED,   /* more interrupts arrived than the wait outlives */
	DRIVER_WAIT_WOKEN,         /* one it outlives arrived: the caller may want a shorter deadline */
};

/* Waits for fd (for writing or reading) until deadline; it outlives the
 * first `outlives` interrupts (a COMMIT in flight waits for its answer). */
enum driver_wait driver_wait_fd(const struct driver_target *target, int fd, bool for_write, double deadline,
				int outlives);

/* The number of interrupts so far. */
int driver_interrupts(const struct driver_target *target);

/* Adds one item to stats->items; silently drops items past the array's size. */
void driver_stat_add(struct driver_server_stats *stats, const char *key, bool numeric, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The symbol every module exports. */
typedef const struct driver *(*driver_entry_fn)(void);
#define DRIVER_ENTRY_SYMBOL "dbctl_driver_entry"

#endif
