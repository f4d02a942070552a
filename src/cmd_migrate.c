/* dbctl migrate up|down|redo|to|status|new|accept: the commands over migrate.c. */
#include "cli.h"
#include "clock.h"
#include "engine.h"
#include "json.h"
#include "migrate.h"
#include "migrate_schema.h"
#include "output.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define COMMON_OPTIONS \
	{ "dir", 'd', "DIR", "migrations directory (setting migrations_dir, default ./migrations)" }, \
	{ "wait", 'w', "SECONDS", "wait up to SECONDS for the database to accept connections first" }

#define APPLY_OPTIONS \
	COMMON_OPTIONS, \
	{ "dry-run", 'n', NULL, "show the plan, apply it inside a transaction and roll back" }, \
	{ "lock-timeout", 0, "SECONDS", "give up when another runner holds the lock this long (default 60)" }, \
	{ "lock", 0, "auto|advisory|table", "migration lock: auto (default: advisory, or table behind a pooler), session lock (advisory lock, GET_LOCK), or a lease row" }, \
	{ "lease", 0, "SECONDS", "the lease's length under --lock=table, renewed meanwhile (default 600)" }, \
	{ "echo", 'e', NULL, "print each statement as it is sent" }, \
	{ "dump-schema", 0, "FILE", "then write the schema and the tracking rows to FILE (setting schema_file)" }

const struct cli_option migrate_up_options[] = {
	APPLY_OPTIONS,
	{ "single-transaction", 0, NULL, "apply every pending migration in one transaction: all or nothing" },
	{ "on-drift", 0, "fail|warn", "an applied migration whose file changed: fail (default) or warn" },
	{ "out-of-order", 0, "fail|apply", "a pending migration older than an applied one: fail (default) or apply" },
	{ "retry", 0, NULL, "retry a failed transaction:false migration even though its file is unchanged" },
	{ 0 },
};
#define RETRY_DOWN_OPTION \
	{ "retry", 0, NULL, "resume a transaction:false section that stopped part way, from that statement" }, \
	{ "allow-missing-down", 0, NULL, "revert a migration without a down section by deleting its tracking row" }
const struct cli_option migrate_down_options[] = { APPLY_OPTIONS, RETRY_DOWN_OPTION, { 0 } };
const struct cli_option migrate_to_options[] = { APPLY_OPTIONS, RETRY_DOWN_OPTION, { 0 } };
const struct cli_option migrate_status_options[] = { COMMON_OPTIONS, { 0 } };
const struct cli_option migrate_new_options[] = { { "dir", 'd', "DIR", "migrations directory" }, { 0 } };
const struct cli_option migrate_accept_options[] = { COMMON_OPTIONS, { 0 } };
const struct cli_option migrate_load_options[] = {
	COMMON_OPTIONS,
	{ "dry-run", 'n', NULL, "load it inside a transaction and roll back" },
	{ "echo", 'e', NULL, "print each statement as it is sent" },
	{ 0 },
};
const struct cli_option migrate_baseline_options[] = {
	COMMON_OPTIONS,
	{ "lock-timeout", 0, "SECONDS", "give up when another runner holds the lock this long (default 60)" },
	{ "lock", 0, "auto|advisory|table", "migration lock, as for up" },
	{ 0 },
};

static const char *const state_names[] = {
	[MIGRATE_APPLIED] = "applied", [MIGRATE_PENDING] = "pending", [MIGRATE_MODIFIED] = "modified",
	[MIGRATE_MISSING_FILE] = "missing_file", [MIGRATE_OUT_OF_ORDER] = "out_of_order", [MIGRATE_FAILED] = "failed",
};

struct migrate_run {
	struct cli *cli;
	struct json events;     /* --json: what happened, in order */
};

static void on_interrupt(int signo)
{
	(void)signo;
	script_interrupt();
}

/* A name inside a '-- ' comment line: a line break in it (a quoted
 * identifier may hold one) would end the comment and leave the rest looking
 * like SQL, so control characters are written as escapes. */
