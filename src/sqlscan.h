/* Statement lexer: splits a script into statements with their file, line and
 * column, per dialect, reading one line at a time (memory is bounded by the
 * longest statement, never by the file). */
#ifndef DBCTL_SQLSCAN_H
#define DBCTL_SQLSCAN_H

#include "err.h"
#include "redisargs.h"
#include "digest.h"
#include "strbuf.h"

#include <stdbool.h>
#include <stdio.h>

enum sqlscan_dialect {
	SQLSCAN_POSTGRESQL,
	SQLSCAN_SQLITE,
	SQLSCAN_REDIS,
	SQLSCAN_MYSQL,       /* MySQL and MariaDB: the mysql client's boundaries (sqlscan_mysql.c) */
};

enum sqlscan_kind {
	SQLSCAN_PLAIN,
	SQLSCAN_TRANSACTION_CONTROL,   /* BEGIN, COMMIT, ROLLBACK, ...: would break the run's own transaction */
	SQLSCAN_OUTSIDE_TRANSACTION,   /* VACUUM, CREATE DATABASE, ... CONCURRENTLY: cannot run inside one */
	SQLSCAN_COPY_IN,               /* COPY ... FROM STDIN: inline data follows, up to \. */
};

struct sqlscan_statement {
	struct strbuf text;       /* as it will be sent, variables substituted */
	int line;                 /* where it starts, 1-based */
	int column;               /* in characters, 1-based */
	enum sqlscan_kind kind;
	/* MySQL: a SQLSCAN_OUTSIDE_TRANSACTION statement that the server runs
	 * after committing the open transaction (DDL, GRANT, FLUSH, ...), so the
	 * runner can say "commits implicitly" rather than "cannot run inside one" */
	bool commits_implicitly;
	/* MySQL: a SQLSCAN_OUTSIDE_TRANSACTION statement that runs statement text
	 * the lexer does not see (EXECUTE, EXECUTE IMMEDIATE): it may commit */
	bool unseen;
	/* MySQL: it changes the server's own settings (SET GLOBAL, SET PERSIST,
	 * SET @@global.x), which no rollback undoes, though it commits nothing */
	bool not_undone;
	char what[64];            /* the leading keywords, e.g. "CREATE INDEX CONCURRENTLY" */
	bool terminated;          /* ended by its own ';' (or line, for Redis), not by the end of the input */
	bool raw_substitution;    /* holds an unquoted :name value: text the lexer did not split */
	/* PostgreSQL: it may change how the server lexes what follows
	 * (standard_conforming_strings; MySQL: SET sql_mode), so a batch must end after it */
	bool changes_lexing;
	/* Redis: after it the server no longer sends one reply per command (SUBSCRIBE, MONITOR, CLIENT REPLY) */
	bool changes_replies;
	/* SQLite: the first parameter nothing binds ($x, @x, ?, ?N), "" when none */
	char parameter[32];
	int parameter_line, parameter_column;
};

/* Looks up a psql variable; quote is 0 (:name), '\'' (:'name') or '"' (:"name").
 * Fills out and returns true when the variable is defined; undefined
 * variables stay in the text as written, as psql leaves them. */
typedef bool (*sqlscan_variable_fn)(void *context, const char *name, char quote, struct strbuf *out);

/* SQLite: does this text end with a complete statement (sqlite3_complete)? */
typedef bool (*sqlscan_complete_fn)(const char *text);

struct sqlscan {
	FILE *in;                        /* borrowed */
	const char *name;                /* borrowed; for messages */
	enum sqlscan_dialect dialect;
	sqlscan_variable_fn variable;
	void *variable_context;
	sqlscan_complete_fn complete;
	const char *line;                /* the current input line, NUL-terminated; in read_buffer */
	size_t line_len;
	char *read_buffer;               /* owned; getline's, kept between lines */
	size_t read_capacity;
	size_t pos;                      /* scan position in line */
	size_t kept;                     /* line[kept..pos) is the statement's, not yet copied into its text */
	int line_number;
	bool line_ascii;                 /* no multi-byte character: a column is pos + 1 */
	size_t counted;                  /* otherwise line[0..counted) holds counted_chars characters */
	int counted_chars;
	struct redisargs args;           /* Redis: the current line's arguments (memory kept between lines) */
	bool at_eof;
	bool copy_pending;               /* the last statement was COPY FROM STDIN: data comes next */
	bool input_ended_open;           /* the last error: input ended inside a quote or comment (the shell reads on) */
	bool backslash_strings;          /* standard_conforming_strings is off: '...' strings take \ escapes */
	/* follow SET/RESET/set_config of standard_conforming_strings as psql
	 * does (the check pass); the run pass clears it and sets
	 * backslash_strings from the server's own report after each batch */
	bool track_strings;
	/* MySQL: the session's sql_mode has NO_BACKSLASH_ESCAPES, so '\' is a plain
	 * character in strings. A caller whose session starts that way sets it
	 * after sqlscan_init; with track_strings, SET sql_mode = '...' updates it. */
	bool no_backslash_escapes;
	/* MySQL: a SET sql_mode to something other than a string (@old, DEFAULT,
	 * an expression): until the next one, a backslash in a string is refused */
	bool sql_mode_unknown;
	/* MySQL: a string held a backslash, which the server's sql_mode reads
	 * as an escape or not: what came after it depends on that mode */
	bool saw_string_backslash;
	char delimiter[17];              /* MySQL: the DELIMITER in force (";"; the client's limit is 16) */
	bool goose_block;                /* MySQL: between -- +goose StatementBegin and StatementEnd */
	int goose_line, goose_column;    /* where that StatementBegin is */
	/* Snapshot of the input: when digest is set, every byte read is hashed
	 * into it; reading stops after limit bytes (-1: no limit). */
	struct digest *digest;
	long long limit;
	long long consumed;              /* bytes read so far */
};

void sqlscan_init(struct sqlscan *scan, FILE *in, const char *name, enum sqlscan_dialect dialect);
void sqlscan_release(struct sqlscan *scan);

void sqlscan_statement_init(struct sqlscan_statement *statement);
void sqlscan_statement_release(struct sqlscan_statement *statement);

/* The next statement: 1, or 0 at the end of the input, or -1 with err set
 * (exit 3, "FILE:LINE:COL: what is wrong"). After a SQLSCAN_COPY_IN
 * statement, read its data with sqlscan_copy_line before calling again. */
int sqlscan_next(struct sqlscan *scan, struct sqlscan_statement *out, struct err *err) MUST_CHECK;

/* One line of COPY data (with its newline) into out: 1, or 0 at the \. line,
 * or -1 with err set (the input ended before \.). */
int sqlscan_copy_line(struct sqlscan *scan, struct strbuf *out, struct err *err) MUST_CHECK;

/* Finds the line and column inside text at a 1-based character position
 * (the server's error position), counting from the statement's own start. */
void sqlscan_locate(const struct sqlscan_statement *statement, int position, int *line, int *column,
		    struct strbuf *source_line, int *caret_column);

/* The same for a statement's text held elsewhere (len bytes from text,
 * starting at first_line:first_column). source_line gets at most a window of
 * the line around the position, never the whole of a huge line. */
void sqlscan_locate_text(const char *text, size_t len, int first_line, int first_column, int position, int *line,
			 int *column, struct strbuf *source_line, int *caret_column);

/* Whether len bytes at s are valid UTF-8 (what scripts must be; -v values too). */
bool sqlscan_valid_utf8(const char *s, size_t len);

#endif
