/* Script runner: two passes over the inputs (check, then run), batches of
 * statements, one transaction, and an error that says where. */
#include "script.h"
#include "clock.h"
#include "digest.h"
#include "interrupt.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

/* Batches stay below these so that memory stays flat in the script's size,
 * and below psql's: 2,000 statements is already one round trip per ~100 KB. */
#define BATCH_BYTES (256 * 1024)
#define BATCH_STATEMENTS 2000

/* The run in flight, for script_interrupt; one run per process. */
static volatile sig_atomic_t interrupted;
static const struct driver *volatile running_driver;
static struct driver_conn *volatile running_conn;

bool script_interrupted(void)
{
	return interrupted != 0;
}

void script_interrupt(void)
{
	struct driver_conn *conn = running_conn;

	interrupted = 1;
	interrupt_raise();
	if (conn && running_driver)
		running_driver->cancel(conn);
}

/* ---- inputs ---- */

/* One input. A regular file is opened again for each pass and never held
 * open between them (a run of thousands of files needs two descriptors);
 * the run pass reads exactly the bytes the check pass read and verifies
 * their digest before COMMIT. Anything else is spooled once. */
struct source {
	const char *name;      /* borrowed; "-" shows as "<stdin>" */
	const char *path;      /* borrowed; NULL when spooled or given */
	FILE *given;           /* borrowed: a stream of script_*_stream's caller */
	long long offset;      /* spooled: where it starts in the spool */
	long long length;      /* bytes the check pass read (spooled: all of it); -1 before */
	uint64_t digest;       /* of those bytes */
	long statements;       /* how the check pass split it */
	uint64_t split;
};

struct inputs {
	struct source *sources;   /* owned */
	size_t count;
	FILE *spool;              /* owned; standard input, pipes, FIFOs and <(...), one after the other */
};

/* One read of an input that may never end (a pipe, a FIFO, a terminal):
 * waits beside the interrupt descriptor, since the handler's SA_RESTART
 * would otherwise resume the read and Ctrl-C would wait for the writer.
 * -2 when interrupted, -1 on an error, 0 at its end. Nothing has read in
 * through stdio before, so its buffer is empty and the descriptor is the truth. */
static ssize_t read_input(FILE *in, char *buffer, size_t size)
{
	struct pollfd pfd[2] = { { .fd = fileno(in), .events = POLLIN }, { .fd = interrupt_fd(), .events = POLLIN } };
	ssize_t n;

	for (;;) {
		if (script_interrupted())
			return -2;
		if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return -1;
		if (script_interrupted() || (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN)))
			return -2;
		if (!pfd[0].revents)
			continue;
		n = read(pfd[0].fd, buffer, size);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			return n;
	}
}

/* Copies in to the end of the spool: such an input can be read once only,
 * and the check pass and the run pass must read the same bytes. */
static int spool_source(struct inputs *inputs, FILE *in, struct source *out, struct err *err)
{
	char buffer[65536];
	ssize_t n;

	if (!inputs->spool && !(inputs->spool = tmpfile()))
		return err_set(err, EXIT_USAGE, "cannot buffer '%s': %s", out->name, strerror(errno));
	if (fseeko(inputs->spool, 0, SEEK_END) != 0)
		return err_set(err, EXIT_USAGE, "cannot buffer '%s': %s", out->name, strerror(errno));
	out->offset = ftello(inputs->spool);
	while ((n = read_input(in, buffer, sizeof(buffer))) > 0)
		if (fwrite(buffer, 1, (size_t)n, inputs->spool) != (size_t)n)
			return err_set(err, EXIT_USAGE, "cannot buffer '%s': %s", out->name, strerror(errno));
	if (n == -2)
		return err_set(err, EXIT_INTERRUPTED, "interrupted while reading '%s': nothing was sent", out->name);
	if (n < 0)
		return err_set(err, EXIT_USAGE, "cannot read '%s': %s", out->name, strerror(errno));
	if (fflush(inputs->spool) != 0)
		return err_set(err, EXIT_USAGE, "cannot buffer '%s': %s", out->name, strerror(errno));
	out->length = ftello(inputs->spool) - out->offset;
	return 0;
}

