/* URL parsing and password masking. */
#include "../../src/url.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

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

static void check_scrub(const char *in, size_t size, const char *secret, const char *want)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s", in);
	err_scrub(buf, size, secret);
	is_str(buf, want, in);
}

/* The audit's hostile URLs (relB 2-4, 19): what libpq or url_parse would take
 * as the password is what is masked, and nothing of it is left. */
static void test_hostile_masking(void)
{
	check_mask("postgresql://hashy:Hx#Secret?77@127.0.0.1:58201/app", "postgresql://hashy:***@127.0.0.1:58201/app");
	check_password("postgresql://hashy:Hx#Secret?77@127.0.0.1:58201/app", "Hx#Secret?77");
	check_mask("postgresql://app:AtSecret@Part2@127.0.0.1:58201/app", "postgresql://app:***@127.0.0.1:58201/app");
	check_mask("postgresql://slashy:Sl/Secret@88@127.0.0.1:58201/app", "postgresql://slashy:***@127.0.0.1:58201/app");
	ok(url_userinfo_unencoded("postgresql://app:AtSecret@Part2@127.0.0.1/app"), "raw '@' in a PG password: bad config");
	ok(url_userinfo_unencoded("postgresql://slashy:Sl/Secret@88@127.0.0.1/app"), "raw '/' in a PG password: bad config");
	ok(!url_userinfo_unencoded("postgresql://hashy:Hx#Secret?77@127.0.0.1/app"), "raw '#' and '?' are fine for libpq");
	ok(!url_userinfo_unencoded("postgresql://u:p%40ss@h/db?user=me@corp"), "'@' in a query value is fine");
	ok(url_userinfo_unencoded("redis://:Rx#Secret?77@127.0.0.1:6379/0"), "raw '#' in a Redis password: bad config");
	ok(!url_userinfo_unencoded("redis://:p@ss/w@h:6379/0"), "url_parse takes raw '@' and '/' in a Redis password");
	check_mask("redis://:Rx#Secret?77@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0");
	check_mask("redis://:12?c@h", "redis://:***@h");
	check_mask("redis://h:6379/0?password=a@b", "redis://h:6379/0?password=***");
	/* no "://": masked up to the last '@' */
	check_mask("postgresql:/app:AppSecret_Zq81x@127.0.0.1:58201/app", "postgresql:***@127.0.0.1:58201/app");
	check_mask("postgresql:app:AppSecret_Zq81x@127.0.0.1:58201/app", "postgresql:***@127.0.0.1:58201/app");
	check_mask("redis:/:RedisSecret_Wq33v@127.0.0.1:58202/0", "redis:***@127.0.0.1:58202/0");
	check_mask("app:AppSecret_Zq81x@127.0.0.1:58201/app", "app:***@127.0.0.1:58201/app");
	check_password("app:AppSecret_Zq81x@127.0.0.1:58201/app", "AppSecret_Zq81x");
	/* libpq decodes query keys; a later password= wins over the userinfo */
	check_mask("postgresql://h/db?pass%77ord=x%41", "postgresql://h/db?pass%77ord=***");
	check_password("postgresql://u:first@h/db?password=second", "second");
	/* a "password=" inside the user name is no password libpq reads; its ':' one is */
	check_password("postgresql://a password=x:real@h/db", "real");
	/* libpq drops a backslash that ends a keyword value (fuzz, audit) */
	check_password("host=h password=Sekr3tPw\\", "Sekr3tPw");
	check_password("host=h password='Sek\\'r3t'", "Sek'r3t");
	check_mask("postgresql://u:first@h/db?password=second", "postgresql://u:***@h/db?password=***");
	/* keyword strings as libpq reads them */
	check_mask("= password X", "= password ***");
	check_password("= password X", "X");
	check_mask("host=h password=a\\ b dbname=x", "host=h password=*** dbname=x");
	check_password("host=h password=a\\ b dbname=x", "a b");
	check_mask("host=h dbname=postgresql://u:pw@h2/x", "host=h dbname=postgresql://u:***@h2/x");
	/* a password key glued to something else is still one */
	check_mask("Server=h;Password=AdoSecret1;Db=x", "Server=h;Password=***;Db=x");
	check_mask("host=h dbname=x;pwd=S2", "host=h dbname=x;pwd=***");
	{
		char argv_copy[] = "--url=postgresql://app:AppSecret@h/app";

		url_hide(argv_copy);
		is_str(argv_copy, "--url=postgresql://app:xxxxxxxxx@h/app", "url_hide overwrites the password in place");
	}
	{
		char *shown = url_mask_word("password:AppSecret");

		is_str(shown, "password:***", "a mistyped -o password:... is masked");
		free(shown);
		shown = url_mask_word("--password=AppSecret");
		is_str(shown, "--password=***", "... and --password=...");
		free(shown);
		shown = url_mask_word("--option=url=postgresql://app:AppSecret@h/app");
		is_str(shown, "--option=url=postgresql://app:***@h/app", "... and a URL two keys deep");
		free(shown);
		shown = url_mask_word("--urll=postgresql://app:AppSecret@h/app");
		is_str(shown, "--urll=postgresql://app:***@h/app", "... and a URL after a mistyped option");
		free(shown);
	}
	{
		char **secrets = url_secrets("postgresql://u:p%40ss@h/db");

		ok(secrets && secrets[0] && secrets[1], "url_secrets lists the password as typed and decoded");
		is_str(secrets ? secrets[0] : NULL, "p%40ss", "as typed");
		is_str(secrets ? secrets[1] : NULL, "p@ss", "decoded");
		url_secrets_free(secrets);
	}
}

