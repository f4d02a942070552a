/* Settings: precedence, sources, INI errors with file and line, ${VAR}, profiles, masking. */
#include "../../src/config.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/dbctl-test-config-XXXXXX";
static char path[512];

static const char *const env_names[] = { "DBCTL_URL", "DATABASE_URL", "POSTGRES_USER", "POSTGRES_PASSWORD",
					 "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DB", "REDIS_URL", "REDIS_HOST",
					 "REDIS_PORT", "DBCTL_PROFILE", "DBCTL_CONFIG", "DBCTL_POOL_SIZE", "PGHOST",
					 "PGDATABASE", "PGSERVICE", "XDG_CONFIG_HOME", "TEST_SECRET",
					 "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_DATABASE",
					 "MYSQL_ROOT_PASSWORD", "MARIADB_USER", "MARIADB_PASSWORD", "MARIADB_HOST",
					 "MARIADB_PORT", "MARIADB_DATABASE", "MARIADB_ROOT_PASSWORD" };

static void clean_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
}

static void write_ini(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Loads with --config path (when with_file) and the given flags; returns cfg_load's result. */
static int load(struct settings *s, struct err *e, int with_file, const char *profile, const char *url,
		const char *const *options, size_t count)
{
	struct cfg_request request = { 0 };

	request.config_path = with_file ? path : NULL;
	request.profile = profile;
	request.url = url;
	request.options = options;
	request.option_count = count;
	cfg_release(s);
	err_init(e);
	return cfg_load(s, &request, e);
}

static void test_defaults_and_precedence(void)
{
	struct settings s;
	struct err e;
	const char *opts[] = { "pool_size=9" };
	char source[600];

	cfg_init(&s);
	clean_env();
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "no file, no env: loads");
	is_str(cfg_source(&s, CFG_URL), "default", "url from default");
	ok(s.url_is_default, "the built-in url is flagged, so that dbctl can say so");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 5, "pool_size default 5");

	write_ini("[defaults]\nprofile = a\npool_size = 3\n\n[a]\nurl = sqlite:///a.db\npool_size = 4\n"
		  "[b]\nurl = sqlite:///b.db\n", 0600);
	ok(load(&s, &e, 1, NULL, NULL, NULL, 0) == 0, "ini loads");
	is_str(cfg_get(&s, CFG_PROFILE), "a", "profile from [defaults]");
	is_str(cfg_get(&s, CFG_URL), "sqlite:///a.db", "url from the profile");
	snprintf(source, sizeof(source), "ini:%s:6", path);
	is_str(cfg_source(&s, CFG_URL), source, "source names file and line");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 4, "profile outranks [defaults]");
	is_int((long)s.profile_count, 2, "two profiles found");

	ok(load(&s, &e, 1, "b", NULL, NULL, 0) == 0, "-p b");
	is_str(cfg_get(&s, CFG_URL), "sqlite:///b.db", "url of profile b");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 3, "b has no pool_size: [defaults] applies");
	is_str(cfg_source(&s, CFG_PROFILE), "flag", "profile source is flag");

	setenv("DBCTL_POOL_SIZE", "7", 1);
	ok(load(&s, &e, 1, NULL, NULL, NULL, 0) == 0, "env DBCTL_POOL_SIZE");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 7, "environment outranks the ini file");
	is_str(cfg_source(&s, CFG_POOL_SIZE), "env:DBCTL_POOL_SIZE", "source env:DBCTL_POOL_SIZE");
	ok(load(&s, &e, 1, NULL, NULL, opts, 1) == 0, "-o pool_size=9");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 9, "a flag outranks the environment");
	is_str(cfg_source(&s, CFG_POOL_SIZE), "flag", "source flag");
	unsetenv("DBCTL_POOL_SIZE");

	setenv("DATABASE_URL", "redis://localhost:6379/0", 1);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) == 0, "DATABASE_URL with -p a");
	is_str(cfg_source(&s, CFG_URL), "env:DATABASE_URL", "environment url outranks the profile's");
	ok(s.warning_count == 1 && strstr(s.warnings[0], "overrides"), "and a warning says the profile's url was overridden");
	setenv("DBCTL_URL", "sqlite::memory:", 1);
	ok(load(&s, &e, 1, NULL, NULL, NULL, 0) == 0, "DBCTL_URL and DATABASE_URL");
	is_str(cfg_source(&s, CFG_URL), "env:DBCTL_URL", "DBCTL_URL comes before DATABASE_URL");
	ok(load(&s, &e, 1, NULL, "sqlite:///flag.db", NULL, 0) == 0, "--url");
	is_str(cfg_source(&s, CFG_URL), "flag", "--url outranks everything");
	clean_env();
	cfg_release(&s);
}

