/* Settings resolution: flags > environment > INI profile > INI [defaults] > built-in default. */
#include "config.h"
#include "strbuf.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct cfg_key cfg_keys[CFG_KEY_COUNT] = {
	[CFG_PROFILE] = { "profile", CFG_STRING, "", NULL, false, 0,
		"profile (INI section) to use; set in [defaults] to pick the default one" },
	[CFG_URL] = { "url", CFG_STRING, "sqlite:///dbctl.db", NULL, false, 0,
		"target: postgresql://, redis://, unix://, sqlite:// URL" },
	[CFG_PASSWORD] = { "password", CFG_STRING, "", NULL, true, 0,
		"password; overrides one in the URL (keep it in the environment with ${VAR})" },
	[CFG_POOL_SIZE] = { "pool_size", CFG_INT, "5", NULL, false, 0,
		"connections the pool keeps open; 0 disables pooling" },
	[CFG_MAX_OVERFLOW] = { "max_overflow", CFG_INT, "10", NULL, false, -1,
		"connections allowed beyond pool_size, closed when returned; -1 for no limit" },
	[CFG_POOL_TIMEOUT] = { "pool_timeout", CFG_SECONDS, "30", NULL, false, 0,
		"seconds a checkout waits for a free connection" },
	[CFG_POOL_RECYCLE] = { "pool_recycle", CFG_SECONDS, "-1", NULL, false, -1,
		"seconds after which a connection is replaced; -1 never" },
	[CFG_POOL_PRE_PING] = { "pool_pre_ping", CFG_BOOL, "true", NULL, false, 0,
		"test a pooled connection before reusing it and replace it if dead" },
	[CFG_CONNECT_TIMEOUT] = { "connect_timeout", CFG_SECONDS, "10", NULL, false, 0,
		"seconds allowed to establish a connection" },
	[CFG_STATEMENT_TIMEOUT] = { "statement_timeout", CFG_INT, "0", NULL, false, 0,
		"PostgreSQL statement_timeout in milliseconds; 0 for none" },
	[CFG_LOCK_TIMEOUT] = { "lock_timeout", CFG_INT, "0", NULL, false, 0,
		"PostgreSQL lock_timeout in milliseconds; 0 for none" },
	[CFG_APPLICATION_NAME] = { "application_name", CFG_STRING, "dbctl", NULL, false, 0,
		"PostgreSQL application_name unless the URL or PGAPPNAME sets one" },
	[CFG_SEARCH_PATH] = { "search_path", CFG_STRING, "", NULL, false, 0,
		"PostgreSQL search_path for every connection; empty keeps the server's" },
	[CFG_BUSY_TIMEOUT] = { "busy_timeout", CFG_INT, "5000", NULL, false, 0,
		"SQLite: milliseconds to wait on a locked database" },
	[CFG_JOURNAL_MODE] = { "journal_mode", CFG_CHOICE, "wal", "wal|delete|truncate|persist|memory|off|keep", false, 0,
		"SQLite journal mode set on connect; keep leaves the file's mode alone" },
	[CFG_MIGRATIONS_DIR] = { "migrations_dir", CFG_STRING, "migrations", NULL, false, 0,
		"directory of migration files (dbmate, golang-migrate or goose format)" },
	[CFG_MIGRATIONS_TABLE] = { "migrations_table", CFG_STRING, "schema_migrations", NULL, false, 0,
		"table that records applied migrations" },
	[CFG_MIGRATIONS_LOCK_ID] = { "migrations_lock_id", CFG_INT, "0", NULL, false, 0,
		"PostgreSQL advisory lock id for migrate; 0 derives one from the database and table" },
};

/* One key = value line of the INI file; strings owned. */
struct ini_entry {
	char *section;
	char *key;
	char *value;
	int line;
};

struct ini_file {
	const char *path;
	struct ini_entry *entries;   /* owned */
	size_t count;
	FILE *stream;
	int line;                    /* lines read so far */
	bool line_too_long;
	int error_line;              /* first line the handler refused */
	char error[512];
};

void cfg_init(struct settings *settings)
{
	memset(settings, 0, sizeof(*settings));
}

