/* The statement lexer on tricky inputs: each case is an input and the statements it must split into. */
#include "../../src/sqlscan.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END NULL

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
	return done_testing();
}
