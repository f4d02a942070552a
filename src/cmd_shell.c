/* dbctl shell: interactive on a terminal; from a pipe or file, `run -` that prints its results. */
#include "cli.h"
#include "engine.h"
#include "json.h"
#include "printer.h"
#include "script.h"
#include "shell.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct cli_option shell_options[] = {
	{ "format", 'f', "FORMAT", "result format: table (default), csv, json or tsv" },
	{ "expanded", 'x', NULL, "one field a line, as \\x" },
	{ "autocommit", 0, NULL, "commit each statement at once (interactive; off by default)" },
	{ "set", 'v', "NAME=VALUE", "psql variable for :NAME, :'NAME' and :\"NAME\" in piped input (repeatable)" },
	{ "no-history", 0, NULL, "do not read or write the history file" },
	{ 0 },
};

static void on_interrupt(int signo)
{
	(void)signo;
	script_interrupt();
}

/* Takes group and other access away from path, a directory or a regular
 * file of ours, that statements saved earlier made worth protecting; a
 * symbolic link or someone else's file is left alone. */
static void tighten(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd = open(path, flags | O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077) != 0)
		(void)fchmod(fd, mode);
	close(fd);
}

/* $XDG_STATE_HOME/dbctl/history, else ~/.local/state/dbctl/history; the
 * directory is made 0700 and the file 0600 since statements may hold data,
 * at start-up, before a session that saves nothing could leave them open. */
static char *history_path(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[4096], path[4200];

	if (state && *state)
		snprintf(dir, sizeof(dir), "%s/dbctl", state);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.local/state/dbctl", home);
	else
		return NULL;
	/* mkdir -p, each level 0700 */
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				return NULL;
			*p = '/';
		}
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return NULL;
	tighten(dir, O_DIRECTORY, 0700);
	snprintf(path, sizeof(path), "%s/history", dir);
	tighten(path, 0, 0600);
	return strdup(path);
}

static void announce_statement(void *context, const char *file, const struct sqlscan_statement *statement)
{
	(void)file;
	printer_document_statement(context, statement->line);
}

/* Ends the JSON document; a failure is its last object's "error" (the
 * object every other command's --json gives, masked the same way). */
static void end_document(struct cli *cli, struct printer *printer, int rc, const struct err *err)
{
	struct json json;

	json_init(&json);
	if (rc != 0) {
		json_object_begin(&json, NULL);
		cli_json_error(cli, &json, err);
		json_object_end(&json);
	}
	/* the members without the braces around them; main.c reports a failed write */
	(void)printer_document_end(printer, json.out.len > 2 ? json.out.buf + 1 : NULL,
				   json.out.len > 2 ? json.out.len - 2 : 0);
	json_release(&json);
}

/* Piped input: the runner's rules (checked first, one transaction, the same
 * errors and exit codes), and each statement's result printed. Redis has no
 * transaction to offer: commands run one by one, as redis-cli runs a file. */
static int run_piped(struct cli *cli, struct engine *engine, enum output_format format, bool expanded,
		     struct err *err)
{
	static const char *const inputs[] = { "-" };
	struct script_options options;
	struct script_summary summary;
	struct driver_row_sink sink;
	struct printer printer;
	int rc;

	printer_init(&printer, stdout);
	printer.options.format = format;
	printer.options.expanded = expanded;
	printer.show_tags = !cli->quiet;
	printer_sink(&printer, &sink);
	memset(&options, 0, sizeof(options));
	/* JSON is one document, whatever the input holds, so that jq reads it */
	if (format == OUTPUT_JSON) {
		printer_document_begin(&printer);
		options.on_statement = announce_statement;
		options.context = &printer;
	}
	options.transaction = engine->driver->dialect->rolls_back;
	options.variables = cli_values(cli, "set", &options.variable_count);
	options.rows = &sink;
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	rc = script_run(engine, inputs, 1, &options, &summary, err);
	if (rc != 0)
		printer_abandon(&printer);
	/* the runner's hint names run's option, which the shell does not have */
	if (rc != 0 && strstr(err->hint, "--no-transaction"))
		err_hint(err, "type it at an interactive dbctl shell prompt, or use dbctl run --no-transaction");
	if (rc != 0 && summary.partly_applied && !engine->driver->dialect->rolls_back)
		err_hint(err, "%s has no rollback: the commands before this one were applied", engine->driver->display_name);
	if (printer.document)
		end_document(cli, &printer, rc, err);
	printer_release(&printer);
	return rc == 0 ? EXIT_OK : (err->code ? err->code : EXIT_FAILED);
}

static void scrub(void *context, char *buf, size_t size)
{
	cli_scrub(context, buf, size);
}

int cmd_shell(struct cli *cli, struct err *err)
{
	struct shell_options options;
	struct engine engine;
	const char *format = cli_value(cli, "format");
	char *history = NULL;
	int code;

	memset(&options, 0, sizeof(options));
	options.format = cli->json ? OUTPUT_JSON : OUTPUT_TABLE;
	if (format && !output_parse_format(format, &options.format)) {
		err_set(err, EXIT_USAGE, "--format expects table, csv, json or tsv, got '%s'", format);
		return EXIT_USAGE;
	}
	options.expanded = cli_switch(cli, "expanded");
	options.scrub = scrub;
	options.scrub_context = cli;
	options.autocommit = cli_switch(cli, "autocommit");
	options.profile = cfg_get(&cli->settings, CFG_PROFILE);
	if (options.profile && !*options.profile)
		options.profile = NULL;
	/* results are the output: --json means JSON rows, not a summary envelope */
	cli->json_written = cli->json;
	if (engine_open(&engine, &cli->settings, err) != 0) {
		if (!isatty(STDIN_FILENO) && options.format == OUTPUT_JSON) {
			struct printer printer;

			printer_init(&printer, stdout);
			printer_document_begin(&printer);
			end_document(cli, &printer, -1, err);
			printer_release(&printer);
		}
		return err->code;
	}
	if (!isatty(STDIN_FILENO)) {
		code = run_piped(cli, &engine, options.format, options.expanded, err);
	} else {
		if (!cli_switch(cli, "no-history"))
			history = history_path();
		options.history_path = history;
		/* the server's notices, and the driver's own word while a statement
		 * runs (a Ctrl-C that could not cancel it), as run prints them */
		engine.target.notice = cli_print_notice;
		engine.target.notice_context = cli;
		code = shell_interactive(&engine, &options, err);
		if (code < 0)
			code = err->code ? err->code : EXIT_FAILED;
	}
	free(history);
	engine_close(&engine);
	return code;
}
