/* Statement lexer for MySQL and MariaDB scripts: the boundaries the mysql
 * client (client/mysql.cc, add_line) draws, plus stored-program bodies
 * written without DELIMITER, as golang-migrate, dbmate and goose files are. */
#include "sqlscan_internal.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

enum my_state {
	MY_NORMAL,
	MY_COMMENT,   /* slash-star comment, not nested */
	MY_STRING,    /* '...' or "...": doubled quote, and backslash unless NO_BACKSLASH_ESCAPES */
	MY_NAME,      /* `...`: doubled backtick, no escapes */
};

#define MY_TOKENS 16
#define MY_WORD 12   /* longer words are no keyword this lexer looks for */

struct my_lex {
	enum my_state state;
	char quote;              /* MY_STRING: '\'' or '"' */
	bool comment_skipped;    /* the comment came before the statement: not part of its text */
	bool code_comment;       /* inside an executable comment (bang or M-bang): code */
	bool has_tokens;
	bool body;               /* a stored program: ';' inside its blocks does not end it */
	bool object_seen;        /* CREATE ...: the object's type came by */
	bool after_end;          /* the last word was END: IF, CASE, LOOP... next close, not open */
	bool after_dot;          /* x.end: a name */
	int depth;               /* open BEGIN, CASE, IF, LOOP, WHILE, REPEAT, FOR blocks */
	int paren_depth;
	int open_line, open_column;
	int code_line, code_column;   /* where the executable comment began */
	char prev[MY_WORD];      /* the last token, upper-cased (words) or the punctuation */
	int token_count;
	char tokens[MY_TOKENS][40];   /* leading tokens outside parentheses, words upper-cased */
};

