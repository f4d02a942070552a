/* PostgreSQL's lint rules: the statements that take a strong lock on a
 * table that already exists (and so is likely in use), or rewrite it, read
 * from the words of each statement. A table that the same file created is
 * new and empty: nothing is waiting for it, so it is not judged. */
#include "lint.h"
#include "sqltext.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	RULE_CREATE_INDEX,
	RULE_NOT_VALID,
	RULE_SET_NOT_NULL,
	RULE_VOLATILE_DEFAULT,
	RULE_TYPE_CHANGE,
	RULE_LOCK_TIMEOUT,
};

static const struct lint_rule pg_rules[] = {
	[RULE_CREATE_INDEX] = { "create-index-not-concurrently",
				"CREATE INDEX blocks every write to the table while it builds; use CREATE INDEX "
				"CONCURRENTLY in a transaction:false section" },
	[RULE_NOT_VALID] = { "constraint-not-valid",
			     "ADD FOREIGN KEY or CHECK scans the whole table under a lock that blocks writes; add it "
			     "NOT VALID, then VALIDATE CONSTRAINT in a later migration" },
	[RULE_SET_NOT_NULL] = { "set-not-null",
				"SET NOT NULL scans the whole table under ACCESS EXCLUSIVE; add CHECK (col IS NOT NULL) "
				"NOT VALID, validate it, then SET NOT NULL (PostgreSQL 12+ skips the scan)" },
	[RULE_VOLATILE_DEFAULT] = { "volatile-default",
				    "a column added with a volatile default (random(), clock_timestamp(), "
				    "gen_random_uuid(), nextval()) rewrites the whole table under ACCESS EXCLUSIVE; add "
				    "it without the default, then backfill in batches" },
	[RULE_TYPE_CHANGE] = { "column-type-change",
			       "changing a column's type rewrites the table and its indexes under ACCESS EXCLUSIVE "
			       "(except a few binary-compatible changes); add a new column and backfill instead" },
	[RULE_LOCK_TIMEOUT] = { "missing-lock-timeout",
				"without lock_timeout, a statement that waits for its lock queues every query on the "
				"table behind it; start the migration with SET lock_timeout = '5s'" },
	{ NULL, NULL },
};

/* A statement as words: keywords and names (quoted names unquoted, case
 * kept), numbers and single punctuation characters; strings and comments
 * are dropped. */
struct word {
	char text[128];
	bool quoted;
};

struct words {
	struct word *items;   /* owned */
	size_t count, capacity;
};

static void add_word(struct words *w, const char *start, size_t length, bool quoted)
{
	struct word *item;

	if (w->count == w->capacity) {
		size_t capacity = w->capacity ? w->capacity * 2 : 64;
		struct word *grown = realloc(w->items, capacity * sizeof(*grown));

		if (!grown)
			abort();
		w->items = grown;
		w->capacity = capacity;
	}
	item = &w->items[w->count++];
	if (length >= sizeof(item->text))
		length = sizeof(item->text) - 1;
	memcpy(item->text, start, length);
	item->text[length] = '\0';
	item->quoted = quoted;
}

/* The end of a dollar-quoted string opened at p ("$tag$"), or NULL when p opens none. */
static const char *dollar_end(const char *p)
{
	const char *tag_end = p + 1, *close;
	size_t tag;

	while (isalnum((unsigned char)*tag_end) || *tag_end == '_')
		tag_end++;
	if (*tag_end != '$' || (tag_end > p + 1 && isdigit((unsigned char)p[1])))
		return NULL;
	tag = (size_t)(tag_end - p + 1);
	for (close = tag_end + 1; (close = strchr(close, '$')) != NULL; close++)
		if (strncmp(close, p, tag) == 0)
			return close + tag;
	return p + strlen(p);
}

static void split_words(const char *text, struct words *w)
{
	const char *p = text;

	while (*(p = sqltext_skip_blank(p))) {
		if (*p == '\'' || ((*p == 'E' || *p == 'e') && p[1] == '\'')) {
			bool backslash = *p != '\'';

			for (p += backslash ? 2 : 1; *p; p++) {
				if (backslash && *p == '\\' && p[1])
					p++;
				else if (*p == '\'' && p[1] == '\'')
					p++;
				else if (*p == '\'')
					break;
			}
			if (*p)
				p++;
		} else if (*p == '$' && dollar_end(p)) {
			p = dollar_end(p);
		} else if (*p == '"') {
			const char *start = ++p;

			while (*p && !(*p == '"' && p[1] != '"'))
				p += *p == '"' ? 2 : 1;
			add_word(w, start, (size_t)(p - start), true);
			if (*p)
				p++;
		} else if (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
			const char *start = p;

			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80)
				p++;
			add_word(w, start, (size_t)(p - start), false);
		} else {
			add_word(w, p, 1, false);
			p++;
		}
	}
}

