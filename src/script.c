/* Script runner: two passes over the inputs (check, then run), batches of
 * statements, one transaction, and an error that says where. */
#include "script.h"
#include "clock.h"
#include "interrupt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

enum sqlscan_dialect script_dialect(enum url_backend backend)
{
	if (backend == URL_BACKEND_REDIS)
		return SQLSCAN_REDIS;
	if (backend == URL_BACKEND_SQLITE)
		return SQLSCAN_SQLITE;
	return SQLSCAN_POSTGRESQL;
}

/* ---- inputs ---- */

struct source {
	const char *name;    /* borrowed; "-" shows as "<stdin>" */
	FILE *stream;        /* owned */
};

/* Copies in to an unlinked file: standard input, pipes, FIFOs and bash's
 * <(...) can be read once only, and the check pass and the run pass must
 * read the same bytes. */
static int spool_source(FILE *in, struct source *out, struct err *err)
{
	char buffer[65536];
	size_t n;

	out->stream = tmpfile();
	if (!out->stream)
		return err_set(err, EXIT_USAGE, "cannot buffer '%s': %s", out->name, strerror(errno));
	while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0)
		if (fwrite(buffer, 1, n, out->stream) != n)
			return err_set(err, EXIT_USAGE, "cannot buffer '%s': %s", out->name, strerror(errno));
	if (ferror(in))
		return err_set(err, EXIT_USAGE, "cannot read '%s': %s", out->name, strerror(errno));
	rewind(out->stream);
	return 0;
}

/* Opens each input once; only a regular file can be rewound, so anything
 * else is spooled. */
static int open_sources(const char *const *paths, size_t count, struct source *sources, struct err *err)
{
	bool stdin_taken = false;
	size_t i;

	for (i = 0; i < count; i++) {
		struct stat st;
		FILE *in;
		int rc;

		if (strcmp(paths[i], "-") == 0) {
			if (stdin_taken)
				return err_set(err, EXIT_USAGE, "'-' given twice: standard input can be read only once");
			stdin_taken = true;
			sources[i].name = "<stdin>";
			if (spool_source(stdin, &sources[i], err) != 0)
				return -1;
			continue;
		}
		sources[i].name = paths[i];
		in = fopen(paths[i], "r");
		if (!in)
			return err_set(err, EXIT_USAGE, "cannot read '%s': %s", paths[i], strerror(errno));
		if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) {
			sources[i].stream = in;
			continue;
		}
		rc = spool_source(in, &sources[i], err);
		fclose(in);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void close_sources(struct source *sources, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (sources[i].stream)
			fclose(sources[i].stream);
	free(sources);
}

/* ---- variables ---- */

struct variables {
	const struct script_options *options;
	const struct driver *driver;    /* NULL while checking: values are not needed yet */
	struct driver_conn *conn;
	bool failed;
	char undefined[128];            /* the first :name no -v defines */
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
		return true;
	}
	if (!vars->driver) {
		strbuf_addstr(out, "NULL");
		return true;
	}
	quoted = vars->driver->quote ? vars->driver->quote(vars->conn, value, quote == '"') : NULL;
	if (!quoted) {
		vars->failed = true;
		return false;
	}
	strbuf_addstr(out, quoted);
	free(quoted);
	return true;
}

/* ---- the check pass ---- */

static int refuse_statement(const char *name, const struct sqlscan_statement *s, struct err *err)
{
	if (s->kind == SQLSCAN_TRANSACTION_CONTROL) {
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s is not allowed here: dbctl runs the whole script in one transaction",
			name, s->line, s->column, s->what);
		err_hint(err, "remove it, or pass --no-transaction to run statement by statement");
	} else {
		err_set(err, EXIT_USAGE, "%s:%d:%d: %s cannot run inside a transaction", name, s->line, s->column, s->what);
		err_hint(err, "run it on its own with --no-transaction");
	}
	snprintf(err->file, sizeof(err->file), "%s", name);
	err->line = s->line;
	err->column = s->column;
	return -1;
}

