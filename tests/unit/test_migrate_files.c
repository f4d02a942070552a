/* Migration file parsing: the three formats, the refusals, checksums, and the corpus sets. */
#include "../../src/migrate_files.h"
#include "../../src/sha256.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/dbctl-test-migrations-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void clear(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -f %s/*.sql", dir);
	if (system(cmd) != 0)
		abort();
}

static void check_refused(const char *name, const char *text, const char *want)
{
	struct migration_set set;
	struct err err;

	clear();
	put(name, text);
	err_init(&err);
	ok(migrate_files_load(dir, &set, &err) != 0 && strstr(err.message, want), "refused: %s (%s)", want, err.message);
	is_int(err.code, EXIT_USAGE, "... exit 3");
}

int main(void)
{
	struct migration_set set;
	struct err err;
	const char *corpus = getenv("TEST_SRCDIR");
	char path[1024];

	if (!mkdtemp(dir))
		return 1;
	err_init(&err);

	/* dbmate */
	put("20260101000000_create_users.sql",
	    "-- a comment is fine here\n\n-- migrate:up\ncreate table users (id int);\ncreate index on users (id);\n\n"
	    "-- migrate:down\ndrop table users;\n");
	put("20260102000000_index.sql", "-- migrate:up transaction:false\ncreate index concurrently i on users (id);\n");
	/* goose, NO TRANSACTION before Up, lower case */
	put("00020260103000000_goose.sql",
	    "-- +goose no transaction\n-- +goose Up\n-- +goose StatementBegin\nselect 1;\n-- +goose StatementEnd\n"
	    "-- +goose Down\nselect 2;\n");
	/* golang-migrate pair */
	put("3_pair.up.sql", "create table pair (x int);\n");
	put("3_pair.down.sql", "drop table pair;\n");
	ok(migrate_files_load(dir, &set, &err) == 0, "three formats load together (%s)", err.message);
	is_int(set.count, 4, "four migrations");
	is_str(set.items[0].version, "3", "sorted numerically: 3 first");
	is_str(set.items[3].version, "20260103000000", "leading zeros dropped from 00020260103000000");
	is_int(set.items[0].format, MIGRATION_GOLANG_MIGRATE, "golang-migrate pair");
	ok(set.items[0].up.present && set.items[0].down.present && set.items[0].up.transaction, "pair: up and down, transactional");
	is_str(set.items[0].down.text, "drop table pair;\n", "down text");
	is_str(set.items[1].name, "create_users", "name");
	is_int(set.items[1].up.first_line, 4, "up section starts on line 4");
	is_str(set.items[1].up.text, "create table users (id int);\ncreate index on users (id);\n\n", "up text up to the next marker");
	is_str(set.items[1].down.text, "drop table users;\n", "down text");
	ok(set.items[1].up.transaction, "transactional by default");
	ok(!set.items[2].up.transaction && !set.items[2].down.present, "transaction:false, no down section");
	is_int(set.items[3].format, MIGRATION_GOOSE, "goose");
	ok(!set.items[3].up.transaction && !set.items[3].down.transaction, "goose NO TRANSACTION before Up applies to the file");
	is_str(set.items[3].up.text, "-- +goose StatementBegin\nselect 1;\n-- +goose StatementEnd\n", "goose up text");
	ok(migrate_files_find(&set, "3") == &set.items[0], "find by version");
	migrate_files_release(&set);

	/* CRLF and LF: one checksum */
	clear();
	put("1_lf.sql", "-- migrate:up\ncreate table a (x int);\n");
	put("2_crlf.sql", "\xef\xbb\xbf-- migrate:up\r\ncreate table a (x int);\r\n");
	ok(migrate_files_load(dir, &set, &err) == 0, "CRLF file with a BOM loads");
	is_str(set.items[0].up.checksum, set.items[1].up.checksum, "CRLF + BOM and LF give one checksum");
	ok(strchr(set.items[1].up.text, '\r') != NULL, "but the CRLF text runs as written");
	migrate_files_release(&set);

	/* golang-migrate: a BEGIN/COMMIT around the whole file is blanked out, nothing else */
	clear();
	put("1_tutorial.up.sql", "BEGIN;\n\nCREATE TYPE mood AS ENUM ('happy');\nALTER TABLE u ADD COLUMN m mood;\n\nCOMMIT;\n");
	put("1_tutorial.down.sql", "-- undo\nbegin transaction ;\nDROP TYPE mood;\ncommit work;\n-- done\n\n");
	put("2_start.up.sql", "START TRANSACTION;\nselect 1;\nCOMMIT");
	put("3_middle.up.sql", "BEGIN;\nselect 1;\nCOMMIT;\nselect 2;\n");
	put("4_isolation.up.sql", "BEGIN ISOLATION LEVEL SERIALIZABLE;\nselect 1;\nCOMMIT;\n");
	put("5_atomic.up.sql", "BEGIN;\ncreate function f() returns int language sql\nbegin atomic\n  select 1;\nend;\n");
	put("6_plain.up.sql", "select 'BEGIN;';\nselect 1; -- COMMIT;\n");
	put("7_comment.up.sql", "BEGIN;\nselect 1\n-- x;\nCOMMIT;\n");
	put("8_dbmate.sql", "-- migrate:up\nBEGIN;\nselect 1;\nCOMMIT;\n");
	ok(migrate_files_load(dir, &set, &err) == 0, "golang-migrate files with BEGIN/COMMIT load (%s)", err.message);
	is_str(set.items[0].up.text, "      \n\nCREATE TYPE mood AS ENUM ('happy');\nALTER TABLE u ADD COLUMN m mood;\n\n       \n",
	       "tutorial: BEGIN; and COMMIT; blanked, lines kept");
	ok(set.items[0].up.unwrapped && set.items[0].up.transaction, "... marked unwrapped, still transactional");
	is_str(set.items[0].down.text, "-- undo\n                   \nDROP TYPE mood;\n            \n-- done\n\n",
	       "down: begin transaction / commit work, comments around them kept");
	is_str(set.items[1].up.text, "                  \nselect 1;\n      ", "START TRANSACTION, COMMIT without ';' at the end");
	ok(!set.items[2].up.unwrapped && strstr(set.items[2].up.text, "COMMIT;"), "COMMIT not last: left as written");
	ok(!set.items[3].up.unwrapped, "BEGIN with options: left as written");
	ok(!set.items[4].up.unwrapped && strstr(set.items[4].up.text, "end;"), "the END of BEGIN ATOMIC is no COMMIT");
	ok(!set.items[5].up.unwrapped, "BEGIN and COMMIT in a string and a comment: left as written");
	ok(!set.items[6].up.unwrapped, "a ';' in a comment does not end the statement before COMMIT");
	ok(!set.items[7].up.unwrapped && strstr(set.items[7].up.text, "BEGIN;"), "dbmate files: left as written");
	{
		const char *written = "BEGIN;\n\nCREATE TYPE mood AS ENUM ('happy');\nALTER TABLE u ADD COLUMN m mood;\n\nCOMMIT;\n";
		struct sha256 ctx;
		char hex[65];

		sha256_init(&ctx);
		sha256_update(&ctx, written, strlen(written));
		sha256_final_hex(&ctx, hex);
		is_str(set.items[0].up.checksum, hex, "the checksum is that of the file as written");
	}
	migrate_files_release(&set);

	check_refused("abc.sql", "-- migrate:up\nselect 1;\n", "cannot read a version");
	check_refused("1_x.sql", "select 1;\n-- migrate:up\nselect 2;\n", "1_x.sql:1: statements before the first");
	check_refused("1_x.sql", "-- just a comment\n", "no up section");
	check_refused("1_x.sql", "-- migrate:down\ndrop table x;\n", "no up section");
	check_refused("1_x.sql", "-- migrate:up\nselect 1;\n-- migrate:up\nselect 2;\n", "1_x.sql:3: a second up section");
	clear();
	put("1_a.sql", "-- migrate:up\nselect 1;\n");
	put("01_b.sql", "-- migrate:up\nselect 2;\n");
	ok(migrate_files_load(dir, &set, &err) != 0 && strstr(err.message, "version 1 is also used by"),
	   "two files with one version: %s", err.message);
	clear();
	put("5_only.down.sql", "drop table x;\n");
	ok(migrate_files_load(dir, &set, &err) != 0 && strstr(err.message, "without its .up.sql"), "a lone .down.sql");
	clear();
	snprintf(path, sizeof(path), "%s/nowhere", dir);
	ok(migrate_files_load(path, &set, &err) != 0 && strstr(err.message, "nowhere"), "a missing directory is refused: %s",
	   err.message);

	is_int(migrate_version_compare("9", "10") < 0, 1, "9 < 10 numerically");
	is_int(migrate_version_compare("20260101000000", "3") > 0, 1, "timestamps after small numbers");

	/* the corpus: real sets written by others; a clone without ../shared skips them */
	if (corpus)
		snprintf(path, sizeof(path), "%s/../shared/corpus/migrations-harbor-golang-migrate/migrations", corpus);
	if (corpus && access(path, R_OK) != 0)
		printf("# skip: no corpus at %s\n", path);
	else if (corpus) {
		ok(migrate_files_load(path, &set, &err) == 0, "harbor (golang-migrate) loads: %s", err.message);
		is_int(set.count, 39, "39 harbor migrations");
		migrate_files_release(&set);
		snprintf(path, sizeof(path), "%s/../shared/corpus/migrations-hatchet-goose/migrations", corpus);
		ok(migrate_files_load(path, &set, &err) == 0, "hatchet (goose) loads: %s", err.message);
		is_int(set.count, 224, "224 hatchet migrations");
		{
			size_t i, no_transaction = 0;

			for (i = 0; i < set.count; i++)
				no_transaction += !set.items[i].up.transaction;
			is_int(no_transaction, 33, "33 of them NO TRANSACTION");
		}
		migrate_files_release(&set);
	}
	clear();
	rmdir(dir);
	return done_testing();
}