static void free_strings(char **list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

void cfg_release(struct settings *settings)
{
	int i;

	for (i = 0; i < CFG_KEY_COUNT; i++) {
		free(settings->values[i].text);
		free(settings->values[i].source);
	}
	free(settings->config_file);
	free_strings(settings->profiles, settings->profile_count);
	free_strings(settings->warnings, settings->warning_count);
	cfg_init(settings);
}

static char *xstrdup(const char *s)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_addstr(&sb, s);
	return strbuf_detach(&sb);
}

static void push_string(char ***list, size_t *count, char *s)
{
	char **grown = realloc(*list, (*count + 1) * sizeof(**list));

	if (!grown)
		abort();
	grown[(*count)++] = s;
	*list = grown;
}

static void add_warning(struct settings *settings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_warning(struct settings *settings, const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strbuf_init(&sb);
	strbuf_addstr(&sb, buf);
	push_string(&settings->warnings, &settings->warning_count, strbuf_detach(&sb));
}

int cfg_find_key(const char *name)
{
	int i;

	for (i = 0; i < CFG_KEY_COUNT; i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- INI reading ---- */

/* inih reads through this so that we know the line number of every key
 * (Debian builds inih without INI_HANDLER_LINENO) and can refuse lines
 * longer than inih's buffer instead of letting it split them. */
static char *ini_read_line(char *str, int size, void *stream)
{
	struct ini_file *file = stream;
	size_t len;

	if (!fgets(str, size, file->stream))
		return NULL;
	file->line++;
	len = strlen(str);
	if (len == (size_t)size - 1 && str[len - 1] != '\n' && !feof(file->stream)) {
		int c;

		file->line_too_long = true;
		if (!file->error_line)
			file->error_line = file->line;
		while ((c = fgetc(file->stream)) != EOF && c != '\n')
			;
		str[0] = '\0';
	}
	return str;
}

static int ini_store(void *user, const char *section, const char *key, const char *value)
{
	struct ini_file *file = user;
	struct ini_entry *grown, *entry;
	size_t i;
	int id = cfg_find_key(key);

	if (file->error_line)
		return 1;
	if (id < 0) {
		file->error_line = file->line;
		snprintf(file->error, sizeof(file->error), "unknown setting '%s'", key);
		return 0;
	}
	if (id == CFG_PROFILE && strcmp(section, "defaults") != 0) {
		file->error_line = file->line;
		snprintf(file->error, sizeof(file->error), "'profile' belongs in [defaults], not in [%s]", section);
		return 0;
	}
	if (!*section) {
		file->error_line = file->line;
		snprintf(file->error, sizeof(file->error), "'%s' is outside any section; put it under [defaults] or a profile", key);
		return 0;
	}
	for (i = 0; i < file->count; i++) {
		if (strcmp(file->entries[i].section, section) == 0 && strcmp(file->entries[i].key, key) == 0) {
			file->error_line = file->line;
			snprintf(file->error, sizeof(file->error), "'%s' is set twice in [%s] (first on line %d)",
				 key, section, file->entries[i].line);
			return 0;
		}
	}
	grown = realloc(file->entries, (file->count + 1) * sizeof(*grown));
	if (!grown)
		abort();
	file->entries = grown;
	entry = &file->entries[file->count++];
	entry->section = xstrdup(section);
	entry->key = xstrdup(key);
	entry->value = xstrdup(value);
	entry->line = file->line;
	return 1;
}

static void ini_release(struct ini_file *file)
{
	size_t i;

	for (i = 0; i < file->count; i++) {
		free(file->entries[i].section);
		free(file->entries[i].key);
		free(file->entries[i].value);
	}
	free(file->entries);
}

/* Sections are collected from the entries, so an empty [section] is not a
 * profile; that is fine, since it could not hold a url either. */
static void collect_profiles(struct settings *settings, const struct ini_file *file)
{
	size_t i, j;

	for (i = 0; i < file->count; i++) {
		const char *section = file->entries[i].section;
		bool seen = strcmp(section, "defaults") == 0;

		for (j = 0; j < settings->profile_count && !seen; j++)
			seen = strcmp(settings->profiles[j], section) == 0;
		if (!seen)
			push_string(&settings->profiles, &settings->profile_count, xstrdup(section));
	}
}

static int ini_load(struct ini_file *file, struct err *err)
{
	int rc;

	/* an indented line is a key of its own, not a continuation of the one above */
	ini_allow_multiline = false;
	file->stream = fopen(file->path, "r");
	if (!file->stream)
		return err_set(err, EXIT_USAGE, "cannot read config file '%s': %s", file->path, strerror(errno));
	rc = ini_parse_stream(ini_read_line, file, ini_store, file);
	fclose(file->stream);
	file->stream = NULL;
	if (rc == 0 && !file->error_line)
		return 0;
	if (file->line_too_long && file->error_line && !file->error[0])
		return err_set(err, EXIT_USAGE, "%s:%d: line too long for the INI reader (at most 197 characters)",
			       file->path, file->error_line);
	if (file->error[0])
		return err_set(err, EXIT_USAGE, "%s:%d: %s", file->path, file->error_line, file->error);
	if (rc < 0)
		return err_set(err, EXIT_USAGE, "cannot parse config file '%s'", file->path);
	return err_set(err, EXIT_USAGE, "%s:%d: malformed line: expected 'key = value' or '[section]'", file->path, rc);
}

static const struct ini_entry *ini_find(const struct ini_file *file, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < file->count; i++)
		if (strcmp(file->entries[i].section, section) == 0 && strcmp(file->entries[i].key, key) == 0)
			return &file->entries[i];
	return NULL;
}

/* ${VAR} from the environment; $$ is a literal $. An unset VAR is an error:
 * silently connecting with an empty password helps nobody. */
static int expand_variables(const char *raw, const char *path, int line, char **out, struct err *err)
{
	struct strbuf sb;
	const char *p;

	strbuf_init(&sb);
	for (p = raw; *p; p++) {
		const char *close, *value;
		char name[256];
		size_t len;

		if (p[0] != '$' || (p[1] != '{' && p[1] != '$')) {
			strbuf_addch(&sb, *p);
			continue;
		}
		if (p[1] == '$') {
			strbuf_addch(&sb, '$');
			p++;
			continue;
		}
		close = strchr(p + 2, '}');
		len = close ? (size_t)(close - p - 2) : 0;
		if (!close || len == 0 || len >= sizeof(name)) {
			strbuf_release(&sb);
			return err_set(err, EXIT_USAGE, "%s:%d: malformed ${VAR} reference", path, line);
		}
		memcpy(name, p + 2, len);
		name[len] = '\0';
		value = getenv(name);
		if (!value) {
			strbuf_release(&sb);
			err_set(err, EXIT_USAGE, "%s:%d: environment variable '%s' is not set", path, line, name);
			err_hint(err, "export %s, or write $${...} for a literal '${'", name);
			return -1;
		}
		strbuf_addstr(&sb, value);
		p = close;
	}
	*out = strbuf_detach(&sb);
	return 0;
}

/* ---- finding the file ---- */

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int find_config_file(const struct cfg_request *request, char **path, char **origin, struct err *err)
{
	const char *env = getenv("DBCTL_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct strbuf candidate;

	*path = NULL;
	*origin = NULL;
	if (request->config_path || (env && *env)) {
		const char *given = request->config_path ? request->config_path : env;

		/* an explicit path may be any readable file, /dev/null included */
		if (access(given, R_OK) != 0)
			return err_set(err, EXIT_USAGE, "config file '%s' (from %s) does not exist", given,
				       request->config_path ? "--config" : "DBCTL_CONFIG");
		*path = xstrdup(given);
		*origin = xstrdup(request->config_path ? "flag" : "env:DBCTL_CONFIG");
		return 0;
	}
	if (file_exists("dbctl.ini")) {
		*path = xstrdup("dbctl.ini");
		*origin = xstrdup("search");
		return 0;
	}
	strbuf_init(&candidate);
	if (xdg && *xdg)
		strbuf_addf(&candidate, "%s/dbctl/config.ini", xdg);
	else if (home && *home)
		strbuf_addf(&candidate, "%s/.config/dbctl/config.ini", home);
	if (candidate.len && file_exists(candidate.buf)) {
		*path = strbuf_detach(&candidate);
		*origin = xstrdup("search");
		return 0;
	}
	strbuf_release(&candidate);
	if (file_exists("/etc/dbctl/config.ini")) {
		*path = xstrdup("/etc/dbctl/config.ini");
		*origin = xstrdup("search");
	}
	return 0;
}

/* ---- resolving values ---- */

static void set_value(struct settings *settings, enum cfg_id id, char *text, char *source)
{
	free(settings->values[id].text);
	free(settings->values[id].source);
	settings->values[id].text = text;
	settings->values[id].source = source;
}

static char *sourcef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sourcef(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xstrdup(buf);
}

/* The seed-project convention: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_HOST,
 * POSTGRES_PORT, POSTGRES_DB. Returns a URL the caller frees, or NULL. */
static char *postgres_env_url(void)
{
	const char *user = getenv("POSTGRES_USER"), *password = getenv("POSTGRES_PASSWORD");
	const char *host = getenv("POSTGRES_HOST"), *port = getenv("POSTGRES_PORT");
	const char *db = getenv("POSTGRES_DB");
	struct strbuf sb;
	char *enc;

	if (!(host && *host) && !(db && *db) && !(user && *user))
		return NULL;
	/* the postgres image's own default, which compose files that set only a password rely on */
	if (!(user && *user) && password && *password)
		user = "postgres";
	strbuf_init(&sb);
	strbuf_addstr(&sb, "postgresql://");
	if (user && *user) {
		enc = url_encode(user);
		strbuf_addstr(&sb, enc);
		free(enc);
		if (password && *password) {
			enc = url_encode(password);
			strbuf_addf(&sb, ":%s", enc);
			free(enc);
		}
		strbuf_addch(&sb, '@');
	}
	strbuf_addstr(&sb, host && *host ? host : "localhost");
	if (port && *port)
		strbuf_addf(&sb, ":%s", port);
	if (db && *db) {
		enc = url_encode(db);
		strbuf_addf(&sb, "/%s", enc);
		free(enc);
	}
	return strbuf_detach(&sb);
}

/* The URL from the environment, in DESIGN.md's order. */
static bool env_url(char **text, char **source)
{
	static const char *const plain[] = { "DBCTL_URL", "DATABASE_URL" };
	const char *value, *host, *port;
	size_t i;

	for (i = 0; i < 2; i++) {
		value = getenv(plain[i]);
		if (value && *value) {
			*text = xstrdup(value);
			*source = sourcef("env:%s", plain[i]);
			return true;
		}
	}
	*text = postgres_env_url();
	if (*text) {
		*source = xstrdup("env:POSTGRES_*");
		return true;
	}
	value = getenv("REDIS_URL");
	if (value && *value) {
		*text = xstrdup(value);
		*source = xstrdup("env:REDIS_URL");
		return true;
	}
	host = getenv("REDIS_HOST");
	port = getenv("REDIS_PORT");
	if ((host && *host) || (port && *port)) {
		*text = sourcef("redis://%s:%s", host && *host ? host : "localhost", port && *port ? port : "6379");
		*source = xstrdup(host && *host ? "env:REDIS_HOST" : "env:REDIS_PORT");
		return true;
	}
	/* psql users' PG* variables: libpq reads them itself from an empty URL */
	if (getenv("PGHOST") || getenv("PGDATABASE") || getenv("PGSERVICE")) {
		*text = xstrdup("postgresql://");
		*source = xstrdup("env:PG*");
		return true;
	}
	return false;
}

static bool flag_value(const struct cfg_request *request, enum cfg_id id, char **text)
{
	size_t i, name_len = strlen(cfg_keys[id].name);
	const char *found = NULL;

	if (id == CFG_URL && request->url)
		found = request->url;
	else if (id == CFG_PROFILE && request->profile)
		found = request->profile;
	else
		for (i = 0; i < request->option_count; i++)   /* the last one given wins */
			if (strncmp(request->options[i], cfg_keys[id].name, name_len) == 0 &&
			    request->options[i][name_len] == '=')
				found = request->options[i] + name_len + 1;
	if (!found)
		return false;
	*text = xstrdup(found);
	return true;
}

/* A mistyped -o can hold a URL or a password ("password:secret"): echo it masked. */
static int bad_option(const char *opt, const char *eq, struct err *err)
{
	char *shown = url_mask_word(opt);

	if (!eq || eq == opt)
		err_set(err, EXIT_USAGE, "-o expects KEY=VALUE, got '%s'", shown);
	else
		err_set(err, EXIT_USAGE, "-o: unknown setting '%.*s'", (int)strcspn(shown, "="), shown);
	free(shown);
	return -1;
}

static int check_options(const struct cfg_request *request, struct err *err)
{
	size_t i;

	for (i = 0; i < request->option_count; i++) {
		const char *opt = request->options[i], *eq = strchr(opt, '=');
		char name[64];

		if (!eq || eq == opt || (size_t)(eq - opt) >= sizeof(name))
			return bad_option(opt, eq, err);
		memcpy(name, opt, (size_t)(eq - opt));
		name[eq - opt] = '\0';
		if (cfg_find_key(name) < 0)
			return bad_option(opt, eq, err);
	}
	return 0;
}

/* Resolves one key from the non-INI sources; returns true when found. */
static bool resolve_outside_ini(const struct cfg_request *request, enum cfg_id id, char **text, char **source)
{
	char env_name[64];
	const char *value;
	size_t i;

	if (flag_value(request, id, text)) {
		*source = xstrdup("flag");
		return true;
	}
	if (id == CFG_URL)
		return !request->ignore_env_url && env_url(text, source);
	snprintf(env_name, sizeof(env_name), "DBCTL_%s", cfg_keys[id].name);
	for (i = 6; env_name[i]; i++)
		env_name[i] = (char)toupper((unsigned char)env_name[i]);
	value = getenv(env_name);
	if (value && *value) {
		*text = xstrdup(value);
		*source = sourcef("env:%s", env_name);
		return true;
	}
	return false;
}

static int resolve_from_ini(struct settings *settings, const struct ini_file *file, const char *profile,
			    enum cfg_id id, struct err *err)
{
	const struct ini_entry *entry = NULL;
	char *text;

	if (profile && *profile && id != CFG_PROFILE)
		entry = ini_find(file, profile, cfg_keys[id].name);
	if (!entry)
		entry = ini_find(file, "defaults", cfg_keys[id].name);
	if (!entry)
		return 0;
	if (expand_variables(entry->value, file->path, entry->line, &text, err) != 0)
		return -1;
	set_value(settings, id, text, sourcef("ini:%s:%d", file->path, entry->line));
	return 0;
}

/* ---- checking values ---- */

static int value_error(const struct settings *settings, enum cfg_id id, const char *expected, struct err *err)
{
	const struct cfg_value *v = &settings->values[id];
	/* a value in the wrong key can be a URL or a password */
	char *shown = cfg_keys[id].secret ? xstrdup("***") : url_mask_word(v->text);

	if (strncmp(v->source, "ini:", 4) == 0)
		err_set(err, EXIT_USAGE, "%s: invalid %s '%s': expected %s", v->source + 4, cfg_keys[id].name, shown,
			expected);
	else
		err_set(err, EXIT_USAGE, "invalid %s '%s' (from %s): expected %s", cfg_keys[id].name, shown, v->source,
			expected);
	free(shown);
	return -1;
}

static bool parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s && !*end && errno == 0;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && !*end && errno == 0 && isfinite(*out);
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool choice_allowed(const char *choices, const char *value)
{
	size_t len = strlen(value);
	const char *p = choices;

	while (p && *p) {
		size_t item = strcspn(p, "|");

		if (item == len && strncasecmp(p, value, len) == 0)
			return true;
		p += item;
		if (*p == '|')
			p++;
	}
	return false;
}

static int check_value(const struct settings *settings, enum cfg_id id, struct err *err)
{
	const char *text = settings->values[id].text;
	double seconds;
	long number;
	bool flag;

	bool never_allowed = cfg_keys[id].minimum == -1;

	switch (cfg_keys[id].type) {
	case CFG_STRING:
		return 0;
	case CFG_INT:
		if (!parse_long(text, &number) || (number < cfg_keys[id].minimum && !(never_allowed && number == -1)) ||
		    (number < 0 && number != -1))
			return value_error(settings, id, never_allowed ? "a whole number >= 0, or -1" : "a whole number >= 0",
					   err);
		return 0;
	case CFG_SECONDS:
		if (!parse_seconds(text, &seconds) || (seconds < 0 && !(never_allowed && seconds == -1)))
			return value_error(settings, id, never_allowed ? "a number of seconds >= 0, or -1" : "a number of seconds >= 0",
					   err);
		return 0;
	case CFG_BOOL:
		if (!parse_bool(text, &flag))
			return value_error(settings, id, "true or false", err);
		return 0;
	case CFG_CHOICE:
		if (!choice_allowed(cfg_keys[id].choices, text))
			return value_error(settings, id, cfg_keys[id].choices, err);
		return 0;
	}
	return 0;
}

static int check_url(const struct settings *settings, struct err *err)
{
	const struct cfg_value *v = &settings->values[CFG_URL];
	enum url_backend backend = url_backend_of(v->text);
	char *masked = url_mask(v->text);
	int rc = 0;

	if (backend == URL_BACKEND_UNKNOWN) {
		rc = err_set(err, EXIT_USAGE, "unsupported URL '%s' (from %s)", masked, v->source);
		err_hint(err, "use postgresql://, redis://, unix://, sqlite:///file.db or sqlite::memory:");
	} else if (backend == URL_BACKEND_MYSQL) {
		rc = err_set(err, EXIT_USAGE, "MySQL/MariaDB is not supported yet (url from %s)", v->source);
	} else if (url_userinfo_unencoded(v->text)) {
		/* the library would take part of the password for the host or database */
		rc = err_set(err, EXIT_USAGE, "invalid URL '%s' (from %s): its user name or password holds a raw "
			     "'@', '/', '?' or '#'", masked, v->source);
		err_hint(err, "percent-encode them in the URL: @ as %%40, / as %%2F, ? as %%3F, # as %%23");
	}
	free(masked);
	return rc;
}

/* "${A}", "${A}${B}": nothing but environment variables, no literal secret. */
static bool only_variables(const char *value)
{
	const char *p = value;

	while (p[0] == '$' && p[1] == '{' && strchr(p, '}'))
		p = strchr(p, '}') + 1;
	return p != value && !*p;
}

static bool holds_literal_password(const char *raw)
{
	char *password = url_password(raw);
	bool literal = password && *password && !only_variables(password);

	free(password);
	return literal;
}

/* The .pgpass rule: a file with a password in it should be private. */
static void check_file_mode(struct settings *settings, const struct ini_file *file)
{
	struct stat st;
	size_t i;
	bool has_password = false;

	for (i = 0; i < file->count && !has_password; i++) {
		const struct ini_entry *e = &file->entries[i];

		if (strcmp(e->key, "password") == 0)
			has_password = *e->value && !only_variables(e->value);
		else if (strcmp(e->key, "url") == 0)
			has_password = holds_literal_password(e->value);
	}
	if (has_password && stat(file->path, &st) == 0 && (st.st_mode & 077))
		add_warning(settings, "%s holds a password and is readable by group/others\nhint: chmod 600 %s",
			    file->path, file->path);
}

int cfg_load(struct settings *settings, const struct cfg_request *request, struct err *err)
{
	struct ini_file file;
	char *origin = NULL, *text, *source;
	const char *profile;
	int id, rc = -1;

	cfg_release(settings);
	memset(&file, 0, sizeof(file));
	if (check_options(request, err) != 0)
		return -1;
	if (find_config_file(request, &settings->config_file, &origin, err) != 0)
		goto out;
	if (settings->config_file) {
		file.path = settings->config_file;
		if (ini_load(&file, err) != 0)
			goto out;
		collect_profiles(settings, &file);
		check_file_mode(settings, &file);
	}

	for (id = 0; id < CFG_KEY_COUNT; id++)
		set_value(settings, id, xstrdup(cfg_keys[id].default_value), xstrdup("default"));

	/* the profile first: it picks the INI section the other keys come from */
	if (resolve_outside_ini(request, CFG_PROFILE, &text, &source))
		set_value(settings, CFG_PROFILE, text, source);
	else if (file.path && resolve_from_ini(settings, &file, NULL, CFG_PROFILE, err) != 0)
		goto out;
	profile = settings->values[CFG_PROFILE].text;
	if (*profile) {
		size_t i;
		bool known = false;

		for (i = 0; i < settings->profile_count; i++)
			known = known || strcmp(settings->profiles[i], profile) == 0;
		if (!known) {
			const char *where = settings->values[CFG_PROFILE].source;

			if (!file.path) {
				err_set(err, EXIT_USAGE, "unknown profile '%s' (from %s): no config file found", profile, where);
				err_hint(err, "pass --config FILE, or create ./dbctl.ini");
			} else {
				err_set(err, EXIT_USAGE, "unknown profile '%s' (from %s): %s has no [%s] section", profile,
					where, file.path, profile);
			}
			goto out;
		}
	}

	for (id = 0; id < CFG_KEY_COUNT; id++) {
		if (id == CFG_PROFILE)
			continue;
		if (resolve_outside_ini(request, id, &text, &source))
			set_value(settings, id, text, source);
		else if (file.path && resolve_from_ini(settings, &file, profile, id, err) != 0)
			goto out;
		if (check_value(settings, id, err) != 0)
			goto out;
	}
	if (check_url(settings, err) != 0)
		goto out;

	settings->url_is_default = strcmp(settings->values[CFG_URL].source, "default") == 0;
	if (*profile && strncmp(settings->values[CFG_URL].source, "env:", 4) == 0 && file.path &&
	    ini_find(&file, profile, "url"))
		add_warning(settings, "profile '%s' sets a url, but %s overrides it (the environment outranks the config file)",
			    profile, settings->values[CFG_URL].source + 4);
	rc = 0;
out:
	free(origin);
	ini_release(&file);
	return rc;
}

const char *cfg_get(const struct settings *settings, enum cfg_id id)
{
	return settings->values[id].text ? settings->values[id].text : cfg_keys[id].default_value;
}

const char *cfg_source(const struct settings *settings, enum cfg_id id)
{
	return settings->values[id].source ? settings->values[id].source : "default";
}

long cfg_int(const struct settings *settings, enum cfg_id id)
{
	long value = 0;

	parse_long(cfg_get(settings, id), &value);
	return value;
}

double cfg_seconds(const struct settings *settings, enum cfg_id id)
{
	double value = 0;

	parse_seconds(cfg_get(settings, id), &value);
	return value;
}

bool cfg_bool(const struct settings *settings, enum cfg_id id)
{
	bool value = false;

	parse_bool(cfg_get(settings, id), &value);
	return value;
}

char *cfg_display(const struct settings *settings, enum cfg_id id)
{
	const char *value = cfg_get(settings, id);
	struct strbuf shown;
	char *masked;

	if (cfg_keys[id].secret)
		return xstrdup(*value ? "***" : "");
	/* masked by structure: the URL's own parser says where its secrets are */
	if (id == CFG_URL)
		return url_mask(value);
	/* defaults, numbers and choices cannot hold a password, and scrubbing them
	 * would tell it ("max_overflow = ***" for the password 10) */
	if (cfg_keys[id].type != CFG_STRING || strcmp(cfg_source(settings, id), "default") == 0)
		return xstrdup(value);
	/* free text a user typed may hold one pasted in the wrong place */
	masked = strstr(value, "://") ? url_mask(value) : xstrdup(value);
	strbuf_init(&shown);
	strbuf_addstr(&shown, masked);
	free(masked);
	cfg_scrub(settings, shown.buf, shown.len + 1);
	return strbuf_detach(&shown);
}

void cfg_scrub(const struct settings *settings, char *buf, size_t size)
{
	char **from_url = url_secrets(cfg_get(settings, CFG_URL));
	char *encoded = url_encode(cfg_get(settings, CFG_PASSWORD)), *shown = url_mask(cfg_get(settings, CFG_URL));
	const char **secrets;
	size_t count = 0, i;

	/* the raw URL quoted whole becomes its masked form, before the secrets
	 * spared below (they are also its user name, say) are left standing in it */
	err_replace(buf, size, cfg_get(settings, CFG_URL), shown);
	for (i = 0; from_url && from_url[i]; i++)
		count++;
	secrets = calloc(count + 3, sizeof(*secrets));
	if (!secrets)
		abort();
	secrets[0] = cfg_get(settings, CFG_PASSWORD);
	secrets[1] = encoded;
	for (i = 0; i < count; i++)
		secrets[i + 2] = from_url[i];
	/* and a cut message that ends with its start loses that start */
	secrets[count + 2] = cfg_get(settings, CFG_URL);
	/* a password that the masked URL shows anyway (it is also the user name,
	 * the database, part of the host) is no secret to the reader, and masking
	 * it in "failed for user ..." would only tell what it is */
	for (i = 0; i < count + 3; i++)
		if (*secrets[i] && strstr(shown, secrets[i]))
			secrets[i] = NULL;
	/* all at once: the longest match wins, so no secret is cut by a shorter one */
	err_scrub_list(buf, size, secrets, count + 3);
	free(secrets);
	free(encoded);
	free(shown);
	url_secrets_free(from_url);
}
