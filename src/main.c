/* Entry point: the command table, option parsing, and the one place that turns errors into exit codes. */
#include "cli.h"
#include "interrupt.h"
#include "script.h"
#include "json.h"
#include "strbuf.h"
#include "url.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DBCTL_VERSION
#define DBCTL_VERSION "unknown"
#endif

static const struct cli_option no_options[] = { { 0 } };

static int cmd_help(struct cli *cli, struct err *err);
static const char *shown_arg(char *buf, size_t size, const char *arg);

/* Every command, in the order --help lists them. */
static const struct command commands[] = {
	{ "ping", "", "check that the database answers: connect, authenticate, one round trip",
	  ping_options, true, true, cmd_ping },
	{ "pool stats", "", "open the engine's pool and show it beside the server's connection budget",
	  pool_stats_options, true, true, cmd_pool_stats },
	{ "run", "FILE... | -", "run SQL or Redis scripts in one transaction: all or nothing",
	  run_options, true, true, cmd_run },
	{ "migrate up", "", "apply pending migrations, each with its tracking row in one transaction",
	  migrate_up_options, true, true, cmd_migrate_up },
	{ "migrate down", "[N]", "revert the last N applied migrations (default 1)",
	  migrate_down_options, true, true, cmd_migrate_down },
	{ "migrate redo", "", "revert the last applied migration and apply it again",
	  migrate_down_options, true, true, cmd_migrate_redo },
	{ "migrate to", "VERSION", "migrate up or down to VERSION (0 reverts everything)",
	  migrate_to_options, true, true, cmd_migrate_to },
	{ "migrate status", "", "applied, pending, modified, missing and failed migrations; exit 4 when pending",
	  migrate_status_options, true, true, cmd_migrate_status },
	{ "migrate new", "NAME", "create migrations/TIMESTAMP_NAME.sql with up and down sections",
	  migrate_new_options, true, false, cmd_migrate_new },
	{ "migrate accept", "VERSION", "record the current file of an applied or failed migration as the right one",
	  migrate_accept_options, true, true, cmd_migrate_accept },
	{ "migrate baseline", "VERSION", "record every migration up to VERSION as applied without running it",
	  migrate_baseline_options, true, true, cmd_migrate_baseline },
	{ "migrate load", "[FILE]", "load a schema file (--dump-schema) into an empty database, in one transaction",
	  migrate_load_options, true, true, cmd_migrate_load },
	{ "migrate lint", "", "what the migrations would lock or rewrite, from their text; no database",
	  migrate_lint_options, true, true, cmd_migrate_lint },
	{ "migrate validate", "", "read, lex and lint every migration without connecting: exit 0, 1 or 3",
	  migrate_lint_options, true, true, cmd_migrate_validate },
	{ "shell", "", "an interactive transactional session; piped input runs like run - and prints results",
	  shell_options, true, true, cmd_shell },
	{ "config show", "", "print every effective setting and where it came from, secrets masked",
	  config_show_options, true, false, cmd_config_show },
	{ "help", "[COMMAND]", "show help for dbctl or one command", no_options, false, false, cmd_help },
};
#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct cli_option global_options[] = {
	{ "profile", 'p', "NAME", "use profile NAME of the config file" },
	{ "url", 0, "URL", "target URL; outranks every other source" },
	{ "config", 0, "FILE", "read settings from FILE" },
	{ "option", 'o', "KEY=VALUE", "set any setting (repeatable), e.g. -o pool_size=2" },
	{ "json", 0, NULL, "machine-readable output on stdout" },
	{ "quiet", 'q', NULL, "print nothing on stdout on success" },
	{ "help", 'h', NULL, "show help" },
	{ "version", 0, NULL, "print the version" },
	{ 0 },
};

/* ---- help ---- */

static void print_options(FILE *out, const struct cli_option *options)
{
	const struct cli_option *o;

	for (o = options; o->long_name; o++) {
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? "," : " ", o->long_name,
			 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		fprintf(out, "  %-26s %s\n", left, o->help);
	}
}

