/* Statement lexer for PostgreSQL (psql's boundaries), SQLite and Redis scripts;
 * MySQL's rules are in sqlscan_mysql.c. */
#include "sqlscan.h"
#include "sqlscan_internal.h"
#include "redisargs.h"
#include "sqltext.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum lex_state {
	LEX_NORMAL,
	LEX_BLOCK_COMMENT,
	LEX_STRING,           /* '...': '' escapes a quote */
	LEX_ESCAPE_STRING,    /* E'...': backslash escapes too */
	LEX_QUOTED_NAME,      /* "..." (and SQLite's [...] and `...`) */
	LEX_DOLLAR,           /* $tag$...$tag$ */
};

#define MAX_TOKENS 16

/* What the scanner knows about the statement it is collecting. */
struct lex {
	enum lex_state state;
	char close_quote;            /* LEX_QUOTED_NAME: '"', ']' or '`' */
	int comment_depth;
	int paren_depth;
	int begin_depth;             /* BEGIN ... END inside CREATE FUNCTION/TRIGGER bodies */
	int identifier_count;
	char leading[4];             /* first letters of CREATE/OR/REPLACE/FUNCTION/PROCEDURE/TRIGGER/TEMP */
	bool has_tokens;             /* anything besides comments and ';' */
	bool concurrently;           /* CONCURRENTLY among the first identifiers */
	bool substituted;            /* a variable's value is in the text: text the scanner did not see */
	bool raw_substituted;        /* ... an unquoted one, which may hold whole statements */
	bool begin_pending;          /* BEGIN seen in a routine: a body only if ATOMIC comes next */
	bool label_next;             /* PostgreSQL: the last token was '.' or AS, after which CASE and END are names */
	int token_count;
	int open_line, open_column;  /* where an unterminated construct began */
	/* lex_reset leaves these two alone: only what token_count and state say is set is read */
	char dollar_tag[256];        /* LEX_DOLLAR: the whole delimiter, "$tag$" */
	char tokens[MAX_TOKENS][40]; /* leading tokens at paren depth 0, identifiers upper-cased */
};

/* A new statement; the arrays stay as they are (~900 bytes per statement not to clear). */
static void lex_reset(struct lex *lex)
{
	memset(lex, 0, offsetof(struct lex, dollar_tag));
}

/* The C locale's <ctype.h> classes, without a function call per byte. */
static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

void sqlscan_init(struct sqlscan *scan, FILE *in, const char *name, enum sqlscan_dialect dialect)
{
	memset(scan, 0, sizeof(*scan));
	scan->in = in;
	scan->name = name;
	scan->dialect = dialect;
	scan->line = "";
	scan->line_ascii = true;
	scan->track_strings = true;
	scan->limit = -1;
	memcpy(scan->delimiter, ";", 2);
	redisargs_init(&scan->args);
}

void sqlscan_release(struct sqlscan *scan)
{
	free(scan->read_buffer);
	scan->read_buffer = NULL;
	scan->line = "";
	scan->line_len = 0;
	redisargs_release(&scan->args);
}

void sqlscan_statement_init(struct sqlscan_statement *statement)
{
	memset(statement, 0, sizeof(*statement));
	strbuf_init(&statement->text);
}

void sqlscan_statement_release(struct sqlscan_statement *statement)
{
	strbuf_release(&statement->text);
}

/* ---- helpers on the current line ---- */

static char peek(const struct sqlscan *scan, size_t ahead)
{
	size_t at = scan->pos + ahead;

	return at < scan->line_len ? scan->line[at] : '\0';
}

/* Moves n bytes of the line into the statement. They are copied into its
 * text later, in one piece with their neighbours (keep_taken), not token by
 * token. */
static void take(struct sqlscan *scan, size_t n)
{
	if (n > scan->line_len - scan->pos)
		n = scan->line_len - scan->pos;
	scan->pos += n;
}

/* Copies what was taken since the last copy into the statement's text. */
static void keep_taken(struct sqlscan *scan, struct sqlscan_statement *out)
{
	if (scan->pos > scan->kept)
		strbuf_add(&out->text, scan->line + scan->kept, scan->pos - scan->kept);
	scan->kept = scan->pos;
}

/* Moves past n bytes that are not part of the statement. */
static void skip(struct sqlscan *scan, struct sqlscan_statement *out, size_t n)
{
	keep_taken(scan, out);
	take(scan, n);
	scan->kept = scan->pos;
}

static bool statement_empty(const struct sqlscan *scan, const struct sqlscan_statement *out)
{
	return out->text.len == 0 && scan->pos == scan->kept;
}