static int prepare_inputs(const char *const *paths, size_t count, struct inputs *inputs, struct err *err)
{
	bool stdin_taken = false;
	size_t i;

	inputs->count = count;
	inputs->sources = calloc(count, sizeof(*inputs->sources));
	if (!inputs->sources && count)
		return err_set(err, EXIT_USAGE, "out of memory");
	for (i = 0; i < count; i++) {
		struct source *source = &inputs->sources[i];
		struct stat st;
		FILE *in;
		int rc;

		source->length = -1;
		if (strcmp(paths[i], "-") == 0) {
			if (stdin_taken)
				return err_set(err, EXIT_USAGE, "'-' given twice: standard input can be read only once");
			stdin_taken = true;
			source->name = "<stdin>";
			if (spool_source(inputs, stdin, source, err) != 0)
				return -1;
			continue;
		}
		source->name = paths[i];
		in = fopen(paths[i], "r");
		if (!in)
			return err_set(err, EXIT_USAGE, "cannot read '%s': %s", paths[i], strerror(errno));
		if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) {
			source->path = paths[i];
			fclose(in);
			continue;
		}
		rc = spool_source(inputs, in, source, err);
		fclose(in);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void release_inputs(struct inputs *inputs)
{
	if (inputs->spool)
		fclose(inputs->spool);
	free(inputs->sources);
	memset(inputs, 0, sizeof(*inputs));
}

/* Opens a source for a pass: *owned is the stream to close afterwards (NULL
 * when the stream is borrowed). The run pass reads the checked length only. */
static FILE *open_source(struct inputs *inputs, const struct source *source, bool run_pass, struct sqlscan *scan,
			 FILE **owned, struct err *err)
{
	struct stat st;
	FILE *in;
	int fd;

	*owned = NULL;
	st.st_mode = S_IFREG;
	if (source->given)
		return source->given;
	if (!source->path) {
		if (fseeko(inputs->spool, source->offset, SEEK_SET) != 0) {
			err_set(err, EXIT_USAGE, "cannot read '%s': %s", source->name, strerror(errno));
			return NULL;
		}
		scan->limit = source->length;
		return inputs->spool;
	}
	/* non-blocking: had the file been replaced by a FIFO since, opening it
	 * must not wait for a writer */
	fd = open(source->path, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || !(in = fdopen(fd, "r"))) {
		if (fd >= 0 && !S_ISREG(st.st_mode))
			err_set(err, EXIT_USAGE, "cannot read '%s': it is no longer a regular file", source->name);
		else
			err_set(err, EXIT_USAGE, "cannot read '%s': %s", source->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (run_pass)
		scan->limit = source->length;
	*owned = in;
	return in;
}

/* Where each statement starts and what it is: two passes that split a
 * source the same way have the same value (FNV-1a over the fields). */
static void split_add(uint64_t *split, const struct sqlscan_statement *s)
{
	const int fields[] = { s->line, s->column, (int)s->kind, s->terminated };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		*split ^= (uint64_t)(unsigned int)fields[i];
		*split *= UINT64_C(0x100000001b3);
	}
}

#define SPLIT_START UINT64_C(0xcbf29ce484222325)

/* ---- variables ---- */

struct variables {
	const struct script_options *options;
	const struct driver *driver;    /* NULL while checking: values are not needed yet */
	struct driver_conn *conn;
	bool failed;                    /* a value the driver could not quote: the statement must not be sent */
	char undefined[128];            /* the first :name no -v defines */
	char unquotable[128];           /* the one that failed */
	bool several;                   /* the statement got a raw value with a ';': maybe several statements */
};

static const char *variable_value(const struct script_options *options, const char *name)
{
	size_t i, len = strlen(name);

	for (i = options->variable_count; i-- > 0;)
		if (strncmp(options->variables[i], name, len) == 0 && options->variables[i][len] == '=')
			return options->variables[i] + len + 1;
	return NULL;
}

static bool lookup_variable(void *context, const char *name, char quote, struct strbuf *out)
{
	struct variables *vars = context;
	const char *value = variable_value(vars->options, name);
	char *quoted;

	if (!value) {
		if (!vars->undefined[0])
			snprintf(vars->undefined, sizeof(vars->undefined), "%s", name);
		return false;
	}
	if (!quote) {
		strbuf_addstr(out, value);
		vars->several = vars->several || strchr(value, ';') != NULL;
		return true;
	}
	if (!vars->driver) {
		strbuf_addstr(out, "NULL");
		return true;
	}
	quoted = vars->driver->quote ? vars->driver->quote(vars->conn, value, quote == '"') : NULL;
	if (!quoted) {
		vars->failed = true;
		snprintf(vars->unquotable, sizeof(vars->unquotable), "%s", name);
		return false;
	}
	strbuf_addstr(out, quoted);
	free(quoted);
	return true;
}

/* ---- the check pass ---- */

static int refuse_statement(const char *name, const struct sqlscan_statement *s, const struct script_options *options,
			    struct err *err)
{
	if (s->not_undone) {
		/* the server's settings are outside every transaction: the
		 * rollback (a dry run's, or a failed run's) would leave it applied */
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s changes the server's settings, which no rollback undoes%s", name,
			s->line, s->column, s->what,
			options->dry_run ? ": a dry run would leave it applied" : "");
		if (options->dry_run)
			err_hint(err, "remove it from the script for the dry run");
		else
			err_hint(err, "run the script with --no-transaction, or move the statement to a file of its own");
	} else if (s->kind == SQLSCAN_TRANSACTION_CONTROL) {
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s is not allowed here: dbctl runs the whole script in one transaction",
			name, s->line, s->column, s->what);
		err_hint(err, "remove it, or pass --no-transaction to run statement by statement");
	} else if (s->unseen && strncmp(s->what, "CALL", 4) == 0) {
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s runs a procedure dbctl cannot see: it may commit", name, s->line,
			s->column, s->what);
		err_hint(err, "run the script with --no-transaction");
	} else if (s->unseen && strncmp(s->what, "/*", 2) == 0) {
		err_set(err, EXIT_USAGE, "%s:%d:%d: the server runs or skips the %s... comment by its version, so dbctl "
			"cannot tell what the statement does: it may commit the run's transaction", name, s->line,
			s->column, s->what);
		err_hint(err, "run the script with --no-transaction, or write the statement without the comment");
	} else if (s->unseen) {
		/* EXECUTE runs text the lexer never saw: it may commit, and the run could not tell */
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s runs a statement dbctl cannot see, which may commit the run's "
			"transaction", name, s->line, s->column, s->what);
		err_hint(err, "run the script with --no-transaction, or write the statement itself");
	} else if (s->commits_implicitly) {
		/* MySQL would commit what ran before it, and nothing after it could be undone */
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s commits implicitly: it would end the run's transaction, so the "
			"statements before it could no longer be rolled back", name, s->line, s->column, s->what);
		err_hint(err, "run the script with --no-transaction, or move the statement to a file of its own");
	} else {
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s cannot run inside a transaction", name, s->line, s->column, s->what);
		err_hint(err, "run it on its own with --no-transaction");
	}
	snprintf(err->file, sizeof(err->file), "%s", name);
	err->line = s->line;
	err->column = s->column;
	return -1;
}

/* The runner reads one reply per command: after SUBSCRIBE, MONITOR or
 * CLIENT REPLY OFF it would wait for ever, with or without a transaction. */
static int refuse_reply_change(const char *name, const struct sqlscan_statement *s, struct err *err)
{
	err_set(err, EXIT_USAGE, "%s:%d:%d: %s%s is not supported in scripts: dbctl reads one RESP2 reply per command",
		name, s->line, s->column, s->what, strcmp(s->what, "CLIENT") == 0 ? " REPLY" : "");
	err_hint(err, "remove it; subscribe or monitor with redis-cli");
	snprintf(err->file, sizeof(err->file), "%s", name);
	err->line = s->line;
	err->column = s->column;
	return -1;
}

static bool breaks_transaction(const struct script_options *options, const struct sqlscan_statement *s)
{
	return options->transaction &&
	       (s->kind == SQLSCAN_TRANSACTION_CONTROL || s->kind == SQLSCAN_OUTSIDE_TRANSACTION || s->not_undone);
}

static int refuse_parameter(const char *name, const struct sqlscan_statement *s, int line, int column,
			    struct err *err)
{
	err_set(err, EXIT_USAGE, "%s:%d:%d: parameter '%s' is not bound, and SQLite would take it as NULL", name, line,
		column, s->parameter);
	err_hint(err, "dbctl binds no parameters: write the value, or use :NAME with -v NAME=VALUE");
	return -1;
}

/* Every -v value goes into a statement: like the script itself, it must be
 * UTF-8, or the driver cannot quote it and the server would read it wrong. */
