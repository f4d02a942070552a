/* Statement lexer for MySQL and MariaDB scripts: the boundaries the mysql
 * client (client/mysql.cc, add_line) draws, plus stored-program bodies
 * written without DELIMITER, as golang-migrate, dbmate and goose files are. */
#include "sqlscan_internal.h"
#include "sqlscan_charset.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum my_state {
	MY_NORMAL,
	MY_COMMENT,   /* slash-star comment, not nested */
	MY_STRING,    /* '...' or "...": doubled quote, and backslash unless NO_BACKSLASH_ESCAPES */
	MY_NAME,      /* `...`: doubled backtick, no escapes */
};

#define MY_TOKENS 16
#define MY_WORD 16    /* longer words are no keyword this lexer looks for */
#define MY_DEPTH 64   /* blocks whose kind is kept; deeper ones count as BEGIN ... END */

/* The compound statements of a stored program (and of MariaDB's top level) */
enum my_block {
	BLOCK_BEGIN = 1,
	BLOCK_IF,
	BLOCK_CASE,        /* CASE ... END CASE, a statement */
	BLOCK_CASE_EXPR,   /* CASE ... END inside an expression: no statements in it */
	BLOCK_LOOP,
	BLOCK_WHILE,
	BLOCK_REPEAT,
	BLOCK_FOR,
};
#define BLOCK_UNTIL 0x80   /* REPEAT: its UNTIL came, so the next END closes it */

/* Where a stored program's header is: its body starts once it is over */
enum my_header {
	HEAD_NONE,           /* no stored program */
	HEAD_ROUTINE,        /* PROCEDURE, FUNCTION: name, then the parameter list */
	HEAD_TRAITS,         /* after the parameters: RETURNS, COMMENT, DETERMINISTIC, ... */
	HEAD_COMMENT,        /* COMMENT: its string */
	HEAD_TYPE_FIRST,     /* RETURNS: the type's name */
	HEAD_TYPE,           /* the type's length, UNSIGNED, CHARSET x, ... */
	HEAD_TYPE_ARG,       /* CHARSET, COLLATE: their name */
	HEAD_TRIGGER,        /* up to FOR EACH ROW */
	HEAD_TRIGGER_ORDER,  /* FOLLOWS or PRECEDES, or the body */
	HEAD_TRIGGER_NAME,   /* the trigger FOLLOWS/PRECEDES names */
	HEAD_EVENT,          /* up to DO */
	HEAD_PACKAGE,        /* up to AS or IS (sql_mode=ORACLE) */
	HEAD_START,          /* the next token starts the body */
	HEAD_BODY,           /* in the body (or a compound statement at the top level) */
};

/* DECLARE ... HANDLER FOR conditions, then the handler's statement */
enum my_handler { HANDLER_NONE, HANDLER_CONDITION, HANDLER_SQLSTATE, HANDLER_NOT, HANDLER_DONE };

/* SET assignments, followed token by token (never inside strings) */
enum my_set { SET_NONE, SET_TARGET, SET_AT, SET_ATAT, SET_ATAT_WORD, SET_ATAT_DOT, SET_NAME, SET_VALUE, SET_SKIP };
enum my_variable { VARIABLE_OTHER, VARIABLE_AUTOCOMMIT, VARIABLE_SQL_MODE };

/* One statement's leading tokens and what its SET assignments do */
struct my_stmt {
	int count;
	enum my_set set;
	bool set_global;            /* SET GLOBAL: it lasts for the assignments after it */
	bool atat_global;           /* @@global. (@@persist., @@persist_only.) */
	const char *atat_how;       /* which of them, for the message */
	bool atat_scope;            /* @@global, @@session or @@local: a '.' may follow */
	enum my_variable variable;  /* the assignment's target */
	char global[24];            /* the first GLOBAL, PERSIST or @@global. of its targets, as "SET GLOBAL"; "" none */
	bool autocommit;            /* assigns the session's autocommit */
	bool sql_mode;              /* assigns the session's sql_mode */
	int no_backslash;           /* after it: 1 NO_BACKSLASH_ESCAPES, 0 not, -1 unchanged, 2 unknown (not a literal) */
	char tokens[MY_TOKENS][40]; /* outside parentheses, words upper-cased */
};

/* What a statement does to the run's transaction */
struct my_verdict {
	enum sqlscan_kind kind;
	bool commits_implicitly;
	bool unseen;
	bool not_undone;
	char what[64];
};

struct my_lex {
	enum my_state state;
	char quote;              /* MY_STRING: '\'' or '"' */
	bool comment_skipped;    /* the comment came before the statement: not part of its text */
	bool code_comment;       /* inside an executable comment (bang or M-bang): code */
	bool has_tokens;
	int paren_depth;
	int open_line, open_column;
	int code_line, code_column;   /* where the executable comment began */
	size_t value_at;         /* the sql_mode string's opening quote in the text, + 1; 0 when none */
	bool found;              /* verdict holds the first statement that breaks a transaction */
	struct my_verdict verdict;
	struct my_verdict first; /* the text's first statement's */
	int statements;          /* statements of the text before this one (DELIMITER, goose) */
	const char *after_first; /* how the messages name the statements after the first */
	struct my_stmt *value_for;   /* the statement whose sql_mode string value is being read */
	int pending_mode;        /* NO_BACKSLASH_ESCAPES after the text so far (-1: unchanged, 2: unknown) */
	bool changes_lexing;
	bool saw_set;            /* a SET statement came by */
	char gated[24];          /* a version comment the server may run or skip (the first one's marker), or "" */
	/* from here on, per statement of the text (a DELIMITER or goose block may hold several) */
	enum my_header header;
	bool object_seen;        /* CREATE ...: the object's type came by */
	bool executes;           /* a compound statement run now (BEGIN NOT ATOMIC, IF at the top level) */
	bool begin_first;        /* the statement began with BEGIN: NOT ATOMIC may follow */
	bool stmt_start;         /* in a body, the next token starts a statement */
	bool label;              /* the last word started a statement: a ':' makes it a label */
	bool after_end;          /* the last word was END: IF, CASE, LOOP... or a label may follow */
	bool after_dot;          /* x.end: a name */
	int declare;             /* DECLARE (1), ... HANDLER (2) */
	enum my_handler handler;
	int depth;               /* open blocks */
	bool sub_active;         /* executes: sub holds the statement inside the block being read */
	char prev[MY_WORD];      /* the last token, upper-cased (words) or the punctuation */
	struct my_stmt sub;
	struct my_stmt st;
	/* blocks[0..depth) (not cleared: depth says how many hold something) */
	unsigned char blocks[MY_DEPTH];
	int block_paren[MY_DEPTH];
};

static void stmt_reset(struct my_stmt *st)
{
	st->count = 0;
	st->set = SET_NONE;
	st->set_global = st->atat_global = st->atat_scope = st->autocommit = st->sql_mode = false;
	st->variable = VARIABLE_OTHER;
	st->no_backslash = -1;
	st->global[0] = '\0';
}

/* The per-statement part, for the next statement of the same text. */
static void my_next_statement(struct my_lex *lex)
{
	memset(&lex->header, 0, offsetof(struct my_lex, sub) - offsetof(struct my_lex, header));
	stmt_reset(&lex->sub);
	stmt_reset(&lex->st);
}

