/* Generic URL parsing and password masking; no backend library needed. */
#ifndef DBCTL_URL_H
#define DBCTL_URL_H

#include "err.h"

#include <stdbool.h>

/* Parts of scheme://user:password@host:port/path?query, percent-decoded
 * except query. Every string is owned by the struct; absent parts are NULL. */
struct url {
	char *scheme;   /* lower case */
	char *user;
	char *password;
	char *host;
	int port;       /* 0 when absent */
	char *path;     /* after the authority, leading '/' removed */
	char *query;    /* raw text after '?' */
};

enum url_backend {
	URL_BACKEND_UNKNOWN = 0,
	URL_BACKEND_POSTGRESQL,
	URL_BACKEND_REDIS,
	URL_BACKEND_SQLITE,
	URL_BACKEND_MYSQL,
};

int url_parse(const char *text, struct url *out, struct err *err) MUST_CHECK;
void url_release(struct url *url);

/* Which backend a URL (or a libpq "key=value" string) is for. */
enum url_backend url_backend_of(const char *text);
const char *url_backend_name(enum url_backend backend);

/* Masking follows the parser that reads the text: libpq for postgresql://
 * URIs (the userinfo runs to the first '@' unless a '/' comes first) and
 * keyword strings, url_parse for the others. Text that does not read cleanly
 * but has an '@' ("app:secret@host", a raw '@' past the userinfo) is masked
 * from the userinfo's ':' to its last '@'. */

/* A copy of text with every password replaced by ***: the userinfo of
 * URLs, password=... in query strings and in libpq keyword strings.
 * Returns a string the caller frees. */
char *url_mask(const char *text);

/* url_mask for a word of the command line echoed in an error, which may also
 * be "password:secret" or "--password=secret": whatever follows a password
 * key is masked. Caller frees. */
char *url_mask_word(const char *word);
/* "password", "--password", "PGPASSWORD": a word naming a secret, whose
 * next word on a command line is likely to be one. */
bool url_is_secret_key(const char *word);

/* The secrets url_mask_word hides in word, as url_secrets lists them. */
char **url_word_secrets(const char *word);

/* Overwrites, in place, every byte that url_mask would hide with 'x' (for
 * argv, whose length cannot change). */
void url_hide(char *text);

/* The password the library would use (libpq: a later password=... wins;
 * Redis: the userinfo's), decoded; for text that does not parse, the first
 * secret as typed. NULL when there is none; caller frees. */
char *url_password(const char *text);

/* Every secret the text holds, each as typed, decoded and percent-encoded:
 * what a scrubber must look for in messages that quote the text. A
 * NULL-terminated list (NULL when there is none); free with url_secrets_free. */
char **url_secrets(const char *text);
void url_secrets_free(char **secrets);

/* True when a postgresql:// or redis:// URL has an '@' past its userinfo
 * (a raw '@' or '/' in a PostgreSQL password; '?' or '#' in a Redis one):
 * the library would take part of the password for the host, port or
 * database. Bad config: it must be percent-encoded. */
bool url_userinfo_unencoded(const char *text);

/* Value of key in a query string "a=1&b=2", percent-decoded; caller frees;
 * NULL when absent. */
char *url_query_get(const char *query, const char *key);

/* Appends s percent-encoded (RFC 3986 unreserved kept) to a malloc'd string. */
char *url_encode(const char *s);

#endif