static void test_env_conventions(void)
{
	struct settings s;
	struct err e;

	/* a compose file that sets only the password: the image's default user */
	cfg_init(&s);
	clean_env();
	setenv("POSTGRES_PASSWORD", "pw", 1);
	setenv("POSTGRES_HOST", "db", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "POSTGRES_PASSWORD without POSTGRES_USER");
	is_str(cfg_get(&s, CFG_URL), "postgresql://postgres:pw@db", "the password is kept, with the image's user postgres");
	cfg_release(&s);

	cfg_init(&s);
	clean_env();
	setenv("POSTGRES_USER", "app", 1);
	setenv("POSTGRES_PASSWORD", "p@ss:w/rd", 1);
	setenv("POSTGRES_HOST", "db", 1);
	setenv("POSTGRES_PORT", "5433", 1);
	setenv("POSTGRES_DB", "shop", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "POSTGRES_* variables");
	is_str(cfg_get(&s, CFG_URL), "postgresql://app:p%40ss%3Aw%2Frd@db:5433/shop", "build a URL, password percent-encoded");
	is_str(cfg_source(&s, CFG_URL), "env:POSTGRES_*", "source env:POSTGRES_*");
	{
		char *shown = cfg_display(&s, CFG_URL);

		is_str(shown, "postgresql://app:***@db:5433/shop", "displayed masked");
		free(shown);
	}
	{
		char buf[256] = "FATAL: password p@ss:w/rd rejected (p%40ss%3Aw%2Frd)";

		cfg_scrub(&s, buf, sizeof(buf));
		is_str(buf, "FATAL: password *** rejected (***)", "scrub removes the password, raw and encoded");
	}
	clean_env();
	setenv("REDIS_HOST", "cache", 1);
	setenv("REDIS_PORT", "6380", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "REDIS_HOST/REDIS_PORT");
	is_str(cfg_get(&s, CFG_URL), "redis://cache:6380", "redis URL from host and port");
	clean_env();
	setenv("MYSQL_USER", "app", 1);
	setenv("MYSQL_PASSWORD", "p@ss:w/rd", 1);
	setenv("MYSQL_HOST", "db", 1);
	setenv("MYSQL_DATABASE", "shop", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "MYSQL_* variables");
	is_str(cfg_get(&s, CFG_URL), "mysql://app:p%40ss%3Aw%2Frd@db/shop", "a mysql:// URL, password percent-encoded");
	is_str(cfg_source(&s, CFG_URL), "env:MYSQL_*", "source env:MYSQL_*");
	clean_env();
	setenv("MARIADB_ROOT_PASSWORD", "rootpw", 1);
	setenv("MARIADB_DATABASE", "shop", 1);
	setenv("MYSQL_PORT", "3307", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "MARIADB_ROOT_PASSWORD without a user");
	is_str(cfg_get(&s, CFG_URL), "mysql://root:rootpw@localhost:3307/shop", "root, as in the images; MYSQL_PORT read too");
	is_str(cfg_source(&s, CFG_URL), "env:MARIADB_*", "source env:MARIADB_*");
	clean_env();
	setenv("POSTGRES_HOST", "pg", 1);
	setenv("MYSQL_HOST", "my", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "POSTGRES_* and MYSQL_* both set");
	is_str(cfg_source(&s, CFG_URL), "env:POSTGRES_*", "POSTGRES_* first");
	clean_env();
	setenv("PGHOST", "/var/run/postgresql", 1);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "PGHOST only");
	is_str(cfg_get(&s, CFG_URL), "postgresql://", "PG* variables select PostgreSQL; libpq reads them");
	clean_env();
	cfg_release(&s);
}

static void check_error(const char *ini, const char *want_in_message, int want_line)
{
	struct settings s;
	struct err e;
	char where[600];

	cfg_init(&s);
	write_ini(ini, 0600);
	ok(load(&s, &e, 1, NULL, NULL, NULL, 0) != 0, "refused: %s", want_in_message);
	is_int(e.code, EXIT_USAGE, "exit code 3");
	ok(strstr(e.message, want_in_message) != NULL, "message says '%s': %s", want_in_message, e.message);
	snprintf(where, sizeof(where), "%s:%d:", path, want_line);
	ok(strncmp(e.message, where, strlen(where)) == 0, "message starts with %s", where);
	cfg_release(&s);
}

