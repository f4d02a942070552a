/* The interactive shell: read a statement (several lines if need be), run it
 * in the session's transaction, print its result; backslash commands. */
#include "shell.h"
#include "interrupt.h"
#include "clock.h"
#include "complete.h"
#include "lineedit.h"
#include "module.h"
#include "printer.h"
#include "script.h"
#include "session.h"
#include "sqlscan.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

struct shell {
	struct engine *engine;                 /* borrowed */
	const struct shell_options *options;   /* borrowed */
	struct session session;
	struct printer printer;
	struct completer completer;
	const struct lineedit *edit;           /* module's static table */
	struct line_editor *editor;            /* owned */
	struct strbuf pending;                 /* lines of a statement not yet complete */
	long pending_done;                     /* statements of pending already run */
	char name[128];                        /* profile:database, for the prompt */
	char prompt[192];
	bool timing;
	bool quit;
	bool pending_open;                     /* pending ends inside a quote or comment: a line is its text */
	bool outcome_unknown;                  /* a COMMIT or EXEC lost its answer: exit 5 if a signal ends the shell */
	int exit_code;
};

/* What a signal handler may touch: flags, and the session to cancel. */
static volatile sig_atomic_t interrupted, hung_up, statement_running, cancels;
static struct session *volatile running_session;

static void on_interrupt(int signo)
{
	int saved = errno;

	if (signo == SIGHUP || signo == SIGTERM)
		hung_up = 1;
	else
		interrupted = 1;
	if (statement_running && running_session) {
		/* a first Ctrl-C asks the server to cancel; a SIGTERM or SIGHUP,
		 * which no one can repeat from a gone terminal, also bounds the
		 * wait as dbctl run's first interrupt does; one more signal gives
		 * up on an answer (the driver's wait shuts the connection, and an
		 * unanswered COMMIT or EXEC is an unknown outcome) */
		if (signo != SIGINT || cancels > 0)
			interrupt_raise();
		if (cancels++ > 0)
			interrupt_raise();
		session_cancel(running_session);
	}
	errno = saved;
}

/* Without SA_RESTART, so that a read waiting for a key returns at Ctrl-C. */
static void install_signals(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_interrupt;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	/* a pager the user quits early must not kill the shell */
	signal(SIGPIPE, SIG_IGN);
}

/* ---- output of statements ---- */

/* A connect error may quote the target: masked as main.c masks every other command's. */
static void scrub_err(const struct shell *shell, struct err *err)
{
	if (!shell->options->scrub)
		return;
	shell->options->scrub(shell->options->scrub_context, err->message, sizeof(err->message));
	shell->options->scrub(shell->options->scrub_context, err->detail, sizeof(err->detail));
	shell->options->scrub(shell->options->scrub_context, err->hint, sizeof(err->hint));
}

static void print_error(struct shell *shell, const struct sqlscan_statement *statement, const struct err *given)
{
	struct err scrubbed = *given, *err = &scrubbed;

	scrub_err(shell, err);
	bool replies = shell->engine->driver->dialect->error_style == DIALECT_ERRORS_REPLY;

	if (err->code == EXIT_USAGE || ((err->code == EXIT_NO_ANSWER || err->code == EXIT_UNKNOWN) && !err->sqlstate[0] &&
					   !replies)) {
		/* refused by dbctl before anything was sent, or no server answered: not a database's ERROR */
		fprintf(stderr, "dbctl: %s\n", err->message);
	} else if (replies && err->code == EXIT_FAILED) {
		printf("(error) %s\n", err->message);   /* the server's own reply, as redis-cli shows it */
	} else if (replies) {
		fprintf(stderr, "dbctl: cannot reach %s: %s\n", shell->engine->driver->display_name, err->message);
	} else {
		fprintf(stderr, "ERROR: %s%s%s%s\n", err->message, err->sqlstate[0] ? " (" : "", err->sqlstate,
			err->sqlstate[0] ? ")" : "");
		if (err->detail[0])
			fprintf(stderr, "DETAIL: %s\n", err->detail);
		if (statement && err->position > 0) {
			struct strbuf line;
			int at_line, at_column, caret;

			strbuf_init(&line);
			sqlscan_locate(statement, err->position, &at_line, &at_column, &line, &caret);
			fprintf(stderr, "LINE %d: %s\n%*s^\n", at_line - statement->line + 1, line.buf,
				(int)(caret - 1 + snprintf(NULL, 0, "LINE %d: ", at_line - statement->line + 1)), "");
			strbuf_release(&line);
		}
	}
	if (err->hint[0])
		fprintf(stderr, "hint: %s\n", err->hint);
}

