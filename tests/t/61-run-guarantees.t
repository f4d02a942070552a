#!/bin/bash
# dbctl run keeps its promises against hostile input: the lexer and the server
# agree (standard_conforming_strings, routines named begin), the check pass and
# the run pass read the same bytes, nothing commits before every check passed
# (-v values, SQLite parameters), and a failing huge statement is not copied
# over and over.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1
runner=
trap '[ -n "$runner" ] && kill "$runner" 2>/dev/null; rm -rf "$tmp"' EXIT
psql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" "$@"; }
spsql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_SUPER_URL" "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning "$@"; }
sqlite_q() { /usr/bin/python3 -c 'import sqlite3,sys; print("\n".join("|".join("" if v is None else str(v) for v in r) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))' "$@"; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
psql -c "create table g_t (id int, note text)"
reset_t() { psql -c "truncate g_t"; }

# --- 3: standard_conforming_strings: the lexer and the server agree ---
cat >scs.sql <<'SQL'
INSERT INTO g_t VALUES (1, 'first');
SET standard_conforming_strings = off;
SELECT 'a\';COMMIT;SELECT ' --'
;
INSERT INTO g_t VALUES (2, 'second');
SELECT 1/0;
SQL
reset_t
expect_exit 1 "SET standard_conforming_strings = off, then a string that hides a COMMIT: exit 1" -- \
	"$DBCTL" --url "$TEST_PG_URL" run scs.sql
like "$ERR" "(^|
)dbctl: scs\.sql:6:1: ERROR: division by zero" "... blamed on the statement that failed"
unlike "$ERR" "no transaction in progress" "... no COMMIT reached the server"
is "$(psql -c 'select count(*) from g_t')" 0 "... and nothing was committed (psql -1 agrees)"

for spelling in "SET standard_conforming_strings = off" "SET standard_conforming_strings TO 'off'" \
	"SET LOCAL standard_conforming_strings = false" "set session standard_conforming_strings to \"off\"" \
	"SELECT set_config('standard_conforming_strings', 'off', false)"; do
	reset_t
	printf "%s;\nINSERT INTO g_t VALUES (1, 'O\\\\'Brien');\n" "$spelling" >scs2.sql
	expect_exit 0 "$spelling; then 'O\\'Brien' works as in psql" -- "$DBCTL" --url "$TEST_PG_URL" run scs2.sql
	is "$(psql -c 'select note from g_t')" "O'Brien" "... the row holds O'Brien"
done

reset_t
printf "SET standard_conforming_strings = off;\nRESET standard_conforming_strings;\nINSERT INTO g_t VALUES (1, 'a\\\\');\n" >scs3.sql
expect_exit 0 "RESET goes back to standard strings" -- "$DBCTL" --url "$TEST_PG_URL" run scs3.sql
is "$(psql -c 'select note from g_t')" 'a\' "... a backslash is a backslash again"

# the setting lasts for the session: the next file is lexed with it too
reset_t
printf "SET standard_conforming_strings = off;\n" >scs_a.sql
printf "INSERT INTO g_t VALUES (1, 'O\\\\'Brien');\n" >scs_b.sql
expect_exit 0 "a SET in one file holds for the next file, as on the server" -- "$DBCTL" --url "$TEST_PG_URL" run scs_a.sql scs_b.sql
is "$(psql -c 'select note from g_t')" "O'Brien" "... O'Brien"

# a change the check pass cannot see (a function): the run pass follows the
# server after each batch, and the split that differs is refused before COMMIT
reset_t
{
	echo "CREATE FUNCTION g_scs_off() RETURNS void LANGUAGE sql AS \$\$ SELECT set_config('standard_conforming_strings', 'off', false) \$\$;"
	echo "INSERT INTO g_t VALUES (1, 'x');"
	echo "SELECT g_scs_off();"
	for ((i = 0; i < 2100; i++)); do echo "SELECT 1;"; done
	echo "SELECT 'a\' AS x, ' AS y; SELECT 1 AS z -- ';"
} >hidden.sql
expect_exit 3 "a function that turns standard_conforming_strings off mid-run: the other split is refused" -- \
	"$DBCTL" --url "$TEST_PG_URL" run hidden.sql
