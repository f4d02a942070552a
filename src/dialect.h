/* What a backend's language and habits look like to the rest of dbctl.
 *
 * Each driver publishes one dialect (its `dialect` member), so that the
 * runner, the shell, completion and migrate ask a question ("can this be
 * rolled back?", "how is a name quoted?") instead of asking which backend
 * this is: a new backend fills in a row, and no `else` arm written for
 * another one answers for it. Every string is static; NULL means "the
 * backend has no such thing". */
#ifndef DBCTL_DIALECT_H
#define DBCTL_DIALECT_H

#include "lint.h"
#include "sqlscan.h"
#include "strbuf.h"

#include <stdbool.h>

/* How the shell shows an error the server sent. */
enum dialect_error_style {
	DIALECT_ERRORS_SQL,     /* "ERROR: message (SQLSTATE)", DETAIL, and a caret under the statement, as psql */
	DIALECT_ERRORS_REPLY,   /* the reply itself on stdout, "(error) ...", as redis-cli */
};

/* How runners keep each other out, where the backend has a lock that
 * outlives transactions (PostgreSQL's advisory locks, MySQL's GET_LOCK).
 * Every builder appends one statement to sql; key is what `key` built,
 * table the quoted lease table, holder a quoted literal. */
struct dialect_lock {
	/* the lock's key: lock_id when not 0, else one derived from the database and the table's name literal */
	void (*key)(struct strbuf *sql, long lock_id, const char *table_literal);
	/* one row: (this session held it already, took it now, this session's id); never waits */
	void (*take)(struct strbuf *sql, const char *key);
	/* one row: true when it was held */
	void (*release)(struct strbuf *sql, const char *key);
	/* one row: true when this session still holds it; with pin, also taken
	 * for the open transaction, so that nothing before COMMIT can release it */
	void (*check)(struct strbuf *sql, const char *key, bool pin);
	/* one row: true when the key was free to take for the open transaction
	 * (NULL: no such lock, as MySQL's GET_LOCK has none: the lease and the
	 * checks before and after each migration are then all there is) */
	void (*pin)(struct strbuf *sql, const char *key);
	const char *session_id_sql;    /* one row: the server session's id */
	/* the lease (--lock=table): one row when taken or renewed */
	void (*lease_take)(struct strbuf *sql, const char *table, const char *holder, int seconds, const char *key);
	void (*lease_renew)(struct strbuf *sql, const char *table, const char *holder, int seconds);
	/* one row: (holder, seconds left) */
	void (*lease_describe)(struct strbuf *sql, const char *table);
	/* one row, true when the lease table (name: a quoted literal) exists in
	 * schema (a quoted literal; NULL: the current one) */
	void (*lease_exists)(struct strbuf *sql, const char *schema, const char *name);
	/* a row when a lease of another holder has not expired */
	void (*lease_live)(struct strbuf *sql, const char *table, const char *holder);
	const char *release_statements;  /* what in a migration can release it, for the message */
	const char *name;                /* how it is taken, for a dry run's plan: "pg_try_advisory_lock" */
};

/* What a dry run reads to say what each statement locked and rewrote,
 * measured on its own session rather than guessed from the text. */
struct dialect_lock_evidence {
	/* rows of (id, qualified name, storage id) of every user table, read
	 * before the first statement: a table whose storage id has changed
	 * since was rewritten */
	const char *relations_sql;
	/* rows of (id, mode, storage id) of every table lock this session holds now */
	const char *held_sql;
	/* the lock modes as held_sql names them, weakest first, each followed
	 * by how a report names it; NULL ends the list */
	const char *const *modes;
};

/* The tracking table on this backend. */
struct dialect_migration {
	const char *column_types[10];  /* for migrate.c's tracking_columns, in order */
	const char *added_applied_at;  /* applied_at's type when added to an adopted table (a constant default) */
	const char *text_type;         /* CAST(x AS this) reads any column as text */
	const char *table_options;     /* after CREATE TABLE's ")": " ENGINE=InnoDB" ("" none) */
	const char *widen_version;     /* after "ALTER TABLE t ", for the hint when a version is too long */
	/* DDL commits the open transaction (MySQL): a migration with such a
	 * statement runs outside a transaction, as transaction:false does, and
	 * the tracking table is created or adopted before a dry run's BEGIN */
	bool ddl_commits;
	/* One statement that renames table to aside and fresh to table at once
	 * (all three quoted, qualified): where DDL commits, golang-migrate's
	 * table is adopted by filling fresh and swapping, so that no moment
	 * leaves the database without a tracking table. NULL: the renames and
	 * the rows commit together in the adoption's transaction. */
	void (*swap_tables)(struct strbuf *sql, const char *table, const char *aside, const char *fresh);
	/* rows of (schema, column, varchar length or NULL, role, statement
	 * timeout, lock timeout), at least one (the schema) when the table does
	 * not exist; schema is a quoted literal, NULL for the session's own */
	void (*inspect)(struct strbuf *sql, const char *schema, const char *table);
	/* Statements before each tracking write that put the session back as the
	 * first inspection found it (role, timeouts): a migration's own SET ROLE
	 * must not make dbctl's row fail. NULL: nothing to put back. */
	void (*guard)(struct strbuf *sql, const char *role, const char *statement_timeout, const char *lock_timeout);
	const char *read_write_sql;    /* before the guard outside a transaction block */
	bool commit_in_batch;          /* commit_sql may follow the row's statement in one message */
	/* A transaction opened and ended as text in a message of migrate's own
	 * (the lock check, the row), as the driver's begin and commit would:
	 * MySQL's turn autocommit off for the transaction's length, so that a
	 * statement committing implicitly leaves what follows it in a new one */
	const char *begin_sql;         /* "BEGIN; ": followed by a statement */
	const char *commit_sql;        /* "; COMMIT": follows a statement */
	const char *exists_state;      /* SQLSTATE of CREATE's "already exists" (NULL: none to look for) */
	/* how a duplicate key shows: its SQLSTATE, or a phrase of its message */
	const char *duplicate_state, *duplicate_text;
	/* one statement listing the invalid indexes a concurrent build left:
	 * those of table (a quoted literal) named name (NULL: any), or, for a
	 * REINDEX, the leftovers of one. NULL: the backend leaves none. */
	void (*invalid_indexes)(struct strbuf *sql, bool reindex, const char *table, const char *name);
	/* Statement heads (as the lexer's `what` begins) after which the session
	 * can write no other table until an `unlocks` one (MySQL's LOCK TABLES,
	 * FLUSH TABLES WITH READ LOCK): no progress row is written meanwhile */
	const char *const *locks_tables, *const *unlocks_tables;
	/* NULL: a dry run does not report what each statement locked */
	const struct dialect_lock_evidence *lock_evidence;
	/* Appends what limits a migration's wait for a lock to ms, inside the
	 * migration's transaction so that it ends with it (NULL: no such setting) */
	void (*lock_timeout)(struct strbuf *sql, long ms);
	/* NULL: a write transaction serialises runners (SQLite's BEGIN
	 * IMMEDIATE), and a runner that waited finds its rival's row */
	const struct dialect_lock *lock;
};