static int check_sources(struct source *sources, size_t count, enum sqlscan_dialect dialect,
			 const struct script_options *options, sqlscan_complete_fn complete, long *statements,
			 int first_line, struct err *err)
{
	struct variables vars = { options, NULL, NULL, false, "" };
	struct sqlscan_statement statement;
	struct strbuf data;
	size_t i;
	int rc = 0;

	*statements = 0;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	for (i = 0; i < count && rc == 0; i++) {
		struct sqlscan scan;

		sqlscan_init(&scan, sources[i].stream, sources[i].name, dialect);
		scan.line_number = first_line > 0 ? first_line - 1 : 0;
		scan.variable = lookup_variable;
		scan.variable_context = &vars;
		scan.complete = complete;
		while (rc == 0 && (rc = sqlscan_next(&scan, &statement, err)) == 1) {
			rc = 0;
			(*statements)++;
			/* SQLite would bind a stray :name to NULL and carry on: a typo in -v must not */
			if (dialect == SQLSCAN_SQLITE && vars.undefined[0]) {
				rc = err_set(err, EXIT_USAGE, "%s:%d:%d: :%s is not defined, and SQLite would take it as NULL",
					     sources[i].name, statement.line, statement.column, vars.undefined);
				err_hint(err, "pass -v %s=VALUE", vars.undefined);
				break;
			}
			vars.undefined[0] = '\0';
			if (options->transaction && (statement.kind == SQLSCAN_TRANSACTION_CONTROL ||
						     statement.kind == SQLSCAN_OUTSIDE_TRANSACTION))
				rc = refuse_statement(sources[i].name, &statement, err);
			while (rc == 0 && statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &data, err)) == 1)
				rc = 0;
		}
		sqlscan_release(&scan);
		rewind(sources[i].stream);
	}
	sqlscan_statement_release(&statement);
	strbuf_release(&data);
	return rc < 0 ? -1 : 0;
}

int script_check(const char *const *paths, size_t count, enum sqlscan_dialect dialect,
		 const struct script_options *options, long *statements, struct err *err)
{
	struct source *sources = calloc(count, sizeof(*sources));
	int rc;

	rc = open_sources(paths, count, sources, err);
	if (rc == 0)
		rc = check_sources(sources, count, dialect, options, NULL, statements, 1, err);
	close_sources(sources, count);
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
static void locate_error(struct err *err, enum sqlscan_dialect dialect, const char *file, const struct batch *b,
			 size_t index, bool is_copy)
{
	long data_line = is_copy ? copy_data_line(err) : 0;
	struct sqlscan_statement s;
	struct strbuf source_line;
	int line, column, caret;
	char message[sizeof(err->message)];
	/* SQL errors read "ERROR: ... (SQLSTATE)" as in psql; Redis's carry their own prefix */
	const char *severity = err->code == EXIT_FAILED && dialect != SQLSCAN_REDIS ? "ERROR: " : "";

	sqlscan_statement_init(&s);
	strbuf_init(&source_line);
	strbuf_add(&s.text, b->texts.buf + b->offsets[index], b->lengths[index]);
	s.line = b->lines[index];
	s.column = b->columns[index];
	sqlscan_locate(&s, err->position > 0 ? err->position : 1, &line, &column, &source_line, &caret);
	if (data_line > 0) {
		const char *p;

		/* the data starts on the line after the statement's end */
		for (line = s.line, p = s.text.buf; *p; p++)
			line += *p == '\n';
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
	sqlscan_statement_release(&s);
}

struct run_state {
	enum sqlscan_dialect dialect;
	const struct driver *driver;
	struct driver_conn *conn;
	const struct script_options *options;
	struct script_summary *summary;
	struct batch batch;
	struct batch previous;   /* the last batch sent: its replies may still be unread (may_defer) */
	bool replies_pending;
};

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
	texts = calloc(run->batch.count, sizeof(*texts));
	for (i = 0; i < run->batch.count; i++)
		texts[i] = run->batch.texts.buf + run->batch.offsets[i];
	memset(&request, 0, sizeof(request));
	request.texts = texts;
	request.lengths = run->batch.lengths;
	request.count = run->batch.count;
	request.may_defer = !last && !copy && run->options->transaction && !run->options->rows;
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
	run->replies_pending = request.deferred;
	run->summary->statements += (long)request.completed;
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

static int run_source(struct run_state *run, const struct script_stream *source, enum sqlscan_dialect dialect,
		      struct variables *vars, struct err *err)
{
	struct sqlscan scan;
	struct sqlscan_statement statement;
	struct copy_reader copy;
	long skip = run->options->skip_statements;
	int rc;

	sqlscan_init(&scan, source->stream, source->name, dialect);
	scan.line_number = source->first_line > 0 ? source->first_line - 1 : 0;
	scan.variable = lookup_variable;
	scan.variable_context = vars;
	scan.complete = run->driver->statement_complete;
	sqlscan_statement_init(&statement);
	copy.scan = &scan;
	strbuf_init(&copy.line);
	while ((rc = sqlscan_next(&scan, &statement, err)) == 1) {
		if (interrupted) {
			rc = -1;
			break;
		}
		if (skip > 0) {
			skip--;
			while (statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &copy.line, err)) == 1)
				;
			if (rc < 0)
				break;
			continue;
		}
		if (run->options->on_statement)
			run->options->on_statement(run->options->context, source->name, &statement);
		batch_add(&run->batch, &statement);
		/* without a transaction each statement stands alone: stop at the first error */
		if (statement.kind == SQLSCAN_COPY_IN || !run->options->transaction || run->options->rows ||
		    run->batch.texts.len >= BATCH_BYTES || run->batch.count >= BATCH_STATEMENTS) {
			rc = flush(run, source->name, statement.kind == SQLSCAN_COPY_IN ? &copy : NULL, false, err);
			if (rc != 0)
				break;
		}
	}
	/* last: every reply is read before the caller commits */
	if (rc == 0)
		rc = flush(run, source->name, NULL, true, err);
	strbuf_release(&copy.line);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	return rc < 0 ? -1 : 0;
}

