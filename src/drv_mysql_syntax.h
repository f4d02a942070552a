/* MySQL/MariaDB driver module: where in its statement a 1064 syntax error
 * is. Pure text work (no libmariadb), so that a unit test links it alone. */
#ifndef DBCTL_DRV_MYSQL_SYNTAX_H
#define DBCTL_DRV_MYSQL_SYNTAX_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

/* err holds the server's 1064 for the statement stmt (length bytes, as
 * sent, without its ';'), whose message may have continued past it (a
 * multi-statement message joins them with "\n;"). Sets err->position (the
 * 1-based character of stmt where the error is; one past its end for an
 * error at the end) and rewrites the message's "near '...' at line N":
 * the near-text is cut at the statement's end and " at line N" goes (the
 * caller's FILE:LINE:COL replaces it). backslash_escapes: the session's
 * strings take backslash escapes (no NO_BACKSLASH_ESCAPES in sql_mode).
 * Leaves err alone when the message is not of that form or names a line
 * the statement does not have. */
void my_syntax_place(struct err *err, const char *stmt, size_t length, bool backslash_escapes);

#endif