static void print_notice(struct shell *shell)
{
	if (shell->session.notice[0])
		fprintf(stderr, "dbctl: %s\n", shell->session.notice);
	shell->session.notice[0] = '\0';
}

/* What a transaction command the session ran did, in the server's words
 * (the tag is "" when the reply was printed already, or nothing ran). */
static void print_outcome(struct shell *shell)
{
	if (shell->session.tag[0])
		printf("%s\n", shell->session.tag);
	shell->session.tag[0] = '\0';
	print_notice(shell);
}

/* Runs fn with Ctrl-C armed to cancel the statement in flight. */
static void arm(struct shell *shell)
{
	interrupted = 0;
	cancels = 0;
	interrupt_reset();
	running_session = &shell->session;
	statement_running = 1;
}

static void disarm(void)
{
	statement_running = 0;
}

static bool is_ddl(const char *what)
{
	return strcasecmp(what, "CREATE") == 0 || strcasecmp(what, "ALTER") == 0 || strcasecmp(what, "DROP") == 0;
}

static void run_statement(struct shell *shell, const struct sqlscan_statement *statement)
{
	struct driver_row_sink sink;
	struct err err;
	double started = clock_now();
	int rc;

	err_init(&err);
	shell->outcome_unknown = false;
	printer_sink(&shell->printer, &sink);
	arm(shell);
	rc = session_execute(&shell->session, statement, &sink, &err);
	disarm();
	if (rc != 0) {
		bool pager_quit = shell->printer.pager_quit;

		printer_abandon(&shell->printer);
		if (!pager_quit)
			print_error(shell, statement, &err);
		if (err.code == EXIT_UNKNOWN)
			shell->outcome_unknown = true;
	}
	/* COMMIT, BEGIN, ROLLBACK typed as SQL say what happened, as the backslash forms do */
	print_outcome(shell);
	if (shell->timing)
		printf("Time: %.3f ms\n", (clock_now() - started) * 1000.0);
	if (rc == 0 && is_ddl(statement->what))
		complete_invalidate(&shell->completer);
	fflush(stdout);
}

/* ---- backslash commands ---- */

static void set_switch(bool *value, const char *arg, const char *name)
{
	if (!arg || !*arg)
		*value = !*value;
	else if (strcasecmp(arg, "on") == 0)
		*value = true;
	else if (strcasecmp(arg, "off") == 0)
		*value = false;
	else {
		fprintf(stderr, "dbctl: \\%s expects on or off, got '%s'\n", name, arg);
		return;
	}
	printf("%s is %s.\n", name, *value ? "on" : "off");
}

/* Runs catalog SQL for \d and friends and prints it as a result. */
static void show_query(struct shell *shell, const char *sql)
{
	struct driver_row_sink sink;
	struct err err;
	bool show_tags = shell->printer.show_tags;

	err_init(&err);
	shell->printer.show_tags = false;
	printer_sink(&shell->printer, &sink);
	arm(shell);
	if (session_query(&shell->session, sql, &sink, &err) != 0) {
		printer_abandon(&shell->printer);
		print_error(shell, NULL, &err);
	}
	disarm();
	shell->printer.show_tags = show_tags;
}

