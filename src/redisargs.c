/* redis-cli's quoting rules for one command line. */
#include "redisargs.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* isspace() in the C locale, without a call per byte */
static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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

static void push(struct redisargs *args, char *value, size_t len)
{
	if (args->count == args->capacity) {
		args->capacity = args->capacity ? args->capacity * 2 : 8;
		args->values = realloc(args->values, (size_t)args->capacity * sizeof(char *));
		args->lengths = realloc(args->lengths, (size_t)args->capacity * sizeof(size_t));
		if (!args->values || !args->lengths)
			abort();
	}
	args->lengths[args->count] = len;
	args->values[args->count++] = value;
}

void redisargs_init(struct redisargs *args)
{
	memset(args, 0, sizeof(*args));
}

int redisargs_parse(struct redisargs *args, const char *line, size_t len, struct err *err)
{
	const char *p = line, *end = line + len, *opened = line;
	char *o;

	args->count = 0;
	/* unescaping never lengthens an argument, and each one's NUL takes the
	 * place of a separator or a quote: len + 1 bytes hold them all */
	if (args->bytes_size < len + 1) {
		free(args->bytes);
		args->bytes_size = len + 1 > 64 ? len + 1 : 64;
		args->bytes = malloc(args->bytes_size);
		if (!args->bytes)
			abort();
	}
	o = args->bytes;
	for (;;) {
		char *start = o;

		while (p < end && is_space(*p))
			p++;
		if (p == end)
			return 0;
		if (*p == '"' || *p == '\'') {
			char quote = *p++;

			opened = p - 1;

			for (;;) {
				if (p == end)
					goto unterminated;
				if (*p == quote) {
					p++;
					if (p < end && !is_space(*p))
						goto after_quote;
					break;
				}
				if (quote == '"' && *p == '\\' && end - p >= 4 && p[1] == 'x' && hex_digit(p[2]) >= 0 &&
				    hex_digit(p[3]) >= 0) {
					*o++ = (char)(hex_digit(p[2]) * 16 + hex_digit(p[3]));
					p += 4;
				} else if (quote == '"' && *p == '\\' && end - p >= 2) {
					*o++ = double_quote_escape(p[1]);
					p += 2;
				} else if (quote == '\'' && *p == '\\' && end - p >= 2 && p[1] == '\'') {
					*o++ = '\'';
					p += 2;
				} else {
					*o++ = *p++;
				}
			}
		} else {
			/* unquoted: everything up to the next space, quotes included;
			 * a byte above ' ' is not one, the common case first */
			const char *q = p;

			while (q < end && ((unsigned char)*q > ' ' || !is_space(*q)))
				q++;
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
		}
		*o++ = '\0';
		push(args, start, (size_t)(o - 1 - start));
	}
unterminated:
	args->count = 0;
	err_set(err, EXIT_USAGE, "unbalanced quotes in command");
	err->column = (int)(opened - line) + 1;   /* the quote that is never closed */
	return -1;
after_quote:
	args->count = 0;
	err_set(err, EXIT_USAGE, "closing quote must be followed by a space");
	err->column = (int)(p - line) + 1;
	return -1;
}

int redisargs_split(const char *line, struct redisargs *out, struct err *err)
{
	redisargs_init(out);
	if (redisargs_parse(out, line, strlen(line), err) != 0) {
		size_t len = strlen(err->message);

		/* a line typed at the prompt has no file place: say the column here */
		snprintf(err->message + len, sizeof(err->message) - len, " (column %d)", err->column);
		redisargs_release(out);
		return -1;
	}
	return 0;
}

void redisargs_release(struct redisargs *args)
{
	free(args->values);
	free(args->lengths);
	free(args->bytes);
	memset(args, 0, sizeof(*args));
}
