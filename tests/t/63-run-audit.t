#!/bin/bash
# dbctl run is all or nothing against an auditor's hostile input: whatever
# the session's client_encoding (the URL, PGCLIENTENCODING, options=-c, a
# SET in the script), the server reads the script as UTF-8, as the lexer
# did, so that no multibyte character can hide a backslash from one of them
# and a COMMIT from the other.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
psql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" "$@"; }
spsql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_SUPER_URL" "$@"; }
psql -c "create table au_t (id int, note text)"
reset_t() { psql -c "truncate au_t"; }

# --- client_encoding: SJIS reads "Á\" (C3 81 5C) as C3 and one
# two-byte character 81 5C, BIG5 reads "两\" (E4 B8 A4 5C) as E4B8 A45C:
# the backslash is gone, the E'' string ends at the next quote, and the
# server runs the COMMIT the lexer saw in a string.
hide() {
	printf "INSERT INTO au_t VALUES (1, 'first');\n"
	printf "SELECT E'%s\\\\';COMMIT;SELECT ' --'\n;\n" "$1"
	printf "SELECT 1/0;\n"
}
for way in "url ?client_encoding=SJIS" "env PGCLIENTENCODING=BIG5" "options ?options=-c%20client_encoding%3DSJIS"; do
	set -- $way
	case $2 in
	*BIG5) hide $'\xe4\xb8\xa4' >hide.sql ;;
	*) hide $'\xc3\x81' >hide.sql ;;
	esac
	reset_t
	if [ "$1" = env ]; then
		expect_exit 1 "client_encoding from $2: the script still fails as a whole (exit 1)" -- \
			env "$2" "$DBCTL" --url "$TEST_PG_URL" run hide.sql
	else
		expect_exit 1 "client_encoding from the URL ($2): the script still fails as a whole (exit 1)" -- \
			"$DBCTL" --url "$TEST_PG_URL$2" run hide.sql
	fi
	like "$ERR" "hide\.sql:4:1: ERROR: division by zero" "... on the statement that failed"
	unlike "$ERR" "no transaction in progress" "... no COMMIT reached the server"
	is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"
done

# the script sets it itself, in its own batch (a statement naming
# standard_conforming_strings ends one): refused before the next batch
for set in "SET client_encoding = 'SJIS'" "SET NAMES 'SJIS'" \
	"SELECT set_config('client_encoding', 'SJIS', false)"; do
	{
		printf "INSERT INTO au_t VALUES (1, 'first');\n%s;\n" "$set"
		printf "SELECT 'standard_conforming_strings';\n"
		printf "SELECT E'\xc3\x81\\\\';COMMIT;SELECT ' --'\n;\n"
		printf "INSERT INTO au_t VALUES (2, 'second');\n"
	} >setenc.sql
	reset_t
	expect_exit 3 "$set in the script: refused (exit 3)" -- "$DBCTL" --url "$TEST_PG_URL" run setenc.sql
	like "$ERR" "setenc\.sql:4:1: .*client_encoding is SJIS" "... before the statement it would have garbled"
	like "$ERR" "nothing was committed" "... and it says nothing was committed"
	unlike "$ERR" "no transaction in progress" "... no COMMIT reached the server"
	is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was"
done

# a database default is overridden too, and a UTF-8 script stays UTF-8
spsql -c "alter database app set client_encoding = 'LATIN1'"
reset_t
printf "INSERT INTO au_t VALUES (1, 'Zoë ✓');\n" >utf8.sql
expect_exit 0 "ALTER DATABASE ... SET client_encoding = LATIN1: a UTF-8 script runs" -- \
	"$DBCTL" --url "$TEST_PG_URL" run utf8.sql
spsql -c "alter database app reset client_encoding"
is "$(psql -c 'select note from au_t')" "Zoë ✓" "... and its text arrives as written"