static void my_reset(struct my_lex *lex)
{
	memset(lex, 0, offsetof(struct my_lex, header));
	lex->pending_mode = -1;
	my_next_statement(lex);
}

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
	       c >= 0x80;
}

static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool in_list(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

static bool is(const char *word, const char *keyword)
{
	return strcmp(word, keyword) == 0;
}

/* ---- moving along the line (as in sqlscan.c) ---- */

static void take(struct sqlscan *scan, size_t n)
{
	if (n > scan->line_len - scan->pos)
		n = scan->line_len - scan->pos;
	scan->pos += n;
}

static void keep_taken(struct sqlscan *scan, struct sqlscan_statement *out)
{
	if (scan->pos > scan->kept)
		strbuf_add(&out->text, scan->line + scan->kept, scan->pos - scan->kept);
	scan->kept = scan->pos;
}

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

/* Before the statement, n bytes are dropped; inside it, kept. */
static void pass(struct sqlscan *scan, struct sqlscan_statement *out, size_t n)
{
	if (statement_empty(scan, out))
		skip(scan, out, n);
	else
		take(scan, n);
}

static void mark_start(struct sqlscan *scan, struct my_lex *lex, struct sqlscan_statement *out)
{
	if (statement_empty(scan, out)) {
		out->line = scan->line_number;
		out->column = sqlscan_column(scan) + 1;
	}
	lex->has_tokens = true;
}

/* :name, :'name', :"name": dbctl's -v interpolation, as in sqlscan.c (psql's
 * form), outside quotes and comments; ':=' is assignment, and a label's ':'
 * is followed by a blank. The value is the caller's (the driver quotes it
 * with the session's own escaping); an undefined name stays as written. */
static bool my_variable(struct sqlscan *scan, struct sqlscan_statement *out)
{
	const char *line = scan->line;
	char quote = scan->pos + 1 < scan->line_len && (line[scan->pos + 1] == '\'' || line[scan->pos + 1] == '"')
			     ? line[scan->pos + 1] : 0;
	size_t start = scan->pos + 1 + (quote ? 1 : 0), end = start;
	char name[128];
	struct strbuf value;
	bool defined;

	while (end < scan->line_len && (is_word_char((unsigned char)line[end]) && line[end] != '$'))
		end++;
	if (!scan->variable || end == start || end - start >= sizeof(name) ||
	    (quote && (end >= scan->line_len || line[end] != quote)))
		return false;
	memcpy(name, line + start, end - start);
	name[end - start] = '\0';
	strbuf_init(&value);
	defined = scan->variable(scan->variable_context, name, quote, &value);
	if (defined) {
		keep_taken(scan, out);
		strbuf_add(&out->text, value.buf, value.len);
		skip(scan, out, end + (quote ? 1 : 0) - scan->pos);
		out->raw_substitution = out->raw_substitution || !quote;
	}
	strbuf_release(&value);
	return defined;
}

static void open_construct(struct sqlscan *scan, struct my_lex *lex, enum my_state state)
{
	lex->state = state;
	lex->open_line = scan->line_number;
	lex->open_column = sqlscan_column(scan) + 1;
}

static bool token_is(const struct my_stmt *st, int index, const char *word)
{
	return index < st->count && strcmp(st->tokens[index], word) == 0;
}

/* ---- one statement's tokens: its leading words, its SET assignments ---- */

static enum my_variable variable_of(const char *word)
{
	return is(word, "AUTOCOMMIT") ? VARIABLE_AUTOCOMMIT : is(word, "SQL_MODE") ? VARIABLE_SQL_MODE : VARIABLE_OTHER;
}

/* The value of the assignment begins: what it sets is the session's own
 * unless GLOBAL or @@global. said otherwise. */
static void assign(struct my_stmt *st)
{
	if (!st->set_global && !st->atat_global) {
		if (st->variable == VARIABLE_AUTOCOMMIT)
			st->autocommit = true;
		if (st->variable == VARIABLE_SQL_MODE) {
			st->sql_mode = true;
			st->no_backslash = 2;   /* unknown unless a string follows */
		}
	}
	st->set = SET_VALUE;
}

/* MySQL 8's PERSIST and PERSIST_ONLY write the server's settings as GLOBAL does, and to disk. */
static bool is_global_scope(const char *word)
{
	return is(word, "GLOBAL") || is(word, "PERSIST") || is(word, "PERSIST_ONLY");
}

/* The statement assigns a server-wide setting: named in st->global, once. */
static void mark_global(struct my_stmt *st, const char *how)
{
	if (!st->global[0])
		snprintf(st->global, sizeof(st->global), "SET %s", how);
}

/* A token of the statement: a word (upper-cased; "" when too long for a
 * keyword), or punctuation, "'" a string, "`" a quoted name. */
static void stmt_token(struct my_stmt *st, const char *word, const char *text, size_t len, int paren_depth)
{
	if (paren_depth == 0 && st->count < MY_TOKENS && *text != '\'' && *text != ')') {
		size_t i;

		if (len >= sizeof(st->tokens[0]))
			len = sizeof(st->tokens[0]) - 1;
		for (i = 0; i < len; i++)
			st->tokens[st->count][i] = to_upper(text[i]);
		st->tokens[st->count][len] = '\0';
		st->count++;
	}
	if (st->count == 1 && is(word, "SET")) {
		st->set = SET_TARGET;
		return;
	}
	if (st->count == 2 && st->set == SET_TARGET && is(word, "STATEMENT")) {
		st->set = SET_NONE;   /* SET STATEMENT x = v FOR ...: for that statement only */
		return;
	}
	if (paren_depth > 0)
		return;
	switch (st->set) {
	case SET_NONE:
		return;
	case SET_TARGET:
		st->atat_global = false;
		if (is_global_scope(word)) {
			st->set_global = true;
			mark_global(st, word);
		} else if (is(word, "SESSION") || is(word, "LOCAL"))
			st->set_global = false;
		else if (is(word, "@"))
			st->set = SET_AT;
		else if (is_word_char((unsigned char)*text)) {
			st->variable = variable_of(word);
			st->set = SET_NAME;
		} else
			st->set = SET_SKIP;
		return;
	case SET_AT:   /* @x: a user variable */
		st->set = is(word, "@") ? SET_ATAT : SET_SKIP;
		return;
	case SET_ATAT:
		st->variable = variable_of(word);
		st->atat_global = is_global_scope(word);
		st->atat_how = is(word, "GLOBAL") ? "@@global." : is(word, "PERSIST") ? "@@persist." : "@@persist_only.";
		st->atat_scope = st->atat_global || is(word, "SESSION") || is(word, "LOCAL");
		st->set = is_word_char((unsigned char)*text) ? SET_ATAT_WORD : SET_SKIP;
		return;
	case SET_ATAT_WORD:   /* @@session. or @@autocommit = */
		if (is(word, ".") && st->atat_scope) {
			if (st->atat_global)
				mark_global(st, st->atat_how);
			st->set = SET_ATAT_DOT;
			return;
		}
		st->atat_global = false;
		if (is(word, "=") || is(word, ":="))
			assign(st);
		else
			st->set = SET_SKIP;
		return;
	case SET_ATAT_DOT:
		st->variable = variable_of(word);
		st->set = is_word_char((unsigned char)*text) ? SET_NAME : SET_SKIP;
		return;
	case SET_NAME:
		if (is(word, "=") || is(word, ":="))
			assign(st);
		else
			st->set = SET_SKIP;
		return;
	case SET_VALUE:
	case SET_SKIP:
		if (is(word, ",")) {
			st->set = SET_TARGET;
			st->variable = VARIABLE_OTHER;
		} else
			st->set = SET_SKIP;
		return;
	}
}

/* ---- classification ---- */

static void set_what(struct my_verdict *v, const char *first, const char *second)
{
	snprintf(v->what, sizeof(v->what), "%s%s%s", first, second ? " " : "", second ? second : "");
}

/* What CREATE, ALTER and DROP commit implicitly for (MariaDB's list), and
 * the four that have bodies. */
static const char *const committing_objects[] = { "DATABASE", "SCHEMA", "EVENT",  "FUNCTION", "PROCEDURE",
						  "SEQUENCE", "SERVER", "TABLE",  "VIEW",     "INDEX",
						  "TRIGGER",  "USER",   "ROLE",   "TABLESPACE", "PACKAGE", NULL };

/* What the statement whose leading tokens are tokens[0..count) does to the
 * run's transaction (MariaDB's list of statements that commit implicitly,
 * §5.1 of the research, as observed on 10.11). */
static void classify(const char (*tokens)[40], int count, const struct my_stmt *st, struct my_verdict *v)
{
	static const char *const committing_verbs[] = { "GRANT", "REVOKE", "FLUSH", "RESET", "SHUTDOWN", "BACKUP", NULL };
	static const char *const maintenance[] = { "ANALYZE", "OPTIMIZE", "REPAIR", "CHECK", NULL };
	const char *first = count > 0 ? tokens[0] : "";
	const char *second = count > 1 ? tokens[1] : "";
	int i;

	v->kind = SQLSCAN_PLAIN;
	v->commits_implicitly = v->unseen = v->not_undone = false;
	set_what(v, first, NULL);
	if ((is(first, "BEGIN") && !is(second, "NOT")) || is(first, "COMMIT") || is(first, "XA") ||
	    (is(first, "START") && is(second, "TRANSACTION")) ||
	    /* ROLLBACK [WORK] TO [SAVEPOINT] keeps the transaction */
	    (is(first, "ROLLBACK") && !is(second, "TO") && !(is(second, "WORK") && count > 2 && is(tokens[2], "TO")))) {
		if (is(first, "START"))
			set_what(v, first, "TRANSACTION");
		v->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	if ((is(first, "LOCK") || is(first, "UNLOCK")) && (is(second, "TABLES") || is(second, "TABLE"))) {
		set_what(v, first, "TABLES");
		v->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	if (st && st->autocommit) {
		set_what(v, "SET", "autocommit");
		v->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	/* it runs in the transaction, but its change is the server's, outside it */
	if (st && st->global[0]) {
		snprintf(v->what, sizeof(v->what), "%s", st->global);
		v->not_undone = true;
		return;
	}
	/* SET STATEMENT var = value FOR statement: that statement's kind */
	if (is(first, "SET") && is(second, "STATEMENT")) {
		for (i = 2; i < count && !is(tokens[i], "FOR"); i++)
			;
		if (i + 1 < count) {
			classify(tokens + i + 1, count - i - 1, NULL, v);
		} else {
			set_what(v, "SET", "STATEMENT");
			v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
			v->unseen = true;   /* its FOR statement is too far on to be read */
		}
		return;
	}
	/* the statement they run is text dbctl does not see: it may commit */
	if (is(first, "EXECUTE")) {
		set_what(v, first, is(second, "IMMEDIATE") ? second : NULL);
		v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		v->unseen = true;
		return;
	}
	/* a procedure's body was created earlier and is not in the script: it
	 * may commit (COMMIT AND CHAIN, DDL, SET autocommit = 1) in ways the
	 * run's check after the batch cannot see (audit F1, F2, F10) */
	if (is(first, "CALL")) {
		set_what(v, first, NULL);
		v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		v->unseen = true;
		return;
	}
	if (is(first, "CREATE") || is(first, "ALTER") || is(first, "DROP")) {
		bool temporary = false;

		for (i = 1; i < count; i++) {
			if (is(tokens[i], "TEMPORARY"))
				temporary = true;
			if (in_list(tokens[i], committing_objects))
				break;
		}
		if (i >= count)
			return;
		set_what(v, first, tokens[i]);
		/* TEMPORARY tables and loadable functions (SONAME) are the exceptions */
		if (temporary && is(tokens[i], "TABLE"))
			return;
		for (; i < count; i++)
			if (is(tokens[i], "SONAME"))
				return;
		v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		v->commits_implicitly = true;
		return;
	}
	/* CACHE INDEX and LOAD INDEX INTO CACHE are on the list, but 10.11 keeps
	 * the transaction open across them (observed: @@in_transaction stays 1) */
	if ((is(first, "RENAME") && (is(second, "TABLE") || is(second, "USER"))) ||
	    (is(first, "CHANGE") && (is(second, "MASTER") || is(second, "REPLICATION"))) ||
	    ((is(first, "START") || is(first, "STOP")) && (is(second, "SLAVE") || is(second, "REPLICA") || is(second, "ALL"))) ||
	    ((is(first, "INSTALL") || is(first, "UNINSTALL")) && (is(second, "PLUGIN") || is(second, "SONAME"))) ||
	    (is(first, "SET") && is(second, "PASSWORD"))) {
		set_what(v, first, second);
		v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		v->commits_implicitly = true;
		return;
	}
	if (is(first, "TRUNCATE") || in_list(first, committing_verbs)) {
		if (is(first, "TRUNCATE"))
			set_what(v, first, "TABLE");
		if (is(first, "BACKUP"))
			set_what(v, first, second);
		v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		v->commits_implicitly = true;
		return;
	}
	/* ANALYZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE: ANALYZE SELECT is a query */
	if (in_list(first, maintenance)) {
		for (i = 1; i < count && i < 3; i++)
			if (is(tokens[i], "TABLE") || is(tokens[i], "TABLES")) {
				set_what(v, first, "TABLE");
				v->kind = SQLSCAN_OUTSIDE_TRANSACTION;
				v->commits_implicitly = true;
				return;
			}
	}
}

/* A statement of the text is over (the text's last, one before a ';' that
 * does not end the text, or one inside a compound statement that runs now):
 * the first one that would break the run's transaction is the text's
 * verdict, named after the statement it is in. */
static void judge(struct my_lex *lex, const struct my_stmt *st, bool first, const char *inside)
{
	struct my_verdict v;

	if (token_is(st, 0, "SET"))
		lex->saw_set = true;
	if (st->sql_mode) {
		lex->changes_lexing = true;
		if (st->no_backslash >= 0)
			lex->pending_mode = st->no_backslash;
	}
	classify(st->tokens, st->count, st, &v);
	if (first)
		lex->first = v;
	if (lex->found || st->count == 0 || (v.kind == SQLSCAN_PLAIN && !v.not_undone))
		return;
	lex->found = true;
	lex->verdict = v;
	if (inside)
		snprintf(lex->verdict.what, sizeof(lex->verdict.what), "%s %s", v.what, inside);
}

/* ---- stored programs and compound statements ---- */

static const char *const routine_traits[] = { "LANGUAGE", "SQL",      "NOT",     "DETERMINISTIC", "CONTAINS",
					      "NO",       "READS",    "MODIFIES", "DATA",         "SECURITY",
					      "DEFINER",  "INVOKER",  "AGGREGATE", NULL };
static const char *const type_words[] = { "UNSIGNED", "SIGNED",  "ZEROFILL", "BINARY",  "ASCII",    "UNICODE",
					  "BYTE",     "PRECISION", "VARYING", "VARCHAR", "CHAR",     "CHARACTER",
					  "VARCHAR2", "RAW",     "TEXT",     NULL };
static const char *const closed_by_end[] = { "IF", "CASE", "LOOP", "WHILE", "REPEAT", "FOR", NULL };

static int block_top(const struct my_lex *lex)
{
	if (lex->depth == 0)
		return 0;
	return lex->depth > MY_DEPTH ? BLOCK_BEGIN : lex->blocks[lex->depth - 1] & ~BLOCK_UNTIL;
}

static void block_push(struct my_lex *lex, int kind)
{
	if (lex->depth < MY_DEPTH) {
		lex->blocks[lex->depth] = (unsigned char)kind;
		lex->block_paren[lex->depth] = lex->paren_depth;
	}
	lex->depth++;
}

static bool block_paren_is(const struct my_lex *lex)
{
	return lex->depth > MY_DEPTH || lex->block_paren[lex->depth - 1] == lex->paren_depth;
}

/* The name for what an executed block holds, in messages. */
static const char *outer_name(const struct my_lex *lex)
{
	if (token_is(&lex->st, 0, "BEGIN"))
		return "inside BEGIN NOT ATOMIC";
	return "inside a compound statement";
}

/* In a compound statement that runs now, each statement in it is judged. */
static void inner_end(struct my_lex *lex)
{
	if (!lex->sub_active)
		return;
	judge(lex, &lex->sub, false, outer_name(lex));
	lex->sub_active = false;
}

static void inner_start(struct my_lex *lex)
{
	if (!lex->executes)
		return;
	inner_end(lex);
	stmt_reset(&lex->sub);
	lex->sub_active = true;
}

static void start_body(struct my_lex *lex)
{
	lex->header = HEAD_BODY;
	lex->stmt_start = true;
}

/* A word of a stored program's header: true when it belongs to it. */
static bool header_word(struct my_lex *lex, const char *word)
{
	if (lex->paren_depth > 0)
		return true;   /* parameters, a type's length */
	switch (lex->header) {
	case HEAD_ROUTINE:
	case HEAD_TRIGGER:
		if (lex->header == HEAD_TRIGGER && is(word, "ROW") && is(lex->prev, "EACH"))
			lex->header = HEAD_TRIGGER_ORDER;
		return true;
	case HEAD_EVENT:
		if (is(word, "DO") && !is(lex->prev, "EVENT"))
			lex->header = HEAD_START;
		return true;
	case HEAD_PACKAGE:
		if ((is(word, "AS") || is(word, "IS")) && !is(lex->prev, "PACKAGE") && !is(lex->prev, "BODY")) {
			start_body(lex);
			block_push(lex, BLOCK_BEGIN);   /* closed by the package's END */
		}
		return true;
	case HEAD_COMMENT:
	case HEAD_TYPE_ARG:
		lex->header = lex->header == HEAD_COMMENT ? HEAD_TRAITS : HEAD_TYPE;
		return true;
	case HEAD_TYPE_FIRST:
		lex->header = HEAD_TYPE;
		return true;
	case HEAD_TYPE:
		if (is(word, "CHARSET") || is(word, "SET") || is(word, "COLLATE")) {
			lex->header = HEAD_TYPE_ARG;
			return true;
		}
		if (in_list(word, type_words))
			return true;
		lex->header = HEAD_TRAITS;
		/* fall through */
	case HEAD_TRAITS:
		if (is(word, "RETURNS"))
			lex->header = HEAD_TYPE_FIRST;
		else if (is(word, "COMMENT"))
			lex->header = HEAD_COMMENT;
		else if (!in_list(word, routine_traits))
			break;
		return true;
	case HEAD_TRIGGER_ORDER:
		if (is(word, "FOLLOWS") || is(word, "PRECEDES")) {
			lex->header = HEAD_TRIGGER_NAME;
			return true;
		}
		break;
	case HEAD_TRIGGER_NAME:
		lex->header = HEAD_START;
		return true;
	case HEAD_START:
	case HEAD_NONE:
	case HEAD_BODY:
		break;
	}
	start_body(lex);
	return false;
}

/* A token other than a word in the header. */
static void header_other(struct my_lex *lex, char c)
{
	if (c == ')' && lex->paren_depth == 0 && lex->header == HEAD_ROUTINE)
		lex->header = HEAD_TRAITS;
	else if (lex->paren_depth > 0 || c == '(' || c == ')' || c == '.')
		return;
	else if (c == '\'' && (lex->header == HEAD_COMMENT || lex->header == HEAD_TYPE_ARG))
		lex->header = lex->header == HEAD_COMMENT ? HEAD_TRAITS : HEAD_TYPE;
	else if (c == '`' && lex->header == HEAD_TRIGGER_NAME)
		lex->header = HEAD_START;
	else if (lex->header == HEAD_START || lex->header == HEAD_TRAITS || lex->header == HEAD_TYPE ||
		 lex->header == HEAD_TRIGGER_ORDER) {
		lex->header = HEAD_BODY;   /* a body that starts with punctuation: no block */
	}
}

/* DECLARE ... HANDLER FOR conditions: true while word is one of them. */
static bool handler_word(struct my_lex *lex, const char *word)
{
	switch (lex->handler) {
	case HANDLER_CONDITION:
		lex->handler = is(word, "SQLSTATE") ? HANDLER_SQLSTATE : is(word, "NOT") ? HANDLER_NOT : HANDLER_DONE;
		return true;
	case HANDLER_SQLSTATE:
		if (!is(word, "VALUE"))
			lex->handler = HANDLER_DONE;
		return true;
	case HANDLER_NOT:
		lex->handler = HANDLER_DONE;
		return true;
	case HANDLER_DONE:
	case HANDLER_NONE:
		break;
	}
	lex->handler = HANDLER_NONE;
	return false;   /* the handler's statement starts here */
}

/* The top level: the statement's first words may make it a stored program
 * (CREATE PROCEDURE ...) or a compound statement that runs now. */
static void top_word(struct my_lex *lex, const char *word)
{
	if (lex->st.count == 1) {
		if (in_list(word, closed_by_end)) {
			/* MariaDB runs IF, CASE, LOOP, WHILE, REPEAT, FOR outside programs too */
			lex->executes = true;
			start_body(lex);
		}
		lex->begin_first = is(word, "BEGIN");
		lex->label = true;
		return;
	}
	if (lex->st.count == 2 && lex->begin_first && is(word, "NOT")) {
		/* MariaDB's anonymous block, BEGIN NOT ATOMIC ... END */
		lex->executes = true;
		start_body(lex);
		block_push(lex, BLOCK_BEGIN);
		lex->stmt_start = true;
		return;
	}
	if (!lex->object_seen && lex->paren_depth == 0 &&
	    (token_is(&lex->st, 0, "CREATE") || (token_is(&lex->st, 0, "ALTER") && is(word, "EVENT"))) &&
	    in_list(word, committing_objects)) {
		lex->object_seen = true;
		if (is(word, "PROCEDURE") || is(word, "FUNCTION"))
			lex->header = HEAD_ROUTINE;
		else if (is(word, "TRIGGER"))
			lex->header = HEAD_TRIGGER;
		else if (is(word, "EVENT"))
			lex->header = HEAD_EVENT;
		else if (is(word, "PACKAGE"))
			lex->header = HEAD_PACKAGE;
	}
}

/* The server parses a stored program's body, and a compound statement, as
 * one statement: count its blocks, so that only a ';' outside them ends
 * it. A block opens only where a statement starts (BEGIN, IF, CASE, LOOP,
 * WHILE, REPEAT, FOR, after ';', THEN, ELSE, DO, a label...): elsewhere
 * these words are names or functions (begin INT, IF(a, b, c), t.end, @begin).
 * word is upper-cased. */
static void body_word(struct my_lex *lex, const char *word)
{
	bool at_start = lex->stmt_start;
	int top = block_top(lex);

	lex->stmt_start = lex->label = false;
	if (lex->header == HEAD_NONE) {
		top_word(lex, word);
		if (lex->header != HEAD_BODY)
			return;
		at_start = lex->stmt_start;
		lex->stmt_start = false;
		if (!at_start)
			return;
	} else if (lex->header != HEAD_BODY) {
		if (header_word(lex, word))
			return;
		at_start = lex->stmt_start;
		lex->stmt_start = false;
	}
	if (lex->after_dot || is(lex->prev, "@"))
		return;   /* NEW.end, @begin: names */
	if (lex->after_end) {
		lex->after_end = false;
		return;   /* END IF, END LOOP, END lbl: what END closed */
	}
	if (lex->handler != HANDLER_NONE) {
		if (handler_word(lex, word))
			return;
		at_start = true;
	}
	if (at_start) {
		/* BEGIN [NOT ATOMIC] and END are no statement of their own to judge */
		if (is(word, "BEGIN") || is(word, "END") || (is(word, "NOT") && is(lex->prev, "BEGIN")) ||
		    (is(word, "ATOMIC") && is(lex->prev, "NOT")))
			inner_end(lex);
		else
			inner_start(lex);
		lex->label = true;
		if (is(word, "BEGIN")) {
			block_push(lex, BLOCK_BEGIN);
			lex->stmt_start = true;
		} else if ((is(word, "NOT") && is(lex->prev, "BEGIN")) || (is(word, "ATOMIC") && is(lex->prev, "NOT"))) {
			lex->stmt_start = true;
		} else if (is(word, "END")) {
			if (lex->depth > 0) {
				lex->depth--;
				lex->after_end = true;
			}
		} else if (is(word, "IF") || is(word, "CASE") || is(word, "WHILE") || is(word, "FOR")) {
			block_push(lex, is(word, "IF") ? BLOCK_IF : is(word, "CASE") ? BLOCK_CASE
									 : is(word, "WHILE") ? BLOCK_WHILE : BLOCK_FOR);
		} else if (is(word, "LOOP") || is(word, "REPEAT")) {
			block_push(lex, is(word, "LOOP") ? BLOCK_LOOP : BLOCK_REPEAT);
			lex->stmt_start = true;
		} else if (is(word, "ELSE") && (top == BLOCK_IF || top == BLOCK_CASE)) {
			lex->stmt_start = true;
		} else if (is(word, "UNTIL") && top == BLOCK_REPEAT && lex->depth <= MY_DEPTH) {
			lex->blocks[lex->depth - 1] |= BLOCK_UNTIL;
		} else if (is(word, "DECLARE")) {
			lex->declare = 1;
		}
		return;
	}
	if (lex->declare == 1 && is(word, "HANDLER")) {
		lex->declare = 2;
	} else if (lex->declare == 2 && is(word, "FOR")) {
		lex->declare = 0;
		lex->handler = HANDLER_CONDITION;
	} else if ((is(word, "THEN") || is(word, "ELSE")) && (top == BLOCK_IF || top == BLOCK_CASE)) {
		lex->stmt_start = true;
	} else if (is(word, "DO") && (top == BLOCK_WHILE || top == BLOCK_FOR)) {
		lex->stmt_start = true;
	} else if (is(word, "CASE")) {
		block_push(lex, BLOCK_CASE_EXPR);
	} else if (is(word, "END") && lex->depth > 0 && block_paren_is(lex) &&
		   (top == BLOCK_CASE_EXPR || (lex->depth <= MY_DEPTH && lex->blocks[lex->depth - 1] == (BLOCK_REPEAT | BLOCK_UNTIL)))) {
		lex->depth--;
		lex->after_end = top != BLOCK_CASE_EXPR;
	}
}

/* A token other than a word: punctuation c, '\'' for a string, '`' for a quoted name. */
static void body_other(struct my_lex *lex, char c)
{
	bool at_start = lex->stmt_start, label = lex->label;

	lex->stmt_start = lex->label = false;
	lex->after_end = false;
	if (lex->header == HEAD_NONE) {
		/* lbl: BEGIN NOT ATOMIC ... END lbl at the top level */
		if (c == ':' && label && lex->st.count == 2) {
			lex->executes = true;
			start_body(lex);
		}
		return;
	}
	if (lex->header != HEAD_BODY) {
		header_other(lex, c);
		return;
	}
	if (lex->handler == HANDLER_SQLSTATE && c == '\'') {
		lex->handler = HANDLER_DONE;
		return;
	}
	if (lex->handler == HANDLER_CONDITION && c == '`') {
		lex->handler = HANDLER_DONE;
		return;
	}
	if (lex->handler == HANDLER_DONE && c == ',') {
		lex->handler = HANDLER_CONDITION;
		return;
	}
	if (lex->handler != HANDLER_NONE) {
		lex->handler = HANDLER_NONE;
		at_start = true;
	}
	if (at_start)
		inner_start(lex);
	if (c == ':' && label)
		lex->stmt_start = true;   /* lbl: LOOP */
}

/* A ';' in a body's block: the next statement of the block starts. */
static void block_semicolon(struct my_lex *lex)
{
	inner_end(lex);
	lex->stmt_start = true;
	lex->label = lex->after_end = lex->after_dot = false;
	lex->declare = 0;
	lex->handler = HANDLER_NONE;
	memcpy(lex->prev, ";", 2);
}

/* One token of the statement, to both trackers. */
static void token(struct my_lex *lex, const char *word, const char *text, size_t len)
{
	char punct[3];

	if (!is_word_char((unsigned char)*text)) {
		memcpy(punct, text, len);
		punct[len] = '\0';
		word = text = punct;
	}
	stmt_token(&lex->st, word, text, len, lex->paren_depth);
	if (is_word_char((unsigned char)*text))
		body_word(lex, word);
	else
		body_other(lex, *text);
	if (lex->sub_active)
		stmt_token(&lex->sub, word, text, len, lex->paren_depth);
}

/* ---- client commands ---- */

/* The mysql client's one-letter commands (\g and \G end a statement). */
static const char client_letters[] = "?cCdeghGnpPqrRstTuwWx.!#l";
/* Its word commands where a statement would start; USE is SQL too, and stays */
static const char *const client_words[] = { "SOURCE", "SYSTEM", "CONNECT", "TEE",   "NOTEE",    "PAGER",
					    "NOPAGER", "CHARSET", "WARNINGS", "NOWARNING", "PROMPT", "REHASH",
					    "QUIT",   "EXIT",   "EGO",     NULL };

static int refuse_command(struct sqlscan *scan, size_t len, struct err *err)
{
	err_set(err, EXIT_USAGE, "%s:%d:%d: mysql client command '%.*s' is not supported in scripts", scan->name,
		scan->line_number, sqlscan_column(scan) + 1, (int)len, scan->line + scan->pos);
	err_hint(err, "dbctl sends SQL only: end statements with ';' (or a DELIMITER), list files on the command "
		      "line instead of source");
	return -1;
}

/* DELIMITER xx, with no statement pending: the rest of the line's first
 * word (quotes taken off) ends statements from now on. */
static int delimiter_command(struct sqlscan *scan, struct err *err)
{
	const char *p = scan->line + scan->pos + 9, *end = scan->line + scan->line_len;
	const char *word, *after;
	int column = sqlscan_column(scan) + 1;
	size_t len;

	while (p < end && is_space((unsigned char)*p))
		p++;
	word = p;
	if (p < end && (*p == '\'' || *p == '"' || *p == '`')) {
		const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));

		word = p + 1;
		after = close ? close + 1 : end;
		len = close ? (size_t)(close - word) : 0;
	} else {
		while (p < end && !is_space((unsigned char)*p))
			p++;
		len = (size_t)(p - word);
		after = p;
	}
	while (after < end && is_space((unsigned char)*after))
		after++;
	if (len == 0)
		return err_set(err, EXIT_USAGE, "%s:%d:%d: DELIMITER must be followed by a string", scan->name,
			       scan->line_number, column);
	if (len >= sizeof(scan->delimiter) || memchr(word, '\\', len))
		return err_set(err, EXIT_USAGE, "%s:%d:%d: DELIMITER '%.*s': at most %zu characters, without '\\'",
			       scan->name, scan->line_number, column, (int)len, word, sizeof(scan->delimiter) - 1);
	if (after < end)
		return err_set(err, EXIT_USAGE, "%s:%d:%d: text after DELIMITER %.*s on the same line", scan->name,
			       scan->line_number, column + (int)(after - (scan->line + scan->pos)), (int)len, word);
	memcpy(scan->delimiter, word, len);
	scan->delimiter[len] = '\0';
	scan->pos = scan->kept = scan->line_len;
	return 0;
}

/* -- +goose StatementBegin / StatementEnd: 1 begin, 2 end, 0 neither. */
static int goose_marker(const char *comment, size_t len)
{
	size_t i = 2;

	while (i < len && (comment[i] == ' ' || comment[i] == '\t'))
		i++;
	if (len - i >= 21 && strncmp(comment + i, "+goose StatementBegin", 21) == 0)
		return 1;
	if (len - i >= 19 && strncmp(comment + i, "+goose StatementEnd", 19) == 0)
		return 2;
	return 0;
}

/* NO_BACKSLASH_ESCAPES as the text so far leaves it: the next statement
 * is read so (the server parses each statement when it comes to it). */
static void apply_mode(struct sqlscan *scan, struct my_lex *lex)
{
	if (scan->track_strings && lex->pending_mode == 2)
		scan->sql_mode_unknown = true;   /* SET sql_mode = @old, DEFAULT, CONCAT(...) */
	else if (scan->track_strings && lex->pending_mode >= 0) {
		scan->no_backslash_escapes = lex->pending_mode == 1;
		scan->sql_mode_unknown = false;
	}
	lex->pending_mode = -1;
}

/* A ';' between two statements of one text (a DELIMITER other than ';', a
 * goose block): the server runs both, so the next one is judged too. */
static void statement_boundary(struct sqlscan *scan, struct my_lex *lex)
{
	inner_end(lex);
	if (!lex->after_first)
		lex->after_first = scan->goose_block ? "in a goose StatementBegin block" : "after a ';' in the same text";
	judge(lex, &lex->st, lex->statements == 0, lex->statements == 0 ? NULL : lex->after_first);
	lex->statements++;
	apply_mode(scan, lex);
	my_next_statement(lex);
	memcpy(lex->prev, ";", 2);
}

/* A ';' that does not end what is sent. */
static void semicolon(struct sqlscan *scan, struct my_lex *lex)
{
	if (lex->paren_depth > 0)
		memcpy(lex->prev, ";", 2);   /* a syntax error: the server says so */
	else if (lex->header == HEAD_BODY && lex->depth > 0)
		block_semicolon(lex);
	else
		statement_boundary(scan, lex);
}

/* One step in MY_NORMAL. 1 when the statement ended (its delimiter
 * skipped), 0 to go on, -1 on error. */
static int scan_normal(struct sqlscan *scan, struct my_lex *lex, struct sqlscan_statement *out, struct err *err)
{
	const char *line = scan->line, *at = line + scan->pos;
	size_t left = scan->line_len - scan->pos, dlen = strlen(scan->delimiter);
	unsigned char c = (unsigned char)*at;
	char next = left > 1 ? at[1] : '\0';
	bool empty = statement_empty(scan, out);

	/* the delimiter before comments and quotes, as the client looks for it
	 * (not inside a word: words go whole) */
	if (c == (unsigned char)scan->delimiter[0] && left >= dlen && memcmp(at, scan->delimiter, dlen) == 0) {
		if (dlen == 1 && c == ';' && ((lex->header == HEAD_BODY && lex->depth > 0) || scan->goose_block)) {
			take(scan, 1);
			semicolon(scan, lex);
			return 0;
		}
		if (lex->code_comment) {
			/* the client would send the statement cut inside the comment (audit F9) */
			scan->input_ended_open = true;
			return err_set(err, EXIT_USAGE, "%s:%d:%d: unterminated /*! comment: the delimiter comes before its */",
				       scan->name, lex->code_line, lex->code_column);
		}
		skip(scan, out, dlen);
		return 1;
	}
	if (is_word_char(c)) {
		size_t len = 1;
		char word[MY_WORD] = "";

		/* a delimiter such as $$ ends a word too: select 4$$ */
		while (len < left && is_word_char((unsigned char)at[len]) &&
		       !(at[len] == scan->delimiter[0] && left - len >= dlen && memcmp(at + len, scan->delimiter, dlen) == 0))
			len++;
		if (empty && len == 9 && strncasecmp(at, "delimiter", 9) == 0 && (len == left || is_space((unsigned char)at[len])))
			return delimiter_command(scan, err);
		if (len < MY_WORD) {
			size_t i;

			for (i = 0; i < len; i++)
				word[i] = to_upper(at[i]);
			word[len] = '\0';
		}
		if (empty && (len == left || is_space((unsigned char)at[len]) || at[len] == ';') &&
		    in_list(word, client_words))
			return refuse_command(scan, len, err);
		mark_start(scan, lex, out);
		token(lex, word, at, len);
		memcpy(lex->prev, word, sizeof(word));
		lex->after_dot = false;
		take(scan, len);
		return 0;
	}
	if (is_space(c)) {
		size_t len = 1;

		while (len < left && is_space((unsigned char)at[len]))
			len++;
		pass(scan, out, len);
		return 0;
	}
	if (c == '\\') {
		if (next == 'g' || next == 'G') {
			skip(scan, out, 2);
			return 1;
		}
		if (next && strchr(client_letters, next))
			return refuse_command(scan, 2, err);
		mark_start(scan, lex, out);
		take(scan, 2);   /* \N (NULL) and the like go to the server, as the client sends them */
		return 0;
	}
	/* -- and whitespace or a control character: a comment; so is any -- that
	 * starts a statement, which the client drops (client/mysql.cc, add_line) */
	if (c == '#' || (c == '-' && next == '-' && (left == 2 || (unsigned char)at[2] <= ' ' || empty))) {
		size_t len = strcspn(at, "\r\n");
		int goose = c == '-' ? goose_marker(at, len) : 0;

		if (goose == 1 && !scan->goose_block) {
			scan->goose_block = true;
			scan->goose_line = scan->line_number;
			scan->goose_column = sqlscan_column(scan) + 1;
		}
		if (goose == 2 && scan->goose_block) {
			scan->goose_block = false;
			if (lex->has_tokens) {
				/* the block's last ';' is the statement's end, not part of it */
				keep_taken(scan, out);
				while (out->text.len && is_space((unsigned char)out->text.buf[out->text.len - 1]))
					out->text.len--;
				if (out->text.len && out->text.buf[out->text.len - 1] == ';')
					out->text.len--;
				out->text.buf[out->text.len] = '\0';
				skip(scan, out, len);
				return 1;
			}
		}
		pass(scan, out, len);
		return 0;
	}
	if (c == '/' && next == '*') {
		size_t len = left > 2 && at[2] == '!' ? 3 : left > 3 && at[2] == 'M' && at[3] == '!' ? 4 : 0;

		if (len && !lex->code_comment) {
			size_t marker = len;

			/* the version's digits, then code as if the comment marks were not there */
			while (len < left && at[len] >= '0' && at[len] <= '9')
				len++;
			/* Whether the server runs it depends on its version and kind
			 * (MariaDB 10.11 skips 5-digit versions from 50700 on and 6-digit
			 * ones above its own; MySQL skips versions above its own and every
			 * M-bang one): only a bare bang and a 5-digit version below 50700
			 * run on every server dbctl supports. Read as code here, a skipped
			 * one could hide what the statement is (audit F3). */
			if (!lex->gated[0] &&
			    (marker == 4 ||
			     (len > marker && (len - marker != 5 || strtol(at + marker, NULL, 10) >= 50700))))
				snprintf(lex->gated, sizeof(lex->gated), "%.*s", (int)(len < 20 ? len : 20), at);
			mark_start(scan, lex, out);
			lex->code_comment = true;
			lex->code_line = scan->line_number;
			lex->code_column = sqlscan_column(scan) + 1;
			take(scan, len);
			return 0;
		}
		open_construct(scan, lex, MY_COMMENT);
		lex->comment_skipped = empty;
		pass(scan, out, 2);
		return 0;
	}
	mark_start(scan, lex, out);
	if (c == '*' && next == '/' && lex->code_comment) {
		lex->code_comment = false;
		take(scan, 2);
		return 0;
	}
	if (c == '\'' || c == '"') {
		struct my_stmt *st = lex->sub_active ? &lex->sub : &lex->st;

		/* SET sql_mode = '...': its value is read when the string closes */
		if (st->set == SET_VALUE && st->sql_mode && lex->paren_depth == 0) {
			lex->value_for = st;
			lex->value_at = out->text.len + (scan->pos - scan->kept) + 1;
		}
		open_construct(scan, lex, MY_STRING);
		lex->quote = (char)c;
		token(lex, "", "'", 1);
		memcpy(lex->prev, "'", 2);
		lex->after_dot = false;
		take(scan, 1);
		return 0;
	}
	if (c == '`') {
		open_construct(scan, lex, MY_NAME);
		token(lex, "", "`", 1);
		memcpy(lex->prev, "`", 2);
		lex->after_dot = false;
		take(scan, 1);
		return 0;
	}
	if (c == ':' && next == '=') {
		token(lex, "", ":=", 2);
		memcpy(lex->prev, ":=", 3);
		lex->after_dot = false;
		take(scan, 2);
		return 0;
	}
	if (c == ':' && my_variable(scan, out)) {
		memcpy(lex->prev, "'", 2);   /* a value: no keyword */
		return 0;
	}
	if (c == ';' && lex->paren_depth == 0) {
		/* a ';' inside a DELIMITER text */
		take(scan, 1);
		semicolon(scan, lex);
		return 0;
	}
	if (c == ')' && lex->paren_depth > 0)
		lex->paren_depth--;
	token(lex, "", at, 1);
	if (c == '(')
		lex->paren_depth++;
	lex->after_dot = c == '.';
	lex->prev[0] = (char)c;
	lex->prev[1] = '\0';
	take(scan, 1);
	return 0;
}

/* Whether the sql_mode value in text[at..end) has NO_BACKSLASH_ESCAPES. */
static bool names_no_backslash(const char *at, const char *end)
{
	for (; at + 20 <= end; at++)
		if (strncasecmp(at, "NO_BACKSLASH_ESCAPES", 20) == 0)
			return true;
	return false;
}

static bool names_sql_mode(const char *text)
{
	for (; *text; text++)
		if ((*text == 's' || *text == 'S') && strncasecmp(text, "sql_mode", 8) == 0)
			return true;
	return false;
}

/* One step inside a quote or comment: 0, or -1 with err set. */
static int scan_quoted(struct sqlscan *scan, struct my_lex *lex, struct sqlscan_statement *out, struct err *err)
{
	const char *at = scan->line + scan->pos;
	size_t left = scan->line_len - scan->pos;
	char c = *at, next = left > 1 ? at[1] : '\0';

	switch (lex->state) {
	case MY_COMMENT: {
		const char *end = strstr(at, "*/");
		size_t len = end ? (size_t)(end - at) + 2 : left;

		if (end)
			lex->state = MY_NORMAL;
		if (lex->comment_skipped)
			skip(scan, out, len);
		else
			take(scan, len);
		return 0;
	}
	case MY_STRING: {
		const char stops[] = { lex->quote, scan->no_backslash_escapes && !scan->sql_mode_unknown ? '\0' : '\\', '\0' };
		size_t len = strcspn(at, stops);

		if (c == '\\' || at[len] == '\\')
			scan->saw_string_backslash = true;
		if (len)
			take(scan, len);
		else if (c == '\\' && scan->sql_mode_unknown) {
			/* 'a\'; COMMIT; ...' is one statement or three, as the mode has it */
			err_set(err, EXIT_USAGE, "%s:%d:%d: a backslash in a string after SET sql_mode to a value dbctl "
				"cannot read: the server may or may not take it as an escape", scan->name, scan->line_number,
				sqlscan_column(scan) + 1);
			err_hint(err, "set sql_mode to a string before this (with or without NO_BACKSLASH_ESCAPES), as "
				      "SET sql_mode = 'TRADITIONAL'");
			return -1;
		} else if (c == '\\')
			take(scan, 2);   /* \' and \\, and a newline after a last backslash */
		else if (next == lex->quote)
			take(scan, 2);
		else {
			lex->state = MY_NORMAL;
			take(scan, 1);
			if (lex->value_at) {
				keep_taken(scan, out);
				lex->value_for->no_backslash =
					names_no_backslash(out->text.buf + lex->value_at, out->text.buf + out->text.len - 1);
				lex->value_at = 0;
			}
		}
		return 0;
	}
	case MY_NAME: {
		const char *close = memchr(at, '`', left);

		if (!close)
			take(scan, left);
		else if (close > at)
			take(scan, (size_t)(close - at));
		else if (next == '`')
			take(scan, 2);
		else {
			lex->state = MY_NORMAL;
			take(scan, 1);
		}
		return 0;
	}
	case MY_NORMAL:
		break;
	}
	return 0;
}

static int unterminated(struct sqlscan *scan, const struct my_lex *lex, struct err *err)
{
	static const char *const names[] = { [MY_COMMENT] = "/* comment", [MY_STRING] = "quoted string",
					     [MY_NAME] = "quoted identifier" };

	scan->input_ended_open = true;
	return err_set(err, EXIT_USAGE, "%s:%d:%d: unterminated %s", scan->name, lex->open_line, lex->open_column,
		       names[lex->state]);
}

static void finish(struct sqlscan *scan, struct my_lex *lex, struct sqlscan_statement *out)
{
	const struct my_verdict *v;

	inner_end(lex);
	judge(lex, &lex->st, lex->statements == 0, lex->statements == 0 ? NULL : lex->after_first);
	v = lex->found ? &lex->verdict : &lex->first;
	out->kind = v->kind;
	out->commits_implicitly = v->commits_implicitly;
	out->unseen = v->unseen;
	out->not_undone = v->not_undone;
	memcpy(out->what, v->what, sizeof(out->what));
	/* a version comment: refused in a transaction unless every reading of it is */
	if (lex->gated[0] && out->kind == SQLSCAN_PLAIN) {
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		out->unseen = true;
		snprintf(out->what, sizeof(out->what), "%s", lex->gated);
	}
	/* a name in another spelling (@@SESSION . sql_mode): the runner ends its batch here */
	if (lex->saw_set && names_sql_mode(out->text.buf))
		lex->changes_lexing = true;
	out->changes_lexing = lex->changes_lexing;
	apply_mode(scan, lex);
}

/* A SET statement that switches the connection to a character set whose
 * characters can end in a backslash byte (SET NAMES gbk, SET CHARACTER SET,
 * SET character_set_client = ...): the server would read the rest of the
 * script, checked here as UTF-8, differently. Read from the words of the
 * text, quoted or not, so that 'gbk' and a version comment around it count too. */
static int refuse_charset(const struct sqlscan *scan, const struct my_lex *lex, const struct sqlscan_statement *out,
			  struct err *err)
{
	const char *p = out->text.buf, *unsafe = NULL;
	size_t unsafe_len = 0;
	bool setting = false;

	if (!sqlscan_mysql_charset_plain(p)) {
		err_set(err, EXIT_USAGE, "%s:%d:%d: SET of the connection's character set to a computed value is "
			"refused: dbctl cannot tell whether it is one whose multibyte characters can end in a backslash "
			"byte (gbk, big5, cp932, gb18030, sjis), which would make the server read the rest of the script "
			"differently than dbctl checked it", scan->name, out->line, out->column);
		err_hint(err, "name the character set as a plain word, as SET NAMES utf8mb4");
		return -1;
	}
	if (!lex->saw_set)
		return 0;
	while (*p) {
		size_t len = 0;

		while (p[len] && is_word_char((unsigned char)p[len]) && (unsigned char)p[len] < 0x80)
			len++;
		if (len == 0) {
			p++;
			continue;
		}
		if ((len == 5 && strncasecmp(p, "NAMES", 5) == 0) || (len == 9 && strncasecmp(p, "CHARACTER", 9) == 0) ||
		    (len == 7 && strncasecmp(p, "CHARSET", 7) == 0) ||
		    (len > 14 && strncasecmp(p, "character_set_", 14) == 0))
			setting = true;
		if (!unsafe && sqlscan_charset_unsafe(p, len)) {
			unsafe = p;
			unsafe_len = len;
		}
		p += len;
	}
	if (!setting || !unsafe)
		return 0;
	err_set(err, EXIT_USAGE, "%s:%d:%d: SET to character set %.*s is refused: " SQLSCAN_CHARSET_WHY, scan->name,
		out->line, out->column, (int)unsafe_len, unsafe);
	err_hint(err, "keep the connection in utf8mb4 (or a single-byte character set such as latin1)");
	return -1;
}

int sqlscan_mysql_next(struct sqlscan *scan, struct sqlscan_statement *out, struct err *err)
{
	struct my_lex lex;

	if (!scan->delimiter[0])
		memcpy(scan->delimiter, ";", 2);
	my_reset(&lex);
	for (;;) {
		int rc;

		if (scan->pos >= scan->line_len) {
			keep_taken(scan, out);
			rc = sqlscan_read_line(scan, err);
			if (rc < 0)
				return -1;
			if (rc > 0)
				continue;
			if (lex.state != MY_NORMAL)
				return unterminated(scan, &lex, err);
			if (lex.code_comment) {
				scan->input_ended_open = true;
				return err_set(err, EXIT_USAGE, "%s:%d:%d: unterminated /*! comment", scan->name,
					       lex.code_line, lex.code_column);
			}
			if (scan->goose_block) {
				/* goose would fail on it; sending the rest as one statement would run it unseen */
				scan->input_ended_open = true;
				return err_set(err, EXIT_USAGE, "%s:%d:%d: -- +goose StatementBegin without StatementEnd",
					       scan->name, scan->goose_line, scan->goose_column);
			}
			if (!lex.has_tokens)
				return 0;
			/* the client sends the last statement without a delimiter too */
			if (out->text.len && out->text.buf[out->text.len - 1] == '\n')
				out->text.buf[--out->text.len] = '\0';
			finish(scan, &lex, out);
			out->terminated = false;
			return refuse_charset(scan, &lex, out, err) < 0 ? -1 : 1;
		}
		if (lex.state != MY_NORMAL) {
			if (scan_quoted(scan, &lex, out, err) < 0)
				return -1;
			continue;
		}
		rc = scan_normal(scan, &lex, out, err);
		if (rc == 0)
			continue;
		if (rc < 0)
			return -1;
		if (!lex.has_tokens) {
			strbuf_reset(&out->text);
			my_reset(&lex);
			continue;
		}
		finish(scan, &lex, out);
		return refuse_charset(scan, &lex, out, err) < 0 ? -1 : 1;
	}
}
