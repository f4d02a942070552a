/* Small readers of SQL text shared by the core and the backend modules. */
#include "sqltext.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *sqltext_skip_blank(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 1;

			for (p += 2; *p && depth; p++) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
			}
		} else {
			return p;
		}
	}
}

static bool secret_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* What the text so far says of the next string literal. */
enum secret_arm {
	ARM_NONE,
	ARM_IDENTIFIED,   /* IDENTIFIED ...: the first string up to a ';' or ',' */
	ARM_WORD,         /* a word ending in PASSWORD: a string right after it, a '(' or '=' between */
	ARM_FOR,          /* SET PASSWORD FOR user: a word ending in PASSWORD's rule after the '=' */
};

bool sqltext_secrets(const char *text, size_t len, unsigned char *secret)
{
	size_t i = 0;
	char quote = 0;
	enum secret_arm arm = ARM_NONE;
	bool found = false;

	memset(secret, 0, len);
	while (i < len) {
		char c = text[i];

		if (quote) {
			if (c == '\\' && i + 1 < len) {
				secret[i++] = 1;   /* the backslash and what it escapes */
			} else if (c == quote && !(i + 1 < len && text[i + 1] == quote)) {
				quote = 0;
				i++;
				continue;
			} else if (c == quote) {
				secret[i++] = 1;   /* a doubled quote */
			}
			secret[i++] = 1;
			found = true;
			continue;
		}
		if (secret_word_char(c) && (i == 0 || !secret_word_char(text[i - 1]))) {
			size_t n = 0;

			while (i + n < len && secret_word_char(text[i + n]))
				n++;
			if (n == 10 && strncasecmp(text + i, "IDENTIFIED", 10) == 0)
				arm = ARM_IDENTIFIED;
			else if (n >= 8 && strncasecmp(text + i + n - 8, "PASSWORD", 8) == 0)
				arm = arm == ARM_IDENTIFIED ? ARM_IDENTIFIED : ARM_WORD;
			else if (arm == ARM_WORD && n == 3 && strncasecmp(text + i, "FOR", 3) == 0)
				arm = ARM_FOR;
			else if (arm == ARM_WORD)
				arm = ARM_NONE;   /* auth_password IS NOT NULL, PASSWORD EXPIRE: a name, a clause */
			i += n;
			continue;
		}
		if ((c == '\'' || c == '"') && (arm == ARM_IDENTIFIED || arm == ARM_WORD)) {
			quote = c;
			arm = ARM_NONE;
			i++;
			continue;
		}
		if (c == '\'' || c == '"' || c == '`') {
			/* another literal or name, kept as it is (a word in it arms nothing) */
			for (i++; i < len && text[i] != c; i++)
				if (text[i] == '\\' && c != '`' && i + 1 < len)
					i++;
			if (i < len)
				i++;
			if (arm == ARM_WORD)
				arm = ARM_NONE;
			continue;
		}
		if (c == ';' || (c == ',' && arm != ARM_FOR))
			arm = ARM_NONE;
		else if (c == '=' && arm == ARM_FOR)
			arm = ARM_WORD;
		else if (arm == ARM_WORD && c != '(' && c != '=' && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			arm = ARM_NONE;
		i++;
	}
	return found;
}

size_t sqltext_mask(const char *text, size_t len, const unsigned char *secret, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (!secret[i])
			out[n++] = text[i];
		else if (((unsigned char)text[i] & 0xc0) != 0x80)
			out[n++] = '*';
	}
	out[n] = '\0';
	return n;
}
