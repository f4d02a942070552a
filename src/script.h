/* The transactional script runner shared by run, migrate and piped shell input:
 * check everything first, then send it in batches inside one transaction. */
#ifndef DBCTL_SCRIPT_H
#define DBCTL_SCRIPT_H

#include "dialect.h"
#include "engine.h"
#include "sqlscan.h"

#include <stdbool.h>
#include <stddef.h>

struct script_options {
	bool transaction;                /* one transaction around everything; else statement by statement */
	bool dry_run;                    /* roll back at the end */
	const char *const *variables;    /* "NAME=VALUE", borrowed */
	size_t variable_count;
	long skip_statements;            /* leave out the first N (resuming where a run stopped) */
	/* called for each statement just before it is sent (for --echo) */
	void (*on_statement)(void *context, const char *file, const struct sqlscan_statement *statement);
	void *context;
	/* Without a transaction, called just before each statement is sent, with
	 * its index counted from the stream's first statement (skipped ones
	 * too): migrate records there that the statement started, so that a
	 * runner killed during it leaves a row that says so. A failure stops the
	 * run with that statement unsent. */
	int (*before_statement)(void *context, long index, const struct sqlscan_statement *statement, struct err *err);
	void *progress_context;
	/* In a transaction, called just after each statement succeeded, before
	 * the next is sent, on the same session: a dry run reads there what the
	 * statement locked. Setting it sends statements one at a time. */
	int (*after_statement)(void *context, const char *file, const struct sqlscan_statement *statement,
			       struct err *err);
	void *after_context;
	/* In every mode, called before each statement is queued to be sent: a
	 * failure stops the run with it unsent (migrate: the lease was lost) */
	int (*before_each)(void *context, const char *file, const struct sqlscan_statement *statement,
			   struct err *err);
	void *before_each_context;
	/* when set, each statement's results go here (the piped shell prints
	 * them), which sends statements one at a time instead of in batches */
	const struct driver_row_sink *rows;
};

struct script_summary {
	long files;
	long statements;     /* statements that succeeded */
	long affected;       /* rows changed */
	double seconds;
	bool committed;
	bool partly_applied; /* a failure after some work stayed applied (no transaction, or Redis EXEC) */
	bool outcome_unknown; /* the connection went after COMMIT/EXEC was sent: it may have been applied */
	bool interrupted_late; /* an interrupt came while COMMIT ran, and it committed all the same */
};

/* Lexes and checks every input ("-" is standard input) without connecting:
 * bad input or a statement that does not fit the mode is -1 with exit 3. */
int script_check(const char *const *paths, size_t count, const struct dialect *dialect,
		 const struct script_options *options, long *statements, struct err *err) MUST_CHECK;

/* Checks, then runs every input. On failure err says where (file, line,
 * column, the source line with a caret) and the run is rolled back. */
int script_run(struct engine *engine, const char *const *paths, size_t count, const struct script_options *options,
	       struct script_summary *summary, struct err *err) MUST_CHECK;

/* One input as a stream: a file or a section of one, starting at first_line. */
struct script_stream {
	FILE *stream;          /* borrowed */
	const char *name;      /* for messages */
	int first_line;
};

/* Checks one stream (lexes and classifies, runs nothing); complete may be NULL. */
int script_check_stream(const struct script_stream *input, const struct dialect *dialect,
			const struct script_options *options, bool (*complete)(const char *text), long *statements,
			struct err *err) MUST_CHECK;

/* Runs one stream on conn inside whatever transaction the caller holds (none
 * for options->transaction false: then statement by statement); stops at the
 * first error, with its place in err. summary->statements counts successes. */
int script_run_stream(const struct driver *driver, struct driver_conn *conn, const struct script_stream *input,
		      const struct dialect *dialect, const struct script_options *options,
		      struct script_summary *summary, struct err *err) MUST_CHECK;

/* Stops the run in flight from a signal handler: cancels the statement the
 * server is running; the run then rolls back and fails with exit 130. */
void script_interrupt(void);

/* "FILE:LINE:COL: " of statement item of the batch being sent, for a
 * server notice it caused; "" when no batch is in flight. */
void script_notice_place(long item, char *out, size_t size);

/* Whether script_interrupt was called, for waits outside a statement. */
bool script_interrupted(void);

#endif