static int check_variables(const struct script_options *options, struct err *err)
{
	size_t i;

	for (i = 0; i < options->variable_count; i++) {
		const char *eq = strchr(options->variables[i], '=');

		if (eq && !sqlscan_valid_utf8(eq + 1, strlen(eq + 1))) {
			err_set(err, EXIT_USAGE, "-v %.*s: the value is not valid UTF-8", (int)(eq - options->variables[i]),
				options->variables[i]);
			err_hint(err, "scripts and their variables are sent as UTF-8; convert the value (iconv)");
			return -1;
		}
	}
	return 0;
}

static bool ends_with_semicolon(const struct strbuf *text)
{
	size_t len = text->len;

	while (len > 0 && strchr(" \t\r\n", text->buf[len - 1]))
		len--;
	return len > 0 && text->buf[len - 1] == ';';
}

/* An unquoted :name value is text the lexer did not split: split the
 * statement as substituted, as the server will see it, and check each part
 * (a value "1; COMMIT" must not end the run's transaction). */
static int check_substituted(const char *name, const struct sqlscan *outer, const struct sqlscan_statement *s,
			     const struct script_options *options, sqlscan_complete_fn complete, struct err *err)
{
	FILE *in = fmemopen(s->text.buf, s->text.len, "r");
	struct sqlscan scan;
	struct sqlscan_statement part;
	struct err part_err;
	bool last_terminated = true;
	int rc;

	if (!in)
		return err_set(err, EXIT_USAGE, "out of memory");
	err_init(&part_err);
	sqlscan_init(&scan, in, name, outer->dialect);
	scan.complete = complete;
	scan.backslash_strings = outer->backslash_strings;
	scan.no_backslash_escapes = outer->no_backslash_escapes;
	scan.sql_mode_unknown = outer->sql_mode_unknown;
	sqlscan_statement_init(&part);
	while ((rc = sqlscan_next(&scan, &part, &part_err)) == 1) {
		last_terminated = part.terminated;
		part.line = s->line;
		part.column = s->column;
		if (breaks_transaction(options, &part)) {
			rc = refuse_statement(name, &part, options, err);
			err_hint(err, "it comes from a -v value");
			break;
		}
		if (part.parameter[0]) {   /* only where unbound parameters bind NULL */
			rc = refuse_parameter(name, &part, s->line, s->column, err);
			break;
		}
		if (part.kind == SQLSCAN_COPY_IN) {
			rc = err_set(err, EXIT_USAGE, "%s:%d:%d: COPY ... FROM STDIN in a -v value has no data to read", name,
				     s->line, s->column);
			break;
		}
	}
	if (rc < 0 && !err->code)
		err_set(err, EXIT_USAGE, "%s:%d:%d: a -v value makes this statement unreadable: %s", name, s->line, s->column,
			part_err.message);
	/* "1 --" would hide the statement's ';' and join it to the next one
	 * (where the text carries its ';': MySQL's is sent without it, on a
	 * line of its own, and an open quote or comment fails above) */
	if (rc == 0 && s->terminated && !last_terminated && ends_with_semicolon(&s->text))
		rc = err_set(err, EXIT_USAGE, "%s:%d:%d: a -v value hides the ';' that ends this statement", name, s->line,
			     s->column);
	sqlscan_statement_release(&part);
	sqlscan_release(&scan);
	fclose(in);
	return rc < 0 ? -1 : 0;
}

/* How the lexer reads strings, carried from one file to the next: they all run in one session. */
struct strings_carry {
	bool backslash_strings;      /* PostgreSQL: standard_conforming_strings off */
	bool no_backslash_escapes;   /* MySQL: sql_mode has NO_BACKSLASH_ESCAPES */
	bool sql_mode_unknown;       /* MySQL: sql_mode was set to something the lexer cannot read */
	bool saw_backslash;          /* MySQL: a string held a backslash (out) */
};

static int check_one(struct inputs *inputs, struct source *source, const struct dialect *dialect,
		     const struct script_options *options, sqlscan_complete_fn complete, long *statements,
		     int first_line, struct strings_carry *carry, struct err *err)
{
	struct variables vars = { options, NULL, NULL, false, "", "", false };
	struct sqlscan_statement statement;
	struct sqlscan scan;
	struct digest digest;
	struct strbuf data;
	FILE *owned, *in;
	int rc = 0;

	sqlscan_init(&scan, NULL, source->name, dialect->lexer);
	in = open_source(inputs, source, false, &scan, &owned, err);
	if (!in) {
		sqlscan_release(&scan);
		return -1;
	}
	scan.in = in;
	scan.line_number = first_line > 0 ? first_line - 1 : 0;
	scan.variable = lookup_variable;
	scan.variable_context = &vars;
	scan.complete = complete;
	scan.backslash_strings = carry->backslash_strings;
	scan.no_backslash_escapes = carry->no_backslash_escapes;
	scan.sql_mode_unknown = carry->sql_mode_unknown;
	digest_init(&digest);
	scan.digest = &digest;
	source->statements = 0;
	source->split = SPLIT_START;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	while (rc == 0 && (rc = sqlscan_next(&scan, &statement, err)) == 1) {
		rc = 0;
		(*statements)++;
		source->statements++;
		split_add(&source->split, &statement);
		/* SQLite would bind a stray :name to NULL and carry on: a typo in -v must not */
		if (dialect->unbound_is_null && vars.undefined[0]) {
			rc = err_set(err, EXIT_USAGE, "%s:%d:%d: :%s is not defined, and SQLite would take it as NULL",
				     source->name, statement.line, statement.column, vars.undefined);
			err_hint(err, "pass -v %s=VALUE", vars.undefined);
			break;
		}
		vars.undefined[0] = '\0';
		if (dialect->unbound_is_null && statement.parameter[0])
			rc = refuse_parameter(source->name, &statement, statement.parameter_line, statement.parameter_column,
					      err);
		else if (breaks_transaction(options, &statement))
			rc = refuse_statement(source->name, &statement, options, err);
		else if (statement.changes_replies)
			rc = refuse_reply_change(source->name, &statement, err);
		else if (statement.raw_substitution && dialect->resplits_values)
			rc = check_substituted(source->name, &scan, &statement, options, complete, err);
		while (rc == 0 && statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &data, err)) == 1)
			rc = 0;
	}
	carry->backslash_strings = scan.backslash_strings;
	carry->no_backslash_escapes = scan.no_backslash_escapes;
	carry->sql_mode_unknown = scan.sql_mode_unknown;
	carry->saw_backslash = carry->saw_backslash || scan.saw_string_backslash;
	if (rc == 0 && source->path) {
		source->length = scan.consumed;
		source->digest = digest_final(&digest);
	}
	sqlscan_statement_release(&statement);
	strbuf_release(&data);
	sqlscan_release(&scan);
	if (owned)
		fclose(owned);
	else if (source->given)
		rewind(source->given);
	return rc < 0 ? -1 : 0;
}