static void print_usage(FILE *out)
{
	size_t i;

	fputs("usage: dbctl [OPTIONS] COMMAND [ARGS]\n\ncommands:\n", out);
	for (i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %-17s %s\n", commands[i].name, commands[i].summary);
	fputs("\nglobal options:\n", out);
	print_options(out, global_options);
	fputs("\nexit codes: 0 ok, 1 refused or failed (rolled back), 2 no answer, 3 bad usage/config/input,\n"
	      "            4 migrations pending, 5 outcome unknown (lost after commit was sent), 130 interrupted\n"
	      "see dbctl(1) for settings, environment and examples\n", out);
}

static void print_command_help(FILE *out, const struct command *command)
{
	fprintf(out, "usage: dbctl %s [OPTIONS]%s%s\n\n%s\n", command->name, *command->args_usage ? " " : "",
		command->args_usage, command->summary);
	if (command->options->long_name) {
		fputs("\noptions:\n", out);
		print_options(out, command->options);
	}
	fputs("\nglobal options:\n", out);
	print_options(out, global_options);
}

static const struct command *find_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_help(struct cli *cli, struct err *err)
{
	const struct command *command;
	char name[128], shown[256];

	if (cli->arg_count == 0) {
		print_usage(stdout);
		return EXIT_OK;
	}
	snprintf(name, sizeof(name), "%s%s%s", cli->args[0], cli->arg_count > 1 ? " " : "",
		 cli->arg_count > 1 ? cli->args[1] : "");
	command = find_by_name(name);
	if (!command && cli->arg_count > 1) {
		snprintf(name, sizeof(name), "%s", cli->args[0]);
		command = find_by_name(name);
	}
	if (!command) {
		size_t i, len = strlen(cli->args[0]);
		bool group = false;

		/* dbctl help migrate: the group's commands */
		for (i = 0; i < COMMAND_COUNT; i++) {
			if (strncmp(commands[i].name, cli->args[0], len) == 0 && commands[i].name[len] == ' ') {
				if (!group)
					printf("%s commands:\n", cli->args[0]);
				group = true;
				printf("  %-17s %s\n", commands[i].name, commands[i].summary);
			}
		}
		if (group)
			return EXIT_OK;
		err_set(err, EXIT_USAGE, "no such command '%s'", shown_arg(shown, sizeof(shown), name));
		return EXIT_USAGE;
	}
	print_command_help(stdout, command);
	return EXIT_OK;
}

/* ---- option parsing ---- */

/* A word of the command line echoed in an error can be a mistyped URL or
 * password ("--urll=postgresql://u:secret@h", "password:secret"): masked. */
static const char *shown_arg(char *buf, size_t size, const char *arg)
{
	char *masked = url_mask_word(arg);

	snprintf(buf, size, "%s", masked);
	free(masked);
	return buf;
}

const char *cli_value(const struct cli *cli, const char *long_name)
{
	int i;

	for (i = 0; cli->command->options[i].long_name; i++)
		if (strcmp(cli->command->options[i].long_name, long_name) == 0)
			return cli->values[i];
	return NULL;
}

bool cli_switch(const struct cli *cli, const char *long_name)
{
	return cli_value(cli, long_name) != NULL;
}

const char *const *cli_values(const struct cli *cli, const char *long_name, size_t *count)
{
	int i;

	for (i = 0; cli->command->options[i].long_name; i++) {
		if (strcmp(cli->command->options[i].long_name, long_name) == 0) {
			*count = cli->list_counts[i];
			return cli->lists[i];
		}
	}
	*count = 0;
	return NULL;
}

int cli_seconds(const struct cli *cli, const char *long_name, double *out, struct err *err)
{
	const char *text = cli_value(cli, long_name);
	char *end, shown[256];
	double value;

	if (!text)
		return 0;
	errno = 0;
	value = strtod(text, &end);
	/* plain decimals only: strtod also takes "nan" (which every comparison lets through), "inf" and hex */
	if (!*text || *end || errno || text[strspn(text, "0123456789.eE+-")] || !isfinite(value) || value < 0 ||
	    value > 1e7)
		return err_set(err, EXIT_USAGE, "--%s expects a number of seconds, got '%s'", long_name,
			       shown_arg(shown, sizeof(shown), text));
	*out = value;
	return 0;
}

int cli_count(const struct cli *cli, const char *long_name, long minimum, long *out, struct err *err)
{
	const char *text = cli_value(cli, long_name);
	char *end, shown[256];
	long value;

	if (!text)
		return 0;
	errno = 0;
	value = strtol(text, &end, 10);
	/* digits only: strtol would also take " 5" and "+5" */
	if (!*text || *end || errno || text[strspn(text, "0123456789")] || value < minimum)
		return err_set(err, EXIT_USAGE, "--%s expects a whole number of at least %ld, got '%s'", long_name,
			       minimum, shown_arg(shown, sizeof(shown), text));
	*out = value;
	return 0;
}

/* Finds an option by long or short name in a table; its index, or -1. */
static int option_index(const struct cli_option *options, const char *long_name, char short_name)
{
	int i;

	for (i = 0; options[i].long_name; i++) {
		if (long_name && strcmp(options[i].long_name, long_name) == 0)
			return i;
		if (!long_name && short_name && options[i].short_name == short_name)
			return i;
	}
	return -1;
}

static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

/* First pass: which command is this? Only global options may come before it. */
static int find_command(int argc, char **argv, const struct command **out, int *words_used, struct err *err)
{
	const char *words[2] = { NULL, NULL };
	char shown[512];
	int i, count = 0;
	size_t c;

	*out = NULL;
	/* global options may come before and between the command words; the
	 * command's own options only after them, where parse_args finds them */
	for (i = 1; i < argc && count < 2; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0)
			break;
		if (is_option(arg)) {
			char name[64];
			int index;

			if (arg[1] == '-') {
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
				index = option_index(global_options, name, 0);
			} else {
				index = option_index(global_options, NULL, arg[1]);
			}
			if (index < 0 && count == 0)
				return err_set(err, EXIT_USAGE, "unknown option '%s' before the command",
					       shown_arg(shown, sizeof(shown), arg));
			if (index < 0)
				break;   /* a command option: the command is one word */
			if (global_options[index].arg_name && !strchr(arg, '=') && (arg[1] == '-' || !arg[2]))
				i++;
			continue;
		}
		words[count++] = arg;
	}
	*words_used = 0;
	if (!words[0])
		return 0;
	for (c = 0; c < COMMAND_COUNT; c++) {
		const char *name = commands[c].name;
		size_t first = strcspn(name, " ");

		if (strlen(words[0]) != first || strncmp(name, words[0], first) != 0)
			continue;
		if (!name[first]) {
			*out = &commands[c];
			*words_used = 1;
			return 0;
		}
		if (words[1] && strcmp(name + first + 1, words[1]) == 0) {
			*out = &commands[c];
			*words_used = 2;
			return 0;
		}
	}
	{
		struct strbuf names;

		strbuf_init(&names);
		for (c = 0; c < COMMAND_COUNT; c++)
			if (strncmp(commands[c].name, words[0], strlen(words[0])) == 0 &&
			    commands[c].name[strlen(words[0])] == ' ')
				strbuf_addf(&names, "%s%s", names.len ? ", " : "", commands[c].name + strlen(words[0]) + 1);
		if (names.len) {
			err_set(err, EXIT_USAGE, "'%s' needs a subcommand: %s", shown_arg(shown, sizeof(shown), words[0]),
				names.buf);
			strbuf_release(&names);
			return -1;
		}
		strbuf_release(&names);
	}
	err_set(err, EXIT_USAGE, "unknown command '%s'", shown_arg(shown, sizeof(shown), words[0]));
	err_hint(err, "dbctl --help lists the commands");
	return -1;
}

