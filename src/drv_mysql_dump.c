/* mariadb-dump --no-data, run with the connection's own settings and no
 * option files, its output cleaned for review and for loading again. */
#include "drv_mysql_dump.h"
#include "drv_mysql.h"
#include "subprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

/* SET @saved_cs_client = ..., SET character_set_client = ..., and the
 * like, bare or inside a version comment (MySQL version 5.0.1 and up only) */
static bool juggles_charset(const char *line, size_t len)
{
	const char *p = line, *end = line + len;

	if (starts(p, len, "/*!")) {
		p += 3;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	len = (size_t)(end - p);
	return starts(p, len, "SET @saved_") || starts(p, len, "SET character_set_") ||
	       starts(p, len, "SET collation_connection");
}

/* Drops the character-set juggling around each CREATE (saved and restored
 * through user variables, which a run refuses as a charset it cannot
 * judge), the sandbox-mode line, and AUTO_INCREMENT=N, which is data. */
static void clean(const char *text, struct strbuf *out)
{
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *auto_increment;

		if (starts(p, len, "/*M!999999") || juggles_charset(p, len)) {
			/* dropped */
		} else if (starts(p, len, ") ENGINE=") && (auto_increment = strstr(p, " AUTO_INCREMENT=")) &&
			   auto_increment < p + len) {
			const char *after = auto_increment + 16;

			while (after < p + len && *after >= '0' && *after <= '9')
				after++;
			strbuf_add(out, p, (size_t)(auto_increment - p));
			strbuf_add(out, after, (size_t)(p + len - after));
			strbuf_addstr(out, "\n");
		} else {
			strbuf_add(out, p, len);
			strbuf_addstr(out, "\n");
		}
		p += len + (p[len] == '\n');
	}
}

/* prefix and value as one malloc'd string: "--user=" "app" */
static char *argument(const char *prefix, const char *value)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_addstr(&sb, prefix);
	strbuf_addstr(&sb, value);
	return strbuf_detach(&sb);
}

int my_dump_schema(struct driver_conn *conn, struct strbuf *out, struct err *err)
{
	static const char *const drop[] = { "MYSQL_", "MARIADB_", NULL };
	const struct url_mysql *url = &conn->url;
	char path[512], port[16], *argv[24] = { 0 }, *password = NULL, **env;
	struct strbuf dump;
	size_t n = 0, i;
	int rc = 0;

	/* the dump tool, like libmariadb 3.3, logs in before it checks that TLS
	 * came up under --ssl: dbctl's own greeting check cannot reach its
	 * connection, and only a verified certificate makes it refuse first */
	if (url->ssl_mode == URL_SSL_REQUIRED)
		return err_set(err, EXIT_FAILED, "ssl-mode=REQUIRED: mariadb-dump would log in before checking that TLS is "
					  "up, so the schema file is not written"),
		       err_hint(err, "use ssl-mode=VERIFY_CA or VERIFY_IDENTITY (with ssl-ca), under which it refuses a "
				     "server without TLS first"),
		       -1;
	if (!subprocess_find("mariadb-dump", path, sizeof(path)) && !subprocess_find("mysqldump", path, sizeof(path)))
		return err_set(err, EXIT_FAILED, "no mariadb-dump or mysqldump in PATH to write the schema with"),
		       err_hint(err, "install the client (Debian: mariadb-client)"), -1;
	argv[n++] = argument("", path);
	/* an option file could point it at another server or user */
	argv[n++] = argument("", "--no-defaults");
	argv[n++] = argument("", "--no-data");
	argv[n++] = argument("", "--compact");
	argv[n++] = argument("", "--routines");
	argv[n++] = argument("", "--triggers");
	argv[n++] = argument("", "--skip-opt");
	argv[n++] = argument("", "--create-options");
	if (url->user && *url->user)
		argv[n++] = argument("--user=", url->user);
	if (url->host && *url->host) {
		snprintf(port, sizeof(port), "%d", url->port);
		argv[n++] = argument("--host=", url->host);
		argv[n++] = argument("--port=", port);
		argv[n++] = argument("", "--protocol=TCP");
	} else if (url->socket && *url->socket) {
		argv[n++] = argument("--socket=", url->socket);
	}
	if (url->ssl_mode == URL_SSL_DISABLED)
		argv[n++] = argument("", "--skip-ssl");
	if (url->ssl_mode != URL_SSL_DISABLED && url->ssl_mode != URL_SSL_PREFERRED)
		argv[n++] = argument("", "--ssl");
	if (url->ssl_mode == URL_SSL_VERIFY_CA || url->ssl_mode == URL_SSL_VERIFY_IDENTITY)
		argv[n++] = argument("", "--ssl-verify-server-cert");
	if (url->ssl_ca)
		argv[n++] = argument("--ssl-ca=", url->ssl_ca);
	if (url->ssl_cert)
		argv[n++] = argument("--ssl-cert=", url->ssl_cert);
	if (url->ssl_key)
		argv[n++] = argument("--ssl-key=", url->ssl_key);
	argv[n++] = argument("--default-character-set=", url->charset ? url->charset : "utf8mb4");
	argv[n++] = argument("", url->database ? url->database : "");
	/* the password in the environment only: a command line is readable by every local user */
	if (conn->password && *conn->password)
		password = argument("MYSQL_PWD=", conn->password);
	env = subprocess_environment(drop, (const char *const *)&password, password ? 1 : 0);
	strbuf_init(&dump);
	rc = subprocess_capture(path, argv, env, &dump, err);
	if (rc == 0)
		clean(dump.buf, out);
	subprocess_environment_release(env);
	free(password);
	for (i = 0; i < n; i++)
		free(argv[i]);
	strbuf_release(&dump);
	return rc;
}
