/* dbctl run: scripts in one transaction, all or nothing, with the error's place in the file. */
#include "cli.h"
#include "engine.h"
#include "json.h"
#include "script.h"
#include "sqltext.h"
#include "strbuf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cli_option run_options[] = {
	{ "no-transaction", 0, NULL, "run statement by statement, stopping at the first error" },
	{ "dry-run", 'n', NULL, "run everything, report, then roll back" },
	{ "set", 'v', "NAME=VALUE", "psql variable for :NAME, :'NAME' and :\"NAME\" (repeatable)" },
	{ "echo", 'e', NULL, "print each statement as it is sent" },
	{ "list", 0, NULL, "print the statements with their file, line and column; run nothing" },
	{ 0 },
};

static const char *const kind_names[] = {
	[SQLSCAN_PLAIN] = "statement",
	[SQLSCAN_TRANSACTION_CONTROL] = "transaction-control",
	[SQLSCAN_OUTSIDE_TRANSACTION] = "outside-transaction",
	[SQLSCAN_COPY_IN] = "copy-in",
};

static void on_interrupt(int signo)
{
	(void)signo;
	script_interrupt();
}

static void echo_statement(void *context, const char *file, const struct sqlscan_statement *statement)
{
	(void)context;
	(void)file;
	printf("%s\n", statement->text.buf);
}

/* --list: the statements as the lexer split them, for review and for parity checks. */
/* text as --list shows it: passwords masked (sqltext_secrets). */
static int show_masked(const struct strbuf *text, struct strbuf *out)
{
	unsigned char *secret = malloc(text->len + 1);
	char *masked = malloc(text->len + 1);

	if (!secret || !masked) {
		free(secret);
		free(masked);
		return -1;
	}
	strbuf_reset(out);
	if (sqltext_secrets(text->buf, text->len, secret))
		strbuf_add(out, masked, sqltext_mask(text->buf, text->len, secret, masked));
	else
		strbuf_add(out, text->buf, text->len);
	free(secret);
	free(masked);
	return 0;
}

static int list_statements(struct cli *cli, const struct dialect *dialect, sqlscan_complete_fn complete,
			   struct err *err)
{
	struct sqlscan_statement statement;
	struct strbuf data, shown;
	struct json json;
	int rc = 0, i;

	if (cli->json) {
		cli_json_begin(cli, &json, EXIT_OK);
		json_array_begin(&json, "statements");
	}
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	strbuf_init(&shown);
	for (i = 0; i < cli->arg_count && rc == 0; i++) {
		const char *path = cli->args[i];
		FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
		struct sqlscan scan;

		if (!in) {
			rc = err_set(err, EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		sqlscan_init(&scan, in, strcmp(path, "-") == 0 ? "<stdin>" : path, dialect->lexer);
		scan.complete = complete;
		while ((rc = sqlscan_next(&scan, &statement, err)) == 1) {
			long data_lines = 0;

			while (statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &data, err)) == 1)
				data_lines++;
			if (rc < 0)
				break;
			/* a listing goes to logs as error excerpts do: no password in it */
			if (show_masked(&statement.text, &shown) != 0) {
				rc = err_set(err, EXIT_FAILED, "out of memory");
				break;
			}
			if (cli->json) {
				json_object_begin(&json, NULL);
				json_string(&json, "file", scan.name);
				json_int(&json, "line", statement.line);
				json_int(&json, "column", statement.column);
				json_string(&json, "kind", kind_names[statement.kind]);
				json_string(&json, "text", shown.buf);
				if (statement.kind == SQLSCAN_COPY_IN)
					json_int(&json, "data_lines", data_lines);
				json_object_end(&json);
			} else if (!cli->quiet) {
				printf("-- %s:%d:%d %s\n%s\n", scan.name, statement.line, statement.column,
				       kind_names[statement.kind], shown.buf);
				if (statement.kind == SQLSCAN_COPY_IN)
					printf("-- (%ld lines of COPY data)\n", data_lines);
			}
		}
		sqlscan_release(&scan);
		if (in != stdin)
			fclose(in);
	}
	sqlscan_statement_release(&statement);
	strbuf_release(&data);
	strbuf_release(&shown);
	if (cli->json) {
		if (rc >= 0) {
			json_array_end(&json);
			json_object_end(&json);
			printf("%s\n", json.out.buf);
			cli->json_written = true;
		}
		json_release(&json);
	}
	return rc < 0 ? err->code : EXIT_OK;
}