struct dialect {
	enum sqlscan_dialect lexer;

	/* ---- transactions ---- */
	bool rolls_back;             /* a failed run undoes itself (Redis's MULTI/EXEC does not) */
	const char *commit_word;     /* what ends a run: "COMMIT", "EXEC" */
	const char *committed;       /* what a run did once it ended: "committed", "applied the commands" */
	const char *commit_hint;     /* after a failed COMMIT, why it could fail there ("" none) */
	/* A round trip that changes nothing, sent before the commit of a shell
	 * transaction: a connection found dead then was rolled back, which is
	 * known, rather than lost during the commit, which is not */
	const char *probe_sql;
	bool slow_connect;           /* a connection costs a server process or a handshake: start it early */
	/* a database that cannot be opened without creating it has nothing
	 * applied (a SQLite file that does not exist yet) */
	bool absent_is_empty;

	/* ---- how the lexer must follow the session ---- */
	/* The server setting that says strings are standard: when it reads
	 * "off", a backslash escapes inside '...' (NULL: the lexer's default holds) */
	const char *strings_setting;
	bool (*backslash_strings)(const char *value);   /* does this value of it make a backslash escape? */
	/* A setting whose changes the server does not report (MySQL's sql_mode):
	 * read once when the run starts, it gives the lexer's string mode there,
	 * and the script's own SET statements are followed from it (NULL: none) */
	const char *start_strings_setting;
	bool (*start_no_backslash)(const char *value);   /* does this value turn backslash escapes off? */
	/* The setting that names the session's character set, and the value the
	 * lexer reads the script in (NULL: no such setting) */
	const char *encoding_setting;
	const char *encoding_expected;
	bool unbound_is_null;        /* an unbound parameter or undefined :name silently binds NULL (SQLite) */
	bool resplits_values;        /* an unquoted -v value lands in text the server splits again */

	/* what `run --no-transaction` says of a transaction the script left
	 * open at its end, and its hint (NULL: SQL's "rolled back") */
	const char *left_open, *left_open_hint;

	/* ---- errors, names and the shell ---- */
	enum dialect_error_style error_style;
	const char *error_prefix;    /* before a server's message in `run`: "ERROR: ", or "" */
	char identifier_quote;       /* '"' or '`' */
	bool folds_case;             /* unquoted names fold to lower case: a name with capitals needs quotes */
	/* the shell's prompt after the session's name: idle, in a transaction,
	 * in a failed one, and inside an unfinished statement */
	const char *prompt_idle, *prompt_transaction, *prompt_failed, *prompt_continued;
	bool prompt_names_host;      /* the prompt names the host (Redis), not the database */

	/* ---- the catalogue, for completion and \d ---- */
	/* completion rows: kind ('s' schema, 'r' relation, 'c' column),
	 * schema, relation, name, and 't' when the name works unqualified */
	const char *completion_sql;
	/* completion offers command names, as the line's first word only;
	 * completion_sql lists them, and command_names when it cannot */
	bool completes_commands;
	const char *const *command_names;
	const char *tables_sql, *relations_sql, *schemas_sql;
	/* \d NAME: the relation's columns; name is a quoted literal, schema
	 * one too, or NULL for the current schema */
	void (*describe)(struct strbuf *sql, const char *schema, const char *name);
	/* Optional: NAME as typed, split into its schema ("" when none) and
	 * name, quotes taken off; without it the whole argument is the name
	 * (PostgreSQL's regclass reads quotes and schemas itself) */
	void (*describe_name)(const char *arg, struct strbuf *schema, struct strbuf *name);
	const char *no_catalogue;    /* what the shell says instead of \d ("" when it has one) */

	/* migrate lint's rules (NULL: none for this backend) */
	const struct lint_rules *lint;

	/* NULL: migrate does not support this backend */
	const struct dialect_migration *migration;
};

/* Each module defines its own (dialect_pg.c, ...) and links only that one. */
extern const struct dialect pg_dialect, sqlite_dialect, redis_dialect, mysql_dialect;

#endif
