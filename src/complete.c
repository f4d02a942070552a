/* Tab completion: which names fit where the cursor is. The catalog is read
 * on a second pooled connection, so completion still works while the
 * session's own transaction has failed. */
#include "complete.h"
#include "clock.h"
#include "dialect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const sql_keywords[] = {
	"ALTER", "AND", "AS", "ASC", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "COLUMN", "COMMIT", "CONSTRAINT",
	"COPY", "CREATE", "CROSS", "DATABASE", "DEFAULT", "DELETE", "DESC", "DISTINCT", "DROP", "ELSE", "END",
	"EXISTS", "EXPLAIN", "FALSE", "FOREIGN", "FROM", "FULL", "FUNCTION", "GRANT", "GROUP", "HAVING", "IN",
	"INDEX", "INNER", "INSERT", "INTERVAL", "INTO", "IS", "JOIN", "KEY", "LEFT", "LIKE", "LIMIT", "NOT", "NULL",
	"OFFSET", "ON", "OR", "ORDER", "OUTER", "PRIMARY", "REFERENCES", "RETURNING", "REVOKE", "RIGHT", "ROLLBACK",
	"SAVEPOINT", "SCHEMA", "SELECT", "SEQUENCE", "SET", "SHOW", "TABLE", "THEN", "TRUE", "TRUNCATE", "UNION",
	"UNIQUE", "UPDATE", "USING", "VALUES", "VIEW", "WHEN", "WHERE", "WITH", NULL,
};

void complete_init(struct completer *completer, struct engine *engine, const char *const *backslash_commands)
{
	memset(completer, 0, sizeof(*completer));
	completer->engine = engine;
	completer->backslash_commands = backslash_commands;
}

static void free_names(struct completer *completer)
{
	size_t i;

	for (i = 0; i < completer->count; i++) {
		free(completer->names[i].schema);
		free(completer->names[i].relation);
		free(completer->names[i].name);
	}
	free(completer->names);
	completer->names = NULL;
	completer->count = 0;
}

void complete_release(struct completer *completer)
{
	free_names(completer);
}

void complete_invalidate(struct completer *completer)
{
	completer->loaded = false;
}

static char *dup_or_null(const char *text)
{
	return text ? strdup(text) : NULL;
}

/* Reads the catalog; any failure leaves completion with keywords only. */
static void load_catalog(struct completer *completer)
{
	struct engine *engine = completer->engine;
	struct driver_result result;
	struct pool_conn *pc = NULL;
	struct err err;
	const char *sql = engine->driver->dialect->completion_sql;
	long r;

	completer->loaded = true;
	free_names(completer);
	err_init(&err);
	if (!sql)
		return;
	/* a busy pool must not freeze the keyboard: give up after a second */
	if (engine_checkout(engine, clock_now() + 1.0, &pc, &err) != 0)
		return;
	if (engine->driver->exec(pc->conn, sql, &result, &err) != 0) {
		engine_checkin(engine, pc, err.code == EXIT_NO_ANSWER);
		return;
	}
	engine_checkin(engine, pc, false);
	completer->names = calloc((size_t)result.row_count + 1, sizeof(*completer->names));
	for (r = 0; completer->names && r < result.row_count; r++) {
		char **row = result.cells + r * result.column_count;
		struct complete_name *n = &completer->names[completer->count];

		if (result.column_count == 5 && row[0] && row[3]) {
			n->kind = row[0][0];
			n->schema = dup_or_null(row[1]);
			n->relation = dup_or_null(row[2]);
			n->name = strdup(row[3]);
			n->visible = row[4] != NULL;
			completer->count++;
		} else if (result.column_count == 5 && row[0] && row[0][0] == 's' && row[1]) {
			n->kind = 's';
			n->name = strdup(row[1]);
			n->visible = true;
			completer->count++;
		} else if (result.column_count == 1 && row[0]) {
			n->kind = 'k';
			n->name = strdup(row[0]);
			completer->count++;
		}
	}
	driver_result_release(&result);
}

/* ---- candidates ---- */

struct candidates {
	char **items;
	size_t count;
	size_t capacity;
};

static void add(struct candidates *c, const char *text, size_t text_len)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (strlen(c->items[i]) == text_len && strncmp(c->items[i], text, text_len) == 0)
			return;
	if (c->count + 2 > c->capacity) {
		char **grown;

		c->capacity = c->capacity ? c->capacity * 2 : 32;
		grown = realloc(c->items, c->capacity * sizeof(char *));
		if (!grown)
			return;
		c->items = grown;
	}
	c->items[c->count] = strndup(text, text_len);
	if (c->items[c->count])
		c->count++;
	c->items[c->count] = NULL;
}

/* Keywords are offered in the case the user started typing them in. */
static void add_keyword(struct candidates *c, const char *keyword, const char *word)
{
	char lowered[64];
	size_t i, len = strlen(keyword);

	if (strncasecmp(keyword, word, strlen(word)) != 0)
		return;
	if (*word && islower((unsigned char)word[0]) && len < sizeof(lowered)) {
		for (i = 0; i <= len; i++)
			lowered[i] = (char)tolower((unsigned char)keyword[i]);
		add(c, lowered, len);
	} else {
		add(c, keyword, len);
	}
}