static int set_global(struct cli *cli, int index, const char *value, bool *help, bool *version, struct err *err)
{
	const char *name = global_options[index].long_name;

	if (strcmp(name, "profile") == 0)
		cli->request.profile = value;
	else if (strcmp(name, "url") == 0)
		cli->request.url = value;
	else if (strcmp(name, "config") == 0)
		cli->request.config_path = value;
	else if (strcmp(name, "option") == 0) {
		if (cli->request.option_count >= CLI_MAX_SET)
			return err_set(err, EXIT_USAGE, "too many -o options");
		cli->set_options[cli->request.option_count++] = value;
	} else if (strcmp(name, "json") == 0)
		cli->json = true;
	else if (strcmp(name, "quiet") == 0)
		cli->quiet = true;
	else if (strcmp(name, "help") == 0)
		*help = true;
	else if (strcmp(name, "version") == 0)
		*version = true;
	return 0;
}

/* Second pass: every option, global or the command's, anywhere on the line. */
static int parse_args(struct cli *cli, int argc, char **argv, int words_used, bool *help, bool *version,
		      struct err *err)
{
	const struct cli_option *command_options = cli->command ? cli->command->options : no_options;
	bool options_done = false;
	int i, words_seen = 0;

	cli->args = calloc((size_t)argc, sizeof(char *));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct cli_option *table;
		char name[64], shown[512];
		int index;

