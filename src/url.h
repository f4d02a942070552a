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

/* ---- mysql:// and mariadb:// ---- */

enum url_ssl_mode {
	URL_SSL_DISABLED,
	URL_SSL_PREFERRED,        /* TLS when the server offers it (MySQL's default) */
	URL_SSL_REQUIRED,         /* TLS or fail; the certificate is not checked */
	URL_SSL_VERIFY_CA,        /* ... signed by ssl-ca */
	URL_SSL_VERIFY_IDENTITY,  /* ... and naming the host */
};

/* A MySQL/MariaDB target. Forms read:
 *   mysql://[user[:password]@][host][:port][/database][?params]   (dbmate)
 *   mysql://user:password@tcp(host:port)/database                 (golang-migrate)
 *   mysql://user:password@unix(/path/to.sock)/database
 *   mysql://user:password@/database?socket=/path  (also unix_socket=)
 * mariadb:// is the same. Params: ssl-mode (sslmode), ssl-ca, ssl-cert,
 * ssl-key, charset (utf8mb4), connect_timeout, socket, unix_socket; any
 * other is refused. A host always means TCP, "localhost" included (the
 * library would otherwise take the default socket); no host and no socket
 * is 127.0.0.1. Strings are owned and decoded; absent ones are NULL, except
 * host (NULL only with a socket) and charset. */
struct url_mysql {
	char *user;
	char *password;
	char *host;
	int port;              /* 3306 unless given */
	char *socket;
	char *database;
	enum url_ssl_mode ssl_mode;
	char *ssl_ca, *ssl_cert, *ssl_key;
	char *charset;
	double connect_timeout;   /* seconds; 0 when not given */
};

/* Exit 3 (EXIT_USAGE) with a message naming the part or parameter at fault;
 * the message never quotes the URL or a password. */
int url_mysql_parse(const char *text, struct url_mysql *out, struct err *err) MUST_CHECK;
void url_mysql_release(struct url_mysql *url);
const char *url_ssl_mode_name(enum url_ssl_mode mode);

/* Appends s percent-encoded (RFC 3986 unreserved kept) to a malloc'd string. */
char *url_encode(const char *s);

#endif