static bool is_identifier_start(unsigned char c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

static bool is_identifier_char(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static bool is_variable_char(unsigned char c)
{
	return is_alnum(c) || c == '_' || c >= 0x80;
}

/* Marks where the statement starts, at its first character. */
static void mark_start(struct sqlscan *scan, struct sqlscan_statement *out)
{
	if (statement_empty(scan, out)) {
		out->line = scan->line_number;
		out->column = sqlscan_column(scan) + 1;
	}
}

static void add_token(struct lex *lex, const char *text, size_t len)
{
	size_t i;

	if (lex->paren_depth > 0 || lex->token_count >= MAX_TOKENS)
		return;
	if (len >= sizeof(lex->tokens[0]))
		len = sizeof(lex->tokens[0]) - 1;
	for (i = 0; i < len; i++)
		lex->tokens[lex->token_count][i] = to_upper(text[i]);
	lex->tokens[lex->token_count][len] = '\0';
	lex->token_count++;
}

static bool token_is(const struct lex *lex, int index, const char *word)
{
	return index < lex->token_count && strcmp(lex->tokens[index], word) == 0;
}

/* psql's heuristic for bodies whose ';' do not end the statement: in
 * CREATE [OR REPLACE] FUNCTION/PROCEDURE (BEGIN ATOMIC, not any BEGIN as
 * psql has it) and, for SQLite, CREATE [TEMP] TRIGGER, count BEGIN/CASE ...
 * END outside parentheses. */
static void track_body_keywords(struct lex *lex, enum sqlscan_dialect dialect, const char *word, size_t len)
{
	static const struct {
		const char *word;
		size_t len;
		char mark;
	} leading_words[] = { { "create", 6, 'c' }, { "or", 2, 'o' },        { "replace", 7, 'r' }, { "function", 8, 'f' },
			      { "procedure", 9, 'p' }, { "trigger", 7, 't' }, { "temp", 4, 'T' },    { "temporary", 9, 'T' } };
	bool in_body_statement;
	size_t i;

	/* only CREATE ... statements have bodies: most identifiers stop here */
	if (lex->identifier_count >= 1 && lex->leading[0] != 'c') {
		lex->identifier_count++;
		return;
	}
	if (lex->identifier_count < 4) {
		for (i = 0; i < sizeof(leading_words) / sizeof(leading_words[0]); i++)
			if (leading_words[i].len == len && to_lower(word[0]) == leading_words[i].word[0] &&
			    strncasecmp(word, leading_words[i].word, len) == 0)
				lex->leading[lex->identifier_count] = leading_words[i].mark;
	}
	lex->identifier_count++;
	if (dialect == SQLSCAN_SQLITE)
		in_body_statement = lex->leading[0] == 'c' &&
				    (lex->leading[1] == 't' || (lex->leading[1] == 'T' && lex->leading[2] == 't'));
	else
		in_body_statement = lex->leading[0] == 'c' &&
				    (lex->leading[1] == 'f' || lex->leading[1] == 'p' ||
				     (lex->leading[1] == 'o' && lex->leading[2] == 'r' &&
				      (lex->leading[3] == 'f' || lex->leading[3] == 'p')));
	if (!in_body_statement || lex->paren_depth > 0)
		return;
	/* BEGIN is not reserved in PostgreSQL (a routine or a column may be
	 * called that): only BEGIN ATOMIC opens an SQL-standard body */
	if (lex->begin_pending) {
		lex->begin_pending = false;
		if (len == 6 && strncasecmp(word, "atomic", 6) == 0) {
			lex->begin_depth++;
			return;
		}
	}
	if (len == 5 && strncasecmp(word, "begin", 5) == 0 && dialect == SQLSCAN_POSTGRESQL)
		lex->begin_pending = true;
	else if (len == 5 && strncasecmp(word, "begin", 5) == 0)
		lex->begin_depth++;
	else if (lex->label_next)
		return;   /* x.case, AS end: a column, not a keyword, to the server */
	else if (len == 4 && strncasecmp(word, "case", 4) == 0 && lex->begin_depth > 0)
		lex->begin_depth++;
	else if (len == 3 && strncasecmp(word, "end", 3) == 0 && lex->begin_depth > 0)
		lex->begin_depth--;
}

/* ---- classification ---- */

static void classify(struct lex *lex, enum sqlscan_dialect dialect, struct sqlscan_statement *out)
{
	const char *first = lex->token_count > 0 ? lex->tokens[0] : "";
	int i;

	out->kind = SQLSCAN_PLAIN;
	memcpy(out->what, first, strlen(first) + 1);   /* a token is shorter than what */
	/* every keyword below starts with one of these: INSERT, SELECT, UPDATE need no more */
	if (!first[0] || !strchr("ABCDEPRSV", first[0]))
		return;
	/* COMMIT PREPARED 'x' and ROLLBACK PREPARED 'x' end a prepared transaction,
	 * not the current one, and cannot run inside a transaction block */
	if ((strcmp(first, "COMMIT") == 0 || strcmp(first, "ROLLBACK") == 0) && token_is(lex, 1, "PREPARED")) {
		snprintf(out->what, sizeof(out->what), "%s PREPARED", first);
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		return;
	}
	if (strcmp(first, "BEGIN") == 0 || strcmp(first, "START") == 0 || strcmp(first, "COMMIT") == 0 ||
	    strcmp(first, "END") == 0 || strcmp(first, "ABORT") == 0 ||
	    /* ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name keeps the transaction */
	    (strcmp(first, "ROLLBACK") == 0 && !token_is(lex, 1, "TO") &&
	     !((token_is(lex, 1, "WORK") || token_is(lex, 1, "TRANSACTION")) && token_is(lex, 2, "TO"))) ||
	    (strcmp(first, "PREPARE") == 0 && token_is(lex, 1, "TRANSACTION"))) {
		out->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	if (strcmp(first, "VACUUM") == 0 || (dialect == SQLSCAN_SQLITE && (strcmp(first, "ATTACH") == 0 ||
									   strcmp(first, "DETACH") == 0))) {
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		return;
	}
	if (dialect != SQLSCAN_POSTGRESQL)
		return;
	if ((strcmp(first, "CREATE") == 0 || strcmp(first, "DROP") == 0) &&
	    (token_is(lex, 1, "DATABASE") || token_is(lex, 1, "TABLESPACE"))) {
		snprintf(out->what, sizeof(out->what), "%s %s", first, lex->tokens[1]);
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		return;
	}
	if (strcmp(first, "ALTER") == 0 && token_is(lex, 1, "SYSTEM")) {
		snprintf(out->what, sizeof(out->what), "ALTER SYSTEM");
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		return;
	}
	if (strcmp(first, "DISCARD") == 0 && token_is(lex, 1, "ALL")) {
		snprintf(out->what, sizeof(out->what), "DISCARD ALL");
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		return;
	}
	/* CONCURRENTLY where the grammar puts it, not a column of that name */
	if (((strcmp(first, "CREATE") == 0 || strcmp(first, "DROP") == 0) && token_is(lex, 1, "INDEX") &&
	     token_is(lex, 2, "CONCURRENTLY")) ||
	    (strcmp(first, "CREATE") == 0 && token_is(lex, 1, "UNIQUE") && token_is(lex, 2, "INDEX") &&
	     token_is(lex, 3, "CONCURRENTLY"))) {
		snprintf(out->what, sizeof(out->what), "%s INDEX CONCURRENTLY", first);
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		return;
	}
	/* ALTER TABLE t DETACH PARTITION p CONCURRENTLY: the keyword ends the
	 * statement, after the partition's name ("s.concurrently" is a name) */
	if (strcmp(first, "ALTER") == 0 && token_is(lex, 1, "TABLE") && lex->token_count < MAX_TOKENS) {
		int last = lex->token_count - 1;

		for (i = 2; i + 1 < last; i++)
			if (strcmp(lex->tokens[i], "DETACH") == 0 && token_is(lex, i + 1, "PARTITION"))
				break;
		if (i + 2 < last && token_is(lex, last, "CONCURRENTLY") && !token_is(lex, last - 1, ".")) {
			snprintf(out->what, sizeof(out->what), "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY");
			out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
			return;
		}
	}
	if (strcmp(first, "REINDEX") == 0) {
		/* the ones that commit per table; SCHEMA refuses a transaction block too */
		int object = token_is(lex, 1, "(") ? 2 : 1;

		if (token_is(lex, object, "DATABASE") || token_is(lex, object, "SYSTEM") ||
		    token_is(lex, object, "SCHEMA")) {
			snprintf(out->what, sizeof(out->what), "REINDEX %s", lex->tokens[object]);
			out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
			return;
		}
		for (i = 1; i < lex->token_count && i < 6; i++)
			lex->concurrently = lex->concurrently || strcmp(lex->tokens[i], "CONCURRENTLY") == 0;
		if (lex->concurrently) {
			snprintf(out->what, sizeof(out->what), "REINDEX CONCURRENTLY");
			out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
			return;
		}
	}
	/* psql's rule: COPY, then FROM within the next few tokens (parenthesized
	 * column lists are skipped), then STDIN or STDOUT: inline data follows.
	 * All the tokens kept: COPY BINARY db.schema.table (a) FROM has FROM 9th */
	if (strcmp(first, "COPY") == 0) {
		for (i = 1; i < lex->token_count - 1; i++) {
			if (strcmp(lex->tokens[i], "TO") == 0)
				return;
			if (strcmp(lex->tokens[i], "FROM") == 0) {
				if (token_is(lex, i + 1, "STDIN") || token_is(lex, i + 1, "STDOUT"))
					out->kind = SQLSCAN_COPY_IN;
				return;
			}
		}
	}
}

/* ---- what changes how the server lexes ---- */

/* Whether text names standard_conforming_strings, in any case: looked for
 * at its first underscore only, a byte rarer than letters and without case. */
static bool names_string_setting(const char *text)
{
	static const char name[] = "standard_conforming_strings";
	const size_t before = 8;   /* "standard" */
	const char *p;

	for (p = strchr(text, '_'); p; p = strchr(p + 1, '_'))
		if ((size_t)(p - text) >= before && strncasecmp(p - before, name, sizeof(name) - 1) == 0)
			return true;
	return false;
}

/* The next word of a statement's text, lower-cased, quotes taken off
 * ('off', "off"), punctuation and comments skipped; 0 at the end. */
static size_t next_word(const char **at, char *word, size_t size)
{
	const char *p = *at;
	size_t n = 0;

	for (;;) {
		while (*p && (is_space((unsigned char)*p) || strchr("=(),;", *p)))
			p++;
		if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\r\n");
		else if (p[0] == '/' && p[1] == '*')
			p = strstr(p + 2, "*/") ? strstr(p + 2, "*/") + 2 : p + strlen(p);
		else
			break;
	}
	if (*p == '\'' || *p == '"') {
		char quote = *p++;

		while (*p && *p != quote) {
			if (n + 1 < size)
				word[n++] = to_lower(*p);
			p++;
		}
		if (*p)
			p++;
	} else {
		while (*p && !is_space((unsigned char)*p) && !strchr("=(),;'\"", *p)) {
			if (n + 1 < size)
				word[n++] = to_lower(*p);
			p++;
		}
	}
	word[n] = '\0';
	*at = p;
	return n ? n : (*p ? 1 : 0);
}

/* PostgreSQL's boolean spellings (parse_bool): 1 true, 0 false, -1 not one. */
static int parse_bool(const char *v)
{
	size_t len = strlen(v);

	if (len == 0)
		return -1;
	if (strncmp(v, "true", len) == 0 || strncmp(v, "yes", len) == 0 || (len >= 2 && strncmp(v, "on", len) == 0) ||
	    strcmp(v, "1") == 0)
		return 1;
	if (strncmp(v, "false", len) == 0 || strncmp(v, "no", len) == 0 || (len >= 2 && strncmp(v, "off", len) == 0) ||
	    strcmp(v, "0") == 0)
		return 0;
	return -1;
}

/* What the statement sets standard_conforming_strings to, in every
 * spelling: SET [SESSION|LOCAL] ... {=|TO} value ('off', "off", DEFAULT),
 * RESET ..., RESET ALL, set_config('standard_conforming_strings', 'off', ...).
 * 1 on, 0 off, -1 back to the session's default, -2 not a change it can tell. */
static int string_setting(const char *text)
{
	static const char name[] = "standard_conforming_strings";
	char words[5][32];
	const char *p = text;
	int i, n = 0, on;

	while (n < 5 && next_word(&p, words[n], sizeof(words[n])) > 0)
		n++;
	if (n >= 2 && strcmp(words[0], "reset") == 0)
		return strcmp(words[1], name) == 0 || strcmp(words[1], "all") == 0 ? -1 : -2;
	if (n >= 3 && strcmp(words[0], "set") == 0) {
		i = strcmp(words[1], "session") == 0 || strcmp(words[1], "local") == 0 ? 2 : 1;
		if (i + 1 >= n || strcmp(words[i], name) != 0)
			return -2;
		if (strcmp(words[i + 1], "to") == 0 && ++i + 1 >= n)
			return -2;
		if (strcmp(words[i + 1], "default") == 0)
			return -1;
		on = parse_bool(words[i + 1]);
		return on < 0 ? -2 : on;
	}
	/* SELECT [pg_catalog.]set_config(name, value, is_local): a function body
	 * that calls it changes nothing until the function is called, and then
	 * the run pass sees the server's report */
	if (n < 1 || strcmp(words[0], "select") != 0)
		return -2;
	for (p = text; next_word(&p, words[0], sizeof(words[0])) > 0;) {
		size_t len = strlen(words[0]);

		if (len >= 10 && strcmp(words[0] + len - 10, "set_config") == 0 && next_word(&p, words[1], sizeof(words[1])) &&
		    strcmp(words[1], name) == 0 && next_word(&p, words[2], sizeof(words[2]))) {
			on = parse_bool(words[2]);
			return on < 0 ? -2 : on;
		}
	}
	return -2;
}

/* psql follows the server's standard_conforming_strings, so that 'a\' means
 * the same to both; so does the check pass. Every statement that may change
 * it is marked, so that the runner ends its batch there: the server parses a
 * whole batch with the setting it had when the batch arrived. */
static void track_string_setting(struct sqlscan *scan, const struct lex *lex, struct sqlscan_statement *out)
{
	int setting;

	if (scan->dialect != SQLSCAN_POSTGRESQL)
		return;
	/* RESET ALL and DISCARD ALL reset it; ROLLBACK [TO SAVEPOINT] undoes a SET */
	out->changes_lexing = names_string_setting(out->text.buf) ||
			      ((token_is(lex, 0, "RESET") || token_is(lex, 0, "DISCARD")) && token_is(lex, 1, "ALL")) ||
			      token_is(lex, 0, "ROLLBACK");
	if (!out->changes_lexing || !scan->track_strings)
		return;
	setting = string_setting(out->text.buf);
	if (setting >= 0)
		scan->backslash_strings = setting == 0;
	else if (setting == -1)
		scan->backslash_strings = false;   /* the check pass assumes the server's default is on */
}

/* ---- scanning ---- */

static int unterminated(struct sqlscan *scan, const struct lex *lex, struct err *err)
{
	static const char *const names[] = {
		[LEX_BLOCK_COMMENT] = "/* comment", [LEX_STRING] = "quoted string",
		[LEX_ESCAPE_STRING] = "E'' string", [LEX_QUOTED_NAME] = "quoted identifier",
		[LEX_DOLLAR] = "dollar-quoted string",
	};

	scan->input_ended_open = true;
	if (lex->state == LEX_DOLLAR)
		return err_set(err, EXIT_USAGE, "%s:%d:%d: unterminated dollar-quoted string: no closing %s", scan->name,
			       lex->open_line, lex->open_column, lex->dollar_tag);
	return err_set(err, EXIT_USAGE, "%s:%d:%d: unterminated %s", scan->name, lex->open_line, lex->open_column,
		       names[lex->state]);
}

static void open_construct(struct sqlscan *scan, struct lex *lex, enum lex_state state)
{
	lex->state = state;
	lex->open_line = scan->line_number;
	lex->open_column = sqlscan_column(scan) + 1;
}

/* Tries $tag$ at the current position; its length, or 0 when this '$' is not one. */
static size_t dollar_delimiter(const struct sqlscan *scan)
{
	const char *p = scan->line + scan->pos + 1;
	size_t len = 1;

	if (*p == '$')
		return 2;
	if (!is_identifier_start((unsigned char)*p))
		return 0;
	while (is_identifier_char((unsigned char)p[len - 1]) && p[len - 1] != '$')
		len++;
	return p[len - 1] == '$' ? len + 1 : 0;
}

/* :name, :'name', :"name" — psql's interpolation, outside quotes and comments. */
static void scan_variable(struct sqlscan *scan, struct lex *lex, struct sqlscan_statement *out)
{
	char quote = peek(scan, 1) == '\'' || peek(scan, 1) == '"' ? peek(scan, 1) : 0;
	size_t name_start = scan->pos + 1 + (quote ? 1 : 0), name_end = name_start;
	char name[128];
	struct strbuf value;

	while (name_end < scan->line_len && is_variable_char((unsigned char)scan->line[name_end]))
		name_end++;
	if (name_end == name_start || (quote && (name_end >= scan->line_len || scan->line[name_end] != quote)) ||
	    name_end - name_start >= sizeof(name) || !scan->variable) {
		take(scan, 1);
		return;
	}
	memcpy(name, scan->line + name_start, name_end - name_start);
	name[name_end - name_start] = '\0';
	strbuf_init(&value);
	if (scan->variable(scan->variable_context, name, quote, &value)) {
		keep_taken(scan, out);
		strbuf_add(&out->text, value.buf, value.len);
		skip(scan, out, name_end + (quote ? 1 : 0) - scan->pos);
		lex->substituted = true;
		lex->raw_substituted = lex->raw_substituted || !quote;
	} else {
		take(scan, name_end + (quote ? 1 : 0) - scan->pos);
	}
	strbuf_release(&value);
}

/* SQLite's ?, ?N, @name and $name: nothing of dbctl binds them, and SQLite
 * would take them as NULL without a word. The first one is kept to refuse. */
static void note_parameter(struct sqlscan *scan, struct sqlscan_statement *out)
{
	size_t len = 1;

	while (scan->pos + len < scan->line_len && is_identifier_char((unsigned char)scan->line[scan->pos + len]) &&
	       scan->line[scan->pos + len] != '$')
		len++;
	if (!out->parameter[0]) {
		snprintf(out->parameter, sizeof(out->parameter), "%.*s", (int)len, scan->line + scan->pos);
		out->parameter_line = scan->line_number;
		out->parameter_column = sqlscan_column(scan) + 1;
	}
	take(scan, len);
}

/* sqlite3_complete() finds a ';' outside quotes and comments incomplete only
 * inside CREATE [TEMP] TRIGGER ... END, and its state machine goes there
 * only when the statement's first word is CREATE or EXPLAIN. It quotes and
 * comments as this lexer does for SQLite, so for any other statement its
 * answer is known without asking it (to scan the whole text again). A
 * variable's value is text this lexer did not scan: then ask. */
static bool sqlite_may_continue(const struct lex *lex)
{
	return lex->substituted ||
	       (lex->token_count > 0 &&
		(strncmp(lex->tokens[0], "CREATE", 6) == 0 || strncmp(lex->tokens[0], "EXPLAIN", 7) == 0));
}

/* One step in LEX_NORMAL. Returns 1 when the statement ended, -1 on error. */
static int scan_normal(struct sqlscan *scan, struct lex *lex, struct sqlscan_statement *out, struct err *err)
{
	const char *line = scan->line;
	unsigned char c = (unsigned char)line[scan->pos];
	char next = peek(scan, 1);
	bool postgres = scan->dialect == SQLSCAN_POSTGRESQL;

	/* words and numbers first, the most common tokens: none of the checks
	 * further down is about their first character */
	if (is_identifier_start(c)) {
		const char *word = line + scan->pos;
		size_t len = 1;

		mark_start(scan, out);
		lex->has_tokens = true;
		while (scan->pos + len < scan->line_len && is_identifier_char((unsigned char)word[len]))
			len++;
		if (postgres && len == 1 && (c == 'E' || c == 'e') && word[1] == '\'') {
			take(scan, 1);
			open_construct(scan, lex, LEX_ESCAPE_STRING);
			take(scan, 1);
			return 0;
		}
		if (postgres && len == 1 && (c == 'U' || c == 'u') && word[1] == '&' && (word[2] == '\'' || word[2] == '"')) {
			take(scan, 2);
			return 0;   /* the quote that follows is scanned as usual */
		}
		/* REINDEX (CONCURRENTLY) TABLE t: the option list right after REINDEX */
		if (len == 12 && strncasecmp(word, "concurrently", 12) == 0 && lex->paren_depth == 1 &&
		    lex->token_count == 2 && token_is(lex, 0, "REINDEX"))
			lex->concurrently = true;
		add_token(lex, word, len);
		track_body_keywords(lex, scan->dialect, word, len);
		lex->label_next = postgres && len == 2 && strncasecmp(word, "as", 2) == 0;
		take(scan, len);
		return 0;
	}
	if (is_digit(c)) {
		size_t len = 1;

		mark_start(scan, out);
		lex->has_tokens = true;
		lex->label_next = false;
		while (scan->pos + len < scan->line_len &&
		       (is_alnum((unsigned char)line[scan->pos + len]) || line[scan->pos + len] == '_' ||
			line[scan->pos + len] == '.'))
			len++;
		take(scan, len);
		return 0;
	}
	if (is_space(c)) {
		size_t len = 1;

		while (scan->pos + len < scan->line_len && is_space((unsigned char)line[scan->pos + len]))
			len++;
		if (statement_empty(scan, out))
			skip(scan, out, len);
		else
			take(scan, len);
		return 0;
	}
	if (c == '-' && next == '-') {
		/* leading line comments are not part of the statement, as in psql;
		 * PostgreSQL ends one at a carriage return too (what follows a lone
		 * \r runs), SQLite at a line feed only */
		size_t rest = postgres ? strcspn(line + scan->pos, "\r\n") : scan->line_len - scan->pos;

		while (rest && (line[scan->pos + rest - 1] == '\n' || line[scan->pos + rest - 1] == '\r'))
			rest--;
		if (statement_empty(scan, out))
			skip(scan, out, rest);
		else
			take(scan, rest);
		return 0;
	}
	mark_start(scan, out);
	if (c == '/' && next == '*') {
		open_construct(scan, lex, LEX_BLOCK_COMMENT);
		lex->comment_depth = 1;
		take(scan, 2);
		return 0;
	}
	if (c == ';') {
		lex->label_next = false;
		take(scan, 1);
		/* SQLite's own rule decides when the library is there; the heuristic otherwise */
		if (scan->dialect == SQLSCAN_SQLITE && scan->complete) {
			if (!sqlite_may_continue(lex))
				return 1;
			keep_taken(scan, out);
			return scan->complete(out->text.buf) ? 1 : 0;
		}
		if (lex->paren_depth > 0 || lex->begin_depth > 0)
			return 0;
		return 1;
	}
	lex->has_tokens = true;
	/* PostgreSQL takes any keyword as a column label after these */
	lex->label_next = postgres && c == '.';
	if (c == '\\' && postgres) {
		size_t len = 1;

		while (scan->pos + len < scan->line_len && is_alpha((unsigned char)line[scan->pos + len]))
			len++;
		if (len == 1 && scan->pos + 1 < scan->line_len && !is_space((unsigned char)line[scan->pos + 1]))
			len = 2;   /* \; \! \? */
		err_set(err, EXIT_USAGE, "%s:%d:%d: psql meta-command '%.*s' is not supported in scripts", scan->name,
			scan->line_number, sqlscan_column(scan) + 1, (int)len, line + scan->pos);
		err_hint(err, "dbctl runs SQL only; use -v NAME=VALUE for variables and list files on the command line for \\i");
		return -1;
	}
	if (c == '.' && scan->dialect == SQLSCAN_SQLITE && statement_empty(scan, out)) {
		err_set(err, EXIT_USAGE, "%s:%d:%d: sqlite3 dot-command '%.*s' is not supported in scripts", scan->name,
			scan->line_number, sqlscan_column(scan) + 1, (int)strcspn(line + scan->pos, " \t\r\n"),
			line + scan->pos);
		return -1;
	}
	if (c == '\'') {
		open_construct(scan, lex, postgres && scan->backslash_strings ? LEX_ESCAPE_STRING : LEX_STRING);
		take(scan, 1);
		return 0;
	}
	if (c == '"' || (scan->dialect == SQLSCAN_SQLITE && (c == '[' || c == '`'))) {
		open_construct(scan, lex, LEX_QUOTED_NAME);
		lex->close_quote = c == '[' ? ']' : (char)c;
		add_token(lex, "\"", 1);
		take(scan, 1);
		return 0;
	}
	if (c == '$' && postgres) {
		size_t len = dollar_delimiter(scan);

		if (len >= sizeof(lex->dollar_tag)) {
			err_set(err, EXIT_USAGE, "%s:%d:%d: dollar-quote tag longer than %zu characters", scan->name,
				scan->line_number, sqlscan_column(scan) + 1, sizeof(lex->dollar_tag) - 3);
			return -1;
		}
		if (len) {
			open_construct(scan, lex, LEX_DOLLAR);
			memcpy(lex->dollar_tag, line + scan->pos, len);
			lex->dollar_tag[len] = '\0';
			take(scan, len);
			return 0;
		}
		take(scan, 1);   /* $1: a parameter */
		return 0;
	}
	if (c == ':' && next == ':') {
		take(scan, 2);
		return 0;
	}
	if (c == ':' && scan->dialect != SQLSCAN_REDIS) {
		scan_variable(scan, lex, out);
		return 0;
	}
	/* SQLite's own rule: @, $ and # followed by any identifier character
	 * (@1, $1 and #x are parameters too) */
	if (scan->dialect == SQLSCAN_SQLITE &&
	    (c == '?' || ((c == '@' || c == '$' || c == '#') && is_identifier_char((unsigned char)next)))) {
		note_parameter(scan, out);
		return 0;
	}
	if (c == '(') {
		add_token(lex, "(", 1);
		lex->paren_depth++;
	} else if (c == ')' && lex->paren_depth > 0) {
		lex->paren_depth--;
	} else {
		add_token(lex, line + scan->pos, 1);
	}
	take(scan, 1);
	return 0;
}

/* One step inside a quote, comment or dollar quote. */
static void scan_quoted(struct sqlscan *scan, struct lex *lex)
{
	const char *at = scan->line + scan->pos;
	char c = *at, next = peek(scan, 1);

	switch (lex->state) {
	case LEX_BLOCK_COMMENT: {
		/* only '*' and '/' can end or open a comment: the rest goes in one step */
		size_t len = strcspn(at, "*/");

		if (len > 0)
			take(scan, len);
		else if (c == '*' && next == '/') {
			take(scan, 2);
			if (--lex->comment_depth == 0)
				lex->state = LEX_NORMAL;
		} else if (c == '/' && next == '*' && scan->dialect == SQLSCAN_POSTGRESQL) {
			lex->comment_depth++;   /* PostgreSQL nests them, SQLite does not */
			take(scan, 2);
		} else {
			take(scan, 1);
		}
		return;
	}
	case LEX_ESCAPE_STRING:
		if (c == '\\' && next) {
			take(scan, 2);
			return;
		}
		/* '' and the closing quote work as in plain strings */
		__attribute__((fallthrough));
	case LEX_STRING:
		if (c == '\'' && next == '\'')
			take(scan, 2);
		else if (c == '\'') {
			lex->state = LEX_NORMAL;
			take(scan, 1);
		} else {
			/* everything up to the next quote (or backslash, for E'') is string */
			size_t len = strcspn(at, lex->state == LEX_ESCAPE_STRING ? "'\\" : "'");

			take(scan, len ? len : 1);
		}
		return;
	case LEX_QUOTED_NAME: {
		/* everything up to the closing quote is name */
		const char *close = memchr(at, lex->close_quote, scan->line_len - scan->pos);

		if (!close)
			take(scan, scan->line_len - scan->pos);
		else if (close > at)
			take(scan, (size_t)(close - at));
		else if (next == lex->close_quote && lex->close_quote != ']')
			take(scan, 2);
		else {
			lex->state = LEX_NORMAL;
			take(scan, 1);
		}
		return;
	}
	case LEX_DOLLAR: {
		const char *end = strstr(at, lex->dollar_tag);

		if (!end) {
			take(scan, scan->line_len - scan->pos);
			return;
		}
		take(scan, (size_t)(end - at) + strlen(lex->dollar_tag));
		lex->state = LEX_NORMAL;
		return;
	}
	case LEX_NORMAL:
		break;
	}
}

/* Redis: MULTI and the like would break the run's own transaction. */
static bool redis_transaction_command(const char *what)
{
	switch (what[0]) {   /* most commands are none of these: no strcmp for them */
	case 'M': return strcmp(what, "MULTI") == 0;
	case 'E': return strcmp(what, "EXEC") == 0;
	case 'D': return strcmp(what, "DISCARD") == 0;
	case 'W': return strcmp(what, "WATCH") == 0;
	case 'U': return strcmp(what, "UNWATCH") == 0;
	/* Redis runs these at once, even after MULTI: RESET discards the
	 * transaction (what follows runs unqueued), QUIT closes the connection */
	case 'R': return strcmp(what, "RESET") == 0;
	case 'Q': return strcmp(what, "QUIT") == 0;
	default: return false;
	}
}

/* Commands after which Redis no longer sends one reply per command, or
 * sends them in RESP3 (HELLO 3), which the runner's parser does not read:
 * it would wait for a reply that never comes, or lose the connection on
 * EXEC's, the run applied or not. */
static bool redis_changes_replies(const char *what, const struct redisargs *args)
{
	static const char *const names[] = { "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC" };
	size_t i;

	if (strcmp(what, "CLIENT") == 0)
		return args->count > 1 && strcasecmp(args->values[1], "REPLY") == 0;
	if (strcmp(what, "HELLO") == 0)
		return args->count > 1 && strcmp(args->values[1], "2") != 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(what, names[i]) == 0)
			return true;
	return false;
}

static int next_redis(struct sqlscan *scan, struct sqlscan_statement *out, struct err *err)
{
	for (;;) {
		const char *name;
		size_t len, start, i;
		int rc = sqlscan_read_line(scan, err);

		if (rc <= 0)
			return rc;
		len = scan->line_len;
		while (len && (scan->line[len - 1] == '\n' || scan->line[len - 1] == '\r'))
			len--;
		start = strspn(scan->line, " \t");
		if (start >= len || scan->line[start] == '#')
			continue;
		strbuf_reset(&out->text);
		strbuf_add(&out->text, scan->line + start, len - start);
		out->line = scan->line_number;
		out->column = (int)start + 1;
		if (redisargs_parse(&scan->args, out->text.buf, out->text.len, err) != 0) {
			char reason[sizeof(err->message)];
			int column = out->column + (err->column > 0 ? err->column - 1 : 0);

			memcpy(reason, err->message, sizeof(reason));
			return err_set(err, EXIT_USAGE, "%s:%d:%d: %s", scan->name, out->line, column, reason);
		}
		/* the command's name, upper-cased, up to a \x00 in it */
		name = scan->args.count ? scan->args.values[0] : "";
		for (i = 0; i + 1 < sizeof(out->what) && name[i]; i++)
			out->what[i] = to_upper(name[i]);
		out->what[i] = '\0';
		out->kind = redis_transaction_command(out->what) ? SQLSCAN_TRANSACTION_CONTROL : SQLSCAN_PLAIN;
		out->changes_replies = redis_changes_replies(out->what, &scan->args);
		return 1;
	}
}

int sqlscan_next(struct sqlscan *scan, struct sqlscan_statement *out, struct err *err)
{
	struct lex lex;

	strbuf_reset(&out->text);
	out->line = out->column = 0;
	out->kind = SQLSCAN_PLAIN;
	out->what[0] = '\0';
	out->terminated = true;
	out->raw_substitution = false;
	out->changes_lexing = false;
	out->changes_replies = false;
	out->parameter[0] = '\0';
	out->parameter_line = out->parameter_column = 0;
	scan->input_ended_open = false;
	scan->kept = scan->pos;   /* what the last statement left on this line is not this one's */
	if (scan->copy_pending)
		return err_set(err, EXIT_USAGE, "%s: COPY data not read", scan->name);
	out->commits_implicitly = false;
	out->unseen = false;
	out->not_undone = false;
	if (scan->dialect == SQLSCAN_REDIS)
		return next_redis(scan, out, err);
	if (scan->dialect == SQLSCAN_MYSQL)
		return sqlscan_mysql_next(scan, out, err);

	lex_reset(&lex);
	for (;;) {
		int rc;

		if (scan->pos >= scan->line_len) {
			keep_taken(scan, out);
			rc = sqlscan_read_line(scan, err);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				if (lex.state != LEX_NORMAL)
					return unterminated(scan, &lex, err);
				if (!lex.has_tokens)
					return 0;   /* only comments or blanks were left */
				/* like psql: the last line's newline is not part of the statement */
				if (out->text.len && out->text.buf[out->text.len - 1] == '\n')
					out->text.buf[--out->text.len] = '\0';
				classify(&lex, scan->dialect, out);
				track_string_setting(scan, &lex, out);
				out->raw_substitution = lex.raw_substituted;
				out->terminated = false;
				return 1;
			}
			/* psql drops empty lines between tokens; inside quotes they are data */
			if (scan->dialect == SQLSCAN_POSTGRESQL && lex.state == LEX_NORMAL && scan->line_len == 1 &&
			    scan->line[0] == '\n')
				scan->pos = scan->kept = scan->line_len;
			continue;
		}
		if (lex.state != LEX_NORMAL) {
			scan_quoted(scan, &lex);
			continue;
		}
		rc = scan_normal(scan, &lex, out, err);
		if (rc == 0)
			continue;
		keep_taken(scan, out);
		if (rc < 0)
			return -1;
		if (!lex.has_tokens) {
			/* ";" alone, or comments and ";": nothing to send */
			strbuf_reset(&out->text);
			lex_reset(&lex);
			continue;
		}
		classify(&lex, scan->dialect, out);
		track_string_setting(scan, &lex, out);
		out->raw_substitution = lex.raw_substituted;
		if (out->kind == SQLSCAN_COPY_IN) {
			/* the data starts on the next line; what follows ';' on this
			 * one is blank or a comment in every dump we know of */
			size_t rest = strspn(scan->line + scan->pos, " \t\r\n");

			if (scan->pos + rest < scan->line_len && strncmp(scan->line + scan->pos + rest, "--", 2) != 0)
				return err_set(err, EXIT_USAGE, "%s:%d:%d: text after COPY ... FROM STDIN; on the same line",
					       scan->name, scan->line_number, sqlscan_column(scan) + (int)rest + 1);
			scan->pos = scan->kept = scan->line_len;
			scan->copy_pending = true;
		}
		return 1;
	}
}

int sqlscan_copy_line(struct sqlscan *scan, struct strbuf *out, struct err *err)
{
	int rc = sqlscan_read_line(scan, err);
	size_t len;

	strbuf_reset(out);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		scan->copy_pending = false;
		return err_set(err, EXIT_USAGE, "%s:%d: COPY data ends without a \\. line", scan->name, scan->line_number);
	}
	len = scan->line_len;
	while (len && (scan->line[len - 1] == '\n' || scan->line[len - 1] == '\r'))
		len--;
	scan->pos = scan->kept = scan->line_len;
	if (len == 2 && scan->line[0] == '\\' && scan->line[1] == '.') {
		scan->copy_pending = false;
		return 0;
	}
	strbuf_add(out, scan->line, scan->line_len);
	return 1;
}