# --- a raw -v value is split again in the run pass, with the server's
# standard_conforming_strings: with it on (the check pass's assumption) the
# COMMIT is in a -- comment, with it off the server runs it
printf "INSERT INTO au_t VALUES (1, 'first');\nSELECT :v;\nSELECT 1/0;\n" >rawv.sql
hidden=$'\'a\\\' --\';COMMIT;SELECT \'x\'\n'
reset_t
expect_exit 3 "a raw -v value that hides a COMMIT from the check pass only, server with the setting off: refused" -- \
	"$DBCTL" --url "$TEST_PG_URL?options=-c%20standard_conforming_strings%3Doff" run -v "v=$hidden" rawv.sql
like "$ERR" "rawv\.sql:2:1: COMMIT is not allowed here" "... on the statement the value is in"
unlike "$ERR" "no transaction in progress" "... no COMMIT reached the server"
is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"

spsql -c "alter role app set standard_conforming_strings = off"
reset_t
expect_exit 3 "... the same with ALTER ROLE ... SET standard_conforming_strings = off" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "v=$hidden" rawv.sql
spsql -c "alter role app reset standard_conforming_strings"
is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"

# a function turns the setting off in the batch before the value's own
cat >fnoff.sql <<'SQL'
CREATE FUNCTION au_strings_off() RETURNS text LANGUAGE sql AS $$ SELECT set_config('standard_conforming_strings', 'off', false) $$;
INSERT INTO au_t VALUES (1, 'first');
SELECT au_strings_off();
SELECT :v;
SELECT 1/0;
SQL
reset_t
expect_exit 3 "a function that turns the setting off just before a raw -v value: refused" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "v=$hidden" fnoff.sql
like "$ERR" "fnoff\.sql:4:1: " "... on the statement the value is in"
unlike "$ERR" "no transaction in progress" "... no COMMIT reached the server"
is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"

# --- BEGIN ATOMIC bodies: after '.' or AS, PostgreSQL takes CASE and END as
# column names; counted as keywords, the body would swallow the COMMIT
for label in "x.case FROM (SELECT 1 AS \"case\") x" "1 AS case" "x . /* c */ case FROM (SELECT 1 AS \"case\") x"; do
	{
		printf "INSERT INTO au_t VALUES (1, 'first');\n"
		printf "CREATE OR REPLACE FUNCTION au_f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT %s; END;\n" "$label"
		printf "COMMIT;\nSELECT CASE WHEN true THEN 1 END;\nSELECT 1/0;\n"
	} >atomic.sql
	reset_t
	expect_exit 3 "BEGIN ATOMIC ... SELECT $label; END; then COMMIT: refused" -- "$DBCTL" --url "$TEST_PG_URL" run atomic.sql
	like "$ERR" "atomic\.sql:3:1: COMMIT is not allowed here" "... at the COMMIT"
	is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"
done
printf "CREATE OR REPLACE FUNCTION au_g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT x.end FROM (SELECT 1 AS \"end\") x; SELECT CASE WHEN true THEN 2 END AS end; END;\nSELECT au_g();\n" >atomic2.sql
expect_exit 0 "a body with x.end and AS end and a CASE ... END: one statement, as the server reads it" -- \
	"$DBCTL" --url "$TEST_PG_URL" run atomic2.sql
like "$OUT" "^2 statements" "... then the call"
is "$(psql -c 'select au_g()')" 2 "... and the function returns its last statement's value"

# --- a -- comment ends at a lone carriage return for PostgreSQL (and psql):
# what follows it on the line runs
printf "INSERT INTO au_t VALUES (1, 'first');\nSELECT 2 -- note\r; COMMIT; SELECT 3\n;\nSELECT 1/0;\n" >cr.sql
reset_t
expect_exit 3 "a COMMIT after a carriage return in a -- comment: refused" -- "$DBCTL" --url "$TEST_PG_URL" run cr.sql
like "$ERR" "cr\.sql:2:20: COMMIT is not allowed here" "... at the COMMIT the server would run"
is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"
printf "INSERT INTO au_t VALUES (1, 'first');\n-- note\r COMMIT;\n" >cr2.sql
expect_exit 3 "... also after a leading comment (not dropped with it)" -- "$DBCTL" --url "$TEST_PG_URL" run cr2.sql
like "$ERR" "cr2\.sql:2:10: COMMIT is not allowed here" "... at the COMMIT"
printf "SELECT 1 AS a -- note\r\n, 2 AS b; -- end\r\n" >crlf.sql
expect_exit 0 "CRLF line ends still end a -- comment once" -- "$DBCTL" --url "$TEST_PG_URL" run crlf.sql
like "$OUT" "^1 statement" "... one statement"