/* \d, \dt, \dn and \d NAME from the dialect's catalogue queries */
static void describe(struct shell *shell, const char *command, const char *arg)
{
	const struct dialect *dialect = shell->engine->driver->dialect;
	struct strbuf sql;
	bool tables_only = strcmp(command, "dt") == 0, schemas = strcmp(command, "dn") == 0;

	if (dialect->no_catalogue[0]) {
		fprintf(stderr, "dbctl: %s\n", dialect->no_catalogue);
		return;
	}
	strbuf_init(&sql);
	if (arg && *arg && !schemas) {
		char *literal;
		struct err err;

		err_init(&err);
		if (session_connect(&shell->session, &err) != 0) {
			print_error(shell, NULL, &err);
			strbuf_release(&sql);
			return;
		}
		if (dialect->describe_name) {
			struct strbuf schema, name;
			char *schema_literal = NULL;

			strbuf_init(&schema);
			strbuf_init(&name);
			dialect->describe_name(arg, &schema, &name);
			literal = shell->engine->driver->quote(shell->session.work->conn, name.buf, false);
			if (schema.len)
				schema_literal = shell->engine->driver->quote(shell->session.work->conn, schema.buf, false);
			if (literal && (!schema.len || schema_literal))
				dialect->describe(&sql, schema_literal, literal);
			free(schema_literal);
			strbuf_release(&schema);
			strbuf_release(&name);
		} else {
			literal = shell->engine->driver->quote(shell->session.work->conn, arg, false);
			if (literal)
				dialect->describe(&sql, NULL, literal);
		}
		free(literal);
	} else {
		strbuf_addstr(&sql, schemas ? dialect->schemas_sql : tables_only ? dialect->tables_sql : dialect->relations_sql);
	}
	if (sql.len)
		show_query(shell, sql.buf);
	strbuf_release(&sql);
}

static void show_pool(struct shell *shell)
{
	struct pool_stats s;

	pool_get_stats(&shell->engine->pool, &s);
	printf("pool: size %d, max overflow %d, in use %d, idle %d, waiting %d\n", s.size, s.max_overflow, s.in_use,
	       s.idle, s.waiting);
	printf("      connects %ld (%.1f ms average), checkouts %ld, waits %ld, pre-ping failures %ld, recycles %ld\n",
	       s.connects, s.connects ? s.connect_ms_total / (double)s.connects : 0.0, s.checkouts, s.waits,
	       s.pre_ping_failures, s.recycles);
}

static void run_file(struct shell *shell, const char *path)
{
	struct err err;
	long statements = 0;
	int rc;

	if (!path || !*path) {
		fprintf(stderr, "dbctl: \\i needs a FILE\n");
		return;
	}
	err_init(&err);
	arm(shell);
	rc = session_run_file(&shell->session, path, &statements, &err);
	disarm();
	if (rc != 0) {
		scrub_err(shell, &err);
		fprintf(stderr, "dbctl: %s\n", err.message);
		if (err.context[0])
			fprintf(stderr, "%s\n", err.context);
		if (err.hint[0])
			fprintf(stderr, "hint: %s\n", err.hint);
		if (err.code == EXIT_USAGE)
			return;   /* refused before anything ran */
		if (shell->session.transactional && shell->session.autocommit)
			fprintf(stderr, "dbctl: autocommit is on: the statements before the failing one stayed applied\n");
		else if (shell->session.transactional && shell->session.work)
			fprintf(stderr, "dbctl: the file was rolled back; the transaction goes on\n");
		return;
	}
	printf("%ld statement%s from %s%s\n", statements, statements == 1 ? "" : "s", path,
	       session_state(&shell->session) == SESSION_IN_TRANSACTION ? " (in the transaction: \\commit keeps them)" : "");
	complete_invalidate(&shell->completer);
}

/* Armed like a statement: a COMMIT waiting on a lock or a deferred trigger
 * is cancelled by Ctrl-C or a hang-up, never waited out. */
static void transaction_command(struct shell *shell, int (*action)(struct session *, struct err *))
{
	struct err err;
	int rc;

	err_init(&err);
	shell->outcome_unknown = false;
	arm(shell);
	rc = action(&shell->session, &err);
	disarm();
	if (rc != 0) {
		print_error(shell, NULL, &err);
		if (err.code == EXIT_UNKNOWN)
			shell->outcome_unknown = true;
	}
	print_outcome(shell);
	complete_invalidate(&shell->completer);
}

static void set_autocommit(struct shell *shell, const char *arg)
{
	bool value = shell->session.autocommit;

	if (session_state(&shell->session) != SESSION_IDLE && session_has_changes(&shell->session)) {
		fprintf(stderr, "dbctl: the open transaction has changes: \\commit or \\rollback before \\autocommit\n");
		return;
	}
	set_switch(&value, arg, "autocommit");
	if (value && session_state(&shell->session) != SESSION_IDLE) {
		struct err err;

		err_init(&err);
		if (session_rollback(&shell->session, &err) != 0)
			print_error(shell, NULL, &err);
		shell->session.notice[0] = '\0';
	}
	shell->session.autocommit = value;
}

