/* Small readers of SQL text shared by the core and the backend modules. */
#ifndef DBCTL_SQLTEXT_H
#define DBCTL_SQLTEXT_H

/* The first byte at or after p that is neither whitespace nor inside a
 * comment (-- to the end of the line, or a block comment, nested as
 * PostgreSQL nests them). */
const char *sqltext_skip_blank(const char *p);

#endif
