/* pg_dump --schema-only, run as a child with the connection's own settings,
 * and its output cleaned for review: a dump is read in diffs. */
#include "drv_pg_dump.h"

#include "subprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where packagers put each major's pg_dump (Debian, RHEL, Homebrew): the
 * major goes between the two parts. */
static const char *const dump_paths[][2] = {
	{ "/usr/lib/postgresql/", "/bin/pg_dump" },
	{ "/usr/pgsql-", "/bin/pg_dump" },
	{ "/opt/homebrew/opt/postgresql@", "/bin/pg_dump" },
	{ "/usr/local/opt/postgresql@", "/bin/pg_dump" },
};

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int find_pg_dump(int major, char *path, size_t size, struct err *err)
{
	struct strbuf tried;
	int i;

	strbuf_init(&tried);
	for (i = 0; i < (int)(sizeof(dump_paths) / sizeof(dump_paths[0])); i++) {
		snprintf(path, size, "%s%d%s", dump_paths[i][0], major, dump_paths[i][1]);
		if (executable(path)) {
			strbuf_release(&tried);
			return 0;
		}
		strbuf_addf(&tried, "%s%s", i ? ", " : "", path);
	}
	err_set(err, EXIT_FAILED, "no pg_dump for PostgreSQL %d: looked for %s", major, tried.buf);
	err_hint(err, "install the client of the server's major version (Debian: postgresql-client-%d); an older "
		      "pg_dump refuses a newer server and a newer one writes what an older server may not load", major);
	strbuf_release(&tried);
	return -1;
}

static char *entry(const char *name, const char *value)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_addf(&sb, "%s=%s", name, value);
	return strbuf_detach(&sb);
}

/* The child's environment: the caller's without PG* (a PGSERVICE or
 * PGOPTIONS must not point pg_dump elsewhere), then the connection's own. */
static char **child_environment(PGconn *pg)
{
	static const char *const keywords[][2] = {
		{ "sslmode", "PGSSLMODE" }, { "sslrootcert", "PGSSLROOTCERT" }, { "sslcert", "PGSSLCERT" },
		{ "sslkey", "PGSSLKEY" },   { "sslcrl", "PGSSLCRL" },           { "gssencmode", "PGGSSENCMODE" },
	};
	static const char *const drop[] = { "PG", NULL };
	const char *settings[][2] = {
		{ "PGHOST", PQhost(pg) }, { "PGPORT", PQport(pg) }, { "PGDATABASE", PQdb(pg) },
		{ "PGUSER", PQuser(pg) }, { "PGPASSWORD", PQpass(pg) },
	};
	PQconninfoOption *options = PQconninfo(pg), *o;
	char *extra[16] = { 0 }, **env;
	size_t n = 0, i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (settings[i][1] && *settings[i][1])
			extra[n++] = entry(settings[i][0], settings[i][1]);
	for (o = options; o && o->keyword; o++)
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strcmp(o->keyword, keywords[i][0]) == 0 && o->val && *o->val)
				extra[n++] = entry(keywords[i][1], o->val);
	PQconninfoFree(options);
	env = subprocess_environment(drop, (const char *const *)extra, n);
	for (i = 0; i < n; i++)
		free(extra[i]);
	return env;
}

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

static bool is_line(const char *line, size_t len, const char *text)
{
	return len == strlen(text) && memcmp(line, text, len) == 0;
}

/* Drops what differs between two dumps of the same schema, or only tells
 * how it was made: the \restrict key (random on every run), the header
 * comments naming versions, the session SETs (dbctl's header below sets
 * the one that loading needs), and runs of blank lines. */
static void clean(const char *text, struct strbuf *out)
{
	const char *p = text;
	bool blank = true, preamble = true;

	strbuf_addstr(out, "SET check_function_bodies = false;\n\n");
	while (*p) {
		size_t len = strcspn(p, "\n");

		/* a SET past the preamble could be a line of a function's body: only
		 * the two that pg_dump writes before tables are known for what they are */
		bool set = preamble ? starts(p, len, "SET ") || starts(p, len, "SELECT pg_catalog.set_config(")
				    : is_line(p, len, "SET default_tablespace = '';") ||
					      is_line(p, len, "SET default_table_access_method = heap;");

		if (starts(p, len, "\\restrict ") || starts(p, len, "\\unrestrict ") ||
		    starts(p, len, "-- Dumped from database version") || starts(p, len, "-- Dumped by pg_dump version") ||
		    starts(p, len, "-- PostgreSQL database dump") || set) {
			/* dropped */
		} else if (len == 0 || (len == 2 && memcmp(p, "--", 2) == 0)) {
			if (!blank)
				strbuf_addstr(out, "\n");
			blank = true;
		} else {
			strbuf_add(out, p, len);
			strbuf_addstr(out, "\n");
			blank = false;
			preamble = preamble && starts(p, len, "--");
		}
		p += len + (p[len] == '\n');
	}
}

int pg_dump_schema(PGconn *pg, struct strbuf *out, struct err *err)
{
	char path[512], schema_only[] = "--schema-only", no_password[] = "--no-password", **env;
	char *const argv[] = { path, schema_only, no_password, NULL };
	struct strbuf dump;
	int rc = 0;

	if (find_pg_dump(PQserverVersion(pg) / 10000, path, sizeof(path), err) != 0)
		return -1;
	env = child_environment(pg);
	strbuf_init(&dump);
	rc = subprocess_capture(path, argv, env, &dump, err);
	if (rc == 0)
		clean(dump.buf, out);
	subprocess_environment_release(env);
	strbuf_release(&dump);
	return rc;
}
