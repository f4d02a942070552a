/* The values a MySQL SET statement gives the connection's character set
 * (SET NAMES x, SET CHARACTER SET x, SET CHARSET x, SET [SESSION]
 * character_set_client = x, SET @@session.character_set_connection := x):
 * whether each is a plain name the lexer's guard can judge. A computed one
 * (@x, @@character_set_server, (SELECT ...), CONCAT('g', 'bk'), X'67626b',
 * _latin1'gbk', 'gb\k', DEFAULT) could be gbk or big5 at run time, which
 * the guard, reading names, would never see. */
#include "sqlscan_internal.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

enum set_tok { TOK_END, TOK_WORD, TOK_QUOTED, TOK_OTHER };

struct set_token {
	enum set_tok type;
	const char *at;     /* the word, or the quoted text's content */
	size_t len;
	bool plain;         /* a name only: letters, digits, '_', no escapes, no prefix */
	char c;             /* TOK_OTHER: the character (':' for ":=") */
};

static bool name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Comments are skipped; a version comment's text (slash-star-bang 50503 ...,
 * slash-star-M-bang ...) is read as code, as the server reads it. */
static void skip_blank(const char **p)
{
	for (;;) {
		const char *s = *p;

		while (isspace((unsigned char)*s))
			s++;
		if (s[0] == '/' && s[1] == '*' && (s[2] == '!' || (s[2] == 'M' && s[3] == '!'))) {
			s += s[2] == '!' ? 3 : 4;
			while (isdigit((unsigned char)*s))
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			s = end ? end + 2 : s + strlen(s);
		} else if (s[0] == '*' && s[1] == '/') {
			s += 2;
		} else if (*s == '#' || (s[0] == '-' && s[1] == '-' && (s[2] == '\0' || isspace((unsigned char)s[2])))) {
			while (*s && *s != '\n')
				s++;
		} else {
			*p = s;
			return;
		}
		*p = s;
	}
}

static struct set_token next_token(const char **p)
{
	struct set_token t = { TOK_END, NULL, 0, false, '\0' };
	const char *s;

	skip_blank(p);
	s = *p;
	if (!*s)
		return t;
	if (*s == '\'' || *s == '"' || *s == '`') {
		char q = *s++;
		bool plain = true;

		t.type = TOK_QUOTED;
		t.at = s;
		for (; *s; s++) {
			if (*s == '\\' && q != '`' && s[1]) {
				plain = false;
				s++;
			} else if (*s == q && s[1] == q) {
				plain = false;
				s++;
			} else if (*s == q) {
				break;
			} else if (!isalnum((unsigned char)*s) && *s != '_') {
				plain = false;
			}
		}
		t.len = (size_t)(s - t.at);
		t.plain = plain && t.len > 0;
		*p = *s ? s + 1 : s;
		return t;
	}
	if (name_char((unsigned char)*s)) {
		bool plain = isalpha((unsigned char)*s) || *s == '_';

		t.type = TOK_WORD;
		t.at = s;
		for (; name_char((unsigned char)*s); s++)
			if (!isalnum((unsigned char)*s) && *s != '_')
				plain = false;
		t.len = (size_t)(s - t.at);
		/* X'..', B'..', N'..', _latin1'..': a literal, not a name */
		t.plain = plain && *s != '\'' && *s != '"';
		*p = s;
		return t;
	}
	t.type = TOK_OTHER;
	t.at = s;
	t.len = 1;
	t.c = *s;
	if (s[0] == ':' && s[1] == '=')
		t.len = 2;
	*p = s + t.len;
	return t;
}

static bool word_is(const struct set_token *t, const char *word)
{
	return (t->type == TOK_WORD || t->type == TOK_QUOTED) && t->len == strlen(word) &&
	       strncasecmp(t->at, word, t->len) == 0;
}

static bool names_charset_variable(const struct set_token *t)
{
	return (t->type == TOK_WORD || t->type == TOK_QUOTED) && t->len > 14 &&
	       strncasecmp(t->at, "character_set_", 14) == 0;
}

#define MAX_ASSIGNMENT 64

/* One assignment (the tokens between top-level commas): false when it sets
 * a character set to a value that is not one plain name. */