static bool is(const struct words *w, size_t i, const char *keyword)
{
	return i < w->count && !w->items[i].quoted && strcasecmp(w->items[i].text, keyword) == 0;
}

/* A name at i ([schema.]name): its last part, lower case unless quoted, in
 * key; as written in shown; returns the index after it. */
static size_t name_at(const struct words *w, size_t i, char *key, size_t key_size, char *shown, size_t shown_size)
{
	size_t n, used = 0;

	key[0] = shown[0] = '\0';
	while (i < w->count) {
		const struct word *part = &w->items[i];

		snprintf(key, key_size, "%s", part->text);
		if (!part->quoted)
			for (n = 0; key[n]; n++)
				key[n] = (char)tolower((unsigned char)key[n]);
		used += (size_t)snprintf(shown + used, used < shown_size ? shown_size - used : 0, "%s%s%s%s",
					 used ? "." : "", part->quoted ? "\"" : "", part->text, part->quoted ? "\"" : "");
		if (used >= shown_size)
			used = shown_size - 1;
		if (!is(w, i + 1, "."))
			return i + 1;
		i += 2;
	}
	return i;
}

static bool is_volatile(const char *name)
{
	static const char *const functions[] = { "random", "clock_timestamp", "timeofday", "gen_random_uuid",
						 "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
						 "nextval", NULL };
	size_t i;

	for (i = 0; functions[i]; i++)
		if (strcasecmp(name, functions[i]) == 0)
			return true;
	return false;
}

static bool created(const struct lint_context *context, const char *table)
{
	size_t i;

	for (i = 0; i < context->created_count; i++)
		if (strcmp(context->created[i], table) == 0)
			return true;
	return false;
}

static void add_created(struct lint_context *context, const char *table)
{
	char **grown = realloc(context->created, (context->created_count + 1) * sizeof(*grown));

	if (!grown || !(grown[context->created_count] = strdup(table)))
		abort();
	context->created = grown;
	context->created_count++;
}

typedef void (*found_fn)(void *sink, const struct lint_rule *rule, const char *subject);

/* A statement that waits for a strong lock on a table in use, before any SET lock_timeout. */
static void strong_lock(struct lint_context *context, const char *table, found_fn found, void *sink)
{
	if (context->lock_timeout_set || context->lock_timeout_told)
		return;
	context->lock_timeout_told = true;
	found(sink, &pg_rules[RULE_LOCK_TIMEOUT], table);
}

/* ALTER TABLE on a table in use: each subcommand that scans or rewrites it. */
static void alter_table(struct lint_context *context, const struct words *w, size_t i, const char *shown,
			found_fn found, void *sink)
{
	bool adds_constraint = false, not_valid = false;
	char subject[160], key[128], column[128];

	for (; i < w->count; i++) {
		if (is(w, i, "NOT") && is(w, i + 1, "VALID"))
			not_valid = true;
		if (is(w, i, "ADD") && (is(w, i + 1, "FOREIGN") || is(w, i + 1, "CHECK") ||
					(is(w, i + 1, "CONSTRAINT") && (is(w, i + 3, "FOREIGN") || is(w, i + 3, "CHECK")))))
			adds_constraint = true;
		if (is(w, i, "ALTER")) {
			size_t c = is(w, i + 1, "COLUMN") ? i + 2 : i + 1, after;

			if (c >= w->count || is(w, c, "CONSTRAINT"))
				continue;
			after = name_at(w, c, key, sizeof(key), column, sizeof(column));
			snprintf(subject, sizeof(subject), "%s.%s", shown, column);
			if (is(w, after, "SET") && is(w, after + 1, "NOT") && is(w, after + 2, "NULL"))
				found(sink, &pg_rules[RULE_SET_NOT_NULL], subject);
			if (is(w, after, "TYPE") || (is(w, after, "SET") && is(w, after + 1, "DATA") && is(w, after + 2, "TYPE")))
				found(sink, &pg_rules[RULE_TYPE_CHANGE], subject);
		}
		if (is(w, i, "ADD") && !is(w, i + 1, "CONSTRAINT") && !is(w, i + 1, "FOREIGN") && !is(w, i + 1, "CHECK") &&
		    !is(w, i + 1, "PRIMARY") && !is(w, i + 1, "UNIQUE") && !is(w, i + 1, "EXCLUDE")) {
			size_t c = is(w, i + 1, "COLUMN") ? i + 2 : i + 1, end;
			int depth = 0;

			if (is(w, c, "IF") && is(w, c + 1, "NOT") && is(w, c + 2, "EXISTS"))
				c += 3;
			if (c >= w->count)
				continue;
			(void)name_at(w, c, key, sizeof(key), column, sizeof(column));
			snprintf(subject, sizeof(subject), "%s.%s", shown, column);
			/* this subcommand: up to the next ',' outside parentheses */
			for (end = c; end < w->count && !(depth == 0 && is(w, end, ",")); end++) {
				depth += is(w, end, "(") - is(w, end, ")");
				if (is(w, end, "DEFAULT")) {
					size_t f;

					for (f = end + 1; f + 1 < w->count && !(is(w, f, ",") && depth == 0); f++)
						if (is(w, f + 1, "(") && is_volatile(w->items[f].text)) {
							found(sink, &pg_rules[RULE_VOLATILE_DEFAULT], subject);
							break;
						}
				}
			}
		}
	}
	if (adds_constraint && !not_valid)
		found(sink, &pg_rules[RULE_NOT_VALID], shown);
	(void)context;
}