static void print_in_comment(const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static void on_event(void *context, const struct migrate_event *event)
{
	struct migrate_run *run = context;
	static const char *const kinds[] = { "lock_wait", "locked", "applying", "applied", "reverting", "reverted",
					     "warning", "plan", "locks" };

	if (run->cli->json) {
		json_object_begin(&run->events, NULL);
		json_string(&run->events, "event", kinds[event->kind]);
		json_string(&run->events, "version", event->version);
		json_string(&run->events, "name", event->name);
		json_string(&run->events, "message", event->message);
		if (event->kind == MIGRATE_EVENT_APPLIED || event->kind == MIGRATE_EVENT_REVERTED)
			json_double(&run->events, "duration_ms", event->seconds * 1000);
		if (event->repeatable)
			json_bool(&run->events, "repeatable", true);
		if (event->kind == MIGRATE_EVENT_LOCKS) {
			json_string(&run->events, "file", event->file);
			json_int(&run->events, "line", event->line);
			json_string(&run->events, "table", event->table);
			json_string(&run->events, "mode", event->mode);
			json_bool(&run->events, "rewritten", event->rewritten);
		}
		json_object_end(&run->events);
		return;
	}
	switch (event->kind) {
	case MIGRATE_EVENT_WARNING:
		fprintf(stderr, "dbctl: warning: %s\n", event->message);
		break;
	case MIGRATE_EVENT_LOCK_WAIT:
		fprintf(stderr, "dbctl: %s\n", event->message);
		break;
	case MIGRATE_EVENT_APPLIED:
	case MIGRATE_EVENT_REVERTED:
		if (!run->cli->quiet && event->repeatable)
			printf("applied %s (repeatable, %.1f ms%s)\n", event->version, event->seconds * 1000,
			       event->transaction ? "" : ", no transaction");
		else if (!run->cli->quiet)
			printf("%s %s_%s (%.1f ms%s)\n", event->kind == MIGRATE_EVENT_APPLIED ? "applied" : "reverted",
			       event->version, event->name, event->seconds * 1000, event->transaction ? "" : ", no transaction");
		break;
	case MIGRATE_EVENT_LOCKS:
		if (!run->cli->quiet) {
			printf("-- %s:%d: %s%s", event->file, event->line, event->mode ? event->mode : "",
			       event->mode ? " on " : "");
			print_in_comment(event->table);
			printf("%s\n", !event->rewritten ? "" : event->mode ? " (table rewritten)" : " rewritten");
		}
		break;
	case MIGRATE_EVENT_PLAN:
		if (!run->cli->quiet)
			printf("-- %s%s%s\n", event->version ? event->version : "", event->version ? ": " : "", event->message);
		break;
	default:
		break;
	}
}

static void echo_statement(void *context, const char *file, const struct sqlscan_statement *statement)
{
	(void)context;
	printf("-- %s:%d\n%s\n", file, statement->line, statement->text.buf);
}

/* Settings and flags shared by every subcommand. */
static int prepare(struct cli *cli, struct engine *engine, struct migration_set *files, struct migrate_options *options,
		   struct migrate_run *run, struct err *err)
{
	const char *dir = cli_value(cli, "dir") ? cli_value(cli, "dir") : cfg_get(&cli->settings, CFG_MIGRATIONS_DIR);
	const char *drift = cli_value(cli, "on-drift"), *order = cli_value(cli, "out-of-order");
	const char *lock = cli_value(cli, "lock");
	double wait = 0;

	memset(options, 0, sizeof(*options));
	options->table = cfg_get(&cli->settings, CFG_MIGRATIONS_TABLE);
	options->lock_id = cfg_int(&cli->settings, CFG_MIGRATIONS_LOCK_ID);
	options->lock_timeout = 60;
	options->migration_lock_timeout_ms = cfg_int(&cli->settings, CFG_MIGRATE_LOCK_TIMEOUT);
	options->dry_run = cli_switch(cli, "dry-run");
	options->single_transaction = cli_switch(cli, "single-transaction");
	options->retry_failed = cli_switch(cli, "retry");
	options->allow_missing_down = cli_switch(cli, "allow-missing-down");
	options->on_event = on_event;
	options->context = run;
	if (cli_switch(cli, "echo") || options->dry_run)
		options->on_statement = cli->json ? NULL : echo_statement;
	if (drift && strcmp(drift, "fail") != 0 && strcmp(drift, "warn") != 0)
		return err_set(err, EXIT_USAGE, "--on-drift expects fail or warn, got '%s'", drift);
	if (order && strcmp(order, "fail") != 0 && strcmp(order, "apply") != 0)
		return err_set(err, EXIT_USAGE, "--out-of-order expects fail or apply, got '%s'", order);
	if (!lock || strcmp(lock, "auto") == 0)
		options->lock_mode = MIGRATE_LOCK_AUTO;
	else if (strcmp(lock, "advisory") == 0)
		options->lock_mode = MIGRATE_LOCK_ADVISORY;
	else if (strcmp(lock, "table") == 0)
		options->lock_mode = MIGRATE_LOCK_TABLE;
	else
		return err_set(err, EXIT_USAGE, "--lock expects auto, advisory or table, got '%s'", lock);
	options->drift_warn = drift && strcmp(drift, "warn") == 0;
	options->out_of_order_apply = order && strcmp(order, "apply") == 0;
	if (cli_seconds(cli, "lock-timeout", &options->lock_timeout, err) != 0 || cli_seconds(cli, "wait", &wait, err) != 0 ||
	    cli_seconds(cli, "lease", &options->lease_seconds, err) != 0)
		return -1;
	if (cli_value(cli, "lease") && options->lease_seconds < 1)
		return err_set(err, EXIT_USAGE, "--lease expects at least 1 second, got '%s'", cli_value(cli, "lease"));
	if (engine_open(engine, &cli->settings, err) != 0)
		return -1;
	engine->target.notice = cli_print_notice;
	engine->target.notice_context = cli;
	if (!engine->driver->dialect->migration) {
		engine_close(engine);
		return err_set(err, EXIT_USAGE, "migrate is not supported for %s", engine->driver->display_name);
	}
	/* PostgreSQL takes milliseconds to start a backend: read and hash the
	 * files meanwhile (a connection sends nothing, so bad files still mean
	 * nothing was sent) */
	if (engine->driver->dialect->slow_connect && wait <= 0)
		engine_connect_ahead(engine);
	if (migrate_files_load(dir, files, err) != 0) {
		engine_close(engine);
		return -1;
	}
	migrate_files_select(files, cfg_get(&cli->settings, CFG_ENVIRONMENT));
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	/* --wait: for deploys that start the database and the migration together */
	if (wait > 0) {
		double until = clock_now() + wait, pause = 0.1;

		for (;;) {
			struct pool_conn *pc;
			struct err probe;

			err_init(&probe);
			if (engine_checkout(engine, clock_deadline(2, until + 2), &pc, &probe) == 0) {
				engine_checkin(engine, pc, false);
				break;
			}
			if (clock_now() >= until || probe.code == EXIT_USAGE || script_interrupted()) {
				*err = probe;
				if (script_interrupted())
					err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the database: nothing was sent");
				engine_close(engine);
				migrate_files_release(files);
				return -1;
			}
			{
				double left = until - clock_now(), nap = pause < left ? pause : (left > 0 ? left : 0);

				nanosleep(&(struct timespec){ (time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9) }, NULL);
			}
			pause = pause * 2 > 1 ? 1 : pause * 2;
		}
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	return 0;
}

static void finish_json(struct cli *cli, struct migrate_run *run, int code, const struct migrate_result *result,
			const struct err *err)
{
	struct json json;

	if (!cli->json)
		return;
	cli_json_begin(cli, &json, code);
	if (result) {
		json_int(&json, "applied", result->applied);
		json_int(&json, "reverted", result->reverted);
		json_int(&json, "statements", result->statements);
	}
	json_raw(&json, "events", run->events.out.buf);
	if (code != EXIT_OK && err->message[0])
		cli_json_error(cli, &json, err);
	json_object_end(&json);
	printf("%s\n", json.out.buf);
	json_release(&json);
	cli->json_written = true;
}

/* --dump-schema, else the setting; NULL for none */
static const char *schema_file(struct cli *cli)
{
	const char *path = cli_value(cli, "dump-schema");

	if (!path)
		path = cfg_get(&cli->settings, CFG_SCHEMA_FILE);
	return path && *path ? path : NULL;
}

/* up, down, redo and to share this: run, then report. */
static int apply(struct cli *cli, struct err *err, int (*action)(struct cli *, struct engine *, struct migration_set *,
								 struct migrate_options *, struct migrate_result *,
								 struct err *))
{
	struct migrate_options options;
	struct migrate_result result;
	struct migration_set files;
	struct migrate_run run;
	struct engine engine;
	int rc, code;

	memset(&run, 0, sizeof(run));
	memset(&result, 0, sizeof(result));
	run.cli = cli;
	json_init(&run.events);
	json_array_begin(&run.events, NULL);
	if (prepare(cli, &engine, &files, &options, &run, err) != 0) {
		code = err->code ? err->code : EXIT_USAGE;
		json_array_end(&run.events);
		finish_json(cli, &run, code, NULL, err);
		json_release(&run.events);
		return code;
	}
	rc = action(cli, &engine, &files, &options, &result, err);
	/* a dry run changed nothing: the file stays as the last real run left it */
	if (rc == 0 && !options.dry_run && schema_file(cli)) {
		rc = migrate_schema_dump(&engine, &options, schema_file(cli), err);
		if (rc == 0 && !cli->json && !cli->quiet)
			printf("wrote %s\n", schema_file(cli));
	}
	code = rc == 0 ? EXIT_OK : (err->code ? err->code : EXIT_FAILED);
	json_array_end(&run.events);
	finish_json(cli, &run, code, &result, err);
	if (!cli->json && !cli->quiet && rc == 0) {
		if (result.applied == 0 && result.reverted == 0)
			printf("nothing to do: up to date\n");
		else if (options.dry_run)
			printf("dry run: %ld applied, %ld reverted, then rolled back\n", result.applied, result.reverted);
	}
	json_release(&run.events);
	engine_close(&engine);
	migrate_files_release(&files);
	return code;
}

static int do_up(struct cli *cli, struct engine *engine, struct migration_set *files, struct migrate_options *options,
		 struct migrate_result *result, struct err *err)
{
	(void)cli;
	return migrate_up(engine, files, NULL, options, result, err);
}

static int parse_count(struct cli *cli, long *count, struct err *err)
{
	char *end;

	*count = 1;
	if (cli->arg_count == 0)
		return 0;
	errno = 0;
	*count = strtol(cli->args[0], &end, 10);
	if (*end || errno || *count < 1)
		return err_set(err, EXIT_USAGE, "migrate down expects a number of migrations, got '%s'", cli->args[0]);
	return 0;
}

static int do_down(struct cli *cli, struct engine *engine, struct migration_set *files,
		   struct migrate_options *options, struct migrate_result *result, struct err *err)
{
	long count;

	if (parse_count(cli, &count, err) != 0)
		return -1;
	return migrate_down(engine, files, count, NULL, options, result, err);
}

/* Reverts the newest applied migration and applies that one again, nothing else. */
static int do_redo(struct cli *cli, struct engine *engine, struct migration_set *files,
		   struct migrate_options *options, struct migrate_result *result, struct err *err)
{
	struct migrate_status status;
	struct migrate_result up;
	char *newest = NULL;    /* owned */
	int rc;

	if (migrate_status(engine, files, options, &status, err) != 0)
		return -1;
	if (migrate_newest_revertible(&status))
		newest = strdup(migrate_newest_revertible(&status));
	migrate_status_release(&status);
	if (!newest)
		return err_set(err, EXIT_USAGE, "nothing to redo: no migration is applied");
	rc = migrate_down(engine, files, 1, NULL, options, result, err);
	if (rc == 0 && options->dry_run) {
		/* the revert was rolled back, so up would find nothing to do: show what it would run */
		const struct migration *m = migrate_files_find(files, newest);
		struct migrate_event event = {
			.kind = MIGRATE_EVENT_PLAN,
			.version = newest,
			.name = m ? m->name : "",
			.message = "then applies it again:",
			.transaction = true,
		};

		options->on_event(options->context, &event);
		if (m && options->on_statement && !cli->json)
			printf("-- %s:%d\n%s", m->path, m->up.first_line, m->up.text);
		result->applied = 1;
	} else if (rc == 0) {
		rc = migrate_up(engine, files, newest, options, &up, err);
		result->applied = up.applied;
		result->statements += up.statements;
	}
	free(newest);
	return rc;
}

static int do_to(struct cli *cli, struct engine *engine, struct migration_set *files, struct migrate_options *options,
		 struct migrate_result *result, struct err *err)
{
	char *target = cli->arg_count == 1 ? migrate_version_normalize(cli->args[0]) : NULL;
	int rc;

	if (!target && cli->arg_count == 1)
		return err_set(err, EXIT_USAGE, "migrate to: '%s' is not a version (digits, 0 reverts everything)",
			       cli->args[0]);
	if (!target)
		return err_set(err, EXIT_USAGE, "migrate to expects one VERSION (0 reverts everything)");
	if (strcmp(target, "0") != 0 && !migrate_files_find(files, target)) {
		rc = err_set(err, EXIT_USAGE, "no migration file has version %s", target);
	} else {
		rc = migrate_down(engine, files, 0, target, options, result, err);
		if (rc == 0 && strcmp(target, "0") != 0) {
			struct migrate_result up;

			rc = migrate_up(engine, files, target, options, &up, err);
			result->applied = up.applied;
			result->statements += up.statements;
		}
	}
	free(target);
	return rc;
}

int cmd_migrate_up(struct cli *cli, struct err *err)
{
	return apply(cli, err, do_up);
}

int cmd_migrate_down(struct cli *cli, struct err *err)
{
	return apply(cli, err, do_down);
}

int cmd_migrate_redo(struct cli *cli, struct err *err)
{
	return apply(cli, err, do_redo);
}

int cmd_migrate_to(struct cli *cli, struct err *err)
{
	return apply(cli, err, do_to);
}

/* %-*s counts bytes; a name in another script must line up by columns. */
static void print_padded(const char *text, size_t columns)
{
	size_t width = output_display_width(text);

	printf("%s%*s", text, width < columns ? (int)(columns - width) : 0, "");
}

/* A repeatable migration whose file changed is not drift: it runs again. */
static const char *entry_state(const struct migrate_entry *e, bool repeatable)
{
	if (e->running_now)
		return "running";
	return repeatable && e->state == MIGRATE_MODIFIED ? "changed" : state_names[e->state];
}

static void json_entry(struct json *json, const struct migrate_entry *e, bool repeatable)
{
	json_object_begin(json, NULL);
	json_string(json, "version", e->version);
	json_string(json, "name", e->name);
	json_string(json, "state", entry_state(e, repeatable));
	json_bool(json, "repeatable", repeatable);
	json_string(json, "file", e->file ? e->file->path : NULL);
	json_string(json, "applied_at", e->applied_at[0] ? e->applied_at : NULL);
	if (e->duration_ms >= 0)
		json_int(json, "duration_ms", e->duration_ms);
	else
		json_null(json, "duration_ms");
	json_string(json, "note", e->note[0] ? e->note : NULL);
	if (e->state == MIGRATE_FAILED) {
		if (e->failed_statement >= 0)
			json_int(json, "failed_statement", e->failed_statement + 1);
		else
			json_null(json, "failed_statement");
		json_string(json, "failed_section", e->failed_down ? "down" : "up");
		json_string(json, "error", e->error);
	}
	json_object_end(json);
}

static void print_entry(const struct migrate_entry *e, bool repeatable)
{
	printf("%-16s %-13s ", e->version, entry_state(e, repeatable));
	print_padded(e->name, 40);
	printf(" %s", e->applied_at[0] ? e->applied_at : "-");
	if (e->note[0])
		printf(" (%s: not run)", e->note);
	else if (e->duration_ms >= 0)
		printf(" (%ld ms)", e->duration_ms);
	if (e->state == MIGRATE_FAILED && e->failed_statement < 0)
		printf("  %s", e->error);   /* golang-migrate's dirty flag: no statement is known */
	else if (e->running_now)
		printf("  %srunning (another runner holds the lock): at statement %ld", e->failed_down ? "down section " : "",
		       e->failed_statement + 1);
	else if (e->state == MIGRATE_FAILED)
		printf("  %sstopped at statement %ld: %s", e->failed_down ? "down section " : "",
		       e->failed_statement + 1, e->error);
	putchar('\n');
}

int cmd_migrate_status(struct cli *cli, struct err *err)
{
	struct migrate_options options;
	struct migrate_status status;
	struct migration_set files;
	struct migrate_run run;
	struct engine engine;
	size_t i;
	int code;

	memset(&run, 0, sizeof(run));
	run.cli = cli;
	json_init(&run.events);
	if (prepare(cli, &engine, &files, &options, &run, err) != 0) {
		json_release(&run.events);
		return err->code ? err->code : EXIT_USAGE;
	}
	engine_observe_only(&engine);   /* status reads; it creates no SQLite file */
	if (migrate_status(&engine, &files, &options, &status, err) != 0) {
		code = err->code ? err->code : EXIT_FAILED;
		goto out;
	}
	/* for CI gates: 4 pending, 1 something needs a person */
	code = status.modified || status.failed ? EXIT_FAILED
	       : status.pending || status.out_of_order || status.running || status.repeatable_due ? EXIT_PENDING
												 : EXIT_OK;
	if (cli->json) {
		struct json json;

		cli_json_begin(cli, &json, code);
		json_object_begin(&json, "counts");
		json_int(&json, "applied", (long)status.applied);
		json_int(&json, "pending", (long)status.pending);
		json_int(&json, "modified", (long)status.modified);
		json_int(&json, "missing_file", (long)status.missing);
		json_int(&json, "out_of_order", (long)status.out_of_order);
		json_int(&json, "failed", (long)status.failed);
		json_int(&json, "other_environment", (long)status.other_environment);
		json_int(&json, "repeatable_due", (long)status.repeatable_due);
		json_int(&json, "running", (long)status.running);
		json_object_end(&json);
		json_array_begin(&json, "migrations");
		for (i = 0; i < status.count; i++)
			json_entry(&json, &status.entries[i], false);
		for (i = 0; i < status.repeatable_count; i++)
			json_entry(&json, &status.repeatables[i], true);
		json_array_end(&json);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		cli->json_written = true;
	} else if (!cli->quiet) {
		for (i = 0; i < status.count; i++)
			print_entry(&status.entries[i], false);
		for (i = 0; i < status.repeatable_count; i++)
			print_entry(&status.repeatables[i], true);
		printf("%zu applied, %zu pending", status.applied, status.pending);
		if (status.modified)
			printf(", %zu modified", status.modified);
		if (status.missing)
			printf(", %zu missing file", status.missing);
		if (status.out_of_order)
			printf(", %zu out of order", status.out_of_order);
		if (status.failed)
			printf(", %zu failed", status.failed);
		if (status.running)
			printf(", %zu running", status.running);
		if (status.repeatable_due)
			printf(", %zu repeatable to run", status.repeatable_due);
		if (status.other_environment)
			printf(", %zu for other environments (not run here)", status.other_environment);
		putchar('\n');
	}
	migrate_status_release(&status);
out:
	json_release(&run.events);
	engine_close(&engine);
	migrate_files_release(&files);
	return code;
}

int cmd_migrate_new(struct cli *cli, struct err *err)
{
	const char *dir = cli_value(cli, "dir") ? cli_value(cli, "dir") : cfg_get(&cli->settings, CFG_MIGRATIONS_DIR);
	char path[4096], stamp[32];
	time_t now = time(NULL);
	const char *p;
	FILE *f;

	if (cli->arg_count != 1)
		return err_set(err, EXIT_USAGE, "migrate new expects one NAME"), EXIT_USAGE;
	for (p = cli->args[0]; *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return err_set(err, EXIT_USAGE, "migration names use letters, digits, '_' and '-': '%s'", cli->args[0]),
			       EXIT_USAGE;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return err_set(err, EXIT_USAGE, "cannot create '%s': %s", dir, strerror(errno)), EXIT_USAGE;
	/* two in the same second must not share a version: take the next free second */
	{
		struct migration_set existing;
		struct err ignored;

		err_init(&ignored);
		memset(&existing, 0, sizeof(existing));
		if (migrate_files_load(dir, &existing, &ignored) != 0)
			memset(&existing, 0, sizeof(existing));
		for (;;) {
			strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", gmtime(&now));
			if (!migrate_files_find(&existing, stamp))
				break;
			now++;
		}
		migrate_files_release(&existing);
	}
	snprintf(path, sizeof(path), "%s/%s_%s.sql", dir, stamp, cli->args[0]);
	f = fopen(path, "wx");
	if (!f)
		return err_set(err, EXIT_USAGE, "cannot create '%s': %s", path, strerror(errno)), EXIT_USAGE;
	fputs("-- migrate:up\n\n\n-- migrate:down\n\n", f);
	if (fclose(f) != 0)
		return err_set(err, EXIT_USAGE, "cannot write '%s': %s", path, strerror(errno)), EXIT_USAGE;
	if (cli->json) {
		struct json json;

		cli_json_begin(cli, &json, EXIT_OK);
		json_string(&json, "file", path);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		cli->json_written = true;
	} else if (!cli->quiet) {
		printf("%s\n", path);
	}
	return EXIT_OK;
}

/* accept and baseline: one VERSION, one call into migrate.c, one line of answer. */
enum version_command { VERSION_ACCEPT, VERSION_BASELINE };

static int run_version_command(struct cli *cli, enum version_command which, struct err *err)
{
	const char *name = which == VERSION_ACCEPT ? "accept" : "baseline";
	struct migrate_options options;
	struct migration_set files;
	struct migrate_run run;
	struct engine engine;
	long recorded = 0;
	char *version;
	int rc;

	if (cli->arg_count != 1)
		return err_set(err, EXIT_USAGE, "migrate %s expects one VERSION", name), EXIT_USAGE;
	memset(&run, 0, sizeof(run));
	run.cli = cli;
	json_init(&run.events);
	if (prepare(cli, &engine, &files, &options, &run, err) != 0) {
		json_release(&run.events);
		return err->code ? err->code : EXIT_USAGE;
	}
	version = migrate_version_normalize(cli->args[0]);
	if (!version)
		rc = err_set(err, EXIT_USAGE, "'%s' is not a version", cli->args[0]);
	else if (which == VERSION_ACCEPT)
		rc = migrate_accept(&engine, &files, version, &options, err);
	else
		rc = migrate_baseline(&engine, &files, version, &options, &recorded, err);
	if (rc == 0 && cli->json) {
		struct json json;

		cli_json_begin(cli, &json, EXIT_OK);
		json_string(&json, which == VERSION_ACCEPT ? "accepted" : "baseline", version);
		if (which == VERSION_BASELINE)
			json_int(&json, "recorded", recorded);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		cli->json_written = true;
	} else if (rc == 0 && !cli->quiet && which == VERSION_ACCEPT) {
		printf("accepted %s: its current file is now the recorded one\n", version);
	} else if (rc == 0 && !cli->quiet) {
		printf("baseline %s: %ld migration%s recorded as applied, none run\n", version, recorded,
		       recorded == 1 ? "" : "s");
	}
	free(version);
	json_release(&run.events);
	engine_close(&engine);
	migrate_files_release(&files);
	return rc == 0 ? EXIT_OK : (err->code ? err->code : EXIT_FAILED);
}

int cmd_migrate_load(struct cli *cli, struct err *err)
{
	const char *path = cli->arg_count == 1 ? cli->args[0] : schema_file(cli);
	struct script_summary summary;
	struct migrate_options options;
	struct migration_set files;
	struct migrate_run run;
	struct engine engine;
	int rc;

	if (cli->arg_count > 1 || !path)
		return err_set(err, EXIT_USAGE, "migrate load expects one FILE (or the schema_file setting)"), EXIT_USAGE;
	memset(&run, 0, sizeof(run));
	run.cli = cli;
	json_init(&run.events);
	if (prepare(cli, &engine, &files, &options, &run, err) != 0) {
		json_release(&run.events);
		return err->code ? err->code : EXIT_USAGE;
	}
	rc = migrate_schema_load(&engine, &options, path, &summary, err);
	if (rc == 0 && cli->json) {
		struct json json;

		cli_json_begin(cli, &json, EXIT_OK);
		json_string(&json, "loaded", path);
		json_int(&json, "statements", summary.statements);
		json_bool(&json, "committed", summary.committed);
		json_object_end(&json);
		printf("%s\n", json.out.buf);
		json_release(&json);
		cli->json_written = true;
	} else if (rc == 0 && !cli->quiet) {
		printf("loaded %s: %ld statements, %s\n", path, summary.statements,
		       summary.committed ? "committed" : "rolled back (dry run)");
	}
	json_release(&run.events);
	engine_close(&engine);
	migrate_files_release(&files);
	return rc == 0 ? EXIT_OK : (err->code ? err->code : EXIT_FAILED);
}

int cmd_migrate_accept(struct cli *cli, struct err *err)
{
	return run_version_command(cli, VERSION_ACCEPT, err);
}

int cmd_migrate_baseline(struct cli *cli, struct err *err)
{
	return run_version_command(cli, VERSION_BASELINE, err);
}
