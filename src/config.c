/* Settings resolution: flags > environment > INI profile > INI [defaults] > built-in default. */
#include "config.h"
#include "strbuf.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
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
		"migrate's lock id (PostgreSQL advisory lock, MySQL GET_LOCK name); 0 derives one from the database and table" },
	[CFG_MIGRATE_LOCK_TIMEOUT] = { "migrate_lock_timeout", CFG_INT, "5000", NULL, false, 0,
		"PostgreSQL: milliseconds a migration waits for a table lock before it fails; 0 keeps lock_timeout" },
	[CFG_ENVIRONMENT] = { "environment", CFG_STRING, "", NULL, false, 0,
		"this profile's environment: migrations marked env:LIST run only where LIST names it" },
	[CFG_SCHEMA_FILE] = { "schema_file", CFG_STRING, "", NULL, false, 0,
		"after up, down, redo and to, write the schema and the tracking rows here; empty writes none" },
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
	size_t allocated;
	FILE *stream;
	int line;                    /* lines read so far */
	size_t bytes;                /* bytes read so far */
	int error_line;              /* first line refused, by the reader or the handler */
	char error[512];
};

/* Far above any real config file, and below what an endless device (/dev/zero) would feed forever. */
#define INI_FILE_MAX (64L << 20)

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
	/* the room doubles at each power of two: a file of 50,000 profiles is not 50,000 copies */
	if ((*count & (*count - 1)) == 0) {
		char **grown = realloc(*list, (*count ? *count * 2 : 1) * sizeof(**list));

		if (!grown)
			abort();
		*list = grown;
	}
	(*list)[(*count)++] = s;
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

