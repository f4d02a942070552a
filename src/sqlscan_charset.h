/* MySQL character sets that cannot carry a script safely (F25 of the audit).
 * In big5, cp932, gbk, gb18030 and sjis the second byte of a character can
 * be 0x5c, the backslash: text lexed (and -v values escaped) as UTF-8 reads
 * differently on a connection in one of them, where a quote that dbctl saw
 * as escaped closes the string, and what follows it runs as SQL. Shared by
 * the URL parser (?charset=) and the lexer (SET NAMES ...), header-only so
 * that url.o stays on its own. */
#ifndef DBCTL_SQLSCAN_CHARSET_H
#define DBCTL_SQLSCAN_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Whether the len bytes at name are one of those character sets' names. */
static inline bool sqlscan_charset_unsafe(const char *name, size_t len)
{
	static const char *const unsafe[] = { "big5", "cp932", "gbk", "gb18030", "sjis", NULL };
	int i;

	for (i = 0; unsafe[i]; i++)
		if (strlen(unsafe[i]) == len && strncasecmp(name, unsafe[i], len) == 0)
			return true;
	return false;
}

#define SQLSCAN_CHARSET_WHY "its multibyte characters can end in a backslash byte, so text dbctl checked " \
	"(and -v values it escaped) would read differently on the server"

#endif