static void pg_lint_statement(struct lint_context *context, const char *text, found_fn found, void *sink)
{
	struct words w = { NULL, 0, 0 };
	char key[128], shown[160];
	size_t i = 0;

	split_words(text, &w);
	if (is(&w, 0, "SET") && (is(&w, 1, "LOCAL") || is(&w, 1, "SESSION")))
		i = 1;
	if (is(&w, 0, "SET") && is(&w, i + 1, "lock_timeout"))
		context->lock_timeout_set = true;
	if (is(&w, 0, "CREATE")) {
		i = 1;
		if (is(&w, i, "OR") && is(&w, i + 1, "REPLACE"))
			i += 2;
		while (is(&w, i, "TEMP") || is(&w, i, "TEMPORARY") || is(&w, i, "UNLOGGED") || is(&w, i, "GLOBAL") ||
		       is(&w, i, "LOCAL"))
			i++;
		if (is(&w, i, "TABLE")) {
			i++;
			if (is(&w, i, "IF") && is(&w, i + 1, "NOT") && is(&w, i + 2, "EXISTS"))
				i += 3;
			(void)name_at(&w, i, key, sizeof(key), shown, sizeof(shown));
			add_created(context, key);
		} else if (is(&w, i, "UNIQUE") || is(&w, i, "INDEX")) {
			i += is(&w, i, "UNIQUE");
			if (is(&w, i, "INDEX") && !is(&w, i + 1, "CONCURRENTLY")) {
				for (; i < w.count && !is(&w, i, "ON"); i++)
					;
				i += is(&w, i + 1, "ONLY") ? 2 : 1;
				if (i < w.count) {
					(void)name_at(&w, i, key, sizeof(key), shown, sizeof(shown));
					if (!created(context, key)) {
						found(sink, &pg_rules[RULE_CREATE_INDEX], shown);
						strong_lock(context, shown, found, sink);
					}
				}
			}
		}
	} else if (is(&w, 0, "ALTER") && is(&w, 1, "TABLE")) {
		i = 2;
		if (is(&w, i, "IF") && is(&w, i + 1, "EXISTS"))
			i += 2;
		i += is(&w, i, "ONLY");
		i = name_at(&w, i, key, sizeof(key), shown, sizeof(shown));
		if (!created(context, key)) {
			strong_lock(context, shown, found, sink);
			alter_table(context, &w, i, shown, found, sink);
		}
	} else if ((is(&w, 0, "DROP") && (is(&w, 1, "TABLE") || (is(&w, 1, "INDEX") && !is(&w, 2, "CONCURRENTLY")))) ||
		   is(&w, 0, "TRUNCATE")) {
		i = is(&w, 0, "TRUNCATE") ? 1 + is(&w, 1, "TABLE") : 2;
		if (is(&w, i, "IF") && is(&w, i + 1, "EXISTS"))
			i += 2;
		(void)name_at(&w, i, key, sizeof(key), shown, sizeof(shown));
		if (!created(context, key))
			strong_lock(context, shown, found, sink);
	}
	free(w.items);
}

const struct lint_rules pg_lint_rules = { pg_rules, pg_lint_statement };