/* Redis reports a failed EXEC command by its index among all queued ones:
 * find that statement again by scanning the inputs a second time. */
static void locate_nth(struct source *sources, size_t count, enum sqlscan_dialect dialect, long nth, struct err *err)
{
	struct sqlscan_statement s;
	struct err ignored;
	size_t i;
	long seen = 0;

	sqlscan_statement_init(&s);
	for (i = 0; i < count; i++) {
		struct sqlscan scan;

		rewind(sources[i].stream);
		sqlscan_init(&scan, sources[i].stream, sources[i].name, dialect);
		while (sqlscan_next(&scan, &s, &ignored) == 1) {
			if (seen++ == nth) {
				char message[sizeof(err->message)];

				memcpy(message, err->message, sizeof(message));
				snprintf(err->message, sizeof(err->message), "%s:%d:%d: %s", sources[i].name, s.line, s.column,
					 message);
				snprintf(err->file, sizeof(err->file), "%s", sources[i].name);
				err->line = s.line;
				err->column = s.column;
				snprintf(err->context, sizeof(err->context), "%5d | %s", s.line, s.text.buf);
				sqlscan_release(&scan);
				sqlscan_statement_release(&s);
				return;
			}
		}
		sqlscan_release(&scan);
	}
	sqlscan_statement_release(&s);
}

/* A COMMIT (or EXEC) that failed: say so, and what became of the run. */
static void explain_commit_failure(enum sqlscan_dialect dialect, struct err *err)
{
	const char *what = dialect == SQLSCAN_REDIS ? "EXEC" : "COMMIT";
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
		 err->code == EXIT_FAILED && dialect != SQLSCAN_REDIS ? "ERROR: " : "", message,
		 err->sqlstate[0] ? " (" : "", err->sqlstate, err->sqlstate[0] ? ")" : "");
	if (err->code == EXIT_FAILED && !err->hint[0])
		err_hint(err, "%s failed, so the transaction was rolled back: nothing was applied%s", what,
			 dialect == SQLSCAN_POSTGRESQL ? " (a deferred constraint or trigger is checked at COMMIT)" : "");
	else if (err->code == EXIT_NO_ANSWER)
		err_hint(err, "the connection was lost before %s was sent; nothing was committed", what);
}

static void rollback_quietly(struct run_state *run)
{
	struct err ignored;

	err_init(&ignored);
	if (run->driver->rollback(run->conn, &ignored) != 0)
		return;   /* a lost connection rolled back on its own */
}