like "$ERR" "hidden\.sql.*standard_conforming_strings off" "... naming the server's setting"
is "$(psql -c 'select count(*) from g_t') $(psql -c "select count(*) from pg_proc where proname = 'g_scs_off'")" "0 0" \
	"... and rolled back"

# a server default of off: the run pass lexes with the server's own setting,
# and a split that differs from the checked one is refused before COMMIT
spsql -c "create database g_scsoff owner app" -c "alter database g_scsoff set standard_conforming_strings = off"
off_url=${TEST_PG_URL%/app}/g_scsoff
"$TEST_PG_BINDIR/psql" -X -q "$off_url" -c "create table g_t (id int, note text)"
printf "INSERT INTO g_t VALUES (1, 'plain');\n" >plain.sql
expect_exit 0 "a database whose default is off: a script that splits the same runs" -- \
	"$DBCTL" --url "$off_url" run plain.sql
cat >differ.sql <<'SQL'
INSERT INTO g_t VALUES (2, 'before');
SELECT 'a\' AS x, ' AS y; SELECT 1 AS z -- ';
SQL
expect_exit 3 "... a script the server splits differently from the check is refused: exit 3" -- \
	"$DBCTL" --url "$off_url" run differ.sql
like "$ERR" "differ\.sql.*standard_conforming_strings" "... saying why"
is "$("$TEST_PG_BINDIR/psql" -X -q -At "$off_url" -c 'select count(*) from g_t where id = 2')" 0 "... and rolled back"
expect_exit 3 "... --json" -- "$DBCTL" --json --url "$off_url" run differ.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" rolled_back "... says rolled_back: statements had run"

printf "INSERT INTO g_t VALUES (3, 'before');\nSELECT 'a\\\\';\n" >unread.sql
expect_exit 3 "... a script the server's setting makes unreadable: exit 3" -- "$DBCTL" --url "$off_url" run unread.sql
like "$ERR" "unread\.sql:2:8: unterminated E'' string
hint: the server's standard_conforming_strings \(off\)" "... with the reason in a hint"
is "$("$TEST_PG_BINDIR/psql" -X -q -At "$off_url" -c 'select count(*) from g_t where id = 3')" 0 "... and rolled back"

# --- 4: a routine named begin ---
cat >fnbegin.sql <<'SQL'
INSERT INTO g_t VALUES (1, 'before');
CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
COMMIT;
INSERT INTO g_t VALUES (2, 'after');
SELECT 1/0;
SQL
reset_t
expect_exit 0 "run --list of a file with a function named begin" -- "$DBCTL" --url "$TEST_PG_URL" run --list fnbegin.sql
is "$(grep -c '^-- ' <<<"$OUT")" 5 "... five statements, not two"
expect_exit 3 "a COMMIT after a function named begin is refused" -- "$DBCTL" --url "$TEST_PG_URL" run fnbegin.sql
like "$ERR" "fnbegin\.sql:3:1: COMMIT is not allowed here" "... at its place"
is "$(psql -c "select count(*) from g_t") $(psql -c "select count(*) from pg_proc where proname = 'begin'")" "0 0" \
	"... nothing was sent"

# --- 5: the check pass and the run pass read the same bytes ---
wait_for_sleep() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(psql -c "select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(2)%' and state = 'active'")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
make_big() { { echo "SELECT pg_sleep(2);"; for ((i = 1; i <= 2500; i++)); do echo "INSERT INTO g_t VALUES ($i, 'aaaa');"; done; } >"$1"; }
reset_t
make_big grow.sql
"$DBCTL" --url "$TEST_PG_URL" run grow.sql >grow.out 2>grow.err &
runner=$!
wait_for_sleep || diag "the run did not start"
printf "COMMIT;\nINSERT INTO g_t VALUES (1, 'dup');\n" >>grow.sql
wait "$runner"
is "$?" 0 "a file appended to while it runs: the checked statements run"
runner=
is "$(psql -c 'select count(*), count(*) filter (where note = '"'dup'"') from g_t')" "2500|0" "... exactly those: nothing appended ran"
like "$(cat grow.out)" "^2501 statements" "... 2501 statements, as checked"