/* relB 1: err_scrub never writes past size, whatever the secret's length and
 * the buffer's fill; short secrets are masked only as words of their own. */
static void test_scrub(void)
{
	char big[1024];
	const char *list[] = { "ab", "xaby" };

	check_scrub("failed for user e at eeeee", 64, "e", "failed for user *** at eeeee");
	check_scrub("journal_mode = wal, schema_migrations", 64, "a", "journal_mode = wal, schema_migrations");
	check_scrub("u:o@h1,u:o@h2", 64, "o", "u:***@h1,u:***@h2");
	check_scrub("a b c", 4, "b", "a *");
	check_scrub("secret AppSecret", 64, "AppSecret", "secret ***");
	/* a buffer filled to the brim may have been cut inside the secret */
	check_scrub("host AppSec", 12, "AppSecret", "host ");
	check_scrub("host AppSec", 64, "AppSecret", "host AppSec");
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 1; i < sizeof(big) - 1; i += 2)
		big[i] = ' ';
	err_scrub(big, sizeof(big), "e");
	ok(strlen(big) < sizeof(big) && strncmp(big, "*** *** ", 8) == 0, "a full 1 KiB buffer of one-letter hits stays in bounds");
	memset(big, 'x', sizeof(big));
	err_scrub(big, sizeof(big), "xxxx");
	ok(strlen(big) < sizeof(big) && !strstr(big, "xxxx"), "a buffer without a NUL ends at its last byte");
	snprintf(big, sizeof(big), "%s", "xaby and ab");
	err_scrub_list(big, sizeof(big), list, 2);
	is_str(big, "*** and ***", "the longest secret wins: no fragment of xaby is left");
	/* err_replace: a raw URL quoted whole becomes its masked form, within size */
	snprintf(big, sizeof(big), "%s", "profile 'redis://a:a@h/0' and 'redis://a:a@h/0'");
	err_replace(big, sizeof(big), "redis://a:a@h/0", "redis://a:***@h/0");
	is_str(big, "profile 'redis://a:***@h/0' and 'redis://a:***@h/0'", "err_replace: every occurrence");
	snprintf(big, sizeof(big), "%s", "x:a@h x:a@h");
	err_replace(big, 8, "x:a@h", "x:***@h");
	is_str(big, "x:***@h", "err_replace: a longer replacement is cut at size");
	memset(big, 'y', sizeof(big));
	err_replace(big, sizeof(big), "yy", "zzz");
	ok(strlen(big) < sizeof(big), "err_replace: a buffer without a NUL stays in bounds");
}