static const char *const backslash_commands[] = {
	"\\?", "\\autocommit", "\\begin", "\\commit", "\\conninfo", "\\d", "\\dn", "\\dt", "\\format", "\\i",
	"\\pool", "\\q", "\\rollback", "\\timing", "\\x", NULL,
};

static void print_help(void)
{
	puts("transaction (nothing commits until you say so; each statement runs in a savepoint):\n"
	     "  \\commit              commit the open transaction (or type COMMIT)\n"
	     "  \\rollback            roll it back (or type ROLLBACK)\n"
	     "  \\begin               open a transaction now\n"
	     "  \\autocommit on|off   commit each statement at once (off by default)\n"
	     "catalog:\n"
	     "  \\d [NAME]            list relations, or describe NAME\n"
	     "  \\dt                  list tables\n"
	     "  \\dn                  list schemas\n"
	     "output:\n"
	     "  \\x [on|off]          expanded rows, one field a line\n"
	     "  \\format FORMAT       table, csv, json or tsv\n"
	     "  \\timing [on|off]     show how long each statement took\n"
	     "other:\n"
	     "  \\i FILE              run FILE through the runner, inside the transaction\n"
	     "  \\pool                the engine's pool statistics\n"
	     "  \\conninfo            where this shell is connected (password masked)\n"
	     "  \\?                   this help\n"
	     "  \\q                   quit (asks when there are uncommitted changes)\n"
	     "prompt: => no transaction, *> in a transaction, !> the transaction failed (\\rollback)");
}

static void backslash(struct shell *shell, const char *line)
{
	char command[32];
	const char *arg;
	size_t len = strcspn(line + 1, " \t");
	char argument[1024];

	snprintf(command, sizeof(command), "%.*s", (int)len, line + 1);
	arg = line + 1 + len;
	arg += strspn(arg, " \t");
	snprintf(argument, sizeof(argument), "%s", arg);
	len = strlen(argument);
	while (len && (isspace((unsigned char)argument[len - 1]) || argument[len - 1] == ';'))
		argument[--len] = '\0';

	if (strcmp(command, "q") == 0 || strcmp(command, "quit") == 0)
		shell->quit = true;
	else if (strcmp(command, "?") == 0 || strcmp(command, "help") == 0)
		print_help();
	else if (strcmp(command, "commit") == 0)
		transaction_command(shell, session_commit);
	else if (strcmp(command, "rollback") == 0)
		transaction_command(shell, session_rollback);
	else if (strcmp(command, "begin") == 0)
		transaction_command(shell, session_begin);
	else if (strcmp(command, "autocommit") == 0)
		set_autocommit(shell, argument);
	else if (strcmp(command, "d") == 0 || strcmp(command, "dt") == 0 || strcmp(command, "dn") == 0)
		describe(shell, command, argument);
	else if (strcmp(command, "x") == 0)
		set_switch(&shell->printer.options.expanded, argument, "expanded display");
	else if (strcmp(command, "timing") == 0)
		set_switch(&shell->timing, argument, "timing");
	else if (strcmp(command, "format") == 0) {
		if (!output_parse_format(argument, &shell->printer.options.format))
			fprintf(stderr, "dbctl: \\format expects table, csv, json or tsv\n");
		else
			printf("output format is %s.\n", output_format_name(shell->printer.options.format));
	} else if (strcmp(command, "i") == 0)
		run_file(shell, argument);
	else if (strcmp(command, "pool") == 0)
		show_pool(shell);
	else if (strcmp(command, "conninfo") == 0)
		printf("connected to %s (%s)\n", shell->engine->display_url, shell->engine->driver->display_name);
	else
		fprintf(stderr, "dbctl: unknown command \\%s: \\? lists them\n", command);
}

/* ---- reading statements ---- */