/* no_backslash: the session starts with MySQL's NO_BACKSLASH_ESCAPES; before
 * connecting the servers' defaults are assumed (standard_conforming_strings
 * on, no NO_BACKSLASH_ESCAPES), and a run checks again once it knows. */
static int check_sources_as(struct inputs *inputs, const struct dialect *dialect, const struct script_options *options,
			    sqlscan_complete_fn complete, long *statements, int first_line, bool no_backslash,
			    bool *saw_backslash, struct err *err)
{
	struct strings_carry carry = { false, no_backslash, false, false };
	size_t i;
	int rc = 0;

	*statements = 0;
	if (check_variables(options, err) != 0)
		return -1;
	for (i = 0; i < inputs->count && rc == 0; i++)
		rc = check_one(inputs, &inputs->sources[i], dialect, options, complete, statements, first_line, &carry,
			       err);
	if (saw_backslash)
		*saw_backslash = carry.saw_backslash;
	return rc;
}

static int check_sources(struct inputs *inputs, const struct dialect *dialect, const struct script_options *options,
			 sqlscan_complete_fn complete, long *statements, int first_line, struct err *err)
{
	return check_sources_as(inputs, dialect, options, complete, statements, first_line, false, NULL, err);
}

int script_check(const char *const *paths, size_t count, const struct dialect *dialect,
		 const struct script_options *options, long *statements, struct err *err)
{
	struct inputs inputs;
	int rc;

	memset(&inputs, 0, sizeof(inputs));
	rc = prepare_inputs(paths, count, &inputs, err);
	if (rc == 0)
		rc = check_sources(&inputs, dialect, options, NULL, statements, 1, err);
	release_inputs(&inputs);
	return rc;
}

/* ---- the run pass ---- */

/* Statements waiting to be sent, with what is needed to say where one failed. */
struct batch {
	struct strbuf texts;      /* every statement's text, back to back */
	size_t *offsets;          /* owned; where each starts in texts */
	size_t *lengths;
	int *lines;
	int *columns;
	size_t count;
	size_t capacity;
};

static void batch_add(struct batch *b, const struct sqlscan_statement *s)
{
	if (b->count == b->capacity) {
		b->capacity = b->capacity ? b->capacity * 2 : 256;
		b->offsets = realloc(b->offsets, b->capacity * sizeof(*b->offsets));
		b->lengths = realloc(b->lengths, b->capacity * sizeof(*b->lengths));
		b->lines = realloc(b->lines, b->capacity * sizeof(*b->lines));
		b->columns = realloc(b->columns, b->capacity * sizeof(*b->columns));
		if (!b->offsets || !b->lengths || !b->lines || !b->columns)
			abort();
	}
	b->offsets[b->count] = b->texts.len;
	b->lengths[b->count] = s->text.len;
	b->lines[b->count] = s->line;
	b->columns[b->count] = s->column;
	b->count++;
	/* with its NUL: SQLite parses a terminated text in place, others it copies first */
	strbuf_add(&b->texts, s->text.buf, s->text.len + 1);
}

/* The batch whose replies are being read, for script_notice_place. */
static const struct batch *notice_batch;
static const char *notice_file;

void script_notice_place(long item, char *out, size_t size)
{
	const struct batch *b = notice_batch;

	out[0] = '\0';
	if (b && item >= 0 && (size_t)item < b->count)
		snprintf(out, size, "%s:%d:%d: ", notice_file, b->lines[item], b->columns[item]);
	else if (b && item == -2 && b->count > 0)
		snprintf(out, size, "%s:%d-%d: ", notice_file, b->lines[0], b->lines[b->count - 1]);
}

static void batch_release(struct batch *b)
{
	strbuf_release(&b->texts);
	free(b->offsets);
	free(b->lengths);
	free(b->lines);
	free(b->columns);
	memset(b, 0, sizeof(*b));
}

struct copy_reader {
	struct sqlscan *scan;
	struct strbuf line;
};

static int next_copy_line(void *context, const char **data, size_t *length, struct err *err)
{
	struct copy_reader *reader = context;
	int rc = sqlscan_copy_line(reader->scan, &reader->line, err);

	*data = reader->line.buf;
	*length = reader->line.len;
	return rc;
}

/* The data line of a COPY's error, from the server's "COPY t, line 3"; 0 unknown. */
static long copy_data_line(const struct err *err)
{
	const char *at = strncmp(err->where, "COPY ", 5) == 0 ? strstr(err->where, ", line ") : NULL;

	return at ? atol(at + 7) : 0;
}

/* Fills err's location from statement `index` of the batch and the server's
 * position, or for COPY data, the data line the server names. */
static void locate_error(struct err *err, const struct dialect *dialect, const char *file, const struct batch *b,
			 size_t index, bool is_copy)
{
	long data_line = is_copy ? copy_data_line(err) : 0;
	const char *text = b->texts.buf + b->offsets[index];
	struct strbuf source_line;
	int line, column, caret;
	char message[sizeof(err->message)];
	/* SQL errors read "ERROR: ... (SQLSTATE)" as in psql; Redis's carry their own prefix */
	const char *severity = err->code == EXIT_FAILED ? dialect->error_prefix : "";

	/* located where the batch holds it: a huge statement is not copied again */
	strbuf_init(&source_line);
	sqlscan_locate_text(text, b->lengths[index], b->lines[index], b->columns[index],
			    err->position > 0 ? err->position : 1, &line, &column, &source_line, &caret);
	if (data_line > 0) {
		size_t i;

		/* the data starts on the line after the statement's end */
		for (line = b->lines[index], i = 0; i < b->lengths[index]; i++)
			line += text[i] == '\n';
		line += (int)data_line;
		column = 1;
	}
	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	err->column = column;
	memcpy(message, err->message, sizeof(message));
	snprintf(err->message, sizeof(err->message), "%s:%d:%d: %s%s%s%s%s", file, line, column, severity, message,
		 err->sqlstate[0] ? " (" : "", err->sqlstate, err->sqlstate[0] ? ")" : "");
	if (data_line > 0)
		err->context[0] = '\0';   /* the data line was streamed, not kept: CONTEXT names it */
	else if (err->position > 0)
		snprintf(err->context, sizeof(err->context), "%5d | %s\n      | %*s^", line, source_line.buf,
			 caret > 1 ? caret - 1 : 0, "");
	else
		snprintf(err->context, sizeof(err->context), "%5d | %s", line, source_line.buf);
	strbuf_release(&source_line);
}