static bool assignment_plain(const struct set_token *tok, size_t n)
{
	size_t i = 0, eq;

	while (i < n && (word_is(&tok[i], "SESSION") || word_is(&tok[i], "LOCAL") || word_is(&tok[i], "GLOBAL")))
		i++;
	if (i < n && (word_is(&tok[i], "NAMES") || word_is(&tok[i], "CHARSET") ||
		      (word_is(&tok[i], "CHARACTER") && i + 1 < n && word_is(&tok[i + 1], "SET")))) {
		bool names = word_is(&tok[i], "NAMES");

		i += word_is(&tok[i], "CHARACTER") ? 2 : 1;
		if (i >= n || !tok[i].plain || word_is(&tok[i], "DEFAULT"))
			return false;
		i++;
		if (names && i < n && word_is(&tok[i], "COLLATE")) {
			if (i + 1 >= n || !tok[i + 1].plain || word_is(&tok[i + 1], "DEFAULT"))
				return false;
			i += 2;
		}
		return i == n;
	}
	for (eq = i; eq < n; eq++)
		if (tok[eq].type == TOK_OTHER && (tok[eq].c == '=' || tok[eq].c == ':'))
			break;
	if (eq == n)
		return true;
	/* @name is a user variable; @@name, SESSION name and name are the server's */
	if (eq - i >= 2 && tok[i].type == TOK_OTHER && tok[i].c == '@' && !(tok[i + 1].type == TOK_OTHER &&
									     tok[i + 1].c == '@'))
		return true;
	for (; i < eq; i++)
		if (names_charset_variable(&tok[i]))
			return eq + 2 == n && tok[eq + 1].plain && !word_is(&tok[eq + 1], "DEFAULT");
	return true;
}

/* The assignments after one SET word, to the ';' that ends its statement. */
static bool set_plain(const char *p)
{
	struct set_token tok[MAX_ASSIGNMENT], t;
	size_t n = 0;
	int depth = 0;
	bool statement_form;
	const char *q = p;

	t = next_token(&q);
	statement_form = word_is(&t, "STATEMENT") && t.type == TOK_WORD;
	if (statement_form)
		p = q;
	for (;;) {
		t = next_token(&p);
		if (t.type == TOK_OTHER && t.c == ';' && depth == 0)
			t.type = TOK_END;
		/* SET STATEMENT a = x, b = y FOR stmt: the settings end at FOR */
		if (statement_form && depth == 0 && t.type == TOK_WORD && word_is(&t, "FOR"))
			t.type = TOK_END;
		if (t.type == TOK_END || (t.type == TOK_OTHER && t.c == ',' && depth == 0)) {
			if (!assignment_plain(tok, n))
				return false;
			if (t.type == TOK_END)
				return true;
			n = 0;
			continue;
		}
		if (t.type == TOK_OTHER && t.c == '(')
			depth++;
		else if (t.type == TOK_OTHER && t.c == ')' && depth > 0)
			depth--;
		if (n == MAX_ASSIGNMENT) {
			/* too long to be one plain name: the last token stands for the rest */
			tok[n - 1].type = TOK_OTHER;
			tok[n - 1].c = '(';
			tok[n - 1].plain = false;
			continue;
		}
		tok[n++] = t;
	}
}

static bool mentions(const char *text, const char *word)
{
	size_t len = strlen(word);

	for (; *text; text++)
		if (strncasecmp(text, word, len) == 0)
			return true;
	return false;
}

/* Whether a SET after this token begins a SET statement: at the start, after
 * ';', a label, or a word that opens a statement in a compound one (or SET
 * STATEMENT ... FOR). Not the SET of UPDATE t SET, INSERT INTO t SET or
 * ALTER ... SET DEFAULT, whose column may well be called names or charset. */
static bool starts_statement(const struct set_token *before)
{
	static const char *const openers[] = { "BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "FOR", "ATOMIC", NULL };
	size_t i;

	if (before->type == TOK_END || (before->type == TOK_OTHER && (before->c == ';' || before->c == ':')))
		return true;
	for (i = 0; before->type == TOK_WORD && openers[i]; i++)
		if (word_is(before, openers[i]))
			return true;
	return false;
}

/* Every SET in the text, a compound statement's too (not inside quotes). */
bool sqlscan_mysql_charset_plain(const char *text)
{
	const char *p = text;

	struct set_token before = { TOK_END, NULL, 0, false, '\0' };

	if (!mentions(text, "names") && !mentions(text, "char"))
		return true;
	for (;;) {
		struct set_token t = next_token(&p);

		if (t.type == TOK_END)
			return true;
		if (t.type == TOK_WORD && word_is(&t, "SET") && starts_statement(&before) && !set_plain(p))
			return false;
		before = t;
	}
}