/* A statement that sets a password stays out of the history file. */
static bool is_secret(const char *text)
{
	const char *p;

	for (p = text; *p; p++)
		if (strncasecmp(p, "password", 8) == 0 || strncasecmp(p, "requirepass", 11) == 0 ||
		    strncasecmp(p, "masterauth", 10) == 0 || strncasecmp(p, "identified", 10) == 0)
			return true;
	for (p = text; *p; p++)
		if ((p == text || isspace((unsigned char)p[-1])) && strncasecmp(p, "AUTH", 4) == 0 &&
		    (!p[4] || isspace((unsigned char)p[4]) || p[4] == '2'))
			return true;
	p = text + strspn(text, " \t");
	return strncasecmp(p, "ACL", 3) == 0 || strncasecmp(p, "\\password", 9) == 0;
}

static void remember(struct shell *shell, const char *text)
{
	if (!*text || is_secret(text))
		return;
	shell->edit->add_history(shell->editor, text);
	if (shell->options->history_path)
		(void)shell->edit->save_history(shell->editor, shell->options->history_path);
}

static void update_prompt(struct shell *shell)
{
	const struct dialect *dialect = shell->engine->driver->dialect;
	const char *state = dialect->prompt_idle;

	switch (session_state(&shell->session)) {
	case SESSION_IN_TRANSACTION:
		state = dialect->prompt_transaction;
		break;
	case SESSION_FAILED:
		state = dialect->prompt_failed;
		break;
	default:
		break;
	}
	if (shell->pending.len && dialect->prompt_continued)
		state = dialect->prompt_continued;
	snprintf(shell->prompt, sizeof(shell->prompt), "%s%s> ", shell->name, state);
}

/* Runs every complete statement of the pending text that has not run yet.
 * Returns true when the text is used up; false while a statement goes on. */
static bool run_pending(struct shell *shell)
{
	struct sqlscan_statement statement;
	struct sqlscan scan;
	struct err err;
	FILE *in = fmemopen(shell->pending.buf, shell->pending.len, "r");
	long seen = 0;
	bool finished = true;
	int rc;

	if (!in)
		return true;
	sqlscan_init(&scan, in, "<input>", shell->engine->driver->dialect->lexer);
	scan.complete = shell->engine->driver->statement_complete;
	sqlscan_statement_init(&statement);
	err_init(&err);
	shell->pending_open = false;
	while ((rc = sqlscan_next(&scan, &statement, &err)) == 1) {
		if (!statement.terminated) {
			finished = false;
			break;
		}
		if (++seen <= shell->pending_done)
			continue;
		shell->pending_done = seen;
		run_statement(shell, &statement);
		/* its data never came (the session refused it): nothing after it can be read */
		if (statement.kind == SQLSCAN_COPY_IN || interrupted || hung_up)
			break;
	}
	if (rc < 0) {
		if (scan.input_ended_open) {
			finished = false;
			shell->pending_open = true;
		} else {
			fprintf(stderr, "dbctl: %s\n", err.message);
			if (err.hint[0])
				fprintf(stderr, "hint: %s\n", err.hint);
		}
	}
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
	return finished;
}

static void clear_pending(struct shell *shell)
{
	strbuf_reset(&shell->pending);
	shell->pending_done = 0;
	shell->pending_open = false;
}

static void handle_line(struct shell *shell, const char *line)
{
	const char *start = line + strspn(line, " \t");
	/* inside a quote a backslash line is text of the string, as in psql: a
	 * pasted '\commit' after an unclosed quote must not commit what came before */
	bool command = *start == '\\' && !shell->pending_open;

	if (command && shell->pending.len > 0) {
		/* psql's meta-commands on a statement in progress: \g sends it, \r drops it */
		if (strncmp(start, "\\g", 2) == 0 && (!start[2] || isspace((unsigned char)start[2]))) {
			strbuf_addstr(&shell->pending, ";\n");
			line = "";
		} else if (strncmp(start, "\\r", 2) == 0 && (!start[2] || isspace((unsigned char)start[2]))) {
			clear_pending(shell);
			puts("statement in progress cleared");
			return;
		} else {
			backslash(shell, start);   /* the statement in progress is kept */
			return;
		}
	} else if (command) {
		remember(shell, start);
		backslash(shell, start);
		return;
	}
	if (*start == '\\' && !command)
		fprintf(stderr, "dbctl: %.*s is text inside an unclosed quote or comment, not a command;"
				" Ctrl-C drops the statement in progress\n", (int)strcspn(start, " \t"), start);
	if (shell->pending.len == 0 && *start == '\0')
		return;
	if (*line) {
		strbuf_addstr(&shell->pending, line);
		strbuf_addch(&shell->pending, '\n');
	}
	if (run_pending(shell)) {
		/* the whole statement, as typed, is one history entry */
		if (shell->pending.len)
			shell->pending.buf[shell->pending.len - 1] = '\0';
		remember(shell, shell->pending.buf);
		clear_pending(shell);
	}
}

