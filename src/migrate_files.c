/* Migration file discovery and parsing (dbmate, golang-migrate, goose). */
#include "migrate_files.h"
#include "sqltext.h"
#include "sha256.h"
#include "strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *migrate_version_normalize(const char *text)
{
	const char *p = text;
	struct strbuf sb;

	if (!*text)
		return NULL;
	for (p = text; *p; p++)
		if (!isdigit((unsigned char)*p))
			return NULL;
	for (p = text; *p == '0' && p[1]; p++)
		;
	strbuf_init(&sb);
	strbuf_addstr(&sb, p);
	return strbuf_detach(&sb);
}

int migrate_version_compare(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

void migrate_files_release(struct migration_set *set)
{
	size_t i;

	for (i = 0; i < set->count + set->repeatable_count; i++) {
		struct migration *m = i < set->count ? &set->items[i] : &set->repeatables[i - set->count];

		free(m->version);
		free(m->name);
		free(m->path);
		free(m->down_path);
		free(m->up.text);
		free(m->down.text);
		free(m->up.envsub_error);
		free(m->down.envsub_error);
		free(m->environments);
		free(m->envsub);
	}
	free(set->items);
	free(set->repeatables);
	memset(set, 0, sizeof(*set));
}

const struct migration *migrate_files_find_repeatable(const struct migration_set *set, const char *version)
{
	size_t i;

	for (i = 0; i < set->repeatable_count; i++)
		if (strcmp(set->repeatables[i].version, version) == 0)
			return &set->repeatables[i];
	return NULL;
}

/* The set is sorted by version (migrate_files_load): a binary search, since
 * every status looks up each applied row. */
const struct migration *migrate_files_find(const struct migration_set *set, const char *version)
{
	size_t low = 0, high = set->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = migrate_version_compare(set->items[middle].version, version);

		if (order == 0)
			return &set->items[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

static void checksum(struct migration_section *section)
{
	const char *p = section->text;
	struct sha256 ctx;

	sha256_init(&ctx);
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	/* a file saved with CRLF on one machine and LF on another is the same migration */
	while (*p) {
		size_t run = strcspn(p, "\r");

		sha256_update(&ctx, p, run);
		p += run;
		if (*p == '\r') {
			if (p[1] != '\n')
				sha256_update(&ctx, "\r", 1);
			p++;
		}
	}
	sha256_final_hex(&ctx, section->checksum);
}

static int read_file(const char *path, struct strbuf *out, struct err *err)
{
	FILE *f = fopen(path, "r");
	char buffer[65536];
	size_t n;

	if (!f)
		return err_set(err, EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
	while ((n = fread(buffer, 1, sizeof(buffer), f)) > 0)
		strbuf_add(out, buffer, n);
	fclose(f);
	if (memchr(out->buf, '\0', out->len))
		return err_set(err, EXIT_USAGE, "%s: NUL byte: this is not a text file", path);
	return 0;
}

static bool contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return true;
	return false;
}

/* A marker line: dbmate's "-- migrate:up|down [options]" or goose's "-- +goose ...". */
enum marker {
	MARK_NONE, MARK_UP, MARK_DOWN, MARK_REPEATABLE, MARK_GOOSE_NO_TRANSACTION, MARK_GOOSE_ENVSUB_ON,
	MARK_GOOSE_ENVSUB_OFF, MARK_GOOSE_OTHER,
};

/* What a marker line says besides its direction. */
struct marker_options {
	bool no_transaction;
	const char *environments;   /* points into the line: the value of env:, NULL without one */
	size_t environments_len;
};

/* env:LIST of an up or repeatable marker: the environments the migration runs in. */
static int set_environments(struct migration *m, const struct marker_options *options, int line, struct err *err)
{
	struct strbuf list;

	if (options->environments_len == 0 || options->environments[0] == ',' ||
	    options->environments[options->environments_len - 1] == ',' ||
	    contains(options->environments, options->environments_len, ",,"))
		return err_set(err, EXIT_USAGE, "%s:%d: env: needs a comma-separated list of environments, as env:dev,test",
			       m->path, line);
	strbuf_init(&list);
	strbuf_add(&list, options->environments, options->environments_len);
	free(m->environments);
	m->environments = strbuf_detach(&list);
	return 0;
}

/* The value of key (e.g. "env:") among the space-separated words of [p, end). */
static const char *marker_option(const char *p, const char *end, const char *key, size_t *len)
{
	size_t key_len = strlen(key);

	while (p < end) {
		const char *word;

		while (p < end && isspace((unsigned char)*p))
			p++;
		word = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		if ((size_t)(p - word) >= key_len && strncmp(word, key, key_len) == 0) {
			*len = (size_t)(p - word) - key_len;
			return word + key_len;
		}
	}
	return NULL;
}

static enum marker parse_marker(const char *line, size_t len, enum migration_format *format,
				struct marker_options *options)
{
	const char *p = line, *end = line + len;

	memset(options, 0, sizeof(*options));
	if (len < 2 || p[0] != '-' || p[1] != '-')
		return MARK_NONE;
	for (p += 2; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if ((size_t)(end - p) >= 8 && strncmp(p, "migrate:", 8) == 0) {
		const char *word = p + 8;
		enum marker m;

		if ((size_t)(end - word) >= 2 && strncmp(word, "up", 2) == 0 && (end - word == 2 || isspace((unsigned char)word[2])))
			m = MARK_UP;
		else if ((size_t)(end - word) >= 4 && strncmp(word, "down", 4) == 0 &&
			 (end - word == 4 || isspace((unsigned char)word[4])))
			m = MARK_DOWN;
		else if ((size_t)(end - word) >= 10 && strncmp(word, "repeatable", 10) == 0 &&
			 (end - word == 10 || isspace((unsigned char)word[10])))
			m = MARK_REPEATABLE;
		else
			return MARK_NONE;
		*format = MIGRATION_DBMATE;
		/* options: key:value words after the marker */
		options->no_transaction = contains(word, (size_t)(end - word), "transaction:false");
		options->environments = marker_option(word + (m == MARK_UP ? 2 : m == MARK_DOWN ? 4 : 10), end, "env:",
						      &options->environments_len);
		return m;
	}
	if ((size_t)(end - p) >= 6 && strncmp(p, "+goose", 6) == 0) {
		const char *word = p + 6;
		size_t rest;

		while (word < end && isspace((unsigned char)*word))
			word++;
		rest = (size_t)(end - word);
		while (rest && isspace((unsigned char)word[rest - 1]))
			rest--;
		*format = MIGRATION_GOOSE;
		if (rest == 2 && strncasecmp(word, "up", 2) == 0)
			return MARK_UP;
		if (rest == 4 && strncasecmp(word, "down", 4) == 0)
			return MARK_DOWN;
		if (rest == 14 && strncasecmp(word, "no transaction", 14) == 0)
			return MARK_GOOSE_NO_TRANSACTION;
		if (rest == 9 && strncasecmp(word, "envsub on", 9) == 0)
			return MARK_GOOSE_ENVSUB_ON;
		if (rest == 10 && strncasecmp(word, "envsub off", 10) == 0)
			return MARK_GOOSE_ENVSUB_OFF;
		return MARK_GOOSE_OTHER;   /* StatementBegin/End: comments to us */
	}
	return MARK_NONE;
}

static bool is_blank_or_comment(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i == len || (len - i >= 2 && line[i] == '-' && line[i + 1] == '-');
}

static void set_section(struct migration_section *section, const char *path, const char *text, size_t len,
			int first_line, bool transaction)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_add(&sb, text, len);
	section->present = true;
	section->text = strbuf_detach(&sb);
	section->path = path;
	section->first_line = first_line;
	section->transaction = transaction;
}

/* Splits a dbmate or goose file into its sections. */
static int parse_sections(struct migration *m, const struct strbuf *content, struct err *err)
{
	const char *p = content->buf, *section_start = NULL;
	enum marker current = MARK_NONE;
	bool goose_no_transaction = false, current_no_transaction = false, any_marker = false, envsub = false;
	int line = 1, section_line = 0;
	enum migration_format format = MIGRATION_DBMATE;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (;;) {
		size_t len = strcspn(p, "\n");
		size_t text_len = len && p[len - 1] == '\r' ? len - 1 : len;
		struct marker_options options = { 0 };
		bool at_end = !*p;
		enum marker marker = at_end ? MARK_NONE : parse_marker(p, text_len, &format, &options);
		bool no_transaction = options.no_transaction;

		if (marker == MARK_GOOSE_ENVSUB_ON && !envsub) {
			m->envsub = realloc(m->envsub, (m->envsub_count + 1) * sizeof(*m->envsub));
			if (!m->envsub)
				abort();
			m->envsub[m->envsub_count].first = line + 1;
			m->envsub[m->envsub_count++].last = 0x7fffffff;
			envsub = true;
		} else if (marker == MARK_GOOSE_ENVSUB_OFF && envsub) {
			m->envsub[m->envsub_count - 1].last = line - 1;
			envsub = false;
		}
		if (marker == MARK_REPEATABLE)
			return err_set(err, EXIT_USAGE, "%s:%d: '-- migrate:repeatable' in a versioned migration: a repeatable "
				       "one has no version", m->path, line);
		if (marker == MARK_DOWN && options.environments)
			return err_set(err, EXIT_USAGE, "%s:%d: env: belongs on the '-- migrate:up' line: a migration runs "
				       "in an environment as a whole", m->path, line);
		if (marker == MARK_UP && options.environments && set_environments(m, &options, line, err) != 0)
			return -1;
		if (marker == MARK_GOOSE_NO_TRANSACTION) {
			goose_no_transaction = true;
			any_marker = true;
		} else if (marker == MARK_UP || marker == MARK_DOWN || at_end) {
			struct migration_section *done = current == MARK_UP ? &m->up : current == MARK_DOWN ? &m->down : NULL;

			if (done)
				set_section(done, m->path, section_start, (size_t)(p - section_start), section_line,
					    !current_no_transaction);
			if (at_end)
				break;
			if ((marker == MARK_UP && m->up.present) || (marker == MARK_DOWN && m->down.present))
				return err_set(err, EXIT_USAGE, "%s:%d: a second %s section", m->path, line,
					       marker == MARK_UP ? "up" : "down");
			current = marker;
			current_no_transaction = no_transaction;
			any_marker = true;
			section_start = p + len + (p[len] == '\n');
			section_line = line + 1;
		} else if (current == MARK_NONE && marker == MARK_NONE && !is_blank_or_comment(p, text_len)) {
			return err_set(err, EXIT_USAGE, "%s:%d: statements before the first '-- migrate:up' marker", m->path,
				       line);
		}
		p += len + (p[len] == '\n');
		line++;
	}
	if (!any_marker || !m->up.present)
		return err_set(err, EXIT_USAGE, "%s: no up section: expected a '-- migrate:up' (dbmate) or "
			       "'-- +goose Up' line", m->path);
	m->format = format;
	/* goose's NO TRANSACTION applies to the whole file, wherever it stands */
	if (goose_no_transaction) {
		m->up.transaction = false;
		m->down.transaction = false;
	}
	return 0;
}

/* A repeatable migration's text: after its "-- migrate:repeatable" line
 * (comments and blank lines may come before it), or, for an R__ file
 * without one, the whole file, as Flyway reads it. A file that is not
 * R__name.sql is repeatable only with the marker before any statement
 * (*marked false: not a repeatable migration). Up and down markers are
 * refused: what a repeatable migration made is replaced by its next run,
 * never reverted. */
static int parse_repeatable(struct migration *m, const struct strbuf *content, bool named_r, bool *marked,
			    struct err *err)
{
	const char *p = content->buf, *start;
	bool transaction = true, statement_seen = false;
	int line = 1, first_line = 1;

	*marked = false;
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	start = p;
	while (*p) {
		size_t len = strcspn(p, "\n");
		size_t text_len = len && p[len - 1] == '\r' ? len - 1 : len;
		enum migration_format format = MIGRATION_DBMATE;
		struct marker_options options;
		enum marker marker = parse_marker(p, text_len, &format, &options);

		if (marker == MARK_REPEATABLE && !*marked && !statement_seen) {
			*marked = true;
			transaction = !options.no_transaction;
			/* seed data for dev and test only: never silently everywhere */
			if (options.environments && set_environments(m, &options, line, err) != 0)
				return -1;
			start = p + len + (p[len] == '\n');
			first_line = line + 1;
		} else if (marker != MARK_NONE && marker != MARK_GOOSE_OTHER) {
			if (!named_r && !*marked)
				return 0;
			return err_set(err, EXIT_USAGE, "%s:%d: a repeatable migration is one section, after '-- "
				       "migrate:repeatable' (no other markers: it runs again when it changes, and is never "
				       "reverted)", m->path, line);
		} else if (!is_blank_or_comment(p, text_len)) {
			statement_seen = true;
			if (!named_r && !*marked)
				return 0;
		}
		p += len + (p[len] == '\n');
		line++;
	}
	if (!named_r && !*marked)
		return 0;
	m->format = MIGRATION_DBMATE;
	m->repeatable = true;
	set_section(&m->up, m->path, start, strlen(start), first_line, transaction);
	return 0;
}

/* Length of word at p when it stands there alone, case-insensitively; else 0. */
static size_t word_at(const char *p, const char *word)
{
	size_t len = strlen(word);

	return strncasecmp(p, word, len) == 0 && !isalnum((unsigned char)p[len]) && p[len] != '_' ? len : 0;
}

/* Whether the word that ends at end (exclusive) is word; *start gets where it begins. */
static bool word_before(const char *text, const char *end, const char *word, const char **start)
{
	const char *p = end;

	while (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
		p--;
	*start = p;
	return (size_t)(end - p) == strlen(word) && strncasecmp(p, word, strlen(word)) == 0;
}

static const char *trim_end(const char *text, const char *end)
{
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	return end;
}

/* Spaces over [p, end), line ends kept. */
static void blank(char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r')
			*p = ' ';
}

/* golang-migrate sends a file as it is, so its PostgreSQL tutorial wraps each
 * one in BEGIN; ... COMMIT; to make it atomic. dbctl runs every migration in
 * a transaction already: a BEGIN [TRANSACTION|WORK] or START TRANSACTION
 * that opens the file and a COMMIT [TRANSACTION|WORK] that closes it, after a
 * ';', are blanked out (spaces, so that lines and columns stay right).
 * Anything less regular is left for the check before running to refuse. */
static void unwrap_transaction(struct migration_section *section)
{
	char *text = section->text;
	const char *p = sqltext_skip_blank(text), *open_start = p, *open_end, *close_start, *close_end, *word;
	size_t len;

	if ((len = word_at(p, "begin")) != 0) {
		p = sqltext_skip_blank(p + len);
		if ((len = word_at(p, "transaction")) != 0 || (len = word_at(p, "work")) != 0)
			p = sqltext_skip_blank(p + len);
	} else if ((len = word_at(p, "start")) != 0) {
		p = sqltext_skip_blank(p + len);
		if ((len = word_at(p, "transaction")) == 0)
			return;
		p = sqltext_skip_blank(p + len);
	} else {
		return;
	}
	if (*p != ';')
		return;
	open_end = p + 1;

	/* the end, before trailing blank lines and whole-line -- comments */
	close_end = trim_end(text, text + strlen(text));
	for (;;) {
		const char *line = close_end;

		while (line > text && line[-1] != '\n')
			line--;
		line += strspn(line, " \t");
		if (line[0] != '-' || line[1] != '-')
			break;
		close_end = trim_end(text, line);
	}
	p = close_end;
	if (p > text && p[-1] == ';')
		p = trim_end(text, p - 1);
	if (word_before(text, p, "transaction", &word) || word_before(text, p, "work", &word))
		p = trim_end(text, word);
	if (!word_before(text, p, "commit", &close_start))
		return;
	/* COMMIT must be a statement of its own: a ';' (maybe BEGIN's) before it */
	p = trim_end(text, close_start);
	if (p < open_end || p[-1] != ';')
		return;
	if (p > open_end) {
		const char *line = p - 1;

		while (line > text && line[-1] != '\n')
			line--;
		if (contains(line, (size_t)(p - line), "--"))
			return;   /* maybe a ';' in a comment: too close to call */
	}
	blank(text + (open_start - text), text + (open_end - text));
	blank(text + (close_start - text), text + (close_end - text));
	section->unwrapped = true;
}

/* VERSION_name.sql, VERSION_name.up.sql, VERSION_name.down.sql, VERSION.sql. */
static int parse_name(const char *file, char **version, char **name, int *direction)
{
	size_t digits = strspn(file, "0123456789"), len = strlen(file), stem;
	struct strbuf sb;

	*direction = 0;
	if (digits == 0 || (file[digits] != '_' && file[digits] != '.'))
		return -1;
	if (len > 7 && strcmp(file + len - 7, ".up.sql") == 0)
		*direction = 1, stem = len - 7;
	else if (len > 9 && strcmp(file + len - 9, ".down.sql") == 0)
		*direction = -1, stem = len - 9;
	else
		stem = len - 4;
	strbuf_init(&sb);
	strbuf_add(&sb, file, digits);
	*version = migrate_version_normalize(sb.buf);
	strbuf_release(&sb);
	strbuf_init(&sb);
	if (file[digits] == '_' && stem > digits + 1)
		strbuf_add(&sb, file + digits + 1, stem - digits - 1);
	*name = strbuf_detach(&sb);
	return 0;
}

static int compare_migrations(const void *a, const void *b)
{
	return migrate_version_compare(((const struct migration *)a)->version, ((const struct migration *)b)->version);
}

static bool in_envsub(const struct migration *m, int line)
{
	size_t i;

	for (i = 0; i < m->envsub_count; i++)
		if (line >= m->envsub[i].first && line <= m->envsub[i].last)
			return true;
	return false;
}

/* One ${NAME}, ${NAME:-default} or ${NAME-default} at p ("${" there); its
 * value goes to out. Only the braced forms are read: $1 and $$ are
 * PostgreSQL's own, so a bare $NAME is left as written. Returns the length
 * read, 0 when p starts no such form, -1 with err for an unset name. */
static long expand_one(const struct migration *m, const char *p, int line, int column, struct strbuf *out,
		       struct err *err)
{
	const char *name = p + 2, *q = name, *fallback = NULL, *close, *value;
	bool empty_too = false;
	char key[256];
	size_t name_len;

	if (!(isalpha((unsigned char)*q) || *q == '_'))
		return 0;
	while (isalnum((unsigned char)*q) || *q == '_')
		q++;
	name_len = (size_t)(q - name);
	if (q[0] == ':' && q[1] == '-') {
		empty_too = true;
		fallback = q + 2;
	} else if (q[0] == '-') {
		fallback = q + 1;
	} else if (q[0] != '}') {
		return 0;
	}
	close = strpbrk(fallback ? fallback : q, "}\n");
	if (!close || *close != '}' || name_len >= sizeof(key))
		return 0;
	memcpy(key, name, name_len);
	key[name_len] = '\0';
	value = getenv(key);
	if (!value || (empty_too && !*value)) {
		if (!fallback)
			return err_set(err, EXIT_USAGE, "%s:%d:%d: ${%s} is not set in the environment (goose ENVSUB)",
				       m->path, line, column, key);
		strbuf_add(out, fallback, (size_t)(close - fallback));
	} else {
		/* a line end in a value would move every line after it */
		if (strpbrk(value, "\r\n"))
			return err_set(err, EXIT_USAGE, "%s:%d:%d: the value of ${%s} holds a line break, which ENVSUB "
				       "does not substitute", m->path, line, column, key);
		strbuf_addstr(out, value);
	}
	return (long)(close + 1 - p);
}

/* goose's ENVSUB: the section's lines inside ON ... OFF with ${NAME} substituted. */
static int expand_envsub(const struct migration *m, struct migration_section *section, struct err *err)
{
	const char *p = section->text;
	int line = section->first_line, column = 1;
	struct strbuf out;

	if (!section->present || m->envsub_count == 0)
		return 0;
	strbuf_init(&out);
	while (*p) {
		long used = 0;

		if (p[0] == '$' && p[1] == '{' && in_envsub(m, line) &&
		    (used = expand_one(m, p, line, column, &out, err)) < 0) {
			strbuf_release(&out);
			return -1;
		}
		if (used > 0) {
			p += used;
			column += (int)used;
			continue;
		}
		strbuf_add(&out, p, 1);
		if (*p++ == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	free(section->text);
	section->text = strbuf_detach(&out);
	return 0;
}

/* An unset variable is the section's error, raised by whatever runs it:
 * the down section of a migration being applied, or a migration applied
 * long ago, must not need a value that nothing sends. */
static void keep_envsub_error(const struct migration *m, struct migration_section *section)
{
	struct err err;

	err_init(&err);
	if (expand_envsub(m, section, &err) != 0) {
		section->envsub_error = strdup(err.message);
		if (!section->envsub_error)
			abort();
	}
}

void migrate_files_select(struct migration_set *set, const char *environment)
{
	size_t i, len = strlen(environment);

	for (i = 0; i < set->count + set->repeatable_count; i++) {
		struct migration *m = i < set->count ? &set->items[i] : &set->repeatables[i - set->count];
		const char *p = m->environments;
		bool found = false;

		while (p && *p && !found) {
			size_t word = strcspn(p, ",");

			found = len > 0 && word == len && strncmp(p, environment, len) == 0;
			p += word + (p[word] == ',');
		}
		m->other_environment = m->environments && !found;
	}
}

static int compare_repeatables(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->name, ((const struct migration *)b)->name);
}

/* file (in dir, at path) as a repeatable migration added to set; *added
 * false when it is not one (a name without a version, and no marker). */
static int load_repeatable(struct migration_set *set, const char *path, const char *file, bool *added,
			   struct err *err)
{
	bool named_r = strncmp(file, "R__", 3) == 0, marked;
	struct migration m;
	struct strbuf content, sb;
	size_t i;
	int rc;

	*added = false;
	memset(&m, 0, sizeof(m));
	strbuf_init(&content);
	strbuf_init(&sb);
	strbuf_addstr(&sb, path);
	m.path = strbuf_detach(&sb);
	rc = read_file(path, &content, err);
	if (rc == 0)
		rc = parse_repeatable(&m, &content, named_r, &marked, err);
	strbuf_release(&content);
	if (rc != 0 || !m.repeatable) {
		free(m.path);
		free(m.up.text);
		free(m.environments);
		return rc;
	}
	strbuf_init(&sb);
	strbuf_add(&sb, file + (named_r ? 3 : 0), strlen(file) - (named_r ? 3 : 0) - 4);
	m.name = strbuf_detach(&sb);
	strbuf_init(&sb);
	strbuf_addf(&sb, "R__%s", m.name);
	m.version = strbuf_detach(&sb);
	if (!*m.name)
		rc = err_set(err, EXIT_USAGE, "%s: a repeatable migration needs a name: R__NAME.sql", path);
	for (i = 0; rc == 0 && i < set->repeatable_count; i++)
		if (strcmp(set->repeatables[i].version, m.version) == 0)
			rc = err_set(err, EXIT_USAGE, "%s: the repeatable migration %s is also %s", path, m.name,
				     set->repeatables[i].path);
	if (rc != 0) {
		free(m.path);
		free(m.name);
		free(m.version);
		free(m.up.text);
		free(m.environments);
		return -1;
	}
	set->repeatables = realloc(set->repeatables, (set->repeatable_count + 1) * sizeof(*set->repeatables));
	if (!set->repeatables)
		abort();
	set->repeatables[set->repeatable_count++] = m;
	*added = true;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int migrate_files_load(const char *dir, struct migration_set *out, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char **files = NULL;
	size_t file_count = 0, i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!d) {
		err_set(err, EXIT_USAGE, "cannot read migrations directory '%s': %s", dir, strerror(errno));
		if (errno == ENOENT)
			err_hint(err, "pass --dir, set migrations_dir, or create it with 'dbctl migrate new NAME'");
		return -1;
	}
	while ((entry = readdir(d)) != NULL) {
		size_t len = strlen(entry->d_name);
		struct strbuf sb;

		if (len < 4 || strcmp(entry->d_name + len - 4, ".sql") != 0)
			continue;
		strbuf_init(&sb);
		strbuf_addstr(&sb, entry->d_name);
		files = realloc(files, (file_count + 1) * sizeof(*files));
		files[file_count++] = strbuf_detach(&sb);
	}
	closedir(d);
	if (file_count)
		qsort(files, file_count, sizeof(*files), compare_names);   /* the same order on every machine */

	for (i = 0; i < file_count && rc == 0; i++) {
		char *version = NULL, *name = NULL, path[4096];
		struct migration *m = NULL;
		int direction;
		size_t j;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (strncmp(files[i], "R__", 3) == 0 || parse_name(files[i], &version, &name, &direction) != 0) {
			bool added = false;

			free(name);
			name = NULL;
			if ((rc = load_repeatable(out, path, files[i], &added, err)) != 0 || added)
				continue;
			rc = err_set(err, EXIT_USAGE, "%s: cannot read a version in this name", path);
			err_hint(err, "name migrations VERSION_description.sql, e.g. 20260101120000_create_users.sql, or "
				      "R__description.sql for a repeatable one");
			free(name);
			break;
		}
		for (j = 0; j < out->count; j++)
			if (strcmp(out->items[j].version, version) == 0)
				m = &out->items[j];
		if (m && (direction == 0 || (direction == 1 && m->path && !m->down_path && m->up.present) ||
			  (direction == -1 && m->down_path) || m->format != MIGRATION_GOLANG_MIGRATE ||
			  strcmp(m->name, name) != 0)) {
			rc = err_set(err, EXIT_USAGE, "%s: version %s is also used by %s", path, version,
				     m->path ? m->path : m->down_path);
			free(version);
			free(name);
			break;
		}
		if (!m) {
			out->items = realloc(out->items, (out->count + 1) * sizeof(*out->items));
			m = &out->items[out->count++];
			memset(m, 0, sizeof(*m));
			m->version = version;
			m->name = name;
		} else {
			free(version);
			free(name);
		}
		if (direction != 0) {
			struct strbuf content;

			m->format = MIGRATION_GOLANG_MIGRATE;
			strbuf_init(&content);
			rc = read_file(path, &content, err);
			if (rc == 0) {
				struct strbuf sb;

				strbuf_init(&sb);
				strbuf_addstr(&sb, path);
				if (direction == 1) {
					m->path = strbuf_detach(&sb);
					set_section(&m->up, m->path, content.buf, content.len, 1, true);
				} else {
					m->down_path = strbuf_detach(&sb);
					set_section(&m->down, m->down_path, content.buf, content.len, 1, true);
				}
			}
			strbuf_release(&content);
		} else {
			struct strbuf content, sb;

			strbuf_init(&sb);
			strbuf_addstr(&sb, path);
			m->path = strbuf_detach(&sb);
			strbuf_init(&content);
			rc = read_file(path, &content, err);
			if (rc == 0)
				rc = parse_sections(m, &content, err);
			strbuf_release(&content);
		}
	}
	for (i = 0; i < out->count && rc == 0; i++)
		if (!out->items[i].up.present)
			rc = err_set(err, EXIT_USAGE, "%s: a down migration without its .up.sql", out->items[i].down_path);
	for (i = 0; i < file_count; i++)
		free(files[i]);
	free(files);
	if (rc != 0) {
		migrate_files_release(out);
		return -1;
	}
	if (out->count)
		qsort(out->items, out->count, sizeof(*out->items), compare_migrations);
	if (out->repeatable_count)
		qsort(out->repeatables, out->repeatable_count, sizeof(*out->repeatables), compare_repeatables);
	for (i = 0; i < out->repeatable_count; i++) {
		out->repeatables[i].up.path = out->repeatables[i].path;
		checksum(&out->repeatables[i].up);
	}
	/* sections point at their migration's path: fix them up after the moves */
	for (i = 0; i < out->count; i++) {
		out->items[i].up.path = out->items[i].path;
		out->items[i].down.path = out->items[i].down_path ? out->items[i].down_path : out->items[i].path;
		checksum(&out->items[i].up);   /* only up sections are compared */
		/* after the checksum, which stays that of the file as written */
		keep_envsub_error(&out->items[i], &out->items[i].up);
		keep_envsub_error(&out->items[i], &out->items[i].down);
		if (out->items[i].format == MIGRATION_GOLANG_MIGRATE) {
			unwrap_transaction(&out->items[i].up);
			if (out->items[i].down.present)
				unwrap_transaction(&out->items[i].down);
		}
	}
	return 0;
}
