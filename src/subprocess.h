/* Running a helper program (pg_dump, mariadb-dump) and reading what it wrote. */
#ifndef DBCTL_SUBPROCESS_H
#define DBCTL_SUBPROCESS_H

#include "err.h"
#include "strbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* The caller's environment without the variables that start with one of
 * drop (NULL-ended; say "PG"), then extra ("NAME=VALUE", copied; NULL
 * entries skipped). Free with subprocess_environment_release. */
char **subprocess_environment(const char *const *drop, const char *const *extra, size_t extra_count);
void subprocess_environment_release(char **env);

/* Runs path with argv and env, no standard input, and appends its standard
 * output to out and its standard error to errors. Returns its exit status,
 * or -1 when it could not be run or was killed (errors says why). */
int subprocess_run(const char *path, char *const argv[], char *const env[], struct strbuf *out, struct strbuf *errors);

/* subprocess_run for a program whose output is the point: its standard
 * output appended to out; when it fails, -1 with err saying what it wrote
 * to standard error. */
int subprocess_capture(const char *path, char *const argv[], char *const env[], struct strbuf *out,
		       struct err *err) MUST_CHECK;

/* The first directory of PATH holding an executable name, into path; false when none. */
bool subprocess_find(const char *name, char *path, size_t size);

#endif
