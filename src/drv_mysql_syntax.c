/* MySQL/MariaDB driver module: a 1064 syntax error placed in its statement.
 *
 * The server says "... near '<text>' at line N". <text> is the message from
 * the token it stopped at on (at most 80 bytes, then "..."), so it runs on
 * into the statements after this one in a multi-statement message. N is
 * the server's own line count from the start of the failing statement, and
 * its lexer counts only the newlines it skips between tokens and inside
 * comments: not those inside a string or a quoted name (observed on 10.11:
 * SELECT 'a<newline>b', 1 + FROM t says line 1 for FROM's line 2). So the
 * place is found by walking the statement as the server counts, and on
 * line N looking for the spot the near-text starts, whole or truncated. */
#include "drv_mysql_syntax.h"
#include "sqltext.h"

#include <stdlib.h>
#include <string.h>

enum state { NORMAL, SINGLE, DOUBLE, BACKTICK, LINE_COMMENT, BLOCK_COMMENT };

struct near_text {
	const char *text;
	size_t length;       /* as quoted, with a "..." the server appended */
	size_t compared;     /* without that "..." */
	bool truncated;
};

/* How the statement from p on matches the near-text: 2 the whole of it (to
 * the statement's end, or to the server's cut), 1 only as far as both go,
 * 0 not. *runs_on: the near-text goes on past the statement's end. */
static int match_at(const char *stmt, size_t length, size_t p, const struct near_text *near, bool *runs_on)
{
	size_t rest = length - p, n = near->compared < rest ? near->compared : rest;

	*runs_on = false;
	if (rest == 0) {
		/* at the end: near '' or the "\n;" before the next statement (its ';' is the token) */
		*runs_on = near->length > 0;
		return near->length == 0 || near->text[0] == ';' ? 2 : 0;
	}
	if (n == 0 || memcmp(stmt + p, near->text, n) != 0)
		return 0;
	if (near->compared == rest || (near->truncated && near->compared < rest))
		return 2;
	if (near->compared > rest) {
		*runs_on = true;
		/* what follows the statement in the message is "\n;", then the next one */
		return near->text[rest] == '\n' || near->text[rest] == ';' ? 2 : 1;
	}
	return 1;
}

/* The near-text kept to keep bytes, and " at line N" dropped. */
static void cut_near(char *near, char *at, size_t keep)
{
	char *end;

	for (end = at + 10; *end >= '0' && *end <= '9'; end++)
		;
	near[keep] = '\'';
	memmove(near + keep + 1, end, strlen(end) + 1);
}

/* Where the near-text is, once placed (cut to keep bytes, " at line N"
 * gone); *near is NULL when the message has none. 1: it starts at byte
 * *offset of stmt, its first *compared bytes being stmt's; 0: its place is
 * not known (err->position is line N's start); -1: not placed (the
 * message is as the server wrote it, the near-text *keep bytes long). */
