/* The statement lexer on tricky inputs: each case is an input and the statements it must split into. */
#include "../../src/sqlscan.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END NULL

/* MySQL: the session's NO_BACKSLASH_ESCAPES at the start, for check_split */
static bool start_no_backslash;

/* Splits input and compares texts with want[] (NULL-terminated); "@L:C"
 * prefixes in want check the location too. */
static void check_split(enum sqlscan_dialect dialect, const char *name, const char *input, const char *const *want)
{
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct strbuf data;
	struct err err;
	int i = 0, rc;
	bool same = true;

	err_init(&err);
	sqlscan_init(&scan, in, name, dialect);
	scan.no_backslash_escapes = start_no_backslash;
	sqlscan_statement_init(&s);
	strbuf_init(&data);
	while ((rc = sqlscan_next(&scan, &s, &err)) == 1) {
		const char *expected = want[i];
		char location[32] = "";

		while (s.kind == SQLSCAN_COPY_IN && sqlscan_copy_line(&scan, &data, &err) == 1)
			;
		if (!expected) {
			printf("#   extra statement: '%s'\n", s.text.buf);
			same = false;
			break;
		}
		if (expected[0] == '@') {
			snprintf(location, sizeof(location), "@%d:%d ", s.line, s.column);
			if (strncmp(expected, location, strlen(location)) != 0) {
				printf("#   statement %d at %s, expected %.*s\n", i + 1, location, (int)strcspn(expected, " "), expected);
				same = false;
			}
			expected += strcspn(expected, " ") + 1;
		}
		if (strcmp(s.text.buf, expected) != 0) {
			printf("#   statement %d: got '%s'\n#   expected '%s'\n", i + 1, s.text.buf, expected);
			same = false;
		}
		i++;
	}
	if (rc < 0) {
		printf("#   error: %s\n", err.message);
		same = false;
	} else if (want[i]) {
		printf("#   missing statement: '%s'\n", want[i]);
		same = false;
	}
	ok(same, "%s", name);
	sqlscan_statement_release(&s);
	strbuf_release(&data);
	sqlscan_release(&scan);
	fclose(in);
}

static void check_error_n(enum sqlscan_dialect dialect, const char *name, const char *input, size_t length,
			  const char *want)
{
	FILE *in = fmemopen((void *)input, length, "r");
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct strbuf data;
	struct err err;
	int rc;

	err_init(&err);
	sqlscan_init(&scan, in, "f.sql", dialect);
	sqlscan_statement_init(&s);
	strbuf_init(&data);
	while ((rc = sqlscan_next(&scan, &s, &err)) == 1) {
		while (s.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &data, &err)) == 1)
			;
		if (rc < 0)
			break;
	}
	ok(rc < 0 && strstr(err.message, want) != NULL, "%s: %s", name, err.message);
	if (rc < 0)
		is_int(err.code, EXIT_USAGE, "... exit 3");
	sqlscan_statement_release(&s);
	strbuf_release(&data);
	sqlscan_release(&scan);
	fclose(in);
}

static void check_error(enum sqlscan_dialect dialect, const char *name, const char *input, const char *want)
{
	check_error_n(dialect, name, input, strlen(input), want);
}

static void check_kind(const char *input, enum sqlscan_kind want, const char *what)
{
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct err err;

	sqlscan_init(&scan, in, "k.sql", SQLSCAN_POSTGRESQL);
	sqlscan_statement_init(&s);
	ok(sqlscan_next(&scan, &s, &err) == 1 && s.kind == want && (!what || strcmp(s.what, what) == 0),
	   "kind of: %s (%s)", input, s.what);
	sqlscan_statement_release(&s);
	sqlscan_release(&scan);
	fclose(in);
}

static bool sample_variable(void *context, const char *name, char quote, struct strbuf *out)
{
	(void)context;
	if (strcmp(name, "v") != 0)
		return false;
	strbuf_addstr(out, quote == '\'' ? "'val'" : quote == '"' ? "\"val\"" : "val");
	return true;
}

/* ---- MySQL / MariaDB ---- */

/* The first statement's kind, what and flags. */
static void check_mysql_kind(const char *input, enum sqlscan_kind want, bool commits, const char *what)
{
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct err err;

	err_init(&err);
	sqlscan_init(&scan, in, "k.sql", SQLSCAN_MYSQL);
	sqlscan_statement_init(&s);
	ok(sqlscan_next(&scan, &s, &err) == 1 && s.kind == want && s.commits_implicitly == commits &&
		   (!what || strcmp(s.what, what) == 0),
	   "mysql kind of: %s (%s, kind %d, commits %d)", input, s.what, (int)s.kind, (int)s.commits_implicitly);
	sqlscan_statement_release(&s);
	sqlscan_release(&scan);
	fclose(in);
}

/* The first statement is a SQLSCAN_OUTSIDE_TRANSACTION one that runs text the lexer does not see. */
static void check_mysql_unseen(const char *input, bool want)
{
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct err err;

	err_init(&err);
	sqlscan_init(&scan, in, "k.sql", SQLSCAN_MYSQL);
	sqlscan_statement_init(&s);
	ok(sqlscan_next(&scan, &s, &err) == 1 && s.unseen == want && (!want || s.kind == SQLSCAN_OUTSIDE_TRANSACTION),
	   "mysql: %s %s", input, want ? "runs unseen text" : "is seen whole");
	sqlscan_statement_release(&s);
	sqlscan_release(&scan);
	fclose(in);
}

/* Which statements of input are marked changes_lexing: a string of 0 and 1. */
static void check_mysql_lexing(const char *input, const char *want)
{
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct err err;
	char got[32] = "";
	size_t n = 0;

	err_init(&err);
	sqlscan_init(&scan, in, "l.sql", SQLSCAN_MYSQL);
	sqlscan_statement_init(&s);
	while (n + 1 < sizeof(got) && sqlscan_next(&scan, &s, &err) == 1)
		got[n++] = s.changes_lexing ? '1' : '0';
	got[n] = '\0';
	ok(strcmp(got, want) == 0, "changes_lexing of %s: %s", input, got);
	sqlscan_statement_release(&s);
	sqlscan_release(&scan);
	fclose(in);
}

/* A statement of more than 4 MB on one line, then 100000 short lines: split
 * at the right places, nothing lost. */
static void check_mysql_huge(void)
{
	struct strbuf input;
	FILE *in;
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct err err;
	size_t first_len = 0, i;
	int n = 0, last_line = 0;

	strbuf_init(&input);
	strbuf_addstr(&input, "INSERT INTO t VALUES ");
	for (i = 0; i < 200000; i++)
		strbuf_addstr(&input, "('a;\\'b', `c;`),");
	strbuf_addstr(&input, "(1);\n");
	for (i = 0; i < 100000; i++)
		strbuf_addstr(&input, "select 1 -- ;\n, 2;\n");
	in = fmemopen(input.buf, input.len, "r");
	err_init(&err);
	sqlscan_init(&scan, in, "huge.sql", SQLSCAN_MYSQL);
	sqlscan_statement_init(&s);
	while (sqlscan_next(&scan, &s, &err) == 1) {
		if (n++ == 0)
			first_len = s.text.len;
		last_line = s.line;
	}
	is_int(n, 100001, "huge script: 100001 statements");
	is_int(first_len, strlen("INSERT INTO t VALUES ") + 200000 * 16 + 3, "... the 3 MB statement whole, without ';'");
	is_int(last_line, 200000, "... the last one on line 200000");
	sqlscan_statement_release(&s);
	sqlscan_release(&scan);
	fclose(in);
	strbuf_release(&input);
}

struct expected_statement {
	int number, line;
	const char *what;
};

/* Splits a corpus file; text, when set, is its content rewritten. */
static void check_corpus(const char *dir, const char *file, const char *text, int count,
			 const struct expected_statement *want, size_t nwant)
{
	char path[4096];
	FILE *in;
	struct sqlscan scan;
	struct sqlscan_statement s;
	struct err err;
	int n = 0, rc;
	size_t k = 0, matched = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	in = text ? fmemopen((void *)text, strlen(text), "r") : fopen(path, "r");
	if (!in) {
		printf("ok %d # skip %s not in the corpus\n", ++tap_count, path);
		return;
	}
	err_init(&err);
	sqlscan_init(&scan, in, file, SQLSCAN_MYSQL);
	sqlscan_statement_init(&s);
	while ((rc = sqlscan_next(&scan, &s, &err)) == 1) {
		n++;
		if (k < nwant && want[k].number == n) {
			if (s.line == want[k].line && strcmp(s.what, want[k].what) == 0)
				matched++;
			else
				printf("#   statement %d: line %d, %s; expected line %d, %s\n", n, s.line, s.what,
				       want[k].line, want[k].what);
			k++;
		}
	}
	if (rc < 0)
		printf("#   error: %s\n", err.message);
	ok(rc == 0 && n == count, "%s%s: %d statements (the mariadb client's %d)", file, text ? " without DELIMITER" : "",
	   n, count);
	ok(matched == nwant, "... statements' lines and leading words");
	sqlscan_statement_release(&s);
	sqlscan_release(&scan);
	fclose(in);
}

/* The sakila schema as a golang-migrate file would hold it: no DELIMITER
 * lines, routines ended by ';'. NULL when the file is not there. */
