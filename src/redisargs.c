/* redis-cli's quoting rules for one command line. */
#include "redisargs.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int hex_digit(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char double_quote_escape(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'b': return '\b';
	case 'a': return '\a';
	default: return c;
	}
}

static void push(struct redisargs *out, struct strbuf *arg)
{
	out->values = realloc(out->values, (size_t)(out->count + 1) * sizeof(char *));
	out->lengths = realloc(out->lengths, (size_t)(out->count + 1) * sizeof(size_t));
	if (!out->values || !out->lengths)
		abort();
	out->lengths[out->count] = arg->len;
	out->values[out->count++] = strbuf_detach(arg);
}

int redisargs_split(const char *line, struct redisargs *out, struct err *err)
{
	const char *p = line;
	struct strbuf arg;

	memset(out, 0, sizeof(*out));
	strbuf_init(&arg);
	for (;;) {
		char quote = 0;
		const char *start;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		start = p;
		for (;;) {
			if (quote && !*p)
				goto unterminated;
			if (quote && *p == quote) {
				p++;
				if (*p && !isspace((unsigned char)*p))
					goto after_quote;
				break;
			}
			if (quote == '"' && p[0] == '\\' && p[1] == 'x' && hex_digit((unsigned char)p[2]) >= 0 &&
			    hex_digit((unsigned char)p[3]) >= 0) {
				strbuf_addch(&arg, (char)(hex_digit((unsigned char)p[2]) * 16 + hex_digit((unsigned char)p[3])));
				p += 4;
			} else if (quote == '"' && p[0] == '\\' && p[1]) {
				strbuf_addch(&arg, double_quote_escape(p[1]));
				p += 2;
			} else if (quote == '\'' && p[0] == '\\' && p[1] == '\'') {
				strbuf_addch(&arg, '\'');
				p += 2;
			} else if (!quote && (!*p || isspace((unsigned char)*p))) {
				break;
			} else if (!quote && (*p == '"' || *p == '\'') && p == start) {
				quote = *p++;
			} else {
				strbuf_addch(&arg, *p++);
			}
		}
		push(out, &arg);
	}
unterminated:
	strbuf_release(&arg);
	redisargs_release(out);
	return err_set(err, EXIT_USAGE, "unbalanced quotes in command (column %d)", (int)(p - line) + 1);
after_quote:
	strbuf_release(&arg);
	redisargs_release(out);
	return err_set(err, EXIT_USAGE, "closing quote must be followed by a space (column %d)", (int)(p - line) + 1);
}

void redisargs_release(struct redisargs *args)
{
	int i;

	for (i = 0; i < args->count; i++)
		free(args->values[i]);
	free(args->values);
	free(args->lengths);
	memset(args, 0, sizeof(*args));
}