static int place(struct err *err, const char *stmt, size_t length, bool backslash_escapes, char **near_out,
		 size_t *keep_out, size_t *offset, size_t *compared)
{
	char *near = strstr(err->message, "near '"), *at = NULL, *next;
	struct near_text text;
	enum state state = NORMAL;
	long number, line = 1;
	size_t p, line_start = (size_t)-1, best = (size_t)-1, keep;
	int best_class = 0, chars = 1;
	bool best_runs_on = false;

	*near_out = NULL;
	if (!near)
		return -1;
	near += 6;
	/* the last one: the near-text may hold the words itself */
	for (next = near; (next = strstr(next, "' at line ")) != NULL; next++)
		at = next;
	if (!at)
		return -1;
	*near_out = near;
	*keep_out = (size_t)(at - near);
	number = atol(at + 10);
	if (number < 1)
		return -1;
	text.text = near;
	text.length = (size_t)(at - near);
	text.truncated = text.length >= 3 && memcmp(at - 3, "...", 3) == 0;
	text.compared = text.truncated ? text.length - 3 : text.length;
	if (number == 1)
		line_start = 0;
	for (p = 0; p <= length; p++) {
		char c = p < length ? stmt[p] : '\0';
		char d = p + 1 < length ? stmt[p + 1] : '\0';

		/* a token starts only between tokens; the end is a place in any state */
		if ((state == NORMAL || p == length) && best_class < 4) {
			bool runs_on;
			int match = match_at(stmt, length, p, &text, &runs_on);
			/* on line N: the whole match 4, a partial one 2; elsewhere 3 and 1.
			 * At the end, the server's line may already be the next statement's. */
			bool on_line = line == number || (p == length && line + 1 == number);
			int class = match == 0 ? 0 : match == 2 ? (on_line ? 4 : 3) : (on_line ? 2 : 1);

			if (class > best_class) {
				best_class = class;
				best = p;
				best_runs_on = runs_on && match == 2;
			}
		}
		if (p == length)
			break;
		switch (state) {
		case NORMAL:
			if (c == '\'')
				state = SINGLE;
			else if (c == '"')
				state = DOUBLE;
			else if (c == '`')
				state = BACKTICK;
			else if (c == '#' || (c == '-' && d == '-' && (p + 2 >= length || (unsigned char)stmt[p + 2] <= ' ')))
				state = LINE_COMMENT;
			else if (c == '/' && d == '*' && !(p + 2 < length && (stmt[p + 2] == '!' || stmt[p + 2] == 'M')))
				state = BLOCK_COMMENT, p++;
			break;
		case SINGLE:
		case DOUBLE:
			if (c == '\\' && backslash_escapes && p + 1 < length)
				p++;   /* an escaped newline is in the string too: not counted */
			else if (c == (state == SINGLE ? '\'' : '"'))
				state = NORMAL;   /* '' and "" close and reopen: the same for counting */
			continue;
		case BACKTICK:
			if (c == '`')
				state = NORMAL;
			continue;
		case LINE_COMMENT:
			if (c == '\n')
				state = NORMAL;
			break;
		case BLOCK_COMMENT:
			if (c == '*' && d == '/')
				state = NORMAL, p++;
			break;
		}
		if (c == '\n') {
			line++;
			if (line == number)
				line_start = p + 1;
		}
	}
	/* a match off line N counts only when whole; else line N's start is the place */
	if (best_class < 2) {
		if (line_start == (size_t)-1)
			return -1;   /* no such line: leave the server's words as they are */
		best = line_start;
	}
	for (p = 0; p < best && p < length; p++)
		if (((unsigned char)stmt[p] & 0xc0) != 0x80)
			chars++;
	err->position = chars;
	keep = text.length;
	if (best_class >= 3 && best_runs_on)
		keep = length - best;
	cut_near(near, at, keep);
	*keep_out = keep;
	*offset = best;
	*compared = text.compared < keep ? text.compared : keep;
	return best_class >= 2;
}

/* The near-text's bytes that are a password in the statement (secret[],
 * from offset on) become one '*' a character; with secret NULL, all of it
 * becomes "***" (a statement with a password, and the near-text's place in
 * it not known). */
static void mask_near(char *near, size_t keep, const unsigned char *secret, size_t offset, size_t compared,
		      size_t length)
{
	size_t i, w = 0;

	if (!secret) {
		if (keep < 3)
			return;   /* too short to be the password, and "***" would not fit */
		memcpy(near, "***", 3);
		memmove(near + 3, near + keep, strlen(near + keep) + 1);
		return;
	}
	for (i = 0; i < keep; i++) {
		if (i >= compared || offset + i >= length || !secret[offset + i])
			near[w++] = near[i];
		else if (((unsigned char)near[i] & 0xc0) != 0x80)
			near[w++] = '*';
	}
	memmove(near + w, near + keep, strlen(near + keep) + 1);
}

/* Placed, and the near-text masked where it quotes a password (the
 * server's message quotes the statement raw, and stderr goes to logs). */
void my_syntax_place(struct err *err, const char *stmt, size_t length, bool backslash_escapes)
{
	char *near;
	size_t keep = 0, offset = 0, compared = 0;
	int placed = place(err, stmt, length, backslash_escapes, &near, &keep, &offset, &compared);
	unsigned char *secret;

	if (!near)
		return;
	secret = malloc(length + 1);
	if (!secret)
		mask_near(near, keep, NULL, 0, 0, length);
	else if (sqltext_secrets(stmt, length, secret))
		mask_near(near, keep, placed == 1 ? secret : NULL, offset, compared, length);
	free(secret);
}