static char *without_delimiters(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf out;
	char *line = NULL;
	size_t capacity = 0;
	ssize_t len;

	if (!f)
		return NULL;
	strbuf_init(&out);
	while ((len = getline(&line, &capacity, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strncmp(line, "DELIMITER", 9) == 0) {
			strbuf_addstr(&out, "\n");   /* the same line numbers */
			continue;
		}
		if (len >= 2 && (strcmp(line + len - 2, ";;") == 0 || strcmp(line + len - 2, "//") == 0 ||
				 strcmp(line + len - 2, "$$") == 0))
			line[len - 2] = ';', line[len - 1] = '\0';
		strbuf_addstr(&out, line);
		strbuf_addstr(&out, "\n");
	}
	free(line);
	fclose(f);
	return out.buf;
}

static void test_mysql_corpus(void)
{
	static const struct expected_statement schema[] = {
		{ 1, 17, "SET" },  { 4, 21, "DROP SCHEMA" },       { 6, 23, "USE" },          { 7, 29, "CREATE TABLE" },
		{ 17, 184, "CREATE TRIGGER" }, { 19, 202, "CREATE TRIGGER" }, { 32, 413, "CREATE VIEW" },
		{ 33, 447, "CREATE PROCEDURE" }, { 34, 514, "CREATE FUNCTION" }, { 38, 609, "CREATE FUNCTION" },
		{ 41, 642, "SET" },
	};
	static const struct expected_statement drop[] = { { 1, 3, "DROP VIEW" } };
	static const struct expected_statement chinook[] = {
		{ 1, 19, "DROP DATABASE" }, { 2, 25, "CREATE DATABASE" }, { 3, 28, "USE" }, { 4, 34, "CREATE TABLE" },
	};
	const char *env = getenv("DBCTL_CORPUS"), *root = getenv("TEST_SRCDIR");
	char corpus[2048], sakila[2200], chinook_dir[2200], path[2300];
	char *rewritten;

	if (env)
		snprintf(corpus, sizeof(corpus), "%s", env);
	else
		snprintf(corpus, sizeof(corpus), "%s/../shared/corpus", root ? root : ".");
	snprintf(sakila, sizeof(sakila), "%s/sakila/mysql-sakila-db", corpus);
	snprintf(chinook_dir, sizeof(chinook_dir), "%s/chinook", corpus);
	check_corpus(sakila, "mysql-sakila-schema.sql", NULL, 41, schema, sizeof(schema) / sizeof(schema[0]));
	check_corpus(sakila, "mysql-sakila-drop-objects.sql", NULL, 29, drop, 1);
	check_corpus(chinook_dir, "Chinook_MySql.sql", NULL, 60, chinook, sizeof(chinook) / sizeof(chinook[0]));
	snprintf(path, sizeof(path), "%s/mysql-sakila-schema.sql", sakila);
	rewritten = without_delimiters(path);
	if (rewritten) {
		/* each DELIMITER block's first statement starts on the same line */
		check_corpus(sakila, "mysql-sakila-schema.sql", rewritten, 41, schema, sizeof(schema) / sizeof(schema[0]));
		free(rewritten);
	}
}

/* The adversarial review of SQLSCAN_MYSQL (H1-H4, goose, --): each case
 * once let a transactional run commit, or split otherwise than the server. */
static void test_mysql_soundness(void)
{
	const enum sqlscan_dialect my = SQLSCAN_MYSQL;

	/* H1: begin and end as names open and close nothing */
	check_split(my, "mysql: a column named begin in a one-statement body opens no block",
		    "CREATE PROCEDURE p3() INSERT INTO slots (id, begin) VALUES (1, 2);\nCOMMIT;\nselect 1;",
		    (const char *[]){ "CREATE PROCEDURE p3() INSERT INTO slots (id, begin) VALUES (1, 2)", "@2:1 COMMIT",
				      "@3:1 select 1", END });
	check_split(my, "mysql: begin as a parameter, a column, @begin; DO IF(...) is a function",
		    "CREATE PROCEDURE p9(IN begin INT) SELECT begin;\nCOMMIT;\n"
		    "CREATE PROCEDURE p5() BEGIN SELECT begin FROM slots; SET @begin = NOW(); DO IF(1,2,3); END;\nCOMMIT;\n",
		    (const char *[]){ "CREATE PROCEDURE p9(IN begin INT) SELECT begin", "@2:1 COMMIT",
				      "@3:1 CREATE PROCEDURE p5() BEGIN SELECT begin FROM slots; SET @begin = NOW(); DO IF(1,2,3); END",
				      "@4:1 COMMIT", END });
	check_split(my, "mysql: end as a column or alias does not end the body",
		    "CREATE PROCEDURE p4() BEGIN SELECT end FROM slots2; COMMIT; DROP TABLE slots2; END;\n"
		    "CREATE PROCEDURE p10() BEGIN SELECT 1 AS end; COMMIT; END;\n"
		    "CREATE TRIGGER trx BEFORE INSERT ON t FOR EACH ROW SET @end = 1;\nselect 2;",
		    (const char *[]){ "CREATE PROCEDURE p4() BEGIN SELECT end FROM slots2; COMMIT; DROP TABLE slots2; END",
				      "@2:1 CREATE PROCEDURE p10() BEGIN SELECT 1 AS end; COMMIT; END",
				      "@3:1 CREATE TRIGGER trx BEFORE INSERT ON t FOR EACH ROW SET @end = 1", "@4:1 select 2", END });
	check_split(my, "mysql: ELSE IF(...) THEN where a statement starts is an IF statement",
		    "CREATE PROCEDURE p6(x INT) BEGIN IF x > 0 THEN SELECT 1; ELSE IF(x < -5) THEN SELECT 2; END IF; END IF; "
		    "SELECT 3; END;\nselect 4;",
		    (const char *[]){ "CREATE PROCEDURE p6(x INT) BEGIN IF x > 0 THEN SELECT 1; ELSE IF(x < -5) THEN SELECT 2; "
				      "END IF; END IF; SELECT 3; END",
				      "@2:1 select 4", END });
	check_split(my, "mysql: handlers with BEGIN, REPEAT ... UNTIL, traits, CHARSET returns, FOLLOWS, ALTER EVENT DO BEGIN",
		    "CREATE PROCEDURE p(IN begin INT) COMMENT 'a; BEGIN' MODIFIES SQL DATA SQL SECURITY INVOKER BEGIN\n"
		    "  DECLARE c CURSOR FOR SELECT begin FROM t WHERE end > 0;\n"
		    "  DECLARE CONTINUE HANDLER FOR SQLSTATE VALUE '02000', SQLWARNING BEGIN SET @d = 1; END;\n"
		    "  DECLARE EXIT HANDLER FOR SQLEXCEPTION, NOT FOUND SET @d = 2;\n"
		    "  rep: REPEAT SET @x = 1; UNTIL @x > (SELECT COUNT(*) FROM t WHERE begin = 1) END REPEAT rep;\n"
		    "  CASE @x WHEN 1 THEN SELECT CASE WHEN @x THEN 1 ELSE IF(@x, 2, 3) END AS end; END CASE;\n"
		    "  BEGIN END;\nEND;\n"
		    "CREATE FUNCTION f(s VARCHAR(10)) RETURNS VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DETERMINISTIC "
		    "BEGIN RETURN CONCAT(s, ';'); END;\n"
		    "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW FOLLOWS t1 BEGIN SET NEW.a = 1; END;\n"
		    "ALTER EVENT e DO BEGIN DELETE FROM t; SELECT 1; END;\nselect 5;",
		    (const char *[]){ "@1:1 CREATE PROCEDURE p(IN begin INT) COMMENT 'a; BEGIN' MODIFIES SQL DATA SQL SECURITY INVOKER "
				      "BEGIN\n"
				      "  DECLARE c CURSOR FOR SELECT begin FROM t WHERE end > 0;\n"
				      "  DECLARE CONTINUE HANDLER FOR SQLSTATE VALUE '02000', SQLWARNING BEGIN SET @d = 1; END;\n"
				      "  DECLARE EXIT HANDLER FOR SQLEXCEPTION, NOT FOUND SET @d = 2;\n"
				      "  rep: REPEAT SET @x = 1; UNTIL @x > (SELECT COUNT(*) FROM t WHERE begin = 1) END REPEAT rep;\n"
				      "  CASE @x WHEN 1 THEN SELECT CASE WHEN @x THEN 1 ELSE IF(@x, 2, 3) END AS end; END CASE;\n"
				      "  BEGIN END;\nEND",
				      "@9:1 CREATE FUNCTION f(s VARCHAR(10)) RETURNS VARCHAR(20) CHARACTER SET utf8mb4 COLLATE "
				      "utf8mb4_bin DETERMINISTIC BEGIN RETURN CONCAT(s, ';'); END",
				      "@10:1 CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW FOLLOWS t1 BEGIN SET NEW.a = 1; END",
				      "@11:1 ALTER EVENT e DO BEGIN DELETE FROM t; SELECT 1; END", "@12:1 select 5", END });
	check_split(my, "mysql: IF, WHILE, CASE at the top level are compound statements (MariaDB)",
		    "IF @a THEN SELECT 1; ELSE SELECT 2; END IF;\nWHILE 0 DO SELECT 1; END WHILE;\n"
		    "CASE WHEN 1 THEN SELECT 3; END CASE;\nselect 4;",
		    (const char *[]){ "IF @a THEN SELECT 1; ELSE SELECT 2; END IF", "@2:1 WHILE 0 DO SELECT 1; END WHILE",
				      "@3:1 CASE WHEN 1 THEN SELECT 3; END CASE", "@4:1 select 4", END });

	/* H2: what a compound statement run now holds is judged */
	check_mysql_kind("BEGIN NOT ATOMIC INSERT INTO t (id, begin) VALUES (1, 2); COMMIT; END;", SQLSCAN_TRANSACTION_CONTROL,
			 false, "COMMIT inside BEGIN NOT ATOMIC");
	check_mysql_kind("DELIMITER //\nBEGIN NOT ATOMIC COMMIT; END//\n", SQLSCAN_TRANSACTION_CONTROL, false,
			 "COMMIT inside BEGIN NOT ATOMIC");
	check_mysql_kind("BEGIN NOT ATOMIC DECLARE EXIT HANDLER FOR SQLEXCEPTION ROLLBACK; SELECT 1; END;",
			 SQLSCAN_TRANSACTION_CONTROL, false, "ROLLBACK inside BEGIN NOT ATOMIC");
	check_mysql_kind("BEGIN NOT ATOMIC IF 1 THEN CREATE TABLE t (a int); END IF; END;", SQLSCAN_OUTSIDE_TRANSACTION,
			 true, "CREATE TABLE inside BEGIN NOT ATOMIC");
	check_mysql_kind("BEGIN NOT ATOMIC SET autocommit = 1; END;", SQLSCAN_TRANSACTION_CONTROL, false,
			 "SET autocommit inside BEGIN NOT ATOMIC");
	check_mysql_kind("BEGIN NOT ATOMIC lbl: BEGIN SELECT 1; END lbl; SELECT 2; END;", SQLSCAN_PLAIN, false, "BEGIN");
	check_mysql_kind("IF @x THEN COMMIT; END IF;", SQLSCAN_TRANSACTION_CONTROL, false,
			 "COMMIT inside a compound statement");
	check_mysql_kind("DELIMITER //\nSELECT 1; COMMIT//\n", SQLSCAN_TRANSACTION_CONTROL, false,
			 "COMMIT after a ';' in the same text");
	check_mysql_kind("DELIMITER //\nINSERT INTO t VALUES (1); CREATE TABLE t2 (a int)//\n", SQLSCAN_OUTSIDE_TRANSACTION,
			 true, "CREATE TABLE after a ';' in the same text");
	/* a routine's body does not run when it is created (and CREATE commits anyway) */
	check_mysql_kind("CREATE PROCEDURE p() BEGIN COMMIT; END;", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE PROCEDURE");

	/* H3: SET sql_mode followed from real tokens only */
	check_split(my, "mysql: sql_mode= inside a string is no SET sql_mode",
		    "SET sql_mode='NO_BACKSLASH_ESCAPES';\nSET @msg = 'sql_mode=''ANSI''';\nselect 'a\\'; select 'b';",
		    (const char *[]){ "SET sql_mode='NO_BACKSLASH_ESCAPES'", "SET @msg = 'sql_mode=''ANSI'''", "select 'a\\'",
				      "select 'b'", END });
	check_split(my, "mysql: a string naming NO_BACKSLASH_ESCAPES sets nothing",
		    "SET @note = \"sql_mode='NO_BACKSLASH_ESCAPES'\";\nselect 'a\\'; COMMIT; select \\'';",
		    (const char *[]){ "SET @note = \"sql_mode='NO_BACKSLASH_ESCAPES'\"", "select 'a\\'; COMMIT; select \\''", END });
	check_split(my, "mysql: SET GLOBAL lasts for the assignments after it",
		    "SET GLOBAL max_connections = 50, sql_mode = 'NO_BACKSLASH_ESCAPES';\nselect 'a\\'; select 2';\n"
		    "SET GLOBAL x = 1, SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';\nselect 'a\\'; select 2;",
		    (const char *[]){ "SET GLOBAL max_connections = 50, sql_mode = 'NO_BACKSLASH_ESCAPES'", "select 'a\\'; select 2'",
				      "SET GLOBAL x = 1, SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'", "select 'a\\'", "select 2", END });
	check_split(my, "mysql: in one DELIMITER text, the statements after SET sql_mode are read with it",
		    "DELIMITER //\nSET sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\'//\nselect 'b\\'//",
		    (const char *[]){ "SET sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\'", "select 'b\\'", END });

	check_error(my, "mysql: after SET sql_mode = an expression, a backslash in a string is refused",
		    "SET sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');\nselect 'ok';\nselect 'a\\'; COMMIT; select '\\';\n",
		    "f.sql:3:10: a backslash in a string after SET sql_mode to a value dbctl cannot read");
	check_error(my, "mysql: ... SET sql_mode = @old too",
		    "SET @OLD_SQL_MODE = @@SQL_MODE, SQL_MODE = 'NO_BACKSLASH_ESCAPES';\nSET SQL_MODE = @OLD_SQL_MODE;\nselect '\\';",
		    "f.sql:3:9: a backslash in a string after SET sql_mode");
	check_split(my, "mysql: ... until sql_mode is set to a string again",
		    "SET sql_mode = DEFAULT;\nSET sql_mode = 'ANSI';\nselect 'a\\'; select 2';",
		    (const char *[]){ "SET sql_mode = DEFAULT", "SET sql_mode = 'ANSI'", "select 'a\\'; select 2'", END });

	/* H4 */
	check_mysql_kind("INSTALL PLUGIN blackhole SONAME 'ha_blackhole';", SQLSCAN_OUTSIDE_TRANSACTION, true, "INSTALL PLUGIN");
	check_mysql_kind("install soname 'ha_blackhole';", SQLSCAN_OUTSIDE_TRANSACTION, true, "INSTALL SONAME");
	check_mysql_kind("UNINSTALL PLUGIN blackhole;", SQLSCAN_OUTSIDE_TRANSACTION, true, "UNINSTALL PLUGIN");
	check_mysql_kind("uninstall soname 'ha_blackhole';", SQLSCAN_OUTSIDE_TRANSACTION, true, "UNINSTALL SONAME");
	check_mysql_kind("BACKUP STAGE START;", SQLSCAN_OUTSIDE_TRANSACTION, true, "BACKUP STAGE");
	check_mysql_kind("backup lock t;", SQLSCAN_OUTSIDE_TRANSACTION, true, "BACKUP LOCK");
	check_mysql_kind("SET STATEMENT max_statement_time = 10 FOR CREATE TABLE t (a int);", SQLSCAN_OUTSIDE_TRANSACTION, true,
			 "CREATE TABLE");
	check_mysql_kind("SET STATEMENT max_statement_time = 10 FOR SELECT 1;", SQLSCAN_PLAIN, false, "SELECT");
	check_mysql_kind("EXECUTE IMMEDIATE 'COMMIT';", SQLSCAN_OUTSIDE_TRANSACTION, false, "EXECUTE IMMEDIATE");
	check_mysql_kind("execute s using @a;", SQLSCAN_OUTSIDE_TRANSACTION, false, "EXECUTE");
	check_mysql_unseen("EXECUTE IMMEDIATE CONCAT('COM', 'MIT');", true);
	check_mysql_unseen("EXECUTE s;", true);
	check_mysql_unseen("BEGIN NOT ATOMIC EXECUTE IMMEDIATE 'COMMIT'; END;", true);
	check_mysql_unseen("CREATE TABLE t (a int);", false);
	/* a procedure may commit in ways the run cannot see (audit F1, F2, F10) */
	check_mysql_unseen("CALL p();", true);
	check_mysql_kind("call app.p(1, 'a');", SQLSCAN_OUTSIDE_TRANSACTION, false, "CALL");
	check_mysql_unseen("BEGIN NOT ATOMIC CALL p(); END;", true);
	check_mysql_unseen("SET STATEMENT max_statement_time = 1 FOR CALL p();", true);
	check_mysql_unseen("CREATE PROCEDURE q() BEGIN CALL p(); END;", false);
	check_mysql_unseen("SELECT call_count FROM t;", false);
	check_mysql_kind("PREPARE s FROM 'COMMIT';", SQLSCAN_PLAIN, false, "PREPARE");   /* runs nothing (observed) */
	check_mysql_kind("SET @note = 'autocommit = 1';", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("SET @a = (SELECT 'x, autocommit = 1'), @b = 2;", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("SET @a = 1, @b = 2, @c = 3, @d = 4, @e = 5, autocommit = 0;", SQLSCAN_TRANSACTION_CONTROL, false,
			 "SET autocommit");

	/* goose: the block's statements are judged; an open block is an error */
	check_mysql_kind("-- +goose Up\n-- +goose StatementBegin\nselect 1; select 2;\nCOMMIT;\n-- +goose StatementEnd\n",
			 SQLSCAN_TRANSACTION_CONTROL, false, "COMMIT in a goose StatementBegin block");
	check_mysql_kind("-- +goose StatementBegin\nselect 1;\nCOMMIT\n-- +goose StatementEnd\n", SQLSCAN_TRANSACTION_CONTROL,
			 false, "COMMIT in a goose StatementBegin block");
	check_error(my, "mysql: -- +goose StatementBegin without StatementEnd",
		    "select 0;\n  -- +goose StatementBegin\nselect 1;\nCOMMIT;\nselect 2;\n",
		    "f.sql:2:3: -- +goose StatementBegin without StatementEnd");

	/* F25: a character set whose characters can end in 0x5c would read the
	 * script (and escaped -v values) differently from the lexer */
	check_error(my, "mysql: SET NAMES gbk is refused", "select 1;\n  SET NAMES gbk;\nselect 2;\n",
		    "f.sql:2:3: SET to character set gbk is refused");
	check_error(my, "mysql: SET NAMES 'big5' is refused", "SET NAMES 'big5' COLLATE big5_bin;\n",
		    "f.sql:1:1: SET to character set big5 is refused");
	check_error(my, "mysql: SET CHARACTER SET sjis is refused", "set character set sjis;\n",
		    "character set sjis is refused");
	check_error(my, "mysql: SET character_set_client = cp932 is refused",
		    "SET @@session.character_set_client = cp932, @a = 1;\n", "character set cp932 is refused");
	check_error(my, "mysql: /*!40101 SET NAMES gbk */ is refused", "/*!40101 SET NAMES GBK */;\n",
		    "character set GBK is refused");
	check_error(my, "mysql: SET STATEMENT character_set_client = gb18030 FOR is refused",
		    "SET STATEMENT character_set_client = gb18030 FOR SELECT 1;\n", "character set gb18030 is refused");
	check_mysql_kind("SET NAMES utf8mb4;", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("SET NAMES latin1;", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("SET @x = 'gbk';", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("SELECT 'SET NAMES gbk';", SQLSCAN_PLAIN, false, "SELECT");

	/* --: the client drops a -- comment that starts a statement, with or without a space */
	check_split(my, "mysql: --x at a statement's start is a comment, inside one it is not",
		    "select 3;--x ; select 4;\n--This is a comment\nselect 1;\n   --indented\nselect 2;\nselect 10 --x 1;\n--y select 13;\n",
		    (const char *[]){ "@1:1 select 3", "@3:1 select 1", "@5:1 select 2", "@6:1 select 10 --x 1", END });
}

static void test_mysql(void)
{
	const enum sqlscan_dialect my = SQLSCAN_MYSQL;

	check_split(my, "mysql: two statements, sent without ';'", "select 1; select 2;\n",
		    (const char *[]){ "@1:1 select 1", "@1:11 select 2", END });
	check_split(my, "mysql: quotes with doubled quotes and backslash escapes",
		    "select 'a;''b\\';c', \"x;\\\"y\"\"z\"; select 2;",
		    (const char *[]){ "select 'a;''b\\';c', \"x;\\\"y\"\"z\"", "select 2", END });
	check_split(my, "mysql: backticks: doubled, no escapes", "select `a;``b\\` from t; select 2;",
		    (const char *[]){ "select `a;``b\\` from t", "select 2", END });
	check_split(my, "mysql: prefixed literals", "select N'a;b', X'3B', B'1', _utf8mb4'c;\\'d', n\"e;\"; select 2;",
		    (const char *[]){ "select N'a;b', X'3B', B'1', _utf8mb4'c;\\'d', n\"e;\"", "select 2", END });
	check_split(my, "mysql: # comments, not inside strings", "# lead; x\nselect 1 # c; x\n, 2; select '#;', `#`; select 2;",
		    (const char *[]){ "@2:1 select 1 # c; x\n, 2", "select '#;', `#`", "select 2", END });
	check_split(my, "mysql: -- needs whitespace or a control character after it; --x is no comment",
		    "-- lead;\nselect 1--1;\nselect 2 -- c;\n;\nselect 3 --\t;x\n;select 4 --\n;",
		    (const char *[]){ "@2:1 select 1--1", "@3:1 select 2 -- c;\n", "select 3 --\t;x\n", "select 4 --\n", END });
	check_split(my, "mysql: /* */ does not nest; leading comments dropped",
		    "/* lead; */ select 1 /* x; /* y */; select 2;",
		    (const char *[]){ "@1:13 select 1 /* x; /* y */", "select 2", END });
	check_split(my, "mysql: /*! and /*M! are code", "/*!40101 SET NAMES utf8 */;\n/*M!100100 SET @y = 2 */;\nselect 1 /*!99999 , 2 */;",
		    (const char *[]){ "@1:1 /*!40101 SET NAMES utf8 */", "@2:1 /*M!100100 SET @y = 2 */", "select 1 /*!99999 , 2 */",
				      END });
	/* the client would cut the statement there and send an open comment (audit F9) */
	check_error(my, "mysql: ';' inside /*!50003 ... */ is an unterminated comment",
		    "select 0;\n /*!50003 select 1; */\nselect 2;", "f.sql:2:2: unterminated /*! comment");
	check_error(my, "mysql: ... so is one after code", "SELECT 1;\nSELECT 1 /*! abc;\n",
		    "f.sql:2:10: unterminated /*! comment");
	/* version comments the server may skip (audit F3): MariaDB 10.11 skips bang
	 * versions from 50700 on and M-bang ones above its own; MySQL every M-bang */
	check_mysql_unseen("/*!99999 SELECT 1 */ CREATE TABLE x1(a int);", true);
	check_mysql_unseen("/*!50700 SELECT 1 */ DROP TABLE m;", true);
	check_mysql_unseen("/*M!999999 SELECT 1 */ DROP TABLE m;", true);
	check_mysql_unseen("/*M!100100 SET @y = 2 */;", true);
	check_mysql_unseen("/*!507000 SELECT 1 */ DROP TABLE m;", true);
	check_mysql_unseen("SELECT 1 /*!80000 , 2 */;", true);
	check_mysql_unseen("/*!40101 SET @x = 1 */;", false);
	check_mysql_unseen("/*!50699 SET @x = 1 */;", false);
	check_mysql_unseen("/*! SET @x = 1 */;", false);
	check_mysql_kind("/*!99999 COMMIT */;", SQLSCAN_TRANSACTION_CONTROL, false, "COMMIT");
	check_mysql_kind("/*!50700 CREATE TABLE x (a int) */;", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE TABLE");
	check_split(my, "mysql: mysqldump's trigger in executable comments, default delimiter",
		    "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW "
		    "BEGIN SET NEW.a = 1; SET NEW.b = 2; END */;\nselect 1;",
		    (const char *[]){ "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT "
				      "ON x FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */",
				      "@2:1 select 1", END });
	check_split(my, "mysql: DELIMITER, any case, any string; positions exact",
		    "DELIMITER //\nselect 1; select 2 //\ndelimiter ;;\nselect 3; ;;\nDeLiMiTeR $$\nselect '$$' $$ select 4$$\n"
		    "DELIMITER ;\nselect 5;",
		    (const char *[]){ "@2:1 select 1; select 2 ", "@4:1 select 3; ", "@6:1 select '$$' ", "@6:16 select 4",
				      "@8:1 select 5", END });
	check_split(my, "mysql: DELIMITER with a statement pending is part of it", "select 1\ndelimiter //\n;select 2;",
		    (const char *[]){ "select 1\ndelimiter //\n", "select 2", END });
	check_split(my, "mysql: the last statement without its delimiter", "DELIMITER //\nselect 1\n",
		    (const char *[]){ "@2:1 select 1", END });
	check_error(my, "mysql: DELIMITER without a string", "select 1;\nDELIMITER \n", "f.sql:2:1: DELIMITER must be followed");
	check_error(my, "mysql: text after DELIMITER xx", "DELIMITER // select 1\n", "f.sql:1:14: text after DELIMITER //");
	check_split(my, "mysql: a procedure without DELIMITER: BEGIN, labels, LOOP, IF, CASE, WHILE, REPEAT, FOR",
		    "CREATE PROCEDURE p()\nBEGIN\n  DECLARE x INT DEFAULT 0;\n  lbl: LOOP\n    SET x = x + 1;\n"
		    "    IF x > 3 THEN LEAVE lbl; ELSEIF x > 2 THEN SELECT 0; ELSE IF x THEN SELECT 1; END IF; END IF;\n"
		    "  END LOOP lbl;\n  CASE x WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE;\n"
		    "  WHILE x > 0 DO SET x = x - 1; END WHILE;\n  REPEAT SET x = x + 1; UNTIL x > 2 END REPEAT;\n"
		    "  FOR i IN 1..3 DO SELECT i; END FOR;\n"
		    "  SELECT IF(x > 1, 'a', 'b'), REPEAT('x', 2), CASE WHEN x THEN 1 END;\n"
		    "  DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a int);\nEND;\nSELECT 1;",
		    (const char *[]){ "@1:1 CREATE PROCEDURE p()\nBEGIN\n  DECLARE x INT DEFAULT 0;\n  lbl: LOOP\n    SET x = x + 1;\n"
				      "    IF x > 3 THEN LEAVE lbl; ELSEIF x > 2 THEN SELECT 0; ELSE IF x THEN SELECT 1; END IF; END IF;\n"
				      "  END LOOP lbl;\n  CASE x WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE;\n"
				      "  WHILE x > 0 DO SET x = x - 1; END WHILE;\n  REPEAT SET x = x + 1; UNTIL x > 2 END REPEAT;\n"
				      "  FOR i IN 1..3 DO SELECT i; END FOR;\n"
				      "  SELECT IF(x > 1, 'a', 'b'), REPEAT('x', 2), CASE WHEN x THEN 1 END;\n"
				      "  DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a int);\nEND",
				      "@15:1 SELECT 1", END });
	check_split(my, "mysql: a trigger's FOR EACH ROW BEGIN ... END;",
		    "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n  IF NEW.a IS NULL THEN SET NEW.a = 1; END IF;\n"
		    "  SET NEW.end = 1; SET NEW.begin = 2;\nEND;\nINSERT INTO x VALUES (1);",
		    (const char *[]){ "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n  IF NEW.a IS NULL THEN SET NEW.a = "
				      "1; END IF;\n  SET NEW.end = 1; SET NEW.begin = 2;\nEND",
				      "@5:1 INSERT INTO x VALUES (1)", END });
	check_split(my, "mysql: a trigger without BEGIN, a CASE expression in it",
		    "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = CASE WHEN NEW.b THEN 1 ELSE 2 END;\nselect 1;",
		    (const char *[]){ "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = CASE WHEN NEW.b THEN 1 ELSE 2 END",
				      "select 1", END });
	check_split(my, "mysql: CREATE OR REPLACE DEFINER=... FUNCTION, EVENT ... DO BEGIN",
		    "CREATE OR REPLACE DEFINER=`root`@`%` FUNCTION f() RETURNS INT DETERMINISTIC BEGIN RETURN 1; END;"
		    "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END;select 2;",
		    (const char *[]){ "CREATE OR REPLACE DEFINER=`root`@`%` FUNCTION f() RETURNS INT DETERMINISTIC BEGIN RETURN 1; END",
				      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END", "select 2", END });
	check_split(my, "mysql: ELSE IF(...) in a CASE expression is a function, ELSE IF x THEN a statement",
		    "CREATE FUNCTION f(x INT) RETURNS INT BEGIN\n  IF x THEN RETURN 1; ELSE IF x > 1 THEN RETURN 2; END IF; END IF;\n"
		    "  RETURN CASE WHEN x THEN 1 ELSE IF(x, 2, 3) END;\nEND;\nselect 2;",
		    (const char *[]){ "CREATE FUNCTION f(x INT) RETURNS INT BEGIN\n  IF x THEN RETURN 1; ELSE IF x > 1 THEN RETURN 2; "
				      "END IF; END IF;\n  RETURN CASE WHEN x THEN 1 ELSE IF(x, 2, 3) END;\nEND",
				      "@5:1 select 2", END });
	check_split(my, "mysql: BEGIN NOT ATOMIC; BEGIN and END as column names elsewhere",
		    "BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SET x = 1;\nEND;\ncreate table t (begin int, end int);\nbegin;\n",
		    (const char *[]){ "BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SET x = 1;\nEND", "@5:1 create table t (begin int, end int)",
				      "begin", END });
	check_split(my, "mysql: \\g and \\G end a statement; \\N is SQL", "select 1\\g select 2\\G\nselect \\N;",
		    (const char *[]){ "@1:1 select 1", "@1:12 select 2", "@2:1 select \\N", END });
	check_error(my, "mysql: \\. refused", "select 1;\n\\. x.sql\n", "f.sql:2:1: mysql client command '\\.' is not supported");
	check_error(my, "mysql: \\! mid-line refused", "select 1; \\! ls\n", "f.sql:1:11: mysql client command '\\!'");
	check_error(my, "mysql: \\c inside a statement refused", "select 1 \\c\n", "f.sql:1:10: mysql client command '\\c'");
	check_error(my, "mysql: source refused", "source x.sql\n", "f.sql:1:1: mysql client command 'source'");
	check_error(my, "mysql: SYSTEM refused", "select 1;\n  SYSTEM ls;\n", "f.sql:2:3: mysql client command 'SYSTEM'");
	check_error(my, "mysql: quit refused", "quit\n", "f.sql:1:1: mysql client command 'quit'");
	check_error(my, "mysql: connect refused", "connect db2 host\n", "mysql client command 'connect'");
	check_split(my, "mysql: USE db is SQL; source as a column is too", "use db; select source from t;",
		    (const char *[]){ "use db", "select source from t", END });
	check_error(my, "mysql: unterminated string", "select 1;\nselect 'abc;\n", "f.sql:2:8: unterminated quoted string");
	check_error(my, "mysql: a backslash escapes the closing quote", "select \"a\\\";\n", "f.sql:1:8: unterminated quoted string");
	check_error(my, "mysql: unterminated backtick", "select `a;\n", "f.sql:1:8: unterminated quoted identifier");
	check_error(my, "mysql: unterminated comment", "select 1 /* x;\n", "f.sql:1:10: unterminated /* comment");
	check_error(my, "mysql: unterminated executable comment", "\n /*!50003 select 1\n", "f.sql:2:2: unterminated /*! comment");
	check_split(my, "mysql: SET sql_mode NO_BACKSLASH_ESCAPES turns backslash escapes off, and back on",
		    "select 'a\\'; select 2';\nSET sql_mode = 'ANSI,NO_BACKSLASH_ESCAPES';\nselect 'a\\'; select 2;\n"
		    "SET @@SESSION.sql_mode = 'TRADITIONAL';\nselect 'b\\';x';\nSET SESSION sql_mode=\"no_backslash_escapes\";\n"
		    "select '\\'; SET @@sql_mode := ''; select '\\'';",
		    (const char *[]){ "select 'a\\'; select 2'", "SET sql_mode = 'ANSI,NO_BACKSLASH_ESCAPES'", "select 'a\\'",
				      "select 2", "SET @@SESSION.sql_mode = 'TRADITIONAL'", "select 'b\\';x'",
				      "SET SESSION sql_mode=\"no_backslash_escapes\"", "select '\\'", "SET @@sql_mode := ''",
				      "select '\\''", END });
	check_split(my, "mysql: SET GLOBAL and @user variables do not change the session's mode",
		    "SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'; SET @@global.sql_mode = 'NO_BACKSLASH_ESCAPES';\n"
		    "SET @sql_mode = 'NO_BACKSLASH_ESCAPES'; select 'a\\';x';",
		    (const char *[]){ "SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'", "SET @@global.sql_mode = 'NO_BACKSLASH_ESCAPES'",
				      "SET @sql_mode = 'NO_BACKSLASH_ESCAPES'", "select 'a\\';x'", END });
	start_no_backslash = true;
	check_split(my, "mysql: a session that starts with NO_BACKSLASH_ESCAPES", "select 'a\\'; select \"b\\\";",
		    (const char *[]){ "select 'a\\'", "select \"b\\\"", END });
	start_no_backslash = false;
	check_mysql_lexing("SET sql_mode='ANSI'; SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='TRADITIONAL'; SET x = 1; "
			   "select @@sql_mode; /*!40101 SET SQL_MODE=@OLD_SQL_MODE */;",
			   "11001");
	check_split(my, "mysql: goose StatementBegin/End hold one statement", "-- +goose Up\n-- +goose StatementBegin\n"
		    "select 1; select 2;\n-- +goose StatementEnd\nselect 3;",
		    (const char *[]){ "@3:1 select 1; select 2", "@5:1 select 3", END });
	check_split(my, "mysql: multi-byte columns, CRLF lines", "select 'é'; select 2;\r\n-- c\r\nselect 3;\r\n",
		    (const char *[]){ "@1:1 select 'é'", "@1:13 select 2", "@3:1 select 3", END });
	check_split(my, "mysql: ';' alone and comment-only statements send nothing", ";;\n/* c */;\n# x\n;select 1;",
		    (const char *[]){ "@4:2 select 1", END });
	check_mysql_huge();

	check_mysql_kind("BEGIN;", SQLSCAN_TRANSACTION_CONTROL, false, "BEGIN");
	check_mysql_kind("begin work;", SQLSCAN_TRANSACTION_CONTROL, false, "BEGIN");
	check_mysql_kind("BEGIN NOT ATOMIC SELECT 1; END;", SQLSCAN_PLAIN, false, "BEGIN");
	check_mysql_kind("start transaction read only;", SQLSCAN_TRANSACTION_CONTROL, false, "START TRANSACTION");
	check_mysql_kind("COMMIT AND CHAIN;", SQLSCAN_TRANSACTION_CONTROL, false, "COMMIT");
	check_mysql_kind("rollback;", SQLSCAN_TRANSACTION_CONTROL, false, "ROLLBACK");
	check_mysql_kind("rollback to savepoint a;", SQLSCAN_PLAIN, false, "ROLLBACK");
	check_mysql_kind("rollback work to a;", SQLSCAN_PLAIN, false, "ROLLBACK");
	check_mysql_kind("savepoint a;", SQLSCAN_PLAIN, false, "SAVEPOINT");
	check_mysql_kind("release savepoint a;", SQLSCAN_PLAIN, false, "RELEASE");
	check_mysql_kind("SET autocommit = 0;", SQLSCAN_TRANSACTION_CONTROL, false, "SET autocommit");
	check_mysql_kind("set @@session.AUTOCOMMIT=1;", SQLSCAN_TRANSACTION_CONTROL, false, NULL);
	check_mysql_kind("/*!40101 set names utf8, autocommit := 0 */;", SQLSCAN_TRANSACTION_CONTROL, false, NULL);
	check_mysql_kind("set @autocommit = 0;", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("set transaction isolation level serializable;", SQLSCAN_PLAIN, false, "SET");
	check_mysql_kind("lock tables t write;", SQLSCAN_TRANSACTION_CONTROL, false, "LOCK TABLES");
	check_mysql_kind("UNLOCK TABLES;", SQLSCAN_TRANSACTION_CONTROL, false, "UNLOCK TABLES");
	check_mysql_kind("XA START 'x';", SQLSCAN_TRANSACTION_CONTROL, false, "XA");
	check_mysql_kind("create table t (a int);", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE TABLE");
	check_mysql_kind("create temporary table t (a int);", SQLSCAN_PLAIN, false, "CREATE TABLE");
	check_mysql_kind("drop temporary table if exists t;", SQLSCAN_PLAIN, false, "DROP TABLE");
	check_mysql_kind("ALTER TABLE t ADD COLUMN b INT;", SQLSCAN_OUTSIDE_TRANSACTION, true, "ALTER TABLE");
	check_mysql_kind("alter online ignore table t add b int;", SQLSCAN_OUTSIDE_TRANSACTION, true, "ALTER TABLE");
	check_mysql_kind("create unique index i on t (a);", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE INDEX");
	check_mysql_kind("create or replace algorithm=merge definer=`a`@`%` sql security invoker view v as select 1;",
			 SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE VIEW");
	check_mysql_kind("drop database if exists d;", SQLSCAN_OUTSIDE_TRANSACTION, true, "DROP DATABASE");
	check_mysql_kind("create schema s;", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE SCHEMA");
	check_mysql_kind("create procedure p() begin select 1; end;", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE PROCEDURE");
	check_mysql_kind("drop trigger t;", SQLSCAN_OUTSIDE_TRANSACTION, true, "DROP TRIGGER");
	check_mysql_kind("create user u identified by 'x';", SQLSCAN_OUTSIDE_TRANSACTION, true, "CREATE USER");
	check_mysql_kind("create function f returns string soname 'f.so';", SQLSCAN_PLAIN, false, "CREATE FUNCTION");
	check_mysql_kind("rename table a to b;", SQLSCAN_OUTSIDE_TRANSACTION, true, "RENAME TABLE");
	check_mysql_kind("truncate t;", SQLSCAN_OUTSIDE_TRANSACTION, true, "TRUNCATE TABLE");
	check_mysql_kind("grant select on d.* to u;", SQLSCAN_OUTSIDE_TRANSACTION, true, "GRANT");
	check_mysql_kind("revoke all on d.* from u;", SQLSCAN_OUTSIDE_TRANSACTION, true, "REVOKE");
	check_mysql_kind("analyze table t;", SQLSCAN_OUTSIDE_TRANSACTION, true, "ANALYZE TABLE");
	check_mysql_kind("optimize no_write_to_binlog table t;", SQLSCAN_OUTSIDE_TRANSACTION, true, "OPTIMIZE TABLE");
	check_mysql_kind("analyze select * from t;", SQLSCAN_PLAIN, false, "ANALYZE");
	check_mysql_kind("check table t;", SQLSCAN_OUTSIDE_TRANSACTION, true, "CHECK TABLE");
	check_mysql_kind("flush privileges;", SQLSCAN_OUTSIDE_TRANSACTION, true, "FLUSH");
	check_mysql_kind("reset query cache;", SQLSCAN_OUTSIDE_TRANSACTION, true, "RESET");
	/* on the list, but observed on 10.11: @@in_transaction stays 1 after them */
	check_mysql_kind("cache index t in c;", SQLSCAN_PLAIN, false, "CACHE");
	check_mysql_kind("load index into cache t;", SQLSCAN_PLAIN, false, "LOAD");
	check_mysql_kind("load data infile 'x' into table t;", SQLSCAN_PLAIN, false, "LOAD");
	check_mysql_kind("set password = password('x');", SQLSCAN_OUTSIDE_TRANSACTION, true, "SET PASSWORD");
	check_mysql_kind("start slave;", SQLSCAN_OUTSIDE_TRANSACTION, true, "START SLAVE");
	check_mysql_kind("insert into t values (1);", SQLSCAN_PLAIN, false, "INSERT");
	check_mysql_kind("use sakila;", SQLSCAN_PLAIN, false, "USE");
	test_mysql_soundness();
	test_mysql_corpus();
}

int main(void)
{
	const enum sqlscan_dialect pg = SQLSCAN_POSTGRESQL;

	check_split(pg, "two simple statements", "select 1; select 2;\n",
		    (const char *[]){ "@1:1 select 1;", "@1:11 select 2;", END });
	check_split(pg, "leading whitespace and -- comments are dropped, inner ones kept",
		    "\n  -- lead\n\tselect 1 -- trail ; not an end\n ;\n",
		    (const char *[]){ "@3:2 select 1 -- trail ; not an end\n ;", END });
	check_split(pg, "a last statement without ';'", "select 1;\nselect 2\n\n",
		    (const char *[]){ "select 1;", "@2:1 select 2", END });
	check_split(pg, "lone ';' and comment-only statements send nothing", ";;\n/* c */;\n-- x\nselect 1;",
		    (const char *[]){ "select 1;", END });
	check_split(pg, "quotes with doubled quotes", "select 'a;''b'; select \"x;\"\"y\";",
		    (const char *[]){ "select 'a;''b';", "select \"x;\"\"y\";", END });
	check_split(pg, "E'' strings with backslash escapes", "select E'a\\';b', e'\\\\'; select 2;",
		    (const char *[]){ "select E'a\\';b', e'\\\\';", "select 2;", END });
	check_split(pg, "a standard string ends at a backslash quote", "select 'a\\'; select 2;",
		    (const char *[]){ "select 'a\\';", "select 2;", END });
	check_split(pg, "U&'' strings and identifiers", "select U&'d\\0061t;' UESCAPE '!', U&\"a;b\"; select 2;",
		    (const char *[]){ "select U&'d\\0061t;' UESCAPE '!', U&\"a;b\";", "select 2;", END });
	check_split(pg, "dollar quotes: $$, tagged, nested tags, $1 is a parameter",
		    "do $outer$ begin execute $ex$ select ';' $ex$; end $outer$;\nselect $1, $$a;$$, $q$$$q$;\n",
		    (const char *[]){ "do $outer$ begin execute $ex$ select ';' $ex$; end $outer$;",
				      "select $1, $$a;$$, $q$$$q$;", END });
	check_split(pg, "a $ inside an identifier does not open a dollar quote", "select a$b$c; select 2;",
		    (const char *[]){ "select a$b$c;", "select 2;", END });
	check_split(pg, "nested block comments", "/* a /* b; */ c; */ select 1; select 2;",
		    (const char *[]){ "/* a /* b; */ c; */ select 1;", "select 2;", END });
	check_split(pg, "';' inside parentheses (CREATE RULE)",
		    "create rule r as on insert to t do also (insert into a values (1); insert into b values (2));\nselect 1;",
		    (const char *[]){ "create rule r as on insert to t do also (insert into a values (1); insert into b values (2));",
				      "select 1;", END });
	check_split(pg, "BEGIN ATOMIC body with CASE ... END",
		    "create or replace function f() returns int language sql\nbegin atomic\n select case when true then 1 end;\n select 2;\nend;\nselect 3;",
		    (const char *[]){ "create or replace function f() returns int language sql\nbegin atomic\n select case when true then 1 end;\n select 2;\nend;",
				      "select 3;", END });
	check_split(pg, "CREATE PROCEDURE ... BEGIN ATOMIC",
		    "create procedure p() begin atomic insert into t values (1); end; call p();",
		    (const char *[]){ "create procedure p() begin atomic insert into t values (1); end;", "call p();", END });
	check_split(pg, "plpgsql BEGIN/END inside a dollar quote does not count",
		    "create function f() returns void as $$ begin perform 1; end $$ language plpgsql; select 1;",
		    (const char *[]){ "create function f() returns void as $$ begin perform 1; end $$ language plpgsql;",
				      "select 1;", END });
	check_split(pg, "old-style '' function bodies",
		    "create function f() returns int as 'begin return 1; end;' language plpgsql; select 1;",
		    (const char *[]){ "create function f() returns int as 'begin return 1; end;' language plpgsql;",
				      "select 1;", END });
	check_split(pg, "COPY FROM STDIN data is not SQL",
		    "copy t (a, b) from stdin;\n1\tselect 2;\n\\N\t'\n\\.\nselect 3;\n",
		    (const char *[]){ "copy t (a, b) from stdin;", "@5:1 select 3;", END });
	check_split(pg, "COPY ... TO STDOUT has no data block", "copy t to stdout;\nselect 1;",
		    (const char *[]){ "copy t to stdout;", "select 1;", END });
	check_split(pg, "casts are not variables", "select 'a'::text, x::\"MyType\";",
		    (const char *[]){ "select 'a'::text, x::\"MyType\";", END });
	check_split(pg, "empty lines between tokens are dropped, as psql does; kept inside quotes",
		    "select 1,\n\n2;\nselect $$a\n\nb$$, 'x\n\ny';\n",
		    (const char *[]){ "select 1,\n2;", "select $$a\n\nb$$, 'x\n\ny';", END });
	check_split(pg, "at the end of the input only the last newline goes", "select 1 \t\nselect 2\n   \n",
		    (const char *[]){ "select 1 \t\nselect 2\n   ", END });
	check_split(pg, "SET standard_conforming_strings = off: backslash escapes in plain strings",
		    "set standard_conforming_strings = off;\nselect 'a\\'; b';\nset standard_conforming_strings to on;\nselect 'c\\';\n",
		    (const char *[]){ "set standard_conforming_strings = off;", "select 'a\\'; b';",
				      "set standard_conforming_strings to on;", "select 'c\\';", END });
	check_split(SQLSCAN_SQLITE, "SQLite: BEGIN as a column name inside a trigger, heuristics only",
		    "create table t(a, \"begin\");\nselect 1;\n",
		    (const char *[]){ "create table t(a, \"begin\");", "select 1;", END });
	check_split(pg, "a UTF-8 byte-order mark is dropped", "\xef\xbb\xbfselect 1;",
		    (const char *[]){ "@1:1 select 1;", END });
	check_split(pg, "CRLF line endings", "select 1;\r\ncopy t from stdin;\r\n1\r\n\\.\r\nselect 2;\r\n",
		    (const char *[]){ "select 1;", "copy t from stdin;", "@5:1 select 2;", END });
	check_split(pg, "multi-byte characters count as one column", "select 'é'; select 2;",
		    (const char *[]){ "@1:1 select 'é';", "@1:13 select 2;", END });
	check_split(SQLSCAN_SQLITE, "SQLite: a trigger body without the library's help",
		    "create trigger tr after insert on a begin insert into b values (1); update b set x = 1; end;\ninsert into a values (1);",
		    (const char *[]){ "create trigger tr after insert on a begin insert into b values (1); update b set x = 1; end;",
				      "insert into a values (1);", END });
	check_split(SQLSCAN_SQLITE, "SQLite: [brackets] and `backticks` quote names", "select [a;b], `c;d`; select 2;",
		    (const char *[]){ "select [a;b], `c;d`;", "select 2;", END });
	check_split(SQLSCAN_REDIS, "Redis: one command a line, # comments, blank lines",
		    "# setup\nSET a 1\n\n  GET \"a\"\n",
		    (const char *[]){ "@2:1 SET a 1", "@4:3 GET \"a\"", END });

	{
		static const char input[] = "select :v, :'v', :\"v\", :w, ':v';";
		FILE *in = fmemopen((void *)input, strlen(input), "r");
		struct sqlscan scan;
		struct sqlscan_statement s;
		struct err err;

		sqlscan_init(&scan, in, "v.sql", pg);
		scan.variable = sample_variable;
		sqlscan_statement_init(&s);
		ok(sqlscan_next(&scan, &s, &err) == 1, "variables: statement");
		is_str(s.text.buf, "select val, 'val', \"val\", :w, ':v';", "variables substituted; unknown and quoted ones left");
		sqlscan_statement_release(&s);
		sqlscan_release(&scan);
		fclose(in);
	}

	/* BEGIN is not reserved in PostgreSQL: a routine, argument or column called begin is no body */
	check_split(pg, "a function named begin does not swallow the rest of the file",
		    "insert into t values (1);\ncreate function begin() returns int language sql as $$ select 1 $$;\ncommit;\ninsert into t values (2);\n",
		    (const char *[]){ "insert into t values (1);",
				      "create function begin() returns int language sql as $$ select 1 $$;", "@3:1 commit;",
				      "insert into t values (2);", END });
	check_split(pg, "CREATE OR REPLACE PROCEDURE begin, an argument named begin, a RETURNS TABLE column begin",
		    "create or replace procedure begin(a int) language sql as 'select 1';\n"
		    "create function f(begin int) returns int language sql return begin;\n"
		    "create function g() returns table (begin int) language sql as $$ select 1 $$;\nselect 2;\n",
		    (const char *[]){ "create or replace procedure begin(a int) language sql as 'select 1';",
				      "create function f(begin int) returns int language sql return begin;",
				      "create function g() returns table (begin int) language sql as $$ select 1 $$;",
				      "select 2;", END });
	check_split(pg, "a function named begin with a BEGIN ATOMIC body",
		    "create function begin() returns int language sql\nBEGIN /* c */ ATOMIC\n  select 1;\n  select case when true then 2 end;\nEND;\nselect 3;\n",
		    (const char *[]){ "create function begin() returns int language sql\nBEGIN /* c */ ATOMIC\n  select 1;\n  select case when true then 2 end;\nEND;",
				      "select 3;", END });
	check_split(pg, "pg_dump's BEGIN ATOMIC function, then more statements",
		    "CREATE FUNCTION public.add(a integer, b integer) RETURNS integer\n    LANGUAGE sql IMMUTABLE\n"
		    "    BEGIN ATOMIC\n SELECT (add.a + add.b);\nEND;\n\nALTER FUNCTION public.add(a integer, b integer) OWNER TO app;\n",
		    (const char *[]){ "CREATE FUNCTION public.add(a integer, b integer) RETURNS integer\n    LANGUAGE sql IMMUTABLE\n"
				      "    BEGIN ATOMIC\n SELECT (add.a + add.b);\nEND;",
				      "ALTER FUNCTION public.add(a integer, b integer) OWNER TO app;", END });

	/* every spelling of standard_conforming_strings the check pass follows */
	check_split(pg, "SET ... = 'off' (quoted), then backslash escapes",
		    "set standard_conforming_strings = 'off';\nselect 'a\\'; b';\n",
		    (const char *[]){ "set standard_conforming_strings = 'off';", "select 'a\\'; b';", END });
	check_split(pg, "SET LOCAL ... TO \"off\" and SET SESSION ... TO false",
		    "SET LOCAL standard_conforming_strings TO \"off\";\nselect 'a\\'; b';\nset session standard_conforming_strings to true;\nselect 'c\\';\n",
		    (const char *[]){ "SET LOCAL standard_conforming_strings TO \"off\";", "select 'a\\'; b';",
				      "set session standard_conforming_strings to true;", "select 'c\\';", END });
	check_split(pg, "RESET and RESET ALL go back to on",
		    "set standard_conforming_strings = off;\nreset standard_conforming_strings;\nselect 'a\\';\n"
		    "set standard_conforming_strings = of;\nreset all;\nselect 'b\\';\n",
		    (const char *[]){ "set standard_conforming_strings = off;", "reset standard_conforming_strings;", "select 'a\\';",
				      "set standard_conforming_strings = of;", "reset all;", "select 'b\\';", END });
	check_split(pg, "set_config('standard_conforming_strings', 'off', ...) in a SELECT",
		    "select pg_catalog.set_config('standard_conforming_strings', 'off', false);\nselect 'a\\'; b';\n"
		    "select set_config( 'standard_conforming_strings' , 'on' , true);\nselect 'c\\';\n",
		    (const char *[]){ "select pg_catalog.set_config('standard_conforming_strings', 'off', false);", "select 'a\\'; b';",
				      "select set_config( 'standard_conforming_strings' , 'on' , true);", "select 'c\\';", END });
	check_split(pg, "a function body that calls set_config changes nothing until called",
		    "create function f() returns void language sql as $$ select set_config('standard_conforming_strings', 'off', false) $$;\nselect 'a\\';\n",
		    (const char *[]){ "create function f() returns void language sql as $$ select set_config('standard_conforming_strings', 'off', false) $$;",
				      "select 'a\\';", END });
	check_split(pg, "ALTER ROLE ... SET does not change this session",
		    "alter role app set standard_conforming_strings = off;\nselect 'a\\';\n",
		    (const char *[]){ "alter role app set standard_conforming_strings = off;", "select 'a\\';", END });
	{
		static const char input[] = "select 1;\nSET standard_conforming_strings TO on;\nselect 'x';\nreset all;\n"
					    "rollback to savepoint a;\nalter role r set standard_conforming_strings = off;\n";
		static const bool want[] = { false, true, false, true, true, true };
		FILE *in = fmemopen((void *)input, strlen(input), "r");
		struct sqlscan scan;
		struct sqlscan_statement s;
		struct err err;
		bool same = true;
		int i = 0;

		sqlscan_init(&scan, in, "c.sql", pg);
		sqlscan_statement_init(&s);
		while (sqlscan_next(&scan, &s, &err) == 1 && i < 6)
			same = same && s.changes_lexing == want[i++];
		ok(same && i == 6, "statements that may change how the server lexes are marked");
		sqlscan_statement_release(&s);
		sqlscan_release(&scan);
		fclose(in);
	}
	{
		/* the run pass: no tracking of its own, the server's word instead */
		static const char input[] = "set standard_conforming_strings = off;\nselect 'a\\';\n";
		FILE *in = fmemopen((void *)input, strlen(input), "r");
		struct sqlscan scan;
		struct sqlscan_statement s;
		struct err err;
		int n = 0;

		sqlscan_init(&scan, in, "r.sql", pg);
		scan.track_strings = false;
		sqlscan_statement_init(&s);
		while (sqlscan_next(&scan, &s, &err) == 1)
			n++;
		is_int(n, 2, "without tracking, the SET does not change the split (the server's report does)");
		sqlscan_statement_release(&s);
		sqlscan_release(&scan);
		fclose(in);
	}

	/* SQLite parameters nothing binds */
	{
		static const char input[] = "insert into t values (1, '?', \"@x\");\ninsert into t values ($x, @y);\nselect ?5, ?;\n";
		static const char *const want[] = { "", "$x@2:23", "?5@3:8" };
		FILE *in = fmemopen((void *)input, strlen(input), "r");
		struct sqlscan scan;
		struct sqlscan_statement s;
		struct err err;
		bool same = true;
		int i = 0;

		sqlscan_init(&scan, in, "p.sql", SQLSCAN_SQLITE);
		sqlscan_statement_init(&s);
		while (sqlscan_next(&scan, &s, &err) == 1 && i < 3) {
			char got[64];

			snprintf(got, sizeof(got), s.parameter[0] ? "%s@%d:%d" : "%s", s.parameter, s.parameter_line,
				 s.parameter_column);
			if (strcmp(got, want[i]) != 0) {
				printf("#   statement %d: parameter '%s', expected '%s'\n", i + 1, got, want[i]);
				same = false;
			}
			i++;
		}
		ok(same && i == 3, "SQLite: the first unbound parameter and its place, none inside quotes");
		sqlscan_statement_release(&s);
		sqlscan_release(&scan);
		fclose(in);
	}

	/* a snapshot reads the checked bytes only */
	{
		static const char input[] = "select 1;\nselect 2;\ncommit;\n";
		FILE *in = fmemopen((void *)input, strlen(input), "r");
		struct sqlscan scan;
		struct sqlscan_statement s;
		struct digest digest, whole, pieces;
		struct err err;
		int n = 0;

		sqlscan_init(&scan, in, "l.sql", pg);
		digest_init(&digest);
		scan.digest = &digest;
		scan.limit = 20;
		sqlscan_statement_init(&s);
		while (sqlscan_next(&scan, &s, &err) == 1)
			n++;
		digest_init(&whole);
		digest_update(&whole, input, 20);
		digest_init(&pieces);
		digest_update(&pieces, input, 3);
		digest_update(&pieces, input + 3, 9);
		digest_update(&pieces, input + 12, 8);
		ok(n == 2 && scan.consumed == 20 && digest_final(&digest) == digest_final(&whole),
		   "a limit stops at the checked length; the digest is of those bytes");
		ok(digest_final(&pieces) == digest_final(&whole), "the digest does not depend on how the bytes are cut");
		digest_update(&pieces, "", 0);
		digest_update(&whole, "x", 1);
		ok(digest_final(&pieces) != digest_final(&whole), "... and tells other bytes apart");
		sqlscan_statement_release(&s);
		sqlscan_release(&scan);
		fclose(in);
	}

	/* the error's source line is a window, not a copy of a huge line */
	{
		struct strbuf text, line;
		int at_line, at_column, caret;

		strbuf_init(&text);
		strbuf_init(&line);
		strbuf_addstr(&text, "insert into t values ('");
		for (int i = 0; i < 100000; i++)
			strbuf_addch(&text, 'x');
		strbuf_addstr(&text, "', nosuch);");
		sqlscan_locate_text(text.buf, text.len, 4, 3, 100000 + 27, &at_line, &at_column, &line, &caret);
		ok(at_line == 4 && at_column == 100000 + 29 && line.len < 200 && strncmp(line.buf, "...", 3) == 0 &&
			   strncmp(line.buf + caret - 1, "nosuch", 6) == 0,
		   "a long line is cut around the caret (%zu bytes, caret at %d)", line.len, caret);
		sqlscan_locate_text(text.buf, 30, 1, 1, 8, &at_line, &at_column, &line, &caret);
		ok(at_column == 8 && strncmp(line.buf + caret - 1, "into", 4) == 0 && strstr(line.buf, "...") == NULL,
		   "... and a caret near the start keeps the start: %.20s", line.buf);
		strbuf_release(&text);
		strbuf_release(&line);
	}
	/* passwords stay out of error excerpts, the caret where it was (audit F23) */
	{
		const char *const cases[][2] = {
			{ "CREATE USER 'q1'@'%' IDENTIFIED BY 'RunSecret1', nosuch",
			  "CREATE USER 'q1'@'%' IDENTIFIED BY '**********', nosuch" },
			{ "SET PASSWORD FOR u = PASSWORD('s3cr\\'t'), nosuch",
			  "SET PASSWORD FOR u = PASSWORD('*******'), nosuch" },
			{ "ALTER USER u IDENTIFIED WITH ed25519 AS 'h\xc3\xa9''x' nosuch",
			  "ALTER USER u IDENTIFIED WITH ed25519 AS '*****' nosuch" },
			{ "CHANGE MASTER TO MASTER_PASSWORD = \"pw\", nosuch",
			  "CHANGE MASTER TO MASTER_PASSWORD = \"**\", nosuch" },
			{ "SELECT 'identified', 'kept', nosuch", "SELECT 'identified', 'kept', nosuch" },
			/* a name ending in password, or PASSWORD EXPIRE, arms nothing (the corpus: hatchet) */
			{ "SELECT 1 WHERE auth__password IS NOT NULL AND m = 'BASIC', nosuch",
			  "SELECT 1 WHERE auth__password IS NOT NULL AND m = 'BASIC', nosuch" },
			{ "ALTER USER u PASSWORD EXPIRE COMMENT 'kept' nosuch", "ALTER USER u PASSWORD EXPIRE COMMENT 'kept' nosuch" },
			{ "SET PASSWORD FOR 'u'@'h' = 'Plain1' nosuch", "SET PASSWORD FOR 'u'@'h' = '******' nosuch" },
			{ "CREATE ROLE r LOGIN ENCRYPTED PASSWORD 'pw1' nosuch", "CREATE ROLE r LOGIN ENCRYPTED PASSWORD '***' nosuch" },
		};
		struct strbuf line;
		int at_line, at_column, caret;

		strbuf_init(&line);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *want = strstr(cases[i][0], "nosuch");
			int position = 1;

			for (const char *q = cases[i][0]; q < want; q++)
				position += ((unsigned char)*q & 0xc0) != 0x80;
			sqlscan_locate_text(cases[i][0], strlen(cases[i][0]), 1, 1, position, &at_line, &at_column, &line,
					    &caret);
			ok(strcmp(line.buf, cases[i][1]) == 0 && strncmp(line.buf + caret - 1, "nosuch", 6) == 0,
			   "excerpt masks the password: %s (caret %d)", line.buf, caret);
		}
		strbuf_release(&line);
	}
	ok(sqlscan_valid_utf8("caf\xc3\xa9", 5) && !sqlscan_valid_utf8("\xff", 1) && !sqlscan_valid_utf8("a\0b", 3),
	   "sqlscan_valid_utf8");

	check_error(pg, "unterminated quote", "select 1;\nselect 'abc;\n", "f.sql:2:8: unterminated quoted string");
	check_error(pg, "unterminated dollar quote", "select $x$ abc;\n", "f.sql:1:8: unterminated dollar-quoted string");
	check_error(pg, "unterminated comment", "select 1; /* /* */\n", "f.sql:1:11: unterminated /* comment");
	check_error(pg, "unterminated identifier", "select \"abc\n", "f.sql:1:8: unterminated quoted identifier");
	check_error(pg, "meta-command", "select 1;\n  \\i other.sql\n", "f.sql:2:3: psql meta-command '\\i'");
	check_error(pg, "\\; is named", "select 1\\; select 2;\n", "meta-command '\\;'");
	check_error(pg, "\\g after a statement", "select 1\n\\g\n", "f.sql:2:1: psql meta-command '\\g'");
	check_error_n(pg, "NUL byte", "select 1;\nsel\0ect;\n", 19, "f.sql:2:4: NUL byte");
	check_error(pg, "invalid UTF-8", "select 'caf\xe9';\n", "f.sql:1:12: invalid UTF-8");
	check_error(pg, "overlong UTF-8", "select '\xc0\xaf';\n", "invalid UTF-8");
	check_error(pg, "COPY data without its end", "copy t from stdin;\n1\n2\n", "without a \\. line");
	check_error(SQLSCAN_REDIS, "Redis: unbalanced quotes", "SET a 1\nSET b \"x\n", "f.sql:2:7: unbalanced quotes in command");
	check_error(SQLSCAN_REDIS, "Redis: the place once, at the quote", "  SET b 'x\n", "f.sql:1:9: unbalanced quotes in command");
	check_error(SQLSCAN_REDIS, "Redis: text after a closing quote", "SET \"a\"b 1\n", "f.sql:1:8: closing quote must be");

	check_kind("BEGIN;", SQLSCAN_TRANSACTION_CONTROL, "BEGIN");
	check_kind("start transaction isolation level serializable;", SQLSCAN_TRANSACTION_CONTROL, NULL);
	check_kind("end;", SQLSCAN_TRANSACTION_CONTROL, NULL);
	check_kind("rollback;", SQLSCAN_TRANSACTION_CONTROL, NULL);
	check_kind("rollback work to savepoint a;", SQLSCAN_PLAIN, NULL);
	check_kind("ROLLBACK TRANSACTION TO a;", SQLSCAN_PLAIN, NULL);
	check_kind("rollback work;", SQLSCAN_TRANSACTION_CONTROL, NULL);
	check_kind("commit prepared 'tx1';", SQLSCAN_OUTSIDE_TRANSACTION, "COMMIT PREPARED");
	check_kind("ROLLBACK PREPARED 'tx1';", SQLSCAN_OUTSIDE_TRANSACTION, "ROLLBACK PREPARED");
	check_kind("rollback to savepoint a;", SQLSCAN_PLAIN, NULL);
	check_kind("savepoint a;", SQLSCAN_PLAIN, NULL);
	check_kind("prepare transaction 'x';", SQLSCAN_TRANSACTION_CONTROL, NULL);
	check_kind("prepare q as select 1;", SQLSCAN_PLAIN, NULL);
	check_kind("vacuum analyze t;", SQLSCAN_OUTSIDE_TRANSACTION, "VACUUM");
	check_kind("create database x;", SQLSCAN_OUTSIDE_TRANSACTION, "CREATE DATABASE");
	check_kind("create index concurrently i on t (a);", SQLSCAN_OUTSIDE_TRANSACTION, "CREATE INDEX CONCURRENTLY");
	check_kind("create unique index concurrently if not exists i on t (a);", SQLSCAN_OUTSIDE_TRANSACTION, NULL);
	check_kind("drop index concurrently i;", SQLSCAN_OUTSIDE_TRANSACTION, NULL);
	check_kind("reindex (verbose) table concurrently t;", SQLSCAN_OUTSIDE_TRANSACTION, "REINDEX CONCURRENTLY");
	check_kind("create index i on t (concurrently);", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t detach partition p concurrently;", SQLSCAN_OUTSIDE_TRANSACTION,
		   "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY");
	check_kind("ALTER TABLE IF EXISTS ONLY s.t DETACH PARTITION s.\"P 1\" CONCURRENTLY ;",
		   SQLSCAN_OUTSIDE_TRANSACTION, NULL);
	check_kind("alter table t detach partition p finalize;", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t detach partition p;", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t detach partition s.concurrently;", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t add column \"concurrently\" int;", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t rename column a to \"concurrently\";", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t add constraint c check (concurrently > 0);", SQLSCAN_PLAIN, NULL);
	check_kind("alter table t alter column a set default 1, add column b int;", SQLSCAN_PLAIN, NULL);
	check_kind("reindex database app;", SQLSCAN_OUTSIDE_TRANSACTION, "REINDEX DATABASE");
	check_kind("REINDEX SYSTEM;", SQLSCAN_OUTSIDE_TRANSACTION, "REINDEX SYSTEM");
	check_kind("reindex (verbose) schema s;", SQLSCAN_OUTSIDE_TRANSACTION, "REINDEX SCHEMA");
	check_kind("reindex table t;", SQLSCAN_PLAIN, NULL);
	check_kind("reindex index database;", SQLSCAN_PLAIN, NULL);
	check_kind("alter system set work_mem = '1MB';", SQLSCAN_OUTSIDE_TRANSACTION, "ALTER SYSTEM");
	check_kind("COPY public.actor (actor_id, first_name) FROM stdin;", SQLSCAN_COPY_IN, NULL);
	check_kind("copy t from '/tmp/file';", SQLSCAN_PLAIN, NULL);
	check_kind("create table begin_log (x int);", SQLSCAN_PLAIN, NULL);
	test_mysql();
	return done_testing();
}
