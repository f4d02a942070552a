/* Generic URL parsing and password masking; no backend library needed. */
#ifndef DBCTL_URL_H
#define DBCTL_URL_H

#include "err.h"

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

/* A copy of text with every password replaced by ***: the userinfo of
 * URLs, password=... in query strings and in libpq keyword strings.
 * Returns a string the caller frees. */
char *url_mask(const char *text);

/* The password embedded in text, decoded, or NULL; caller frees. When a URL
 * does not parse, the raw text after the userinfo's ':' (not decoded). */
char *url_password(const char *text);

/* Value of key in a query string "a=1&b=2", percent-decoded; caller frees;
 * NULL when absent. */
char *url_query_get(const char *query, const char *key);

/* Appends s percent-encoded (RFC 3986 unreserved kept) to a malloc'd string. */
char *url_encode(const char *s);

#endif