# --- COPY BINARY db.schema.table (cols) FROM STDIN: FROM is the 9th token;
# missed, the server asked for data nobody had and dbctl crashed
printf "INSERT INTO au_t VALUES (1, 'first');\nCOPY BINARY app.public.au_t (id) FROM STDIN;\nnot binary\n\\.\nSELECT 1;\n" >copyb.sql
reset_t
expect_exit 1 "COPY BINARY with a three-part name and a column list: its data goes to the server (exit 1, no crash)" -- \
	"$DBCTL" --url "$TEST_PG_URL" run copyb.sql
like "$ERR" "copyb\.sql:2:1: ERROR: COPY file signature not recognized" "... which refuses it as binary data"
is "$(psql -c 'select count(*) from au_t')" 0 "... and nothing was committed"

# --- Redis runs RESET and QUIT at once even after MULTI: RESET discards the
# run's transaction, and what follows (after an AUTH) is applied at once
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning "$@"; }
rcli del au:k1 au:k2 >/dev/null
printf 'SET au:k1 v\nRESET\nAUTH "%s"\nSET au:k2 x\nINCR au:k2\n' "$TEST_REDIS_PASSWORD" >reset.redis
expect_exit 3 "Redis RESET in a script: refused before anything is sent" -- "$DBCTL" --url "$TEST_REDIS_URL" run reset.redis
like "$ERR" "reset\.redis:2:1: RESET is not allowed here" "... at the RESET"
is "$(rcli exists au:k1 au:k2)" 0 "... and nothing was applied"
printf 'SET au:k1 v\nquit\n' >quit.redis
expect_exit 3 "Redis QUIT in a script: refused" -- "$DBCTL" --url "$TEST_REDIS_URL" run quit.redis
is "$(rcli exists au:k1)" 0 "... and nothing was applied"

# --- commands after which Redis sends no reply per command: the run waited
# for ever, its commands applied
rcli del au:k1 au:k2 >/dev/null
for cmd in "CLIENT REPLY OFF" "client reply skip" "SUBSCRIBE au:ch" "MONITOR" "HELLO 3"; do
	printf 'SET au:k1 v\n%s\nSET au:k2 x\n' "$cmd" >noreply.redis
	for mode in "" --no-transaction; do
		expect_exit 3 "Redis $cmd in a script${mode:+ ($mode)}: refused, no hang" -- \
			"$DBCTL" --url "$TEST_REDIS_URL" run $mode noreply.redis
		like "$ERR" "noreply\.redis:2:1: .* is not supported in scripts" "... at that command"
		is "$(rcli exists au:k1 au:k2)" 0 "... and nothing was applied"
	done
done

# --- SQLite parameters by SQLite's rule: @1, $1 and #x are bound to NULL too
sqlite_q() { /usr/bin/python3 -c 'import sqlite3,sys; print("\n".join("|".join("" if v is None else str(v) for v in r) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))' "$@"; }
sqlite_q "$tmp/p.db" "create table p (x)"
for p in '@1' '$1' '#x'; do
	printf "INSERT INTO p VALUES (1);\nINSERT INTO p VALUES (%s);\n" "$p" >param.sql
	expect_exit 3 "SQLite parameter $p: refused before anything is sent" -- "$DBCTL" --url "sqlite:///$tmp/p.db" run param.sql
	like "$ERR" "param\.sql:2:23: parameter '\\$p' is not bound" "... named where it is"
	is "$(sqlite_q "$tmp/p.db" "select count(*) from p")" 0 "... and nothing was written"
done

done_testing