static void my_reset(struct my_lex *lex)
{
	memset(lex, 0, offsetof(struct my_lex, tokens));
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

static void add_token(struct my_lex *lex, const char *text, size_t len)
{
	size_t i;

	if (lex->paren_depth > 0 || lex->token_count >= MY_TOKENS)
		return;
	if (len >= sizeof(lex->tokens[0]))
		len = sizeof(lex->tokens[0]) - 1;
	for (i = 0; i < len; i++)
		lex->tokens[lex->token_count][i] = to_upper(text[i]);
	lex->tokens[lex->token_count][len] = '\0';
	lex->token_count++;
}

static bool token_is(const struct my_lex *lex, int index, const char *word)
{
	return index < lex->token_count && strcmp(lex->tokens[index], word) == 0;
}

/* ---- stored-program bodies ---- */

/* What CREATE, ALTER and DROP commit implicitly for (MariaDB's list), and
 * the four that have bodies. */
static const char *const committing_objects[] = { "DATABASE", "SCHEMA", "EVENT",  "FUNCTION", "PROCEDURE",
						  "SEQUENCE", "SERVER", "TABLE",  "VIEW",     "INDEX",
						  "TRIGGER",  "USER",   "ROLE",   "TABLESPACE", "PACKAGE", NULL };
static const char *const routines[] = { "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE", NULL };
/* Words that always open a block, and those that do only where a statement starts (IF(), REPEAT() are functions) */
static const char *const openers[] = { "BEGIN", "CASE", "LOOP", "WHILE", NULL };
static const char *const statement_openers[] = { "IF", "REPEAT", "FOR", NULL };
static const char *const closed_by_end[] = { "IF", "CASE", "LOOP", "WHILE", "REPEAT", "FOR", NULL };
/* What comes right before a statement inside a body (ROW: FOR EACH ROW; ':' a label) */
static const char *const statement_starts[] = { ";", "BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", ":", "ROW", NULL };

/* The server parses a stored program's body as one statement: count its
 * blocks, so that only a ';' outside them ends it. word is upper-cased,
 * after the character that follows it. */
static void track_body(struct my_lex *lex, const char *word, char after)
{
	if (!lex->body) {
		if (lex->token_count == 3 && token_is(lex, 0, "BEGIN") && token_is(lex, 1, "NOT") &&
		    strcmp(word, "ATOMIC") == 0) {
			lex->body = true;   /* MariaDB's anonymous block */
			lex->depth = 1;
		} else if (!lex->object_seen && lex->paren_depth == 0 && lex->token_count <= MY_TOKENS &&
			   token_is(lex, 0, "CREATE") && in_list(word, committing_objects)) {
			lex->object_seen = true;
			lex->body = in_list(word, routines);
		}
		return;
	}
	if (lex->after_dot)
		return;   /* NEW.end: a column */
	if (lex->after_end) {
		lex->after_end = false;
		if (in_list(word, closed_by_end))
			return;   /* END IF closes the IF that END already counted */
	}
	if (strcmp(word, "END") == 0) {
		if (lex->depth > 0) {
			lex->depth--;
			lex->after_end = true;
		}
	} else if (in_list(word, openers) ||
		   /* CASE ... ELSE IF(a, b, c) END: a function, as IF( nearly always is after ELSE */
		   (in_list(word, statement_openers) && in_list(lex->prev, statement_starts) &&
		    !(after == '(' && strcmp(lex->prev, "ELSE") == 0))) {
		lex->depth++;
	}
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
		if (dlen == 1 && c == ';' && (lex->depth > 0 || scan->goose_block)) {
			take(scan, 1);
			memcpy(lex->prev, ";", 2);
			lex->after_end = lex->after_dot = false;
			return 0;
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
		add_token(lex, at, len);
		if (word[0])
			track_body(lex, word, len < left ? at[len] : '\0');
		else
			lex->after_end = false;
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
	if (c == '#' || (c == '-' && next == '-' && (left == 2 || (unsigned char)at[2] <= ' '))) {
		size_t len = strcspn(at, "\r\n");
		int goose = c == '-' ? goose_marker(at, len) : 0;

		if (goose == 1)
			scan->goose_block = true;
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
			/* the version's digits, then code as if the comment marks were not there */
			while (len < left && at[len] >= '0' && at[len] <= '9')
				len++;
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
	lex->after_end = lex->after_dot = false;
	if (c == '*' && next == '/' && lex->code_comment) {
		lex->code_comment = false;
		take(scan, 2);
		return 0;
	}
	if (c == '\'' || c == '"') {
		open_construct(scan, lex, MY_STRING);
		lex->quote = (char)c;
		memcpy(lex->prev, "'", 2);
		take(scan, 1);
		return 0;
	}
	if (c == '`') {
		open_construct(scan, lex, MY_NAME);
		add_token(lex, "`", 1);
		memcpy(lex->prev, "`", 2);
		take(scan, 1);
		return 0;
	}
	if (c == ':' && next == '=') {
		memcpy(lex->prev, ":=", 3);
		take(scan, 2);
		return 0;
	}
	if (c == ':' && my_variable(scan, out)) {
		memcpy(lex->prev, "'", 2);   /* a value: no keyword */
		return 0;
	}
	if (c == '(') {
		add_token(lex, "(", 1);
		lex->paren_depth++;
	} else if (c == ')') {
		if (lex->paren_depth > 0)
			lex->paren_depth--;
	} else {
		add_token(lex, at, 1);
	}
	lex->after_dot = c == '.';
	lex->prev[0] = (char)c;
	lex->prev[1] = '\0';
	take(scan, 1);
	return 0;
}

/* One step inside a quote or comment. */
static void scan_quoted(struct sqlscan *scan, struct my_lex *lex, struct sqlscan_statement *out)
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
		return;
	}
	case MY_STRING: {
		const char stops[] = { lex->quote, scan->no_backslash_escapes ? '\0' : '\\', '\0' };
		size_t len = strcspn(at, stops);

		if (len)
			take(scan, len);
		else if (c == '\\')
			take(scan, 2);   /* \' and \\, and a newline after a last backslash */
		else if (next == lex->quote)
			take(scan, 2);
		else {
			lex->state = MY_NORMAL;
			take(scan, 1);
		}
		return;
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
		return;
	}
	case MY_NORMAL:
		break;
	}
}

static int unterminated(struct sqlscan *scan, const struct my_lex *lex, struct err *err)
{
	static const char *const names[] = { [MY_COMMENT] = "/* comment", [MY_STRING] = "quoted string",
					     [MY_NAME] = "quoted identifier" };

	scan->input_ended_open = true;
	return err_set(err, EXIT_USAGE, "%s:%d:%d: unterminated %s", scan->name, lex->open_line, lex->open_column,
		       names[lex->state]);
}