		if (options_done || !is_option(arg)) {
			if (words_seen < words_used)
				words_seen++;
			else
				cli->args[cli->arg_count++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (arg[1] == '-') {
			eq = strchr(arg, '=');
			snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - arg - 2) : strlen(arg + 2)), arg + 2);
			if (eq)
				value = eq + 1;
			table = command_options;
			index = option_index(table, name, 0);
			if (index < 0) {
				table = global_options;
				index = option_index(table, name, 0);
			}
		} else {
			snprintf(name, sizeof(name), "%c", arg[1]);
			if (arg[2])
				value = arg + 2;
			table = command_options;
			index = option_index(table, NULL, arg[1]);
			if (index < 0) {
				table = global_options;
				index = option_index(table, NULL, arg[1]);
			}
		}
		if (index < 0)
			return err_set(err, EXIT_USAGE, "unknown option '%s'%s%s", shown_arg(shown, sizeof(shown), arg),
				       cli->command ? " for " : "", cli->command ? cli->command->name : "");
		if (table[index].arg_name && !value) {
			if (i + 1 >= argc)
				return err_set(err, EXIT_USAGE, "option '%s' needs a value (%s)",
					       shown_arg(shown, sizeof(shown), arg), table[index].arg_name);
			value = argv[++i];
		} else if (!table[index].arg_name && value) {
			return err_set(err, EXIT_USAGE, "option '%s' takes no value", shown_arg(shown, sizeof(shown), arg));
		}
		if (table == global_options) {
			if (set_global(cli, index, value, help, version, err) != 0)
				return -1;
		} else {
			cli->values[index] = value ? value : "";
			cli->lists[index] = realloc(cli->lists[index], (cli->list_counts[index] + 1) * sizeof(char *));
			if (!cli->lists[index])
				abort();
			cli->lists[index][cli->list_counts[index]++] = cli->values[index];
		}
	}
	cli->request.options = cli->set_options;
	return 0;
}

/* ---- errors and output ---- */

/* A word quoted whole, or the value after its first '=' (--url=..., an
 * environment variable), is replaced by its masked form: the passwords it
 * shows anyway are spared by the scrubbing, but not where the raw word stands. */
static void replace_raw(char *buf, size_t size, const char *word)
{
	const char *eq = strchr(word, '=');
	char *shown = url_mask_word(word);

	if (strcmp(shown, word) != 0)
		err_replace(buf, size, word, shown);
	free(shown);
	if (eq && eq[1]) {
		shown = url_mask_word(eq + 1);
		if (strcmp(shown, eq + 1) != 0)
			err_replace(buf, size, eq + 1, shown);
		free(shown);
	}
}