struct run_state {
	const struct dialect *dialect;
	const struct driver *driver;
	struct driver_conn *conn;
	const struct script_options *options;
	struct script_summary *summary;
	struct batch batch;
	struct batch previous;   /* the last batch sent: its replies may still be unread (may_defer) */
	bool replies_pending;
	/* a dialect whose server reports no string setting (MySQL's sql_mode):
	 * the lexer follows SET in the text, from one file to the next */
	bool no_backslash_escapes;
	bool sql_mode_unknown;
};

static const char *what_stayed(bool transaction);

/* PostgreSQL converts each message from the session's client_encoding
 * before it lexes it. The driver connects with UTF8, as the lexer reads;
 * a script that changes it (SET client_encoding, SET NAMES, set_config)
 * would have the next batch read otherwise: in SJIS or BIG5 a byte of a
 * multibyte character can swallow a backslash, and the server would run a
 * COMMIT the lexer saw inside a string. */
static int refuse_client_encoding(const struct run_state *run, const char *file, struct err *err)
{
	const char *value;

	const char *setting = run->dialect->encoding_setting;

	if (!setting || !run->driver->parameter || run->batch.count == 0)
		return 0;
	value = run->driver->parameter(run->conn, setting);
	if (!value || strcmp(value, run->dialect->encoding_expected) == 0)
		return 0;
	err_set(err, EXIT_USAGE, "%s:%d:%d: the session's %s is %s: dbctl sends scripts as UTF-8", file,
		run->batch.lines[0], run->batch.columns[0], setting, value);
	err_hint(err, "remove the statement that changed it (SET client_encoding, SET NAMES); %s",
		 what_stayed(run->options->transaction));
	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = run->batch.lines[0];
	err->column = run->batch.columns[0];
	return -1;
}

/* Sends what is batched; on failure err says where and the caller rolls back.
 * Unless last, the driver may leave the replies to read at the next flush:
 * the batch is kept as run->previous until then, to say where one failed. */
static int flush(struct run_state *run, const char *file, struct copy_reader *copy, bool last, struct err *err)
{
	const struct batch *failed;
	const char **texts;
	struct driver_batch request;
	struct batch sent;
	size_t i;
	int rc;

	if (run->batch.count == 0 && !run->replies_pending)
		return 0;
	if (refuse_client_encoding(run, file, err) != 0)
		return -1;
	texts = calloc(run->batch.count, sizeof(*texts));
	for (i = 0; i < run->batch.count; i++)
		texts[i] = run->batch.texts.buf + run->batch.offsets[i];
	memset(&request, 0, sizeof(request));
	request.texts = texts;
	request.lengths = run->batch.lengths;
	request.count = run->batch.count;
	request.may_defer = !last && !copy && run->options->transaction && !run->options->rows &&
			    !run->options->after_statement;
	if (copy) {
		request.last_is_copy = true;
		request.copy.next_line = next_copy_line;
		request.copy.context = copy;
	}
	if (run->options->rows && !copy && run->batch.count == 1) {
		rc = run->driver->query(run->conn, texts[0], run->options->rows, err);
		request.completed = rc == 0;
		err->item = 0;
	} else {
		notice_batch = &run->batch;
		notice_file = file;
		rc = run->driver->exec_batch(run->conn, &request, err);
		notice_batch = NULL;
	}
	/* a statement of the script counts once, however many results its
	 * substituted text gave; a failed batch counts those before the failure */
	if (rc == 0 && !request.deferred && !run->replies_pending)
		run->summary->statements += (long)run->batch.count;
	else if (rc == 0 || err->item < 0 || (size_t)err->item >= request.completed)
		run->summary->statements += (long)request.completed;
	else
		run->summary->statements += err->item;
	run->replies_pending = request.deferred;
	run->summary->affected += request.affected;
	failed = request.failed_earlier ? &run->previous : &run->batch;
	if (rc != 0 && !interrupted && failed->count > 0)
		locate_error(err, run->dialect, file, failed,
			     err->item >= 0 && (size_t)err->item < failed->count ? (size_t)err->item : failed->count - 1,
			     copy && !request.failed_earlier);
	free(texts);
	/* the batch just sent becomes the previous one; the older one's memory is reused */
	sent = run->batch;
	run->batch = run->previous;
	run->previous = sent;
	strbuf_reset(&run->batch.texts);
	run->batch.count = 0;
	return rc;
}

/* PostgreSQL: the lexer reads strings as the server does now. Read after
 * every batch, from what the server reports (libpq's parameter status), so
 * that a setting changed in any way (SET, set_config, a function, a role or
 * database default) is followed; the batch the change came in was parsed
 * by the server whole, with the setting it had when it arrived, as the lexer did. */
static void follow_server_strings(const struct run_state *run, struct sqlscan *scan)
{
	const char *value;

	if (!run->dialect->strings_setting || !run->driver->parameter || run->replies_pending)
		return;
	value = run->driver->parameter(run->conn, run->dialect->strings_setting);
	if (value)
		scan->backslash_strings = run->dialect->backslash_strings(value);
}

/* What the run pass saw of one source, to compare with the check pass. */
struct run_view {
	long statements;
	uint64_t split;
	long long consumed;
	uint64_t digest;
	bool unreadable;      /* the lexer refused the input */
};

static int run_source(struct run_state *run, const struct script_stream *source, const struct dialect *dialect,
		      struct variables *vars, long long limit, struct run_view *view, struct err *err)
{
	struct sqlscan scan;
	struct sqlscan_statement statement;
	struct copy_reader copy;
	struct digest digest;
	long skip = run->options->skip_statements;
	int rc;

