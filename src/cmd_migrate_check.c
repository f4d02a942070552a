/* dbctl migrate lint|validate: judge the migrations directory without a
 * database, for a pre-commit hook or a CI step before the database exists.
 * The backend's dialect (from the URL, which is never connected to) says
 * how the files lex and which lint rules apply. */
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "json.h"
#include "lint.h"
#include "migrate.h"
#include "migrate_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cli_option migrate_lint_options[] = {
	{ "dir", 'd', "DIR", "migrations directory (setting migrations_dir, default ./migrations)" },
	{ 0 },
};

/* Every section of every file through the backend's rules. */
static int lint_all(const struct engine *engine, const struct migration_set *files, struct lint_report *report,
		    struct err *err)
{
	const struct dialect *dialect = engine->driver->dialect;
	size_t i;

	for (i = 0; i < files->count; i++) {
		const struct migration *m = &files->items[i];
		const struct migration_section *sections[2] = { &m->up, &m->down };
		int s;

		for (s = 0; s < 2; s++) {
			const struct migration_section *section = sections[s];

			if (section->present &&
			    lint_section(dialect->lint, dialect->lexer, section->path, section->text, section->first_line,
					 report, err) != 0)
				return -1;
		}
	}
	return 0;
}

static void print_findings(const struct cli *cli, const struct lint_report *report, const struct engine *engine,
			   size_t migrations, const char *verdict)
{
	size_t i;

	if (cli->json) {
		struct json json;

		cli_json_begin(cli, &json, report->count ? EXIT_FAILED : EXIT_OK);
		json_int(&json, "migrations", (long)migrations);
		json_int(&json, "statements", report->statements);
		json_bool(&json, "rules", engine->driver->dialect->lint != NULL);
		json_array_begin(&json, "findings");
		for (i = 0; i < report->count; i++) {
			const struct lint_finding *f = &report->findings[i];

			json_object_begin(&json, NULL);
			json_string(&json, "file", f->file);
			json_int(&json, "line", f->line);
			json_int(&json, "column", f->column);
			json_string(&json, "rule", f->rule->name);
			json_string(&json, "subject", f->subject);
			json_string(&json, "why", f->rule->why);
			json_object_end(&json);
		}
		json_array_end(&json);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		return;
	}
	for (i = 0; i < report->count; i++) {
		const struct lint_finding *f = &report->findings[i];

		printf("%s:%d:%d: %s (%s): %s\n", f->file, f->line, f->column, f->rule->name, f->subject, f->rule->why);
	}
	if (!engine->driver->dialect->lint)
		fprintf(stderr, "dbctl: note: no lint rules for %s: the files were read and checked only\n",
			engine->driver->display_name);
	if (!cli->quiet || report->count)
		printf("%zu migration%s, %ld statements: %zu finding%s%s%s\n", migrations, migrations == 1 ? "" : "s",
		       report->statements, report->count, report->count == 1 ? "" : "s",
		       report->count ? " (silence one in its file with -- dbctl:allow RULE)" : "", verdict);
}

static int check(struct cli *cli, bool validate, struct err *err)
{
	const char *dir = cli_value(cli, "dir") ? cli_value(cli, "dir") : cfg_get(&cli->settings, CFG_MIGRATIONS_DIR);
	struct lint_report report;
	struct migration_set files;
	struct engine engine;
	size_t i, findings;
	bool loaded;
	int rc;

	if (cli->arg_count != 0)
		return err_set(err, EXIT_USAGE, "migrate %s takes no arguments", validate ? "validate" : "lint"), EXIT_USAGE;
	memset(&report, 0, sizeof(report));
	/* loads the backend's module for its dialect; nothing connects */
	if (engine_open(&engine, &cli->settings, err) != 0)
		return err->code ? err->code : EXIT_USAGE;
	if (!engine.driver->dialect->migration) {
		engine_close(&engine);
		return err_set(err, EXIT_USAGE, "migrate is not supported for %s", engine.driver->display_name);
	}
	rc = migrate_files_load(dir, &files, err);
	loaded = rc == 0;
	for (i = 0; rc == 0 && validate && i < files.count; i++) {
		rc = migrate_check_section(&engine, &files.items[i], &files.items[i].up, err);
		if (rc == 0)
			rc = migrate_check_section(&engine, &files.items[i], &files.items[i].down, err);
	}
	for (i = 0; rc == 0 && validate && i < files.repeatable_count; i++)
		rc = migrate_check_section(&engine, &files.repeatables[i], &files.repeatables[i].up, err);
	if (rc == 0)
		rc = lint_all(&engine, &files, &report, err);
	if (rc == 0) {
		print_findings(cli, &report, &engine, files.count, validate && !report.count ? "; valid" : "");
		cli->json_written = cli->json;
	}
	findings = report.count;
	if (loaded)
		migrate_files_release(&files);
	lint_report_release(&report);
	engine_close(&engine);
	if (rc != 0)
		return err->code ? err->code : EXIT_USAGE;
	return findings ? EXIT_FAILED : EXIT_OK;
}

int cmd_migrate_lint(struct cli *cli, struct err *err)
{
	return check(cli, false, err);
}

int cmd_migrate_validate(struct cli *cli, struct err *err)
{
	return check(cli, true, err);
}
