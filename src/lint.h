/* migrate lint: what a migration's statements would lock or rewrite, read
 * from the text alone (no database). The rules are the backend's (its
 * dialect's `lint`); this module runs them over a section and keeps what a
 * file silences with `-- dbctl:allow RULE`. */
#ifndef DBCTL_LINT_H
#define DBCTL_LINT_H

#include "err.h"
#include "sqlscan.h"

#include <stdbool.h>
#include <stddef.h>

struct lint_rule {
	const char *name;   /* "create-index-not-concurrently" */
	const char *why;    /* one line: what it costs on a live database, and the safe way */
};

struct lint_finding {
	const struct lint_rule *rule;
	char file[512];
	int line, column;
	char subject[160];  /* the table (and column) it is about, as written */
};

/* What the statements before this one did, for rules that depend on it. */
struct lint_context {
	char **created;         /* owned; tables created earlier in the same file (lower case, no schema) */
	size_t created_count;
	bool lock_timeout_set;  /* a SET lock_timeout came before */
	bool lock_timeout_told; /* the missing-lock-timeout finding was made for this file */
};

/* A backend's rules: statement judges one statement's text (as lexed) and
 * calls found for each finding; subject says what it is about. */
struct lint_rules {
	const struct lint_rule *rules;   /* ends with { NULL, NULL } */
	void (*statement)(struct lint_context *context, const char *text,
			  void (*found)(void *sink, const struct lint_rule *rule, const char *subject), void *sink);
};

struct lint_report {
	struct lint_finding *findings;   /* owned */
	size_t count, capacity;
	long statements;                 /* statements read */
};

/* Lints one section's text (starting at first_line of path) with rules;
 * the findings of rules that the text silences are dropped. 0, or -1 with
 * exit 3 when the text does not lex. */
int lint_section(const struct lint_rules *rules, enum sqlscan_dialect lexer, const char *path, const char *text, int first_line,
		 struct lint_report *report, struct err *err);

void lint_report_release(struct lint_report *report);

/* The rules of each backend that has them (dialect_*.c point at them). */
extern const struct lint_rules pg_lint_rules;

#endif