/* The variables dbctl reads settings from, whose values a message can quote. */
static bool is_settings_variable(const char *entry)
{
	return strncmp(entry, "DBCTL_", 6) == 0 || strncmp(entry, "DATABASE_URL=", 13) == 0 ||
	       strncmp(entry, "REDIS_URL=", 10) == 0 || strncmp(entry, "POSTGRES_PASSWORD=", 18) == 0;
}

static void replace_raw_words(const struct cli *cli, char *buf, size_t size)
{
	extern char **environ;
	char **env;
	int w;

	for (w = 1; w < cli->word_count; w++)
		replace_raw(buf, size, cli->words[w]);
	for (env = environ; env && *env; env++)
		if (is_settings_variable(*env))
			replace_raw(buf, size, *env);
}

/* Adds the secrets of one command-line word or environment variable, except
 * those its masked form shows anyway (a password that is also the user name);
 * the raw word too, whose start a cut message may end with. */
static void add_word_secrets(struct strbuf *found, const char *word, bool whole)
{
	char **secrets = whole ? NULL : url_word_secrets(word), *shown = url_mask_word(word);
	size_t i;

	if (whole)
		strbuf_add(found, word, strlen(word) + 1);
	else if (secrets && strcmp(shown, word) != 0)
		strbuf_add(found, word, strlen(word) + 1);
	for (i = 0; secrets && secrets[i]; i++)
		if (!strstr(shown, secrets[i]))
			strbuf_add(found, secrets[i], strlen(secrets[i]) + 1);
	url_secrets_free(secrets);
	free(shown);
}

/* Secrets typed where no setting holds them (a URL given to -p or to a
 * number option, DBCTL_PROFILE=postgresql://u:secret@h) can be echoed by any
 * message: every word of the command line and every variable dbctl reads is
 * searched for them. */
static void scrub_words(const struct cli *cli, char *buf, size_t size)
{
	extern char **environ;
	struct strbuf found;
	const char **secrets;
	size_t count = 0, i, at;
	char **env;
	int w;

	strbuf_init(&found);
	for (w = 1; w < cli->word_count; w++) {
		/* "-o password secret": the word after a password key is one */
		add_word_secrets(&found, cli->words[w], w > 1 && url_is_secret_key(cli->words[w - 1]));
	}
	for (env = environ; env && *env; env++)
		if (is_settings_variable(*env))
			add_word_secrets(&found, *env, false);
	for (at = 0; at < found.len; at += strlen(found.buf + at) + 1)
		count++;
	if (count) {
		secrets = calloc(count, sizeof(*secrets));
		if (!secrets)
			abort();
		for (i = 0, at = 0; i < count; i++, at += strlen(found.buf + at) + 1)
			secrets[i] = found.buf + at;
		err_scrub_list(buf, size, secrets, count);
		free(secrets);
	}
	strbuf_release(&found);
}

void cli_scrub(const struct cli *cli, char *buf, size_t size)
{
	/* whole words first: scrubbing one secret out of a raw URL would keep
	 * it from matching, and leave the spared ones in it */
	replace_raw_words(cli, buf, size);
	cfg_scrub(&cli->settings, buf, size);
	scrub_words(cli, buf, size);
	if (cli->request.url) {
		struct settings none;

		/* before settings are loaded, the --url flag is the secret we know of */
		cfg_init(&none);
		none.values[CFG_URL].text = (char *)cli->request.url;
		cfg_scrub(&none, buf, size);
	}
}

