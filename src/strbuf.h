/* A growable, always NUL-terminated byte string (after git's strbuf). */
#ifndef DBCTL_STRBUF_H
#define DBCTL_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;   /* owned; never NULL after strbuf_init */
	size_t len;
	size_t alloc;
};

void strbuf_init(struct strbuf *sb);
/* Frees the contents; the struct can be reused after strbuf_init. */
void strbuf_release(struct strbuf *sb);
/* Hands the string to the caller (free() it) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Makes room for extra more bytes (and the NUL) without changing len, for
 * callers that write into buf + len themselves and then set len. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal, quotes included. */
void strbuf_add_json_string(struct strbuf *sb, const char *s);

#endif