static char *ini_reader_error(struct ini_file *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *ini_reader_error(struct ini_file *file, const char *fmt, ...)
{
	va_list ap;

	file->error_line = file->line;
	va_start(ap, fmt);
	vsnprintf(file->error, sizeof(file->error), fmt, ap);
	va_end(ap);
	return NULL;   /* inih takes it as the end of the file */
}

/* inih reads through this so that we know the line number of every key
 * (Debian builds inih without INI_HANDLER_LINENO), and so that what inih
 * would get wrong is refused instead: a line longer than its buffer (it
 * would split it), a NUL byte (it would cut the value short), an endless
 * device (it would read forever). Reading stops at the first error: that
 * is the one reported. */
static char *ini_read_line(char *str, int size, void *stream)
{
	struct ini_file *file = stream;
	size_t len = 0;
	int c;

	if (file->error_line || (c = getc(file->stream)) == EOF)
		return NULL;
	file->line++;
	for (; c != EOF && c != '\n'; c = getc(file->stream)) {
		if (++file->bytes > INI_FILE_MAX)
			return ini_reader_error(file, "config file larger than %ld MiB", INI_FILE_MAX >> 20);
		if (c == '\0')
			return ini_reader_error(file, "NUL byte in the config file");
		if (c == '\r' && len + 1 >= (size_t)size)
			continue;   /* a CRLF line end does not count against the length */
		if (len + 1 >= (size_t)size)
			return ini_reader_error(file, "line too long for the INI reader (at most %d characters)", size - 1);
		str[len++] = (char)c;
	}
	file->bytes++;
	str[len] = '\0';
	return str;
}

static int ini_store(void *user, const char *section, const char *key, const char *value)
{
	struct ini_file *file = user;
	struct ini_entry *entry;
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
	/* keys set twice are found once the file is read (find_duplicate): checking here would be quadratic */
	if (file->count == file->allocated) {
		file->allocated = file->allocated ? file->allocated * 2 : 32;
		file->entries = realloc(file->entries, file->allocated * sizeof(*file->entries));
		if (!file->entries)
			abort();
	}
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

/* Orders entries by section, then key, then place in the file, so that the
 * entries of a section, and the lines setting one key, sit side by side:
 * sorting keeps loading O(n log n) for a file of any size. */
static int compare_entries(const void *a, const void *b)
{
	const struct ini_entry *x = *(const struct ini_entry *const *)a, *y = *(const struct ini_entry *const *)b;
	int c = strcmp(x->section, y->section);

	if (c == 0)
		c = strcmp(x->key, y->key);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int compare_by_line(const void *a, const void *b)
{
	const struct ini_entry *x = *(const struct ini_entry *const *)a, *y = *(const struct ini_entry *const *)b;

	return (x->line > y->line) - (x->line < y->line);
}

/* The entries in compare_entries order; the caller frees the array. */
static const struct ini_entry **sorted_entries(const struct ini_file *file)
{
	const struct ini_entry **sorted = malloc((file->count + 1) * sizeof(*sorted));
	size_t i;

	if (!sorted)
		abort();
	for (i = 0; i < file->count; i++)
		sorted[i] = &file->entries[i];
	qsort(sorted, file->count, sizeof(*sorted), compare_entries);
	return sorted;
}

/* The first line (in file order) that sets a key its section already set; 0 when none. */
static int find_duplicate(const struct ini_file *file, char *message, size_t size)
{
	const struct ini_entry **sorted = sorted_entries(file);
	int line = 0;
	size_t i;

	for (i = 1; i < file->count; i++) {
		const struct ini_entry *first = sorted[i - 1], *again = sorted[i];

		if (strcmp(first->section, again->section) || strcmp(first->key, again->key) || (line && again->line >= line))
			continue;
		line = again->line;
		snprintf(message, size, "'%s' is set twice in [%s] (first on line %d)", again->key, again->section,
			 first->line);
	}
	free(sorted);
	return line;
}

/* Sections are collected from the entries, so an empty [section] is not a
 * profile; that is fine, since it could not hold a url either. */
static void collect_profiles(struct settings *settings, const struct ini_file *file)
{
	const struct ini_entry **sorted = sorted_entries(file);
	size_t i, firsts = 0;

	/* the earliest entry of each section, then those in file order */
	for (i = 0; i < file->count; i++) {
		if (strcmp(sorted[i]->section, "defaults") == 0)
			continue;
		if (firsts == 0 || strcmp(sorted[firsts - 1]->section, sorted[i]->section) != 0)
			sorted[firsts++] = sorted[i];
		else if (sorted[i]->line < sorted[firsts - 1]->line)
			sorted[firsts - 1] = sorted[i];
	}
	qsort(sorted, firsts, sizeof(*sorted), compare_by_line);
	for (i = 0; i < firsts; i++)
		push_string(&settings->profiles, &settings->profile_count, xstrdup(sorted[i]->section));
	free(sorted);
}

static int ini_load(struct ini_file *file, struct err *err)
{
	struct stat st;
	char duplicate[512];
	int rc, duplicate_line;

	/* an indented line is a key of its own, not a continuation of the one above */
	ini_allow_multiline = false;
	file->stream = fopen(file->path, "r");
	if (!file->stream)
		return err_set(err, EXIT_USAGE, "cannot read config file '%s': %s", file->path, strerror(errno));
	/* a directory opens and reads as empty: it would silently drop every setting */
	if (fstat(fileno(file->stream), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(file->stream);
		file->stream = NULL;
		return err_set(err, EXIT_USAGE, "config file '%s' is a directory", file->path);
	}
	rc = ini_parse_stream(ini_read_line, file, ini_store, file);
	fclose(file->stream);
	file->stream = NULL;
	/* the error reported is the first in the file, whichever check found it */
	duplicate_line = find_duplicate(file, duplicate, sizeof(duplicate));
	if (duplicate_line && (!file->error_line || duplicate_line < file->error_line) && (rc <= 0 || duplicate_line < rc))
		return err_set(err, EXIT_USAGE, "%s:%d: %s", file->path, duplicate_line, duplicate);
	if (rc == 0 && !file->error_line)
		return 0;
	if (file->error[0] && (rc <= 0 || file->error_line <= rc))
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

/* One ${...} reference, as a POSIX shell reads it: ${NAME}, ${NAME:-WORD}
 * (WORD when NAME is unset or empty), ${NAME-WORD} (WORD when unset). */
struct var_ref {
	char name[256];
	bool has_default;
	bool default_if_empty;     /* :- rather than - */
	const char *word;          /* into the raw text; word_length bytes */
	size_t word_length;
	const char *end;           /* the closing brace */
};

/* Parses the reference at p ("${..."); -1 with err set when it is not one we take. */
static int parse_var_ref(const char *p, const char *path, int line, struct var_ref *ref, struct err *err)
{
	const char *name = p + 2, *q = name;
	size_t len;

	memset(ref, 0, sizeof(*ref));
	if (isalpha((unsigned char)*q) || *q == '_')
		for (q++; isalnum((unsigned char)*q) || *q == '_'; q++)
			;
	len = (size_t)(q - name);
	if (*q == ':' && q[1] == '-')
		ref->has_default = ref->default_if_empty = true, q += 2;
	else if (*q == '-')
		ref->has_default = true, q++;
	ref->word = q;
	ref->end = strchr(q, '}');
	if (ref->end && ref->has_default) {
		const char *nested = strstr(q, "${");

		if (nested && nested < ref->end)
			return err_set(err, EXIT_USAGE, "%s:%d: a ${...} inside a ${...} default is not supported", path,
				       line);
	}
	if (!ref->end || len == 0 || len >= sizeof(ref->name) || (!ref->has_default && q != ref->end)) {
		const char *nested = strstr(name, "${");

		if (nested && (!ref->end || nested < ref->end))
			return err_set(err, EXIT_USAGE, "%s:%d: nested ${...} references are not supported", path, line);
		err_set(err, EXIT_USAGE, "%s:%d: malformed ${VAR} reference", path, line);
		err_hint(err, "write ${NAME}, ${NAME:-DEFAULT} or ${NAME-DEFAULT}; $$ is a literal $");
		return -1;
	}
	memcpy(ref->name, name, len);
	ref->name[len] = '\0';
	ref->word_length = (size_t)(ref->end - ref->word);
	return 0;
}

/* ${NAME} from the environment, or its default; $$ is a literal $. A NAME
 * unset or empty without a default is an error: silently connecting with an
 * empty password helps nobody (and an empty DBCTL_* variable is ignored for
 * the same reason). ${NAME:-} says that empty is meant. */
static int expand_variables(const char *raw, const char *path, int line, char **out, struct err *err)
{
	struct strbuf sb;
	const char *p;

	strbuf_init(&sb);
	for (p = raw; *p; p++) {
		struct var_ref ref;
		const char *value;

		if (p[0] != '$' || (p[1] != '{' && p[1] != '$')) {
			strbuf_addch(&sb, *p);
			continue;
		}
		if (p[1] == '$') {
			strbuf_addch(&sb, '$');
			p++;
			continue;
		}
		if (parse_var_ref(p, path, line, &ref, err) != 0) {
			strbuf_release(&sb);
			return -1;
		}
		value = getenv(ref.name);
		if (ref.has_default && (!value || (ref.default_if_empty && !*value))) {
			strbuf_add(&sb, ref.word, ref.word_length);
		} else if (value && *value) {
			strbuf_addstr(&sb, value);
		} else if (!ref.has_default) {
			strbuf_release(&sb);
			err_set(err, EXIT_USAGE, "%s:%d: environment variable '%s' is %s", path, line, ref.name,
				value ? "empty" : "not set");
			err_hint(err, "export %s, or write ${%s:-} if empty is meant; $${...} is a literal '${'", ref.name,
				 ref.name);
			return -1;
		}
		p = ref.end;
	}
	*out = strbuf_detach(&sb);
	return 0;
}

/* Does a value hold text of its own, beside ${NAME} references? A default
 * word counts: ${PW:-secret} keeps the password in the file. */
static bool has_literal_text(const char *raw)
{
	const char *p;

	for (p = raw; *p; p++) {
		struct var_ref ref;
		struct err ignored;

		if (p[0] != '$' || p[1] != '{')
			return true;
		err_init(&ignored);
		if (parse_var_ref(p, "", 0, &ref, &ignored) != 0 || ref.word_length)
			return true;
		p = ref.end;
	}
	return false;
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
	if (xdg && *xdg == '/')   /* the XDG spec: a relative value is invalid and is to be ignored */
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

/* The official mysql and mariadb images' variables, MARIADB_* first (the
 * mariadb image reads both): USER, PASSWORD, DATABASE, plus HOST and PORT
 * as compose files set them for clients. No user but a ROOT_PASSWORD means
 * root, as in the images. Returns a URL the caller frees, or NULL. */
static const char *mysql_env(const char *name)
{
	char key[64];
	const char *value;

	snprintf(key, sizeof(key), "MARIADB_%s", name);
	value = getenv(key);
	if (value && *value)
		return value;
	snprintf(key, sizeof(key), "MYSQL_%s", name);
	value = getenv(key);
	return value && *value ? value : NULL;
}

static char *mysql_env_url(void)
{
	const char *user = mysql_env("USER"), *password = mysql_env("PASSWORD");
	const char *host = mysql_env("HOST"), *port = mysql_env("PORT"), *db = mysql_env("DATABASE");
	struct strbuf sb;
	char *enc;

	if (!host && !db && !user)
		return NULL;
	if (!user && mysql_env("ROOT_PASSWORD")) {
		user = "root";
		password = mysql_env("ROOT_PASSWORD");
	}
	strbuf_init(&sb);
	strbuf_addstr(&sb, "mysql://");
	if (user) {
		enc = url_encode(user);
		strbuf_addstr(&sb, enc);
		free(enc);
		if (password) {
			enc = url_encode(password);
			strbuf_addf(&sb, ":%s", enc);
			free(enc);
		}
		strbuf_addch(&sb, '@');
	}
	strbuf_addstr(&sb, host ? host : "localhost");
	if (port)
		strbuf_addf(&sb, ":%s", port);
	if (db) {
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
	*text = mysql_env_url();
	if (*text) {
		*source = xstrdup(getenv("MARIADB_USER") || getenv("MARIADB_HOST") || getenv("MARIADB_DATABASE")
				  ? "env:MARIADB_*" : "env:MYSQL_*");
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

/* Plain decimal text: strtol and strtod would also take " 5", "+5", "0x10", "nan" and "inf". */
static bool plain_decimal(const char *s, const char *allowed)
{
	if (*s == '-')
		s++;
	return *s && s[strspn(s, allowed)] == '\0';
}

static bool parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return plain_decimal(s, "0123456789") && !*end && errno == 0;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return plain_decimal(s, "0123456789.eE+-") && !*end && errno == 0 && isfinite(*out);
}

/* The pool counts in ints, and PostgreSQL's timeouts and SQLite's busy_timeout
 * are ints too; only the advisory lock id is a bigint. */
static long int_maximum(enum cfg_id id)
{
	return id == CFG_MIGRATIONS_LOCK_ID ? LONG_MAX : INT_MAX;
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
		    (number < 0 && number != -1) || number > int_maximum(id)) {
			char expected[96];

			snprintf(expected, sizeof(expected), "a whole number from 0 to %ld%s", int_maximum(id),
				 never_allowed ? ", or -1" : "");
			return value_error(settings, id, expected, err);
		}
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
		struct url_mysql parsed;

		/* bad values are bad config (exit 3) before anything connects */
		rc = url_mysql_parse(v->text, &parsed, err);
		if (rc == 0)
			url_mysql_release(&parsed);
		else
			snprintf(err->message + strlen(err->message), sizeof(err->message) - strlen(err->message),
				 " (url from %s)", v->source);
	} else if (url_userinfo_unencoded(v->text)) {
		/* the library would take part of the password for the host or database */
		rc = err_set(err, EXIT_USAGE, "invalid URL '%s' (from %s): its user name or password holds a raw "
			     "'@', '/', '?' or '#'", masked, v->source);
		err_hint(err, "percent-encode them in the URL: @ as %%40, / as %%2F, ? as %%3F, # as %%23");
	}
	free(masked);
	return rc;
}

static bool holds_literal_password(const char *raw)
{
	char *password = url_password(raw);
	bool literal = password && has_literal_text(password);

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
			has_password = has_literal_text(e->value);
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
	if (request->profiles_only) {
		rc = 0;
		goto out;
	}

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

			if (strcmp(profile, "defaults") == 0 && file.path) {
				err_set(err, EXIT_USAGE, "'defaults' (from %s) is not a profile: [defaults] in %s holds what every profile shares",
					where, file.path);
				err_hint(err, "name one of the other sections of %s", file.path);
			} else if (!file.path) {
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