void cli_print_error(const struct cli *cli, const struct err *err)
{
	char message[sizeof(err->message)], hint[sizeof(err->hint)];

	char context[sizeof(err->context)], detail[sizeof(err->detail)];

	memcpy(message, err->message, sizeof(message));
	memcpy(hint, err->hint, sizeof(hint));
	memcpy(context, err->context, sizeof(context));
	memcpy(detail, err->detail, sizeof(detail));
	cli_scrub(cli, message, sizeof(message));
	cli_scrub(cli, hint, sizeof(hint));
	cli_scrub(cli, context, sizeof(context));
	cli_scrub(cli, detail, sizeof(detail));
	/* stdout first: in a CI log (both to one pipe) the error comes after
	 * the lines printed before it, not ahead of them */
	fflush(stdout);
	fprintf(stderr, "dbctl: %s\n", message);
	if (context[0])
		fprintf(stderr, "%s\n", context);
	if (detail[0])
		fprintf(stderr, "DETAIL: %s\n", detail);
	if (err->where[0])
		fprintf(stderr, "CONTEXT: %s\n", err->where);
	if (hint[0])
		fprintf(stderr, "hint: %s\n", hint);
}

void cli_print_notice(void *context, const char *text, long item)
{
	const struct cli *cli = context;
	char message[1024], place[320];

	snprintf(message, sizeof(message), "%s", text);
	cli_scrub(cli, message, sizeof(message));
	script_notice_place(item, place, sizeof(place));
	fflush(stdout);
	fprintf(stderr, "dbctl: %s%s\n", place, message);
}

void cli_json_error(const struct cli *cli, struct json *json, const struct err *err)
{
	char message[sizeof(err->message)], hint[sizeof(err->hint)], detail[sizeof(err->detail)];

	memcpy(message, err->message, sizeof(message));
	memcpy(hint, err->hint, sizeof(hint));
	memcpy(detail, err->detail, sizeof(detail));
	cli_scrub(cli, message, sizeof(message));
	cli_scrub(cli, hint, sizeof(hint));
	cli_scrub(cli, detail, sizeof(detail));
	json_object_begin(json, "error");
	json_string(json, "message", message);
	json_string(json, "sqlstate", err->sqlstate[0] ? err->sqlstate : NULL);
	json_string(json, "detail", detail[0] ? detail : NULL);
	json_string(json, "hint", hint[0] ? hint : NULL);
	json_string(json, "context", err->where[0] ? err->where : NULL);
	if (err->file[0]) {
		json_string(json, "file", err->file);
		json_int(json, "line", err->line);
		json_int(json, "column", err->column);
	}
	json_object_end(json);
}

void cli_json_begin(const struct cli *cli, struct json *json, int code)
{
	json_init(json);
	json_object_begin(json, NULL);
	json_string(json, "command", cli->command ? cli->command->name : NULL);
	json_int(json, "exit", code);
}

static void print_json_error(const struct cli *cli, const struct err *err, int code)
{
	struct json json;

	cli_json_begin(cli, &json, code);
	cli_json_error(cli, &json, err);
	json_object_end(&json);
	printf("%s\n", json.out.buf);
	json_release(&json);
}

/* Until a command installs its own handling (cancel and roll back), an
 * interrupt ends dbctl with the documented code instead of a signal death. */
static void interrupted(int signo)
{
	static const char message[] = "dbctl: interrupted\n";

	(void)signo;
	if (write(STDERR_FILENO, message, sizeof(message) - 1) < 0) {
		/* exiting regardless */
	}
	_exit(EXIT_INTERRUPTED);
}

/* A stray word right after a password key ("-o password secret") is that
 * password, whatever it looks like. */
static const char *unexpected_arg(const struct cli *cli, int argc, char **argv, char *buf, size_t size)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (argv[i] == cli->args[0] && url_is_secret_key(argv[i - 1]))
			return snprintf(buf, size, "***"), buf;
	}
	return shown_arg(buf, size, cli->args[0]);
}

/* The kernel shows argv to every user (ps, /proc/PID/cmdline): once dbctl has
 * its own copy, the passwords in the original are overwritten, as the mysql
 * client does with -p. Returns the copy, which main frees. */
