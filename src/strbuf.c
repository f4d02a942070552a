/* Growable string buffer. Allocation failure aborts: a CLI cannot do better. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char strbuf_empty[1];

void strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb)
{
	char *s = sb->alloc ? sb->buf : strdup("");

	if (!s)
		abort();
	strbuf_init(sb);
	return s;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *grown;

	if (want <= sb->alloc)
		return;
	if (want < 64)
		want = 64;
	if (want < sb->alloc * 2)
		want = sb->alloc * 2;
	grown = realloc(sb->alloc ? sb->buf : NULL, want);
	if (!grown) {
		fputs("dbctl: out of memory\n", stderr);
		abort();
	}
	if (!sb->alloc)
		grown[0] = '\0';
	sb->buf = grown;
	sb->alloc = want;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int need;

	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0)
		return;
	strbuf_grow(sb, (size_t)need);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)need + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)need;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_valid_length(const unsigned char *p)
{
	size_t len, i;
	unsigned min_second = 0x80, max_second = 0xbf;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		len = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		len = 3, min_second = *p == 0xe0 ? 0xa0 : 0x80, max_second = *p == 0xed ? 0x9f : 0xbf;
	else if (*p >= 0xf0 && *p <= 0xf4)
		len = 4, min_second = *p == 0xf0 ? 0x90 : 0x80, max_second = *p == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (p[1] < min_second || p[1] > max_second)
		return 0;
	for (i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* JSON must be UTF-8 (RFC 8259): a byte that is not part of a well-formed
 * sequence (a Latin-1 database name, a truncated message) becomes U+FFFD. */
void strbuf_add_json_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p;

	if (!s) {
		strbuf_addstr(sb, "null");
		return;
	}
	strbuf_addch(sb, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': strbuf_addstr(sb, "\\\""); break;
		case '\\': strbuf_addstr(sb, "\\\\"); break;
		case '\n': strbuf_addstr(sb, "\\n"); break;
		case '\r': strbuf_addstr(sb, "\\r"); break;
		case '\t': strbuf_addstr(sb, "\\t"); break;
		default:
			if (*p < 0x20) {
				strbuf_addf(sb, "\\u%04x", *p);
			} else if (*p < 0x80) {
				strbuf_addch(sb, (char)*p);
			} else {
				size_t len = utf8_valid_length(p);

				if (len == 0) {
					strbuf_addstr(sb, "\\ufffd");
				} else {
					strbuf_add(sb, (const char *)p, len);
					p += len - 1;
				}
			}
		}
	}
	strbuf_addch(sb, '"');
}
