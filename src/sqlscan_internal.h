/* What sqlscan.c shares with the dialects kept in their own files. */
#ifndef DBCTL_SQLSCAN_INTERNAL_H
#define DBCTL_SQLSCAN_INTERNAL_H

#include "sqlscan.h"

/* The next line into scan->line (checked: no NUL, valid UTF-8); 0 at the end, -1 with err set. */
int sqlscan_read_line(struct sqlscan *scan, struct err *err);

/* Characters before scan->pos on the current line. */
int sqlscan_column(struct sqlscan *scan);

/* sqlscan_next for SQLSCAN_MYSQL; out is already reset. */
int sqlscan_mysql_next(struct sqlscan *scan, struct sqlscan_statement *out, struct err *err);

/* Whether every character set a SET in text gives the connection (NAMES,
 * CHARACTER SET, CHARSET, character_set_*) is one plain name, not a value
 * computed at run time (sqlscan_mysql_set.c). */
bool sqlscan_mysql_charset_plain(const char *text);

#endif