/* A source line longer than this is shown as a window around the caret:
 * the message needs a few words of context, not a copy of a huge line. */
#define LOCATE_WINDOW 160

/* Error excerpts go to stderr and CI logs: a password literal becomes one
 * '*' per character, so that the caret still points where it did (audit
 * F23; the shell keeps such statements out of its history). */
static void mask_secrets(struct strbuf *line)
{
	unsigned char *secret = malloc(line->len + 1);

	if (!secret) {
		strbuf_reset(line);   /* nothing shown rather than a password */
		return;
	}
	if (sqltext_secrets(line->buf, line->len, secret))
		line->len = sqltext_mask(line->buf, line->len, secret, line->buf);
	free(secret);
}

void sqlscan_locate_text(const char *text, size_t len, int first_line, int first_column, int position, int *line,
			 int *column, struct strbuf *source_line, int *caret_column)
{
	const char *p = text, *end = text + len, *line_start = text, *line_end, *from, *to;
	int chars = 1, first = 1;

	*line = first_line;
	*column = first_column;
	for (; p < end && chars < position; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		chars++;
		if (*p == '\n') {
			(*line)++;
			*column = 1;
			line_start = p + 1;
			first = 0;
		} else {
			(*column)++;
		}
	}
	line_end = memchr(line_start, '\n', (size_t)(end - line_start));
	if (!line_end)
		line_end = end;
	/* the window: up to half of it before the caret, the rest after, on character boundaries */
	from = p - line_start > LOCATE_WINDOW / 2 ? p - LOCATE_WINDOW / 2 : line_start;
	while (from > line_start && (*from & 0xc0) == 0x80)
		from--;
	to = line_end - from > LOCATE_WINDOW ? from + LOCATE_WINDOW : line_end;
	while (to < line_end && (*to & 0xc0) == 0x80)
		to++;
	strbuf_reset(source_line);
	if (from > line_start)
		strbuf_addstr(source_line, "...");
	strbuf_add(source_line, from, (size_t)(to - from));
	if (to < line_end)
		strbuf_addstr(source_line, "...");
	mask_secrets(source_line);
	/* the first line of a statement starts mid-line in the file */
	*caret_column = first ? *column - first_column + 1 : *column;
	if (from > line_start) {
		const char *q;
		int skipped = 0;

		for (q = line_start; q < from; q++)
			if ((*q & 0xc0) != 0x80)
				skipped++;
		*caret_column = *caret_column - skipped + 3;
	}
}

void sqlscan_locate(const struct sqlscan_statement *statement, int position, int *line, int *column,
		    struct strbuf *source_line, int *caret_column)
{
	sqlscan_locate_text(statement->text.buf, statement->text.len, statement->line, statement->column, position, line,
			    column, source_line, caret_column);
}