for at in 8 7; do
	reset_t
	make_big change.sql
	"$DBCTL" --url "$TEST_PG_URL" run change.sql >change.out 2>change.err &
	runner=$!
	wait_for_sleep || diag "the run did not start"
	# same length, other bytes, late in the file (after the first batch), in place
	# (sed -i would make a new file: the run holds the old one, which is what was checked)
	/usr/bin/python3 -c 'import sys; f = open(sys.argv[1], "r+b"); d = f.read(); i = d.index(b"(2400, \x27aaaa"); f.seek(i + int(sys.argv[2])); f.write(b"bbbb")' change.sql "$at"
	wait "$runner"
	is "$?" 3 "a file changed in place while it runs ($([ $at = 8 ] && echo a letter || echo a quote)): exit 3"
	runner=
	like "$(cat change.err)" "change\.sql.*changed" "... saying the file changed"
	is "$(psql -c 'select count(*) from g_t')" 0 "... and nothing was committed"
done

reset_t
make_big fifo_a.sql
echo "INSERT INTO g_t VALUES (0, 'b');" >fifo_b.sql
"$DBCTL" --url "$TEST_PG_URL" run fifo_a.sql fifo_b.sql >fifo.out 2>fifo.err &
runner=$!
wait_for_sleep || diag "the run did not start"
rm fifo_b.sql && mkfifo fifo_b.sql
timeout 30 tail --pid="$runner" -f /dev/null
wait "$runner"
is "$?" 3 "a file replaced by a FIFO while an earlier one runs: exit 3, no wait for a writer"
like "$(cat fifo.err)" "fifo_b\.sql.*no longer a regular file" "... says so"
runner=
is "$(psql -c 'select count(*) from g_t')" 0 "... and nothing was committed"

# --- 6: -v values are checked before anything is sent ---
printf "INSERT INTO g_t VALUES (7, ((ARRAY['a','b','c'])[1:'2'])::text);\n" >slice.sql
reset_t
expect_exit 3 "a -v value that is not UTF-8: exit 3" -- "$DBCTL" --json --url "$TEST_PG_URL" run -v "2=$(printf '\xff')" slice.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" refused "... refused"
like "$(json_field 'd["error"]["message"]' <<<"$OUT")" "-v 2.*UTF-8" "... naming the variable"
is "$(psql -c 'select count(*) from g_t')" 0 "... and nothing was committed"
printf "SELECT :'a';\n" >qa.sql
expect_exit 3 ":'a' with a value that is not UTF-8: exit 3, not a syntax error" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "a=$(printf 'x\xffy')" qa.sql
like "$ERR" "-v a.*UTF-8" "... says what is wrong"
expect_exit 3 "SQLite: the same" -- "$DBCTL" --url "sqlite:///$tmp/v.db" run -v "a=$(printf '\xff')" qa.sql

# --- 23 and 26: substituted values with several statements ---
sq="sqlite:///$tmp/v.db"
printf 'create table t (id int, note text);\n' >sqinit.sql
expect_exit 0 "SQLite: a table" -- "$DBCTL" --url "$sq" run sqinit.sql
printf "SELECT :v;\n" >vr2.sql
expect_exit 0 "SQLite: a raw value holding two statements" -- \
	"$DBCTL" --url "$sq" run -v "v=1; INSERT INTO t VALUES (9,'inj')" vr2.sql
