/* The parsed command line shared by main.c and the cmd_*.c files; only they print. */
#ifndef DBCTL_CLI_H
#define DBCTL_CLI_H

#include "config.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

struct cli_option {
	const char *long_name;
	char short_name;       /* 0: none */
	const char *arg_name;  /* NULL: a switch without a value */
	const char *help;
};

#define CLI_MAX_OPTIONS 16
#define CLI_MAX_SET 64

struct cli;

struct command {
	const char *name;              /* "pool stats": one or two words */
	const char *args_usage;        /* positional arguments, "" when none */
	const char *summary;
	const struct cli_option *options;   /* ends with a zeroed entry */
	bool needs_settings;           /* resolve the config before running */
	bool connects;                 /* talks to a database */
	/* Returns the exit code; when nonzero with err->message set, main prints it. */
	int (*run)(struct cli *cli, struct err *err);
};

struct cli {
	const struct command *command;
	struct cfg_request request;          /* global options; pointers into argv */
	const char *set_options[CLI_MAX_SET];
	bool json;
	bool quiet;
	const char *values[CLI_MAX_OPTIONS];  /* per command option: its last value, "" for a switch, NULL absent */
	const char **lists[CLI_MAX_OPTIONS];  /* owned arrays of every value given, for repeatable options */
	size_t list_counts[CLI_MAX_OPTIONS];
	char **args;                          /* positional arguments, borrowed from argv */
	int arg_count;
	struct settings settings;
	bool json_written;                    /* the command printed its own JSON, errors included */
	char **words;                         /* the command line (dbctl's copy), for cli_scrub */
	int word_count;
};

/* The command's option value by long name, or NULL when not given. */
const char *cli_value(const struct cli *cli, const char *long_name);
bool cli_switch(const struct cli *cli, const char *long_name);
/* Every value given for a repeatable option, in order; *count may be 0. */
const char *const *cli_values(const struct cli *cli, const char *long_name, size_t *count);

/* Parses a non-negative number option; absent leaves *out alone. */
int cli_seconds(const struct cli *cli, const char *long_name, double *out, struct err *err) MUST_CHECK;
int cli_count(const struct cli *cli, const char *long_name, long minimum, long *out, struct err *err) MUST_CHECK;

/* Replaces known passwords in buf with ***. */
void cli_scrub(const struct cli *cli, char *buf, size_t size);

struct json;
/* Starts the JSON document every command prints: {"command": ..., "exit": code, ...
 * The caller adds its fields and closes the object. */
void cli_json_begin(const struct cli *cli, struct json *json, int code);

/* Adds "error": {message, sqlstate, detail, hint, file, line, column}, scrubbed. */
void cli_json_error(const struct cli *cli, struct json *json, const struct err *err);

/* Prints "dbctl: message" and "hint: ..." to stderr, scrubbed. */
void cli_print_error(const struct cli *cli, const struct err *err);

/* struct driver_target's notice: a server's NOTICE or WARNING on stderr as
 * "dbctl: FILE:LINE:COL: WARNING: ...", placed when a script sent it. */
void cli_print_notice(void *cli, const char *text, long item);

/* Every command's entry point. */
int cmd_ping(struct cli *cli, struct err *err);
int cmd_pool_stats(struct cli *cli, struct err *err);
int cmd_config_show(struct cli *cli, struct err *err);
int cmd_run(struct cli *cli, struct err *err);
int cmd_migrate_up(struct cli *cli, struct err *err);
int cmd_migrate_down(struct cli *cli, struct err *err);
int cmd_migrate_redo(struct cli *cli, struct err *err);
int cmd_migrate_to(struct cli *cli, struct err *err);
int cmd_migrate_status(struct cli *cli, struct err *err);
int cmd_migrate_new(struct cli *cli, struct err *err);
int cmd_migrate_accept(struct cli *cli, struct err *err);
int cmd_migrate_baseline(struct cli *cli, struct err *err);
int cmd_migrate_load(struct cli *cli, struct err *err);
int cmd_migrate_lint(struct cli *cli, struct err *err);
int cmd_migrate_validate(struct cli *cli, struct err *err);
int cmd_shell(struct cli *cli, struct err *err);

/* Each command's options, defined beside its code. */
extern const struct cli_option ping_options[];
extern const struct cli_option pool_stats_options[];
extern const struct cli_option config_show_options[];
extern const struct cli_option run_options[];
extern const struct cli_option migrate_up_options[];
extern const struct cli_option migrate_down_options[];
extern const struct cli_option migrate_to_options[];
extern const struct cli_option migrate_status_options[];
extern const struct cli_option migrate_new_options[];
extern const struct cli_option migrate_accept_options[];
extern const struct cli_option migrate_baseline_options[];
extern const struct cli_option migrate_load_options[];
extern const struct cli_option migrate_lint_options[];
extern const struct cli_option shell_options[];
#endif