int script_check_stream(const struct script_stream *input, enum sqlscan_dialect dialect,
			const struct script_options *options, bool (*complete)(const char *text), long *statements,
			struct err *err)
{
	struct source source = { input->name, input->stream };

	return check_sources(&source, 1, dialect, options, complete, statements, input->first_line, err);
}

int script_run_stream(const struct driver *driver, struct driver_conn *conn, const struct script_stream *input,
		      enum sqlscan_dialect dialect, const struct script_options *options,
		      struct script_summary *summary, struct err *err)
{
	struct variables vars = { options, driver, conn, false, "" };
	struct run_state run;
	int rc;

	memset(&run, 0, sizeof(run));
	run.dialect = dialect;
	run.driver = driver;
	run.conn = conn;
	run.options = options;
	run.summary = summary;
	running_driver = driver;
	running_conn = conn;
	rc = run_source(&run, input, dialect, &vars, err);
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
	enum sqlscan_dialect dialect = script_dialect(engine->backend);
	struct source *sources = calloc(count, sizeof(*sources));
	struct variables vars = { options, NULL, NULL, false, "" };
	struct run_state run;
	struct pool_conn *pc = NULL;
	double started = clock_now();
	long statements = 0;
	size_t i;
	int rc = 0;
	bool discard = false;

	memset(summary, 0, sizeof(*summary));
	memset(&run, 0, sizeof(run));
	run.dialect = dialect;
	run.driver = engine->driver;
	run.options = options;
	run.summary = summary;
	summary->files = (long)count;

	rc = open_sources(paths, count, sources, err);
	if (rc == 0)
		rc = check_sources(sources, count, dialect, options, engine->driver->statement_complete, &statements, 1, err);
	if (rc != 0)
		goto out;
	if (interrupted) {
		rc = err_set(err, EXIT_INTERRUPTED, "interrupted before anything was sent");
		goto out;
	}

	if (engine_checkout(engine, clock_now() + 86400, &pc, err) != 0) {
		rc = -1;
		goto out;
	}
	run.conn = pc->conn;
	vars.driver = engine->driver;
	vars.conn = pc->conn;
	running_driver = engine->driver;
	running_conn = pc->conn;

	if (options->transaction && engine->driver->begin(run.conn, err) != 0) {
		rc = -1;
		discard = true;
		goto out;
	}
	for (i = 0; i < count && rc == 0; i++) {
		struct script_stream input = { sources[i].stream, sources[i].name, 1 };

		rc = run_source(&run, &input, dialect, &vars, err);
	}

	if (rc == 0 && interrupted)
		rc = -1;
	if (rc != 0) {
		if (interrupted) {
			err_set(err, EXIT_INTERRUPTED, "interrupted: %s", options->transaction ? "rolled back, nothing was applied"
											    : "stopped");
		}
		if (err->code == EXIT_NO_ANSWER) {
			discard = true;
			err_hint(err, "the connection was lost%s", options->transaction ? "; nothing was committed" : "");
		} else if (options->transaction) {
			rollback_quietly(&run);
		}
		summary->partly_applied = !options->transaction && summary->statements > 0;
		goto out;
	}
	if (options->transaction) {
		if (options->dry_run) {
			rc = engine->driver->rollback(run.conn, err);
		} else {
			rc = engine->driver->commit(run.conn, err);
			if (rc != 0 && err->item >= 0) {
				/* Redis: EXEC ran the others; say which one failed and that they stayed */
				locate_nth(sources, count, dialect, err->item, err);
				err_hint(err, "Redis has no rollback: the other commands of the run were applied");
				summary->partly_applied = true;
			} else if (rc != 0) {
				explain_commit_failure(dialect, err);
				discard = true;
			}
			summary->committed = rc == 0;
			summary->outcome_unknown = rc != 0 && err->code == EXIT_UNKNOWN;
			summary->interrupted_late = rc == 0 && interrupted;
		}
	}
	if (vars.failed && rc == 0)
		rc = err_set(err, EXIT_USAGE, "this backend cannot quote variables");
out:
	running_conn = NULL;
	if (pc)
		engine_checkin(engine, pc, discard || rc != 0);
	summary->seconds = clock_now() - started;
	close_sources(sources, count);
	batch_release(&run.batch);
	batch_release(&run.previous);
	return rc;
}