/* ---- classification ---- */

/* The value assigned to the session variable name in a SET statement's
 * text, from `from` on: [SESSION | LOCAL | @@ | @@SESSION. | @@LOCAL.] name
 * {= | :=} value. NULL when there is no further assignment; *resume is
 * where to look for the next one. */
static const char *assignment(const char *from, const char *text, const char *name, const char **resume)
{
	size_t len = strlen(name);
	const char *p;

	for (p = from; *p; p++) {
		const char *q = p + len, *b = p;

		if (to_upper(*p) != to_upper(name[0]) || strncasecmp(p, name, len) != 0 || is_word_char((unsigned char)*q))
			continue;
		/* what precedes: @@, @@session., @@local., SESSION, LOCAL, SET or ',', never GLOBAL or @user */
		if (b > text && (is_word_char((unsigned char)b[-1]) || b[-1] == '.')) {
			if (b - text >= 10 && strncasecmp(b - 10, "@@session.", 10) == 0)
				b -= 10;
			else if (b - text >= 8 && strncasecmp(b - 8, "@@local.", 8) == 0)
				b -= 8;
			else
				continue;
		} else if (b - text >= 2 && b[-1] == '@' && b[-2] == '@') {
			b -= 2;
		} else if (b > text && b[-1] == '@') {
			continue;
		}
		while (b > text && is_space((unsigned char)b[-1]))
			b--;
		if (b - text >= 6 && strncasecmp(b - 6, "global", 6) == 0)
			continue;
		while (*q && is_space((unsigned char)*q))
			q++;
		if (q[0] == ':' && q[1] == '=')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q && is_space((unsigned char)*q))
			q++;
		*resume = q;
		return q;
	}
	return NULL;
}

/* SET sql_mode = '...': whether NO_BACKSLASH_ESCAPES is on after it, as far
 * as the text tells (a variable or an expression: it does not). */
static void track_sql_mode(struct sqlscan *scan, const struct my_lex *lex, struct sqlscan_statement *out)
{
	const char *text = out->text.buf, *value, *resume = text;

	if (!token_is(lex, 0, "SET") || token_is(lex, 1, "STATEMENT"))
		return;
	for (value = text; (value = assignment(resume, text, "sql_mode", &resume)) != NULL;) {
		const char *close, *p;

		out->changes_lexing = true;
		if (!scan->track_strings || (*value != '\'' && *value != '"'))
			continue;
		close = strchr(value + 1, *value);
		if (!close)
			continue;
		scan->no_backslash_escapes = false;
		for (p = value + 1; p + 20 <= close; p++)
			if (strncasecmp(p, "NO_BACKSLASH_ESCAPES", 20) == 0)
				scan->no_backslash_escapes = true;
	}
	if (!out->changes_lexing) {
		/* a name in another spelling (@@SESSION . sql_mode): the runner asks the server */
		for (value = text; *value; value++)
			if (*value == '_' && value - text >= 3 && strncasecmp(value - 3, "sql_mode", 8) == 0)
				out->changes_lexing = true;
	}
}

static void set_what(struct sqlscan_statement *out, const char *first, const char *second)
{
	snprintf(out->what, sizeof(out->what), "%s%s%s", first, second ? " " : "", second ? second : "");
}

/* What the statement does to the run's transaction (MariaDB's list of
 * statements that commit implicitly, §5.1 of the research). */
