/* Small readers of SQL text shared by the core and the backend modules. */
#include "sqltext.h"

#include <ctype.h>
#include <string.h>

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
