/* pg_dump --schema-only, run as a child with the connection's own settings,
 * and its output cleaned for review: a dump is read in diffs. */
#include "drv_pg_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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

/* The child's environment: the caller's without PG* (a PGSERVICE or
 * PGOPTIONS must not point pg_dump elsewhere), then the connection's own. */
static char **child_environment(PGconn *pg)
{
	static const char *const keywords[][2] = {
		{ "sslmode", "PGSSLMODE" }, { "sslrootcert", "PGSSLROOTCERT" }, { "sslcert", "PGSSLCERT" },
		{ "sslkey", "PGSSLKEY" },   { "sslcrl", "PGSSLCRL" },           { "gssencmode", "PGGSSENCMODE" },
	};
	PQconninfoOption *options = PQconninfo(pg), *o;
	size_t count = 0, n = 0, i;
	char **env;

	for (i = 0; environ[i]; i++)
		count++;
	env = calloc(count + 16, sizeof(*env));
	if (!env)
		abort();
	for (i = 0; environ[i]; i++)
		if (strncmp(environ[i], "PG", 2) != 0)
			env[n++] = strdup(environ[i]);
#define PUT(name, value)                                                   \
	do {                                                               \
		const char *v_ = (value);                                  \
		if (v_ && *v_) {                                           \
			struct strbuf sb_;                                 \
			strbuf_init(&sb_);                                 \
			strbuf_addf(&sb_, "%s=%s", (name), v_);            \
			env[n++] = strbuf_detach(&sb_);                    \
		}                                                          \
	} while (0)
	PUT("PGHOST", PQhost(pg));
	PUT("PGPORT", PQport(pg));
	PUT("PGDATABASE", PQdb(pg));
	PUT("PGUSER", PQuser(pg));
	PUT("PGPASSWORD", PQpass(pg));
	for (o = options; o && o->keyword; o++)
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strcmp(o->keyword, keywords[i][0]) == 0)
				PUT(keywords[i][1], o->val);
#undef PUT
	PQconninfoFree(options);
	return env;
}

static void free_environment(char **env)
{
	size_t i;

	for (i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

/* Reads the child's stdout and stderr to their ends. */
static void collect(int out_fd, int err_fd, struct strbuf *out, struct strbuf *errors)
{
	struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	char buffer[65536];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int i;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(fds[i].fd, buffer, sizeof(buffer));
			if (got > 0) {
				strbuf_add(i == 0 ? out : errors, buffer, (size_t)got);
			} else if (got == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		}
	}
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
	int major = PQserverVersion(pg) / 10000, out_pipe[2], err_pipe[2], status = 0;
	struct strbuf dump, errors;
	char path[512], **env;
	pid_t child;
	int rc = 0;

	if (find_pg_dump(major, path, sizeof(path), err) != 0)
		return -1;
	if (pipe(out_pipe) != 0)
		return err_set(err, EXIT_FAILED, "pg_dump: %s", strerror(errno));
	if (pipe(err_pipe) != 0) {
		close(out_pipe[0]);
		close(out_pipe[1]);
		return err_set(err, EXIT_FAILED, "pg_dump: %s", strerror(errno));
	}
	env = child_environment(pg);
	child = fork();
	if (child == 0) {
		char schema_only[] = "--schema-only", no_password[] = "--no-password";
		char *const argv[] = { path, schema_only, no_password, NULL };

		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		close(out_pipe[0]);
		close(err_pipe[0]);
		close(out_pipe[1]);
		close(err_pipe[1]);
		execve(path, argv, env);
		_exit(127);
	}
	free_environment(env);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (child < 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		return err_set(err, EXIT_FAILED, "pg_dump: %s", strerror(errno));
	}
	strbuf_init(&dump);
	strbuf_init(&errors);
	collect(out_pipe[0], err_pipe[0], &dump, &errors);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		while (errors.len && (errors.buf[errors.len - 1] == '\n'))
			errors.buf[--errors.len] = '\0';
		rc = err_set(err, EXIT_FAILED, "%s failed: %s", path, errors.len ? errors.buf : "no message");
	} else {
		clean(dump.buf, out);
	}
	strbuf_release(&dump);
	strbuf_release(&errors);
	return rc;
}
