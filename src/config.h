/* Settings: one table of keys; values from flags, environment, INI file and defaults, with their source. */
#ifndef DBCTL_CONFIG_H
#define DBCTL_CONFIG_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

enum cfg_type {
	CFG_STRING,
	CFG_INT,       /* whole number, may be negative */
	CFG_SECONDS,   /* fractional seconds, >= 0 unless -1 means "never" */
	CFG_BOOL,
	CFG_CHOICE,    /* one of cfg_key.choices */
};

enum cfg_id {
	CFG_PROFILE,
	CFG_URL,
	CFG_PASSWORD,
	CFG_POOL_SIZE,
	CFG_MAX_OVERFLOW,
	CFG_POOL_TIMEOUT,
	CFG_POOL_RECYCLE,
	CFG_POOL_PRE_PING,
	CFG_CONNECT_TIMEOUT,
	CFG_STATEMENT_TIMEOUT,
	CFG_LOCK_TIMEOUT,
	CFG_APPLICATION_NAME,
	CFG_SEARCH_PATH,
	CFG_BUSY_TIMEOUT,
	CFG_JOURNAL_MODE,
	CFG_MIGRATIONS_DIR,
	CFG_MIGRATIONS_TABLE,
	CFG_MIGRATIONS_LOCK_ID,
	CFG_MIGRATE_LOCK_TIMEOUT,
	CFG_ENVIRONMENT,
	CFG_SCHEMA_FILE,
	CFG_KEY_COUNT
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *default_value;
	const char *choices;   /* CFG_CHOICE: "a|b|c" */
	bool secret;           /* never printed */
	double minimum;        /* numbers: smallest allowed; -1 means "-1 = never/no limit" is allowed */
	const char *doc;
};

/* The one list of settings; docs, `config show` and the example file are checked against it. */
extern const struct cfg_key cfg_keys[CFG_KEY_COUNT];

struct cfg_value {
	char *text;     /* owned; the effective value after ${VAR} expansion */
	char *source;   /* owned; "flag", "env:NAME", "ini:FILE:LINE", "default" */
};

/* What the command line asked for; every pointer is borrowed. */
struct cfg_request {
	const char *config_path;        /* --config, or NULL */
	const char *profile;            /* -p/--profile, or NULL */
	const char *url;                /* --url, or NULL */
	const char *const *options;     /* -o KEY=VALUE, in order given */
	size_t option_count;
	bool ignore_env_url;            /* ping --all: each profile's own url */
	bool profiles_only;             /* ping --all: find the file and its profiles, resolve no setting */
};

struct settings {
	struct cfg_value values[CFG_KEY_COUNT];
	char *config_file;      /* owned; the INI file read, or NULL */
	char **profiles;        /* owned; profile names in file order */
	size_t profile_count;
	char **warnings;        /* owned; for the caller to print */
	size_t warning_count;
	bool url_is_default;
};

void cfg_init(struct settings *settings);
void cfg_release(struct settings *settings);

/* Resolves every setting. Bad config: -1 with err->code EXIT_USAGE and the file and line. */
int cfg_load(struct settings *settings, const struct cfg_request *request, struct err *err) MUST_CHECK;

const char *cfg_get(const struct settings *settings, enum cfg_id id);
const char *cfg_source(const struct settings *settings, enum cfg_id id);
long cfg_int(const struct settings *settings, enum cfg_id id);
double cfg_seconds(const struct settings *settings, enum cfg_id id);
bool cfg_bool(const struct settings *settings, enum cfg_id id);

/* The value as it may be shown: secrets as ***, URLs masked. Caller frees. */
char *cfg_display(const struct settings *settings, enum cfg_id id);

/* Finds a key by name; -1 when unknown. */
int cfg_find_key(const char *name);

/* Replaces every password these settings know of with *** inside buf. */
void cfg_scrub(const struct settings *settings, char *buf, size_t size);

#endif