	sqlscan_init(&scan, source->stream, source->name, dialect->lexer);
	scan.line_number = source->first_line > 0 ? source->first_line - 1 : 0;
	scan.variable = lookup_variable;
	scan.variable_context = vars;
	scan.complete = run->driver->statement_complete;
	/* the server's report is followed where there is one; else the text, as the check pass did */
	scan.track_strings = !dialect->strings_setting;
	scan.no_backslash_escapes = run->no_backslash_escapes;
	scan.sql_mode_unknown = run->sql_mode_unknown;
	scan.limit = limit;
	digest_init(&digest);
	scan.digest = &digest;
	follow_server_strings(run, &scan);
	view->statements = 0;
	view->split = SPLIT_START;
	view->unreadable = false;
	sqlscan_statement_init(&statement);
	copy.scan = &scan;
	strbuf_init(&copy.line);
	while ((vars->several = false, rc = sqlscan_next(&scan, &statement, err)) == 1) {
		bool several = vars->several;

		if (interrupted) {
			rc = -1;
			break;
		}
		view->statements++;
		split_add(&view->split, &statement);
		if (skip > 0) {
			skip--;
			while (statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &copy.line, err)) == 1)
				;
			if (rc < 0)
				break;
			continue;
		}
		/* checked already, but the server's own string setting may split
		 * the text otherwise than the check pass did: never send what
		 * would end the run's transaction, whichever split found it */
		if (breaks_transaction(run->options, &statement)) {
			rc = refuse_statement(source->name, &statement, run->options, err);
			break;
		}
		if (statement.changes_replies) {
			rc = refuse_reply_change(source->name, &statement, err);
			break;
		}
		if (vars->failed) {
			rc = err_set(err, EXIT_USAGE, "%s:%d:%d: the value of -v %s cannot be quoted for %s", source->name,
				     statement.line, statement.column, vars->unquotable, run->driver->display_name);
			break;
		}
		/* a raw value may hold several statements: alone in its batch, its
		 * results are not taken for the next statements' */
		if (several && run->batch.count > 0) {
			bool lexed_with = scan.backslash_strings;

			if ((rc = flush(run, source->name, NULL, false, err)) != 0)
				break;
			/* read before that batch ran, the statement was lexed with a
			 * setting the server may no longer have */
			follow_server_strings(run, &scan);
			if (scan.backslash_strings != lexed_with) {
				const char *setting = run->dialect->strings_setting;

				rc = err_set(err, EXIT_USAGE, "%s:%d:%d: %s changed on the server just before this "
					     "statement, which a -v value makes several", source->name, statement.line,
					     statement.column, setting);
				err_hint(err, "%s; change it with a SET %s, which the run follows",
					 what_stayed(run->options->transaction), setting);
				break;
			}
		}
		/* the check pass split the value with the setting it assumed; the
		 * server splits it with its own: split it again so */
		if (statement.raw_substitution && dialect->resplits_values &&
		    (rc = check_substituted(source->name, &scan, &statement, run->options, run->driver->statement_complete,
					    err)) != 0)
			break;
		if (run->options->on_statement)
			run->options->on_statement(run->options->context, source->name, &statement);
		if (run->options->before_each &&
		    (rc = run->options->before_each(run->options->before_each_context, source->name, &statement, err)) != 0)
			break;
		if (run->options->before_statement && !run->options->transaction &&
		    (rc = run->options->before_statement(run->options->progress_context, view->statements - 1, &statement,
							      err)) != 0)
			break;
		batch_add(&run->batch, &statement);
		/* without a transaction each statement stands alone: stop at the first error */
		if (statement.kind == SQLSCAN_COPY_IN || !run->options->transaction || run->options->rows ||
		    run->options->after_statement || statement.changes_lexing || several ||
		    run->batch.texts.len >= BATCH_BYTES || run->batch.count >= BATCH_STATEMENTS) {
			rc = flush(run, source->name, statement.kind == SQLSCAN_COPY_IN ? &copy : NULL, false, err);
			if (rc != 0)
				break;
			follow_server_strings(run, &scan);
			if (run->options->after_statement && run->options->transaction &&
			    (rc = run->options->after_statement(run->options->after_context, source->name, &statement,
								 err)) != 0)
				break;
		}
	}
	view->unreadable = rc < 0 && err->code == EXIT_USAGE && !err->hint[0] && !vars->failed;
	/* last: every reply is read before the caller commits */
	if (rc == 0)
		rc = flush(run, source->name, NULL, true, err);
	run->no_backslash_escapes = scan.no_backslash_escapes;
	run->sql_mode_unknown = scan.sql_mode_unknown;
	view->consumed = scan.consumed;
	view->digest = digest_final(&digest);
	strbuf_release(&copy.line);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	return rc < 0 ? -1 : 0;
}

/* Whether a file's first checked bytes are no longer what the check pass
 * read: a run pass that stopped on bad input then says why. */
static bool source_changed(const struct source *source)
{
	struct digest digest;
	char buffer[65536];
	long long left = source->length;
	FILE *in;
	size_t n;

	if (!source->path || left < 0 || !(in = fopen(source->path, "r")))
		return source->path != NULL;
	digest_init(&digest);
	while (left > 0 && (n = fread(buffer, 1, left < (long long)sizeof(buffer) ? (size_t)left : sizeof(buffer), in)) > 0) {
		digest_update(&digest, buffer, n);
		left -= (long long)n;
	}
	fclose(in);
	return left != 0 || digest_final(&digest) != source->digest;
}

static const char *what_stayed(bool transaction)
{
	return transaction ? "nothing was committed" : "the statements that ran before stayed applied";
}

static int refuse_changed(const struct source *source, bool transaction, struct err *err)
{
	err_set(err, EXIT_USAGE, "'%s' changed while it was being run: what ran is not what was checked", source->name);
	err_hint(err, "%s; run it again once nothing writes to it", what_stayed(transaction));
	return -1;
}

/* Before COMMIT: the run pass read the bytes the check pass read, and split
 * them the same way; else what ran is not what was checked. */
static int verify_source(const struct source *source, const struct run_view *view, const char *setting,
			 const char *server_strings, bool transaction, struct err *err)
{
	if (source->path && (view->consumed != source->length || view->digest != source->digest))
		return refuse_changed(source, transaction, err);
	if (view->statements != source->statements || view->split != source->split) {
		err_set(err, EXIT_USAGE, "'%s' splits into %ld statements on the server, %ld when checked: "
			"the server has %s %s", source->name, view->statements, source->statements,
			setting ? setting : "strings", server_strings ? server_strings : "?");
		err_hint(err, "%s; set %s in the script itself, so that the check reads it too",
			 what_stayed(transaction), setting ? setting : "it");
		return -1;
	}
	return 0;
}

/* Redis reports a failed EXEC command by its index among all queued ones:
 * find that statement again by scanning the inputs a second time. */
