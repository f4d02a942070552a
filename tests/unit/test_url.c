/* URL parsing and password masking. */
#include "../../src/url.h"
#include "tap.h"

#include <stdlib.h>

static void check_mask(const char *in, const char *want)
{
	char *got = url_mask(in);

	is_str(got, want, in);
	free(got);
}

static void check_password(const char *in, const char *want)
{
	char *got = url_password(in);

	is_str(got, want, in);
	free(got);
}

int main(void)
{
	struct url url;
	struct err err;

	err_init(&err);
	ok(url_parse("redis://user:p%40ss@cache.example:6380/2?x=1", &url, &err) == 0, "parse a full redis URL");
	is_str(url.scheme, "redis", "scheme");
	is_str(url.user, "user", "user");
	is_str(url.password, "p@ss", "password is percent-decoded");
	is_str(url.host, "cache.example", "host");
	is_int(url.port, 6380, "port");
	is_str(url.path, "2", "path");
	is_str(url.query, "x=1", "query");
	url_release(&url);

	ok(url_parse("redis://:secret@[::1]:6379", &url, &err) == 0, "IPv6 host in brackets");
	is_str(url.host, "::1", "IPv6 host");
	is_str(url.user, "", "empty user");
	is_str(url.password, "secret", "password without user");
	url_release(&url);

	ok(url_parse("unix:///var/run/redis.sock?db=3", &url, &err) == 0, "unix socket URL");
	is_str(url.host, NULL, "no host");
	is_str(url.path, "var/run/redis.sock", "socket path");
	url_release(&url);

	ok(url_parse("redis://h:99999", &url, &err) != 0, "port out of range is refused");
	is_int(err.code, EXIT_USAGE, "as bad usage");
	ok(url_parse("redis://u:%zz@h", &url, &err) != 0, "a malformed %%-escape is refused");
	ok(url_parse("no-scheme", &url, &err) != 0, "text without scheme:// is refused");

	is_int(url_backend_of("postgresql://h/db"), URL_BACKEND_POSTGRESQL, "postgresql://");
	is_int(url_backend_of("postgres://h/db"), URL_BACKEND_POSTGRESQL, "postgres://");
	is_int(url_backend_of("host=h dbname=d"), URL_BACKEND_POSTGRESQL, "libpq keyword string");
	is_int(url_backend_of("redis://h"), URL_BACKEND_REDIS, "redis://");
	is_int(url_backend_of("unix:///s.sock"), URL_BACKEND_REDIS, "unix://");
	is_int(url_backend_of("sqlite::memory:"), URL_BACKEND_SQLITE, "sqlite::memory:");
	is_int(url_backend_of("mysql://h/db"), URL_BACKEND_MYSQL, "mysql://");
	is_int(url_backend_of("ftp://h"), URL_BACKEND_UNKNOWN, "ftp:// is unknown");

	check_mask("postgresql://app:s3cret@db:5432/app", "postgresql://app:***@db:5432/app");
	check_mask("postgresql://app@db/app", "postgresql://app@db/app");
	check_mask("postgresql://app:p@ss/w@db/app?sslmode=require", "postgresql://app:***@db/app?sslmode=require");
	check_mask("postgresql://db/app?user=x&password=hunter2&sslmode=require",
		   "postgresql://db/app?user=x&password=***&sslmode=require");
	check_mask("postgresql://a:pw@h1:5432,h2:5433/db", "postgresql://a:***@h1:5432,h2:5433/db");
	check_mask("host=db password=hunter2 dbname=app", "host=db password=*** dbname=app");
	check_mask("host=db password = 'a b\\' c' dbname=app", "host=db password = *** dbname=app");
	check_mask("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0");
	check_mask("unix:///tmp/r.sock?password=hunter2&db=1", "unix:///tmp/r.sock?password=***&db=1");
	check_mask("sqlite:///file.db", "sqlite:///file.db");

	check_password("postgresql://app:p%40ss@db/app", "p@ss");
	check_password("postgresql://db/app?password=x%20y", "x y");
	check_password("host=db password='a b' dbname=x", "a b");
	/* malformed, "password" without "=": libpq refuses it, but the next word is still a secret */
	check_password("host=h password secret7 dbname=x", "secret7");
	check_mask("host=h password secret7 dbname=x", "host=h password *** dbname=x");
	/* a misspelt password key: libpq refuses it, but its value was meant as one */
	check_mask("host=h passwords=1 dbname=x", "host=h passwords=*** dbname=x");
	check_mask("host=h passwd=AppSecret dbname=x", "host=h passwd=*** dbname=x");
	check_password("postgresql://app@db/app", NULL);
	/* URLs that do not parse still give up their password, as typed */
	check_password("postgresql://u:se%zzcret@h/db", "se%zzcret");
	check_password("postgresql://u:secret@[::1/db", "secret");
	check_password("postgresql://u:p@ss:w%zz@[h/db", "p@ss:w%zz");
	check_password("postgresql://u@[::1/db", NULL);

	{
		char *enc = url_encode("p@ss:w/rd%1 ");

		is_str(enc, "p%40ss%3Aw%2Frd%251%20", "url_encode escapes reserved characters");
		free(enc);
	}
	{
		char *v = url_query_get("a=1&db=12&password=p%26q", "password");

		is_str(v, "p&q", "url_query_get decodes");
		free(v);
		is_str(url_query_get("a=1", "db"), NULL, "absent key");
	}
	return done_testing();
}
