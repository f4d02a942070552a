/* Small readers of SQL text shared by the core and the backend modules. */
#ifndef DBCTL_SQLTEXT_H
#define DBCTL_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The first byte at or after p that is neither whitespace nor inside a
 * comment (-- to the end of the line, or a block comment, nested as
 * PostgreSQL nests them). */
const char *sqltext_skip_blank(const char *p);

/* The secrets in len bytes of text: secret[i] is set for each byte inside
 * the string literal after IDENTIFIED (BY 'x', WITH plugin AS 'x') or a
 * word ending in PASSWORD (PASSWORD('x'), MASTER_PASSWORD = 'x',
 * PostgreSQL's PASSWORD 'x'), cleared elsewhere (the quotes around it
 * too). For whoever shows a statement (error excerpts, run --list, a
 * server's near '...'): one '*' a character keeps its columns. Returns
 * whether there was one. */
bool sqltext_secrets(const char *text, size_t len, unsigned char *secret);

/* text (len bytes) with each character inside a secret as one '*', into
 * out (at least len + 1 bytes, NUL-terminated); returns its length. */
size_t sqltext_mask(const char *text, size_t len, const unsigned char *secret, char *out);

#endif