static void locate_nth(struct inputs *inputs, const struct dialect *dialect, long nth, struct err *err)
{
	struct sqlscan_statement s;
	struct err ignored;
	size_t i;
	long seen = 0;

	sqlscan_statement_init(&s);
	for (i = 0; i < inputs->count; i++) {
		const struct source *source = &inputs->sources[i];
		struct sqlscan scan;
		FILE *owned, *in;
		bool found = false;

		sqlscan_init(&scan, NULL, source->name, dialect->lexer);
		in = open_source(inputs, source, true, &scan, &owned, &ignored);
		scan.in = in;
		while (in && sqlscan_next(&scan, &s, &ignored) == 1) {
			if (seen++ == nth) {
				char message[sizeof(err->message)];

				memcpy(message, err->message, sizeof(message));
				snprintf(err->message, sizeof(err->message), "%s:%d:%d: %s", source->name, s.line, s.column,
					 message);
				snprintf(err->file, sizeof(err->file), "%s", source->name);
				err->line = s.line;
				err->column = s.column;
				snprintf(err->context, sizeof(err->context), "%5d | %s", s.line, s.text.buf);
				found = true;
				break;
			}
		}
		sqlscan_release(&scan);
		if (owned)
			fclose(owned);
		if (found)
			break;
	}
	sqlscan_statement_release(&s);
}

/* A COMMIT (or EXEC) that failed: say so, and what became of the run. */
static void explain_commit_failure(const struct dialect *dialect, struct err *err)
{
	const char *what = dialect->commit_word;
	char message[sizeof(err->message)];

	if (err->code == EXIT_UNKNOWN)
		return;   /* the driver said what is known: nothing */
	if (interrupted && strcmp(err->sqlstate, "57014") == 0) {
		err_set(err, EXIT_INTERRUPTED, "interrupted during %s: rolled back, nothing was applied", what);
		return;
	}
	if (interrupted && err->code == EXIT_INTERRUPTED)
		return;
	memcpy(message, err->message, sizeof(message));
	snprintf(err->message, sizeof(err->message), "at %s: %s%s%s%s%s", what,
		 err->code == EXIT_FAILED ? dialect->error_prefix : "", message,
		 err->sqlstate[0] ? " (" : "", err->sqlstate, err->sqlstate[0] ? ")" : "");
	if (err->code == EXIT_FAILED && !err->hint[0])
		err_hint(err, "%s failed, so the transaction was rolled back: nothing was applied%s", what,
			 dialect->commit_hint);
	else if (err->code == EXIT_NO_ANSWER)
		err_hint(err, "the connection was lost before %s was sent; nothing was committed", what);
}

/* After a failure: err is the run's. A rollback that could not undo
 * everything (MySQL's non-transactional tables) says so in err's hint. */
static void rollback_quietly(struct run_state *run, struct err *err)
{
	struct err rollback;

	err_init(&rollback);
	if (run->driver->rollback(run->conn, &rollback) == 0 || !rollback.partly_applied)
		return;   /* a lost connection rolled back on its own */
	run->summary->partly_applied = true;
	if (err->hint[0])
		err_hint(err, "%.200s; %.200s", err->hint, rollback.message);
	else
		err_hint(err, "%.300s; %.200s", rollback.message, rollback.hint);
}

int script_check_stream(const struct script_stream *input, const struct dialect *dialect,
			const struct script_options *options, bool (*complete)(const char *text), long *statements,
			struct err *err)
{
	struct source source = { .name = input->name, .given = input->stream, .length = -1 };
	struct inputs inputs = { &source, 1, NULL };

	return check_sources(&inputs, dialect, options, complete, statements, input->first_line, err);
}

int script_run_stream(const struct driver *driver, struct driver_conn *conn, const struct script_stream *input,
		      const struct dialect *dialect, const struct script_options *options,
		      struct script_summary *summary, struct err *err)
{
	struct variables vars = { options, driver, conn, false, "", "", false };
	struct run_state run;
	struct run_view view;
	int rc;

	memset(&run, 0, sizeof(run));
	run.dialect = dialect;
	run.driver = driver;
	run.conn = conn;
	run.options = options;
	run.summary = summary;
	running_driver = driver;
	running_conn = conn;
	rc = run_source(&run, input, dialect, &vars, -1, &view, err);
	if (rc == 0 && interrupted)
		rc = -1;
	if (rc != 0 && interrupted)
		err_set(err, EXIT_INTERRUPTED, "interrupted");
	running_conn = NULL;
	batch_release(&run.batch);
	batch_release(&run.previous);
	return rc;
}

int script_run(struct engine *engine, const char *const *paths, size_t count, const struct script_options *options,
	       struct script_summary *summary, struct err *err)
{
	const struct dialect *dialect = engine->driver->dialect;
	struct inputs inputs;
	struct variables vars = { options, NULL, NULL, false, "", "", false };
	struct run_state run;
	struct pool_conn *pc = NULL;
	double started = clock_now();
	long statements = 0;
	size_t i;
	int rc = 0;
	bool discard = false, partly = false, backslash = false;
	struct err deferred;

	err_init(&deferred);
	memset(summary, 0, sizeof(*summary));
	memset(&run, 0, sizeof(run));
	memset(&inputs, 0, sizeof(inputs));
	run.dialect = dialect;
	run.driver = engine->driver;
	run.options = options;
	run.summary = summary;
	summary->files = (long)count;

	rc = prepare_inputs(paths, count, &inputs, err);
	if (rc == 0)
		rc = check_sources_as(&inputs, dialect, options, engine->driver->statement_complete, &statements, 1,
				      false, &backslash, err);
	/* a check that failed after a backslash in a string may pass as the
	 * server reads strings (NO_BACKSLASH_ESCAPES): it waits for that */
	if (rc != 0 && backslash && err->code == EXIT_USAGE && dialect->start_strings_setting &&
	    engine->driver->parameter) {
		deferred = *err;
		err_init(err);
		rc = 0;
	}
	if (rc != 0)
		goto out;
	if (interrupted) {
		rc = err_set(err, EXIT_INTERRUPTED, "interrupted before anything was sent");
		goto out;
	}

	if (engine_checkout(engine, clock_now() + 86400, &pc, err) != 0) {
		if (deferred.code)
			*err = deferred;
		rc = -1;
		goto out;
	}
	run.conn = pc->conn;
	vars.driver = engine->driver;
	vars.conn = pc->conn;
	running_driver = engine->driver;
	running_conn = pc->conn;