static void classify(const struct my_lex *lex, struct sqlscan_statement *out)
{
	static const char *const committing_verbs[] = { "GRANT", "REVOKE", "FLUSH", "RESET", "SHUTDOWN", NULL };
	static const char *const maintenance[] = { "ANALYZE", "OPTIMIZE", "REPAIR", "CHECK", NULL };
	const char *first = lex->token_count > 0 ? lex->tokens[0] : "";
	const char *autocommit_resume = out->text.buf;
	int i;

	out->kind = SQLSCAN_PLAIN;
	out->commits_implicitly = false;
	set_what(out, first, NULL);
	if ((strcmp(first, "BEGIN") == 0 && !token_is(lex, 1, "NOT")) || strcmp(first, "COMMIT") == 0 ||
	    strcmp(first, "XA") == 0 || (strcmp(first, "START") == 0 && token_is(lex, 1, "TRANSACTION")) ||
	    /* ROLLBACK [WORK] TO [SAVEPOINT] keeps the transaction */
	    (strcmp(first, "ROLLBACK") == 0 && !token_is(lex, 1, "TO") && !(token_is(lex, 1, "WORK") && token_is(lex, 2, "TO")))) {
		if (strcmp(first, "START") == 0)
			set_what(out, first, "TRANSACTION");
		out->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	if ((strcmp(first, "LOCK") == 0 || strcmp(first, "UNLOCK") == 0) &&
	    (token_is(lex, 1, "TABLES") || token_is(lex, 1, "TABLE"))) {
		set_what(out, first, "TABLES");
		out->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	if (strcmp(first, "SET") == 0 && !token_is(lex, 1, "STATEMENT") &&
	    assignment(out->text.buf, out->text.buf, "autocommit", &autocommit_resume)) {
		set_what(out, "SET", "autocommit");
		out->kind = SQLSCAN_TRANSACTION_CONTROL;
		return;
	}
	if (strcmp(first, "CREATE") == 0 || strcmp(first, "ALTER") == 0 || strcmp(first, "DROP") == 0) {
		bool temporary = false;

		for (i = 1; i < lex->token_count; i++) {
			if (strcmp(lex->tokens[i], "TEMPORARY") == 0)
				temporary = true;
			if (in_list(lex->tokens[i], committing_objects))
				break;
		}
		if (i >= lex->token_count)
			return;
		set_what(out, first, lex->tokens[i]);
		/* TEMPORARY tables and loadable functions (SONAME) are the exceptions */
		if (temporary && strcmp(lex->tokens[i], "TABLE") == 0)
			return;
		for (; i < lex->token_count; i++)
			if (strcmp(lex->tokens[i], "SONAME") == 0)
				return;
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		out->commits_implicitly = true;
		return;
	}
	if ((strcmp(first, "RENAME") == 0 && (token_is(lex, 1, "TABLE") || token_is(lex, 1, "USER"))) ||
	    ((strcmp(first, "CACHE") == 0 || strcmp(first, "LOAD") == 0) && token_is(lex, 1, "INDEX")) ||
	    (strcmp(first, "CHANGE") == 0 && (token_is(lex, 1, "MASTER") || token_is(lex, 1, "REPLICATION"))) ||
	    ((strcmp(first, "START") == 0 || strcmp(first, "STOP") == 0) &&
	     (token_is(lex, 1, "SLAVE") || token_is(lex, 1, "REPLICA") || token_is(lex, 1, "ALL"))) ||
	    (strcmp(first, "SET") == 0 && token_is(lex, 1, "PASSWORD"))) {
		set_what(out, first, lex->tokens[1]);
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		out->commits_implicitly = true;
		return;
	}
	if (strcmp(first, "TRUNCATE") == 0 || in_list(first, committing_verbs)) {
		if (strcmp(first, "TRUNCATE") == 0)
			set_what(out, first, "TABLE");
		out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
		out->commits_implicitly = true;
		return;
	}
	/* ANALYZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE: ANALYZE SELECT is a query */
	if (in_list(first, maintenance)) {
		for (i = 1; i < lex->token_count && i < 3; i++)
			if (strcmp(lex->tokens[i], "TABLE") == 0 || strcmp(lex->tokens[i], "TABLES") == 0) {
				set_what(out, first, "TABLE");
				out->kind = SQLSCAN_OUTSIDE_TRANSACTION;
				out->commits_implicitly = true;
				return;
			}
	}
}

static void finish(struct sqlscan *scan, const struct my_lex *lex, struct sqlscan_statement *out)
{
	classify(lex, out);
	track_sql_mode(scan, lex, out);
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
			if (!lex.has_tokens)
				return 0;
			/* the client sends the last statement without a delimiter too */
			if (out->text.len && out->text.buf[out->text.len - 1] == '\n')
				out->text.buf[--out->text.len] = '\0';
			finish(scan, &lex, out);
			out->terminated = false;
			return 1;
		}
		if (lex.state != MY_NORMAL) {
			scan_quoted(scan, &lex, out);
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
		return 1;
	}
}