static const char *outcome_of(const struct script_options *options, const struct script_summary *summary, int rc,
			      int code)
{
	/* nothing was sent; exit 3 after statements ran (a file changed under
	 * the run, a split the server saw otherwise) rolled them back */
	if (rc != 0 && code == EXIT_USAGE && summary->statements == 0)
		return "refused";
	if (rc != 0 && (code == EXIT_UNKNOWN || summary->outcome_unknown))
		return "unknown";
	if (rc != 0)
		return summary->partly_applied ? "failed_partly_applied" : "rolled_back";
	if (options->dry_run)
		return "dry_run_rolled_back";
	return options->transaction ? "committed" : "applied";
}

int cmd_run(struct cli *cli, struct err *err)
{
	struct script_options options;
	struct script_summary summary;
	struct engine engine;
	int rc, code;

	memset(&options, 0, sizeof(options));
	options.transaction = !cli_switch(cli, "no-transaction");
	options.dry_run = cli_switch(cli, "dry-run");
	options.variables = cli_values(cli, "set", &options.variable_count);
	if (cli_switch(cli, "echo") && !cli->json)
		options.on_statement = echo_statement;
	if (cli->arg_count == 0) {
		err_set(err, EXIT_USAGE, "run needs at least one FILE, or - for standard input");
		return EXIT_USAGE;
	}
	if (options.dry_run && !options.transaction) {
		err_set(err, EXIT_USAGE, "--dry-run needs the transaction that --no-transaction turns off");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < options.variable_count; i++) {
		const char *eq = strchr(options.variables[i], '=');

		if (!eq || eq == options.variables[i]) {
			err_set(err, EXIT_USAGE, "-v expects NAME=VALUE, got '%s'", options.variables[i]);
			return EXIT_USAGE;
		}
	}
	if (engine_open(&engine, &cli->settings, err) != 0)
		return err->code;
	engine.target.notice = cli_print_notice;
	engine.target.notice_context = cli;
	if (cli_switch(cli, "list")) {
		code = list_statements(cli, engine.driver->dialect, engine.driver->statement_complete, err);
		engine_close(&engine);
		return code;
	}

	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	rc = script_run(&engine, (const char *const *)cli->args, (size_t)cli->arg_count, &options, &summary, err);
	code = rc == 0 ? EXIT_OK : (err->code ? err->code : EXIT_FAILED);
	if (summary.interrupted_late) {
		fflush(stdout);
		fprintf(stderr, "dbctl: the interrupt came while %s was running, and it %s all the same\n",
			engine.driver->dialect->commit_word, engine.driver->dialect->committed);
	}
	if (cli->json) {
		struct json json;
		int i;

		cli_json_begin(cli, &json, code);
		json_string(&json, "target", engine.display_url);
		json_array_begin(&json, "files");
		for (i = 0; i < cli->arg_count; i++)
			json_string(&json, NULL, strcmp(cli->args[i], "-") == 0 ? "<stdin>" : cli->args[i]);
		json_array_end(&json);
		json_int(&json, "statements", summary.statements);
		json_int(&json, "rows_affected", summary.affected);
		json_double(&json, "duration_s", summary.seconds);
		json_string(&json, "outcome", outcome_of(&options, &summary, rc, code));
		if (rc != 0)
			cli_json_error(cli, &json, err);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		cli->json_written = true;
	} else if (rc == 0 && !cli->quiet) {
		printf("%ld statement%s, %ld row%s affected, %s in %.3f s\n", summary.statements,
		       summary.statements == 1 ? "" : "s", summary.affected, summary.affected == 1 ? "" : "s",
		       options.dry_run ? "rolled back (dry run)" : options.transaction ? "committed" : "applied",
		       summary.seconds);
	}
	engine_close(&engine);
	return code;
}
