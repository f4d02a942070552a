/* Splitting a Redis command line into arguments the way redis-cli does. */
#ifndef DBCTL_REDISARGS_H
#define DBCTL_REDISARGS_H

#include "err.h"

#include <stddef.h>

struct redisargs {
	int count;
	char **values;     /* owned; into bytes, each NUL-terminated; may contain NUL bytes (from \x00) */
	size_t *lengths;   /* owned */
	/* storage kept between redisargs_parse calls, so that a loop over lines allocates once */
	char *bytes;
	size_t bytes_size;
	int capacity;
};

/* Double quotes take \n \r \t \b \a \\ \" \xHH; single quotes take \'.
 * A closing quote must be followed by a space or the end. On a malformed
 * line returns -1 with err->message saying what and at which column. */
int redisargs_split(const char *line, struct redisargs *out, struct err *err) MUST_CHECK;

/* The same on len bytes of line, reusing args' memory from the last call
 * (start with redisargs_init); the previous values are gone. On a malformed
 * line the message says what, and err->column (1-based, in bytes) where. */
void redisargs_init(struct redisargs *args);
int redisargs_parse(struct redisargs *args, const char *line, size_t len, struct err *err) MUST_CHECK;

void redisargs_release(struct redisargs *args);

#endif