/* A name that must be typed quoted: PostgreSQL folds unquoted names to
 * lower case, so "Mixed" needs quotes there; anything beyond letters,
 * digits and _ needs them everywhere. */
static bool needs_quotes(const char *name, bool folds_case)
{
	const char *p;

	if (!*name || isdigit((unsigned char)*name))
		return true;
	for (p = name; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) ||
		    (folds_case && isupper((unsigned char)*p)))
			return true;
	return false;
}

/* A catalog name whose start was typed. One that needs quotes is offered
 * quoted, and only once the quote was typed: the editor completes by
 * appending to the word. */
static void add_if_prefix(struct candidates *c, const char *name, const char *word, size_t word_len,
			  const struct dialect *dialect)
{
	char quote = dialect->identifier_quote, quoted[512];

	if (!name)
		return;
	if (word[0] != quote) {
		if (!needs_quotes(name, dialect->folds_case) && strncmp(name, word, word_len) == 0)
			add(c, name, strlen(name));
		return;
	}
	if (strchr(name, quote))
		return;
	snprintf(quoted, sizeof(quoted), "%c%s%c", quote, name, quote);
	if (strncmp(quoted, word, word_len) == 0)
		add(c, quoted, strlen(quoted));
}

/* The word before the one being completed, uppercased, or "" at the start. */
static void previous_word(const char *line, const char *word, char *out, size_t size)
{
	size_t end = strlen(line) - strlen(word), start, i;

	while (end > 0 && (isspace((unsigned char)line[end - 1]) || line[end - 1] == ','))
		end--;
	start = end;
	while (start > 0 && !isspace((unsigned char)line[start - 1]) && line[start - 1] != '(' && line[start - 1] != ',')
		start--;
	for (i = 0; start + i < end && i + 1 < size; i++)
		out[i] = (char)toupper((unsigned char)line[start + i]);
	out[i] = '\0';
}

static bool wants_relation(const char *previous)
{
	static const char *const words[] = { "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "TRUNCATE", "\\D", "\\DT",
					     "DESCRIBE", NULL };
	size_t i;

	for (i = 0; words[i]; i++)
		if (strcmp(previous, words[i]) == 0)
			return true;
	return false;
}

/* "schema.rel" or "rel.col": what comes after the dot, among what lives in what is before it. */
static void complete_qualified(struct completer *completer, struct candidates *c, const char *word)
{
	const char *dot = strrchr(word, '.');
	size_t qualifier_len = (size_t)(dot - word), i;
	const char *rest = dot + 1;
	size_t rest_len = strlen(rest);

	for (i = 0; i < completer->count; i++) {
		const struct complete_name *n = &completer->names[i];
		const char *owner = n->kind == 'r' ? n->schema : n->kind == 'c' ? n->relation : NULL;
		char full[512];

		if (!owner || strlen(owner) != qualifier_len || strncmp(owner, word, qualifier_len) != 0 ||
		    strncmp(n->name, rest, rest_len) != 0)
			continue;
		snprintf(full, sizeof(full), "%.*s.%s", (int)qualifier_len, word, n->name);
		add(c, full, strlen(full));
	}
}

char **complete_words(struct completer *completer, const char *line, const char *word)
{
	struct candidates c = { NULL, 0, 0 };
	const struct dialect *dialect = completer->engine->driver->dialect;
	size_t i, word_len = strlen(word);
	char previous[32];

	if (word[0] == '\\') {
		for (i = 0; completer->backslash_commands[i]; i++)
			if (strncmp(completer->backslash_commands[i], word, word_len) == 0)
				add(&c, completer->backslash_commands[i], strlen(completer->backslash_commands[i]));
		return c.items;
	}
	if (!completer->loaded)
		load_catalog(completer);
	previous_word(line, word, previous, sizeof(previous));

	if (dialect->completes_commands) {
		/* a command name only as the first word of the line */
		if (previous[0])
			return NULL;
		for (i = 0; i < completer->count; i++)
			add_keyword(&c, completer->names[i].name, word);
		for (i = 0; !completer->count && dialect->command_names && dialect->command_names[i]; i++)
			add_keyword(&c, dialect->command_names[i], word);
		return c.items;
	}
	if (strchr(word, '.')) {
		complete_qualified(completer, &c, word);
		return c.items;
	}
	for (i = 0; i < completer->count; i++) {
		const struct complete_name *n = &completer->names[i];

		/* a relation of a schema not on the search_path needs its schema. */
		if (!n->visible)
			continue;
		if (n->kind == 'r' || n->kind == 's' || (!wants_relation(previous) && n->kind == 'c'))
			add_if_prefix(&c, n->name, word, word_len, dialect);
	}
	if (!wants_relation(previous))
		for (i = 0; sql_keywords[i]; i++)
			add_keyword(&c, sql_keywords[i], word);
	return c.items;
}