static bool is_hung_up(int fd)
{
	struct termios settings;

	return tcgetattr(fd, &settings) != 0 && errno == EIO;
}

/* End of input on a terminal that hung up (its window closed) without a
 * SIGHUP reaching us, because the parent ignored it: a hang-up all the same. */
static bool terminal_lost(void)
{
	return is_hung_up(STDIN_FILENO);
}

/* Leaving with uncommitted changes: commit, roll back, or stay? */
static bool may_leave(struct shell *shell)
{
	const char *answer;
	int rc;

	if (!session_has_changes(&shell->session))
		return true;
	for (;;) {
		rc = shell->edit->read(shell->editor, "uncommitted changes: commit, roll back, or stay? [c/r/s] ", &answer);
		if (rc == 0 && terminal_lost())
			hung_up = 1;
		if (rc == 0 || hung_up) {
			struct err err;

			/* the session's release rolls back, but only a ROLLBACK the
			 * server accepts says so (MySQL keeps a prepared XA branch) */
			err_init(&err);
			fputc('\n', stdout);
			if (!hung_up && session_rollback(&shell->session, &err) != 0 && err.code == EXIT_FAILED) {
				print_error(shell, NULL, &err);
				fputs("not rolled back\n", stdout);
				return true;
			}
			fputs("rolled back\n", stdout);
			return true;
		}
		if (rc < 0) {
			fputc('\n', stdout);
			return false;   /* Ctrl-C: stay */
		}
		answer += strspn(answer, " \t");
		if (*answer == 'c' || *answer == 'C') {
			transaction_command(shell, session_commit);
			/* a COMMIT that failed leaves the work open: stay, unless it is gone */
			return session_state(&shell->session) == SESSION_IDLE || hung_up;
		}
		if (*answer == 'r' || *answer == 'R') {
			transaction_command(shell, session_rollback);
			return true;
		}
		if (*answer == 's' || *answer == 'S')
			return false;
	}
}

/* The prompt's name: the database (PostgreSQL, SQLite file), or host:port
 * (Redis; the socket path for unix://), after the profile when one is chosen. */
static void name_target(struct shell *shell)
{
	const char *url = shell->engine->display_url, *start, *end, *p;
	size_t before_query;

	start = strstr(url, "//");
	if (!start) {
		/* a libpq keyword string: its dbname, else the backend's name */
		start = strstr(url, "dbname=");
		start = start && (start == url || start[-1] == ' ') ? start + 7 : shell->engine->driver->name;
		end = start + strcspn(start, " ");
		snprintf(shell->name, sizeof(shell->name), "%s%s%.*s",
			 shell->options->profile ? shell->options->profile : "", shell->options->profile ? ":" : "",
			 (int)(end - start), start);
		return;
	}
	start += 2;
	before_query = strcspn(start, "?");
	if (strncmp(url, "unix:", 5) == 0) {
		end = start + before_query;
	} else if (shell->engine->driver->dialect->prompt_names_host) {
		if ((p = memchr(start, '@', before_query)) != NULL)
			start = p + 1;
		end = start + strcspn(start, "/?");
	} else {
		end = start + before_query;
		for (p = end; p > start && p[-1] != '/'; p--)
			;
		start = p;
	}
	if (end == start) {
		start = shell->engine->driver->name;
		end = start + strlen(start);
	}
	snprintf(shell->name, sizeof(shell->name), "%s%s%.*s", shell->options->profile ? shell->options->profile : "",
		 shell->options->profile ? ":" : "", (int)(end - start), start);
}

static char **complete_callback(void *context, const char *line, const char *word)
{
	struct shell *shell = context;

	return complete_words(&shell->completer, line, word);
}