	/* MySQL: the session's sql_mode as it starts, which no SET in the script
	 * shows. The check pass assumed the default: with backslash escapes off
	 * 'a\' ends where it did not, and what follows is another statement than
	 * the one checked, so the check runs again as the server reads, before
	 * anything of the script is sent (with --no-transaction too). */
	if (dialect->start_strings_setting && engine->driver->parameter) {
		const char *start = engine->driver->parameter(run.conn, dialect->start_strings_setting);

		run.no_backslash_escapes = start && dialect->start_no_backslash(start);
		if (!run.no_backslash_escapes && deferred.code) {
			*err = deferred;
			rc = -1;
			goto out;
		}
		if (run.no_backslash_escapes &&
		    check_sources_as(&inputs, dialect, options, engine->driver->statement_complete, &statements, 1,
				     true, NULL, err) != 0) {
			char hint[sizeof(err->hint)];

			snprintf(hint, sizeof(hint), "%s", err->hint);
			err_hint(err, "%.200s%sthe server's sql_mode (%.200s) has NO_BACKSLASH_ESCAPES, and the script "
				 "was checked so; nothing was sent", hint, hint[0] ? "; " : "", start);
			rc = -1;
			goto out;
		}
	}
	if (options->transaction && engine->driver->begin(run.conn, err) != 0) {
		rc = -1;
		discard = true;
		goto out;
	}
	for (i = 0; i < count && rc == 0; i++) {
		struct source *source = &inputs.sources[i];
		struct sqlscan opener;
		struct run_view view;
		FILE *owned;
		struct script_stream input = { NULL, source->name, 1 };

		/* the run pass opens each file in its turn, for the checked length */
		sqlscan_init(&opener, NULL, source->name, dialect->lexer);
		input.stream = open_source(&inputs, source, true, &opener, &owned, err);
		if (!input.stream) {
			rc = -1;
		} else {
			rc = run_source(&run, &input, dialect, &vars, opener.limit, &view, err);
			const char *setting = dialect->strings_setting ? dialect->strings_setting
								       : dialect->start_strings_setting;
			const char *strings = engine->driver->parameter && setting
						      ? engine->driver->parameter(run.conn, setting)
						      : NULL;

			if (rc != 0 && err->code == EXIT_USAGE && source_changed(source))
				rc = refuse_changed(source, options->transaction, err);
			else if (rc != 0 && view.unreadable && strings)
				/* the check pass read the same bytes without this error: the
				 * server's setting made the run pass read them otherwise */
				err_hint(err, "the server's %s (%s) splits the file otherwise than the check did; %s",
					 setting, strings, what_stayed(options->transaction));
			else if (rc == 0)
				rc = verify_source(source, &view, setting, strings, options->transaction, err);
		}
		if (owned)
			fclose(owned);
		sqlscan_release(&opener);
	}

	if (rc == 0 && interrupted)
		rc = -1;
	/* read before an interrupt's message replaces the error */
	partly = rc != 0 && err->partly_applied;
	if (rc != 0) {
		if (interrupted) {
			err_set(err, EXIT_INTERRUPTED, "interrupted: %s", options->transaction ? "rolled back" : "stopped");
		}
		if (err->code == EXIT_NO_ANSWER) {
			discard = true;
			err_hint(err, "the connection was lost%s", !options->transaction ? ""
				 : partly ? "; the server rolls the transaction back, but the changes to non-transactional "
					    "tables (MyISAM, Aria, ...) stay applied"
				 : "; nothing was committed");
		} else if (options->transaction) {
			rollback_quietly(&run, err);
		} else if (!interrupted && engine->driver->transaction_state &&
			   engine->driver->transaction_state(run.conn) == DRIVER_TRANSACTION_OPEN) {
			/* the failure left a transaction open: the disconnect ends it,
			 * unless it is one no rollback ends (a prepared XA branch) */
			struct err rollback;

			err_init(&rollback);
			if (engine->driver->rollback(run.conn, &rollback) != 0 && rollback.partly_applied) {
				err_hint(err, "%.250s; %.250s", rollback.message, rollback.hint);
				partly = true;
			}
		}
		summary->partly_applied = summary->partly_applied || partly ||
					  (!options->transaction && summary->statements > 0);
		if (interrupted && options->transaction)
			strncat(err->message, summary->partly_applied ? ", but not all of it (see the hint)" : ", nothing was applied",
				sizeof(err->message) - strlen(err->message) - 1);
		goto out;
	}
	if (options->transaction) {
		if (options->dry_run) {
			rc = engine->driver->rollback(run.conn, err);
			if (rc != 0 && err->partly_applied) {
				err_prefix(err, "the dry run changed what it cannot undo");
				summary->partly_applied = true;
			}
		} else {
			rc = engine->driver->commit(run.conn, err);
			if (rc != 0 && err->item >= 0) {
				/* Redis: EXEC ran the others; say which one failed and that they stayed */
				locate_nth(&inputs, dialect, err->item, err);
				err_hint(err, "%s has no rollback: the other commands of the run were applied",
					 engine->driver->display_name);
				summary->partly_applied = true;
			} else if (rc != 0) {
				explain_commit_failure(dialect, err);
				discard = true;
			}
			summary->committed = rc == 0;
			summary->outcome_unknown = rc != 0 && err->code == EXIT_UNKNOWN;
			summary->interrupted_late = rc == 0 && interrupted;
		}
	} else if (engine->driver->transaction_state &&
		   engine->driver->transaction_state(run.conn) != DRIVER_TRANSACTION_NONE) {
		/* a BEGIN without its COMMIT (or a procedure's COMMIT AND CHAIN):
		 * psql and mysql roll it back at exit without a word */
		struct err rollback;

		err_init(&rollback);
		if (engine->driver->rollback(run.conn, &rollback) != 0 && rollback.partly_applied) {
			/* one no rollback ends (MySQL's prepared XA branch): never claim it */
			*err = rollback;
			err_prefix(err, "the run left a transaction open at its end");
			rc = -1;
			summary->partly_applied = true;
		} else if (dialect->left_open) {
			rc = err_set(err, EXIT_FAILED, "%s", dialect->left_open);
			err_hint(err, "%s", dialect->left_open_hint);
			summary->partly_applied = summary->statements > 0;
		} else {
			rc = err_set(err, EXIT_FAILED, "the run left a transaction open at its end: what ran in that "
						       "transaction was rolled back");
			err_hint(err, "end it with COMMIT in the script; the statements before it began stayed applied");
			summary->partly_applied = summary->statements > 0;
		}
	}
out:
	running_conn = NULL;
	if (pc)
		engine_checkin(engine, pc, discard || rc != 0);
	summary->seconds = clock_now() - started;
	release_inputs(&inputs);
	batch_release(&run.batch);
	batch_release(&run.previous);
	return rc;
}