static void test_ini_errors(void)
{
	struct settings s;
	struct err e;
	const char *bad_opt[] = { "nope=1" };
	char long_line[400];

	clean_env();
	check_error("[defaults]\npool_size = 5\nthis line is broken\n", "malformed line", 3);
	check_error("[a]\nurl = sqlite:///x.db\npoolsize = 5\n", "unknown setting 'poolsize'", 3);
	check_error("[a]\nurl = sqlite:///x.db\nurl = sqlite:///y.db\n", "set twice", 3);
	check_error("[defaults]\n\n\npool_size = many\n", "invalid pool_size 'many'", 4);
	check_error("[defaults]\npool_pre_ping = maybe\n", "expected true or false", 2);
	check_error("[a]\nprofile = b\n", "belongs in [defaults]", 2);
	check_error("url = sqlite:///x.db\n", "outside any section", 1);
	check_error("[defaults]\npassword = ${TEST_SECRET}\n", "'TEST_SECRET' is not set", 2);
	check_error("[defaults]\nurl = ${UNCLOSED\n", "malformed ${VAR}", 2);
	memset(long_line, 'x', sizeof(long_line));
	memcpy(long_line, "[a]\nurl = ", 10);
	strcpy(long_line + 300, "\n");
	check_error(long_line, "line too long", 2);

	cfg_init(&s);
	write_ini("[a]\nurl = sqlite:///x.db\n", 0600);
	ok(load(&s, &e, 1, "nope", NULL, NULL, 0) != 0, "unknown profile refused");
	ok(strstr(e.message, "unknown profile 'nope'") && strstr(e.message, path), "names the profile and the file: %s",
	   e.message);
	ok(load(&s, &e, 1, NULL, "ftp://x", NULL, 0) != 0, "unknown URL scheme refused");
	is_int(e.code, EXIT_USAGE, "exit 3");
	ok(load(&s, &e, 1, NULL, "mysql://x/db", NULL, 0) == 0, "mysql:// accepted");
	ok(load(&s, &e, 1, NULL, "mysql://x/db?bogus=1", NULL, 0) != 0, "mysql:// with an unknown parameter refused");
	is_int(e.code, EXIT_USAGE, "exit 3");
	ok(strstr(e.message, "unknown parameter 'bogus'") && strstr(e.message, "url from"),
	   "names the parameter and the URL's source: %s", e.message);
	ok(load(&s, &e, 1, NULL, NULL, bad_opt, 1) != 0, "-o with an unknown key refused");
	ok(load(&s, &e, 0, "a", NULL, NULL, 0) != 0, "a profile without any config file refused");
	{
		struct cfg_request request = { 0 };

		request.config_path = "/nonexistent/dbctl.ini";
		cfg_release(&s);
		ok(cfg_load(&s, &request, &e) != 0 && strstr(e.message, "does not exist"), "missing --config file: %s",
		   e.message);
	}
	cfg_release(&s);
}

static void test_variables_and_mode(void)
{
	struct settings s;
	struct err e;

	cfg_init(&s);
	clean_env();
	setenv("TEST_SECRET", "from-env", 1);
	write_ini("[a]\nurl = postgresql://app@db/app\npassword = ${TEST_SECRET}\napplication_name = cost$$center\n", 0644);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) == 0, "${VAR} expansion loads");
	is_str(cfg_get(&s, CFG_PASSWORD), "from-env", "password expanded from the environment");
	is_str(cfg_get(&s, CFG_APPLICATION_NAME), "cost$center", "$$ is a literal $");
	{
		char *shown = cfg_display(&s, CFG_PASSWORD);

		is_str(shown, "***", "password displayed as ***");
		free(shown);
	}
	is_int((long)s.warning_count, 0, "a password kept in the environment gives no file-mode warning");

	write_ini("[a]\nurl = postgresql://app:literal@db/app\n", 0644);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) == 0, "literal password in a 0644 file loads");
	ok(s.warning_count == 1 && strstr(s.warnings[0], "readable by group/others"), "with a warning");
	write_ini("[a]\nurl = postgresql://app:literal@db/app\n", 0600);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) == 0, "same file at 0600");
	is_int((long)s.warning_count, 0, "no warning");
	clean_env();
	cfg_release(&s);
}