static bool on_path(const char *program)
{
	const char *path = getenv("PATH"), *p;
	char candidate[4096];

	for (p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)len, p, program);
		if (access(candidate, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

static int screen_lines(void)
{
	struct winsize size;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 4)
		return size.ws_row - 2;
	return 22;
}

/* Writes to a lost terminal fail: what is left to say there goes nowhere,
 * and is not reported as a failed write on the way out. Output redirected
 * elsewhere keeps its messages. */
static void forget_terminal(void)
{
	int fds[] = { STDOUT_FILENO, STDERR_FILENO };
	FILE *streams[] = { stdout, stderr };
	size_t i;

	for (i = 0; i < 2; i++) {
		int null;

		if (!is_hung_up(fds[i]))
			continue;
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0)
			continue;
		(void)fflush(streams[i]);
		(void)dup2(null, fds[i]);
		close(null);
		clearerr(streams[i]);
	}
}

static void loop(struct shell *shell)
{
	const char *line;
	int rc;

	while (!shell->quit && !hung_up) {
		update_prompt(shell);
		shell->printer.screen_lines = screen_lines();
		interrupted = 0;
		rc = shell->edit->read(shell->editor, shell->prompt, &line);
		if (hung_up)
			break;
		if (rc < 0) {
			/* Ctrl-C at the prompt: drop the line and any statement in progress */
			fputc('\n', stdout);
			clear_pending(shell);
			continue;
		}
		if (rc == 0 && terminal_lost()) {
			hung_up = 1;
			break;
		}
		if (rc == 0) {
			fputc('\n', stdout);
			shell->quit = true;
		} else {
			handle_line(shell, line);
		}
		if (shell->quit && !may_leave(shell))
			shell->quit = false;
	}
}

int shell_interactive(struct engine *engine, const struct shell_options *options, struct err *err)
{
	struct shell shell;
	lineedit_entry_fn entry;
	const char *pager = getenv("PAGER");

	memset(&shell, 0, sizeof(shell));
	shell.engine = engine;
	shell.options = options;
	*(void **)&entry = module_symbol("edit", LINEEDIT_ENTRY_SYMBOL, err);
	if (!entry)
		return -1;
	shell.edit = entry();
	if (!shell.edit || shell.edit->abi_version != LINEEDIT_ABI_VERSION)
		return err_set(err, EXIT_USAGE, "the line editor module does not match this dbctl; reinstall it");
	shell.editor = shell.edit->open("dbctl", stdin, stdout, stderr);
	if (!shell.editor)
		return err_set(err, EXIT_USAGE, "cannot start the line editor");
	session_init(&shell.session, engine);
	shell.session.autocommit = options->autocommit;
	printer_init(&shell.printer, stdout);
	shell.printer.options.format = options->format;
	shell.printer.options.expanded = options->expanded;
	/* PAGER set but empty turns paging off, as for psql; a pipe is never paged */
	if (!isatty(STDOUT_FILENO))
		shell.printer.pager = NULL;
	else if (pager)
		shell.printer.pager = *pager ? pager : NULL;
	else
		shell.printer.pager = on_path("less") ? "less -FRSX" : on_path("more") ? "more" : NULL;
	complete_init(&shell.completer, engine, backslash_commands);
	strbuf_init(&shell.pending);
	name_target(&shell);
	shell.edit->set_completion(shell.editor, complete_callback, &shell);
	if (options->history_path)
		(void)shell.edit->load_history(shell.editor, options->history_path);
	install_signals();

	printf("dbctl %s shell on %s: %s%s%s. \\? for help, \\q to quit.\n", engine->driver->display_name,
	       engine->display_url,
	       shell.session.transactional
		       ? (options->autocommit ? "autocommit is on" : "nothing commits until \\commit")
		       : "commands apply as they run (",
	       shell.session.transactional ? "" : engine->driver->display_name,
	       shell.session.transactional ? "" : " has no rollback)");
	fflush(stdout);
	loop(&shell);

	if (hung_up) {
		shell.exit_code = shell.outcome_unknown ? EXIT_UNKNOWN : EXIT_INTERRUPTED;
		forget_terminal();
	}
	running_session = NULL;
	session_release(&shell.session);   /* rolls back whatever was not committed */
	printer_release(&shell.printer);
	complete_release(&shell.completer);
	strbuf_release(&shell.pending);
	shell.edit->close(shell.editor);
	return shell.exit_code;
}
