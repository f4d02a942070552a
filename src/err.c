/* Error struct helpers: formatting, hints, context prefixes, secret scrubbing. */
#include "err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void err_init(struct err *err)
{
	memset(err, 0, sizeof(*err));
	err->item = -1;
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->hint[0] = '\0';
	err->detail[0] = '\0';
	err->context[0] = '\0';
	err->where[0] = '\0';
	err->sqlstate[0] = '\0';
	err->file[0] = '\0';
	err->line = err->column = 0;
	err->item = -1;
	err->position = 0;
	err->partly_applied = false;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

void err_hint(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void err_prefix(struct err *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does secret occur at text[i], as the scrubbing rules take it? */
static bool secret_at(const char *text, size_t len, size_t i, const char *secret, size_t secret_len)
{
	if (secret_len > len - i || memcmp(text + i, secret, secret_len) != 0)
		return false;
	if (secret_len >= ERR_SCRUB_SHORT)
		return true;
	return (i == 0 || !is_word_char(text[i - 1])) &&
	       (i + secret_len == len || !is_word_char(text[i + secret_len]));
}

/* A buffer filled to the brim was probably cut by vsnprintf, maybe in the
 * middle of a secret: the length to keep so that no start of one is left. */
static size_t without_cut_secret(const char *text, size_t len, const char *const *secrets, size_t count)
{
	size_t keep = len, s, k;

	for (s = 0; s < count; s++) {
		size_t secret_len = secrets[s] ? strlen(secrets[s]) : 0;

		for (k = secret_len > len ? len : secret_len - (secret_len > 0); k > 0; k--) {
			if (memcmp(text + len - k, secrets[s], k) == 0 &&
			    (k >= ERR_SCRUB_SHORT || len == k || !is_word_char(text[len - k - 1]))) {
				if (len - k < keep)
					keep = len - k;
				break;
			}
		}
	}
	return keep;
}

/* The NUL-terminated text of buf (capacity size) copied out, so that a
 * rewrite can go back into buf without growing past size; *len is its length.
 * NULL when out of memory, buf then holds just the mask. Owned by the caller. */
static char *copy_out(char *buf, size_t size, size_t *len)
{
	char *text;

	*len = strnlen(buf, size);
	if (*len == size)
		*len = size - 1;
	text = malloc(*len + 1);
	if (!text) {
		snprintf(buf, size, "%s", "***");
		return NULL;
	}
	memcpy(text, buf, *len);
	text[*len] = '\0';
	return text;
}

void err_scrub_list(char *buf, size_t size, const char *const *secrets, size_t count)
{
	size_t len, keep, i, out = 0, s;
	char *text;

	if (!buf || size == 0 || !(text = copy_out(buf, size, &len)))
		return;
	keep = len == size - 1 ? without_cut_secret(text, len, secrets, count) : len;
	for (i = 0; i < keep;) {
		size_t best = 0;

		for (s = 0; s < count; s++) {
			size_t secret_len = secrets[s] ? strlen(secrets[s]) : 0;

			if (secret_len > best && secret_at(text, keep, i, secrets[s], secret_len))
				best = secret_len;
		}
		if (best) {
			size_t room = size - 1 - out, mask_len = room < 3 ? room : 3;

			memcpy(buf + out, "***", mask_len);
			out += mask_len;
			i += best;
			if (mask_len < 3)
				break;
			continue;
		}
		if (out + 1 >= size)
			break;
		buf[out++] = text[i++];
	}
	buf[out] = '\0';
	free(text);
}

void err_scrub(char *buf, size_t size, const char *secret)
{
	err_scrub_list(buf, size, &secret, 1);
}

void err_replace(char *buf, size_t size, const char *from, const char *to)
{
	size_t len, from_len = from ? strlen(from) : 0, to_len = to ? strlen(to) : 0, i = 0, out = 0;
	char *text;

	if (!buf || size == 0 || from_len == 0 || !(text = copy_out(buf, size, &len)))
		return;
	while (i < len && out + 1 < size) {
		if (from_len <= len - i && memcmp(text + i, from, from_len) == 0) {
			size_t room = size - 1 - out, n = to_len < room ? to_len : room;

			memcpy(buf + out, to, n);
			out += n;
			i += from_len;
			continue;
		}
		buf[out++] = text[i++];
	}
	buf[out] = '\0';
	free(text);
}