static void test_search_path(void)
{
	struct settings s;
	struct err e;
	char xdg[600], cwd[600];
	FILE *f;

	cfg_init(&s);
	clean_env();
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	mkdir(xdg, 0700);
	strcat(xdg, "/dbctl");
	mkdir(xdg, 0700);
	strcat(xdg, "/config.ini");
	f = fopen(xdg, "w");
	fputs("[defaults]\npool_size = 11\n", f);
	fclose(f);
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	getcwd(cwd, sizeof(cwd));
	chdir(dir);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "config from XDG_CONFIG_HOME");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 11, "$XDG_CONFIG_HOME/dbctl/config.ini is read");
	f = fopen("dbctl.ini", "w");
	fputs("[defaults]\npool_size = 12\n", f);
	fclose(f);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "./dbctl.ini present");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 12, "./dbctl.ini comes before the XDG file");
	setenv("DBCTL_CONFIG", path, 1);
	write_ini("[defaults]\npool_size = 13\n", 0600);
	ok(load(&s, &e, 0, NULL, NULL, NULL, 0) == 0, "DBCTL_CONFIG");
	is_int(cfg_int(&s, CFG_POOL_SIZE), 13, "$DBCTL_CONFIG comes before ./dbctl.ini");
	unlink("dbctl.ini");
	chdir(cwd);
	clean_env();
	cfg_release(&s);
}

/* issue 9: numbers are plain decimals in range; ${VAR:-default}; duplicates found after sorting */
static void test_hostile_values(void)
{
	static const char *const bad[] = { "pool_size=4294967297", "pool_size= 5", "pool_size=+5", "pool_size=0x10",
					   "pool_timeout=nan", "pool_timeout=inf", "statement_timeout=2147483648",
					   "connect_timeout= 1" };
	const char *good[] = { "pool_size=2147483647", "max_overflow=-1", "migrations_lock_id=9223372036854775807",
			       "pool_timeout=1.5e1" };
	struct settings s;
	struct err e;
	size_t i;

	cfg_init(&s);
	clean_env();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(load(&s, &e, 0, NULL, "sqlite::memory:", &bad[i], 1) != 0 && e.code == EXIT_USAGE, "-o %s refused: %s",
		   bad[i], e.message);
	}
	ok(load(&s, &e, 0, NULL, "sqlite::memory:", good, 4) == 0, "the largest values in range load: %s", e.message);
	is_int(cfg_int(&s, CFG_POOL_SIZE), 2147483647, "pool_size INT_MAX kept whole");

	unsetenv("TEST_SECRET");
	write_ini("[a]\nurl = sqlite::memory:\napplication_name = ${TEST_SECRET:-dflt}\n", 0600);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) == 0, "${VAR:-default} loads");
	is_str(cfg_get(&s, CFG_APPLICATION_NAME), "dflt", "unset VAR: the default");
	setenv("TEST_SECRET", "", 1);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) == 0, "${VAR:-default}, VAR empty, loads");
	is_str(cfg_get(&s, CFG_APPLICATION_NAME), "dflt", "empty VAR: the default too");
	write_ini("[a]\nurl = sqlite::memory:\napplication_name = ${TEST_SECRET}\n", 0600);
	ok(load(&s, &e, 1, "a", NULL, NULL, 0) != 0 && strstr(e.message, "'TEST_SECRET' is empty"), "empty ${VAR}: %s",
	   e.message);
	clean_env();
	check_error("[a]\nurl = sqlite::memory:\n[b]\nurl = sqlite::memory:\n[a]\nurl = sqlite:///x.db\n", "set twice", 6);
	check_error("[a]\nurl = sqlite::memory:\nurl = sqlite:///x.db\nnope = 1\n", "set twice", 3);
	check_error("[a]\nnope = 1\nurl = sqlite::memory:\nurl = sqlite:///x.db\n", "unknown setting", 2);
	check_error("[defaults]\nurl = ${A_${B}}\n", "nested", 2);
	write_ini("[b]\nurl = sqlite::memory:\n[a]\nurl = sqlite::memory:\n[b]\npool_size = 2\n[c]\nurl = sqlite::memory:\n", 0600);
	ok(load(&s, &e, 1, NULL, NULL, NULL, 0) == 0 && s.profile_count == 3, "three profiles");
	ok(s.profile_count == 3 && strcmp(s.profiles[0], "b") == 0 && strcmp(s.profiles[1], "a") == 0 &&
	   strcmp(s.profiles[2], "c") == 0, "profiles in the order they first appear");
	cfg_release(&s);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/test.ini", dir);
	test_defaults_and_precedence();
	test_env_conventions();
	test_ini_errors();
	test_variables_and_mode();
	test_search_path();
	test_hostile_values();
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return done_testing();
}