/* mysql:// and mariadb:// (findings §7): every form a peer tool writes. */
static void test_mysql(void)
{
	struct url_mysql u;
	struct err err;

	err_init(&err);
	ok(url_mysql_parse("mysql://app:p%40ss%3Aw%2Frd%25@127.0.0.1:3307/app", &u, &err) == 0, "mysql:// with port");
	is_str(u.user, "app", "user");
	is_str(u.password, "p@ss:w/rd%", "password percent-decoded");
	is_str(u.host, "127.0.0.1", "host");
	is_int(u.port, 3307, "port");
	is_str(u.database, "app", "database");
	is_str(u.socket, NULL, "no socket with a host");
	is_str(u.charset, "utf8mb4", "charset defaults to utf8mb4");
	is_int(u.ssl_mode, URL_SSL_PREFERRED, "ssl-mode defaults to PREFERRED");
	url_mysql_release(&u);

	ok(url_mysql_parse("mariadb://localhost/db", &u, &err) == 0, "mariadb://, no user");
	is_str(u.host, "localhost", "localhost stays a host (TCP), not the default socket");
	is_int(u.port, 3306, "port defaults to 3306");
	is_str(u.user, NULL, "no user");
	is_str(u.password, NULL, "no password");
	url_mysql_release(&u);

	ok(url_mysql_parse("mysql://app:pw@127.0.0.1/app%00x", &u, &err) != 0, "mysql://: %%00 in the database is refused");
	ok(url_mysql_parse("mysql://app:pw%00x@127.0.0.1/app", &u, &err) != 0, "mysql://: %%00 in the password is refused");
	ok(url_mysql_parse("mysql://app%00x:pw@127.0.0.1/app", &u, &err) != 0, "mysql://: %%00 in the user is refused");
	ok(url_mysql_parse("mysql://app:pw@/app?socket=/run/my%20sql.sock", &u, &err) == 0, "?socket=");
	is_str(u.socket, "/run/my sql.sock", "socket decoded");
	is_str(u.host, NULL, "no host with a socket");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://app@/app?unix_socket=/s.sock", &u, &err) == 0, "?unix_socket= (SQLAlchemy)");
	is_str(u.socket, "/s.sock", "unix_socket");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://app:pw@unix(/tmp/m.sock)/app", &u, &err) == 0, "unix(/path) (golang-migrate)");
	is_str(u.socket, "/tmp/m.sock", "unix() socket");
	is_str(u.database, "app", "unix() database");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://app:pw@tcp(db.example:3310)/app", &u, &err) == 0, "tcp(host:port)");
	is_str(u.host, "db.example", "tcp() host");
	is_int(u.port, 3310, "tcp() port");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://[::1]:3308/x", &u, &err) == 0, "[v6]:port");
	is_str(u.host, "::1", "v6 host");
	is_int(u.port, 3308, "v6 port");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://", &u, &err) == 0, "bare mysql://");
	is_str(u.host, "localhost", "no host and no socket: localhost over TCP");
	url_mysql_release(&u);

	ok(url_mysql_parse("mysql://h/d?ssl-mode=VERIFY_IDENTITY&ssl-ca=/ca.pem&charset=latin1&connect_timeout=2.5", &u,
			   &err) == 0, "params");
	is_int(u.ssl_mode, URL_SSL_VERIFY_IDENTITY, "ssl-mode=VERIFY_IDENTITY");
	is_str(u.ssl_ca, "/ca.pem", "ssl-ca");
	is_str(u.charset, "latin1", "charset");
	ok(u.connect_timeout == 2.5, "connect_timeout");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://h/d?sslmode=require", &u, &err) == 0, "sslmode= (libpq alias)");
	is_int(u.ssl_mode, URL_SSL_REQUIRED, "sslmode=require is REQUIRED");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://h/d?ssl-mode=disabled", &u, &err) == 0, "ssl-mode case-insensitive");
	is_int(u.ssl_mode, URL_SSL_DISABLED, "DISABLED");
	url_mysql_release(&u);
	ok(url_mysql_parse("mysql://h/d?tls=true", &u, &err) == 0, "tls=true (go-sql-driver)");
	is_int(u.ssl_mode, URL_SSL_VERIFY_IDENTITY, "tls=true verifies");
	url_mysql_release(&u);

	/* refusals: exit 3, and the message never quotes a secret */
	err_init(&err);
	ok(url_mysql_parse("mysql://h/d?password=Secr3tX", &u, &err) != 0, "unknown param refused");
	is_int(err.code, EXIT_USAGE, "... exit 3");
	ok(strstr(err.message, "password") && !strstr(err.message, "Secr3tX"), "... names the key, not the value");
	err_init(&err);
	ok(url_mysql_parse("mysql://u:Secr3tX@h/d?ssl-mode=maybe", &u, &err) != 0, "bad ssl-mode refused");
	ok(!strstr(err.message, "Secr3tX"), "... without the password");
	err_init(&err);
	ok(url_mysql_parse("mysql://h:0/d", &u, &err) != 0, "port 0 refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://h:65536/d", &u, &err) != 0, "port 65536 refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://h:33a/d", &u, &err) != 0, "port with letters refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://h/d?socket=/s.sock", &u, &err) != 0, "host and socket both refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://h/d?charset=utf8;drop", &u, &err) != 0, "charset must be a name");
	err_init(&err);
	{
		const char *const unsafe[] = { "gbk", "GBK", "big5", "cp932", "sjis", "gb18030", NULL };
		int i;

		/* F25: their characters can end in 0x5c, so the server reads the script differently */
		for (i = 0; unsafe[i]; i++) {
			char text[80];

			snprintf(text, sizeof(text), "mysql://h/d?charset=%s", unsafe[i]);
			err_init(&err);
			ok(url_mysql_parse(text, &u, &err) != 0 && strstr(err.message, "charset=") &&
				   strstr(err.message, "backslash"),
			   "charset=%s refused, saying why: %s", unsafe[i], err.message);
		}
	}
	err_init(&err);
	ok(url_mysql_parse("mysql://h/d?connect_timeout=0", &u, &err) != 0, "connect_timeout 0 refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://u:p%zz@h/d", &u, &err) != 0, "malformed escape refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://u@tcp(h:1/d", &u, &err) != 0, "tcp( without ) refused");
	err_init(&err);
	ok(url_mysql_parse("mysql://h/a%2Fb", &u, &err) != 0, "database with / refused");
	err_init(&err);
	ok(url_mysql_parse("postgresql://h/d", &u, &err) != 0, "other scheme refused");

	check_mask("mysql://app:p%40ss@127.0.0.1:3306/app", "mysql://app:***@127.0.0.1:3306/app");
	check_mask("mysql://app:pw@tcp(127.0.0.1:3306)/app", "mysql://app:***@tcp(127.0.0.1:3306)/app");
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
	ok(url_parse("redis://u:pass%00word@h", &url, &err) != 0 && strstr(err.message, "%00"),
	   "%%00 is refused, not a password cut at 'pass': %s", err.message);
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
	test_hostile_masking();
	test_scrub();
	test_mysql();
	return done_testing();
}
