/* Splitting a Redis command line into arguments the way redis-cli does. */
#ifndef DBCTL_REDISARGS_H
#define DBCTL_REDISARGS_H

#include "err.h"

#include <stddef.h>

struct redisargs {
	int count;
	char **values;     /* owned; may contain NUL bytes (from \x00) */
	size_t *lengths;   /* owned */
};

/* Double quotes take \n \r \t \b \a \\ \" \xHH; single quotes take \'.
 * A closing quote must be followed by a space or the end. On a malformed
 * line returns -1 with err->message saying what and at which column. */
int redisargs_split(const char *line, struct redisargs *out, struct err *err) MUST_CHECK;
void redisargs_release(struct redisargs *args);

#endif