is "$(sqlite_q "$tmp/v.db" "select id, note from t")" "9|inj" "... runs both, as PostgreSQL does"
like "$OUT" "^1 statement," "... one statement of the script"
reset_t
expect_exit 0 "PostgreSQL: the same value" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "v=1; INSERT INTO g_t VALUES (9,'inj')" vr2.sql
like "$OUT" "^1 statement," "... counts one statement of the script, not two results"
expect_exit 3 "a raw value that holds a COMMIT is refused" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "v=1; COMMIT; INSERT INTO g_t VALUES (10, 'x')" vr2.sql
like "$ERR" "vr2\.sql:1:1: COMMIT is not allowed here" "... at the statement that holds it"
is "$(psql -c 'select count(*) from g_t where id = 10')" 0 "... and nothing was sent"
expect_exit 3 "SQLite: a raw value that holds a BEGIN is refused" -- "$DBCTL" --url "$sq" run -v "v=1; BEGIN" vr2.sql
expect_exit 3 "a raw value that hides the statement's ';' (a trailing --) is refused" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "v=1 --" vr2.sql
like "$ERR" "vr2\.sql:1:1: a -v value hides the ';'" "... saying so"
expect_exit 3 "a raw value with an unbalanced quote is refused" -- "$DBCTL" --url "$TEST_PG_URL" run -v "v='" vr2.sql
printf 'INSERT INTO t VALUES ($x, @y);\nINSERT INTO t VALUES (?, ?5);\n' >vp.sql
expect_exit 3 "SQLite: \$x, @y, ?, ?5 that nothing binds are refused" -- "$DBCTL" --url "$sq" run vp.sql
like "$ERR" "vp\.sql:1:23: parameter '\\\$x' is not bound" "... with FILE:LINE:COL of the first"
printf 'INSERT INTO t VALUES (1, ?);\n' >vq.sql
expect_exit 3 "SQLite: a lone ? is refused" -- "$DBCTL" --url "$sq" run vq.sql
like "$ERR" "vq\.sql:1:26: parameter '\?'" "... with its place"
expect_exit 3 "SQLite: a parameter inside a raw value is refused too" -- "$DBCTL" --url "$sq" run -v 'v=?1' vr2.sql
is "$(sqlite_q "$tmp/v.db" "select count(*) from t")" 1 "SQLite: none of the refused runs wrote anything"

# --- 25: many input files, few descriptors ---
mkdir many
for ((i = 0; i < 300; i++)); do echo "INSERT INTO g_t VALUES ($i, 'many');" >"many/f$i.sql"; done
reset_t
files=(many/f*.sql)
expect_exit 0 "300 input files with ulimit -n 64" -- bash -c 'ulimit -n 64 && exec "$@"' - "$DBCTL" --url "$TEST_PG_URL" run "${files[@]}"
is "$(psql -c 'select count(*) from g_t')" 300 "... all run"

# --- 26: run --list errors read as run errors; Redis places once ---
mkdir adir
expect_exit 3 "run --list on a directory" -- "$DBCTL" --url "$TEST_PG_URL" run --list adir
like "$ERR" "cannot read 'adir': Is a directory" "... says why, as run does"
expect_exit 3 "run on a directory" -- "$DBCTL" --url "$TEST_PG_URL" run adir
like "$ERR" "cannot read 'adir': Is a directory" "... the same words"
expect_exit 3 "run --list on a missing file" -- "$DBCTL" --url "$TEST_PG_URL" run --list nonexist.sql
like "$ERR" "cannot read 'nonexist\.sql': No such file or directory" "... says why"
printf 'SET g:a 1\nSET g:b "unbalanced\n' >ru.redis
expect_exit 3 "Redis: unbalanced quotes" -- "$DBCTL" --url "$TEST_REDIS_URL" run ru.redis
like "$ERR" "ru\.redis:2:9: unbalanced quotes in command$" "... the place once, at the open quote"

# --- 24: a failing huge statement is not copied over and over ---
big() { /usr/bin/python3 -c 'import sys; sys.stdout.write("INSERT INTO %s VALUES (2, \x27" % sys.argv[1] + "x" * (40 << 20) + "\x27);\n")' "$1"; }
big g_t >big_ok.sql
big g_nosuch >big_fail.sql
peak() { /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1; tail -n 1 "$tmp/rss"; }
ok_kb=$(peak "$DBCTL" --url "$TEST_PG_URL" run big_ok.sql)
fail_kb=$(peak "$DBCTL" --url "$TEST_PG_URL" run big_fail.sql)
note "40 MiB statement: peak RSS ${ok_kb} kB on success, ${fail_kb} kB on failure"
cmp_ok "$fail_kb" -lt "$((ok_kb * 13 / 10 + 20000))" "a failing 40 MiB statement takes about the memory of a succeeding one"
expect_exit 1 "... and its error is short" -- "$DBCTL" --url "$TEST_PG_URL" run big_fail.sql
cmp_ok "${#ERR}" -lt 2000 "... a window of the line, not the line"
like "$ERR" 'relation "g_nosuch" does not exist' "... with the server's message"

spsql -c "drop database g_scsoff" >/dev/null 2>&1
done_testing
