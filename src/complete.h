/* Completion candidates for the shell: SQL keywords, backslash commands,
 * schemas, relations and columns from the catalog, Redis command names. */
#ifndef DBCTL_COMPLETE_H
#define DBCTL_COMPLETE_H

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>

struct complete_name {
	char kind;           /* 's' schema, 'r' relation (table, view, ...), 'c' column, 'k' Redis command */
	char *schema;        /* owned; NULL for none */
	char *relation;      /* owned; the relation of a column, else NULL */
	char *name;          /* owned */
	bool visible;        /* works unqualified: its relation is on the search_path (schemas: always) */
};

struct completer {
	struct engine *engine;                   /* borrowed */
	const char *const *backslash_commands;   /* borrowed, NULL-terminated */
	struct complete_name *names;             /* owned */
	size_t count;
	bool loaded;                             /* the catalog was read (or could not be: then not again until stale) */
};

void complete_init(struct completer *completer, struct engine *engine, const char *const *backslash_commands);
void complete_release(struct completer *completer);

/* The catalog changed (DDL ran): read it again at the next completion. */
void complete_invalidate(struct completer *completer);

/* Candidates for word, the last word of line (the text before the cursor):
 * a NULL-terminated array of malloc()ed strings, or NULL. */
char **complete_words(struct completer *completer, const char *line, const char *word);

#endif