static char **hide_secrets_in_argv(int argc, char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int i;

	if (!copy)
		abort();
	for (i = 0; i < argc; i++) {
		copy[i] = strdup(argv[i]);
		if (!copy[i])
			abort();
		if (i > 0)
			url_hide(argv[i]);
	}
	return copy;
}

/* --json must shape even the errors found before the command line is parsed. */
static bool wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

static int finish(struct cli *cli, int code, const struct err *err)
{
	if (code != EXIT_OK && err->message[0]) {
		cli_print_error(cli, err);
		if (cli->json && !cli->json_written)
			print_json_error(cli, err, code);
	}
	/* a full disk or a closed pipe must not pass for success */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "dbctl: cannot write output: %s\n", strerror(errno));
		if (code == EXIT_OK)
			code = EXIT_FAILED;
	}
	return code;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct err err;
	bool help = false, version = false;
	int words_used = 0, code;
	size_t i;
	char **original_argv = argv;

	argv = hide_secrets_in_argv(argc, original_argv);
	memset(&cli, 0, sizeof(cli));
	cli.words = argv;
	cli.word_count = argc;
	cfg_init(&cli.settings);
	err_init(&err);
	interrupt_init();
	signal(SIGINT, interrupted);
	signal(SIGTERM, interrupted);
	/* a write to a closed socket (hiredis, after a cancel shut it) or pipe
	 * fails with EPIPE and is reported, instead of killing dbctl with 141 */
	signal(SIGPIPE, SIG_IGN);
	cli.json = wants_json(argc, argv);
	if (find_command(argc, argv, &cli.command, &words_used, &err) != 0 ||
	    parse_args(&cli, argc, argv, words_used, &help, &version, &err) != 0) {
		code = finish(&cli, EXIT_USAGE, &err);
		goto out;
	}
	if (version) {
		printf("dbctl %s\n", DBCTL_VERSION);
		code = finish(&cli, EXIT_OK, &err);
		goto out;
	}
	if (help || !cli.command) {
		if (help && cli.command)
			print_command_help(stdout, cli.command);
		else
			print_usage(help ? stdout : stderr);
		code = finish(&cli, help ? EXIT_OK : EXIT_USAGE, &err);
		goto out;
	}
	if (!*cli.command->args_usage && cli.arg_count > 0) {
		char shown[512];

		err_set(&err, EXIT_USAGE, "unexpected argument '%s' for %s", unexpected_arg(&cli, argc, argv, shown,
			sizeof(shown)), cli.command->name);
		code = finish(&cli, EXIT_USAGE, &err);
		goto out;
	}
	if (cli.command->needs_settings) {
		/* ping --all loads each profile itself: a broken default one must not stop the others */
		cli.request.profiles_only = cli_switch(&cli, "all");
		if (cfg_load(&cli.settings, &cli.request, &err) != 0) {
			code = finish(&cli, err.code ? err.code : EXIT_USAGE, &err);
			goto out;
		}
		for (i = 0; i < cli.settings.warning_count; i++) {
			char warning[1024];

			snprintf(warning, sizeof(warning), "%s", cli.settings.warnings[i]);
			cli_scrub(&cli, warning, sizeof(warning));
			fflush(stdout);
			fprintf(stderr, "dbctl: warning: %s\n", warning);
		}
		/* connecting to a database nobody configured is worth a word */
		if (cli.command->connects && cli.settings.url_is_default && !cli.quiet && !cli.json)
			fprintf(stderr, "dbctl: note: no database configured; using %s\n",
				cfg_get(&cli.settings, CFG_URL));
	}
	code = cli.command->run(&cli, &err);
	if (code < 0)
		code = err.code ? err.code : EXIT_FAILED;
	code = finish(&cli, code, &err);
out:
	cfg_release(&cli.settings);
	free(cli.args);
	for (i = 0; i < CLI_MAX_OPTIONS; i++)
		free(cli.lists[i]);
	for (i = 0; i < (size_t)argc; i++)
		free(argv[i]);
	free(argv);
	return code;
}
