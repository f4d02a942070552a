#!/bin/bash
# dbctl run against real servers: all or nothing, where it failed, what is refused
# before anything is sent, and the failure modes (server gone, interrupted).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
psql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning "$@"; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
table_exists() { psql -c "select to_regclass('$1') is not null"; }
closed_url="postgresql://app@127.0.0.1:1/app"

# --- usage ---
expect_exit 0 "run --help" -- "$DBCTL" run --help
expect_exit 3 "run without a file is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" run
expect_exit 3 "a missing file is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" run nowhere.sql
expect_exit 3 "--dry-run with --no-transaction is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" run --dry-run --no-transaction x.sql
expect_exit 3 "-v without = is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" run -v novalue x.sql

# --- success ---
cat >ok.sql <<'SQL'
-- a comment before anything
create table run_ok (id int primary key, note text);
insert into run_ok values (1, 'it''s; fine'), (2, E'back\\slash; x');
create function run_ok_f() returns int language plpgsql as $fn$
begin
  return (select count(*) from run_ok); -- ';' inside the body
end $fn$;
create function run_ok_g() returns int language sql
begin atomic
  select 1;
end;
/* a nested /* comment; */ here */ insert into run_ok values (3, 'three');
SQL
expect_exit 0 "a script with quotes, dollar quotes, BEGIN ATOMIC and nested comments" -- \
	"$DBCTL" --url "$TEST_PG_URL" run ok.sql
like "$OUT" "^5 statements, 3 rows affected, committed in [0-9.]+ s$" "summary line"
is "$(psql -c 'select run_ok_f(), run_ok_g()')" "3|1" "everything was committed"

# --- failure: rollback and where ---
cat >fail.sql <<'SQL'
create table run_fail (x int);
insert into run_fail values (1);
insert into run_fail
  values (1/0);
SQL
expect_exit 1 "an error is exit 1" -- "$DBCTL" --url "$TEST_PG_URL" run fail.sql
like "$ERR" "^dbctl: fail\.sql:3:1: ERROR: division by zero \(22012\)" "FILE:LINE:COL: ERROR: message (SQLSTATE)"
is "$(table_exists run_fail)" f "nothing of the failed run is visible afterwards"
printf 'select 1;\nselect * from\n    run_nosuch where x = 1;\n' >where.sql
expect_exit 1 "error position inside a multi-line statement" -- "$DBCTL" --url "$TEST_PG_URL" run where.sql
like "$ERR" "where\.sql:3:5: ERROR: relation \"run_nosuch\" does not exist \(42P01\)" "line and column of the server's position"
like "$ERR" "    3 \|     run_nosuch where x = 1;
      \|     \^" "the source line with a caret under the error"
printf 'create table run_d (x int unique);\ninsert into run_d values (1);\ninsert into run_d values (1);\n' >detail.sql
expect_exit 1 "a constraint violation" -- "$DBCTL" --url "$TEST_PG_URL" run detail.sql
like "$ERR" "detail\.sql:3:1: ERROR: duplicate key value violates unique constraint" "attributed to the third statement"
like "$ERR" "DETAIL: Key \(x\)=\(1\) already exists\." "the server's DETAIL"
expect_exit 1 "--json on failure" -- "$DBCTL" --url "$TEST_PG_URL" run detail.sql --json
is "$(json_field 'd["outcome"], d["error"]["line"], d["error"]["sqlstate"]' <<<"$OUT")" "('rolled_back', 3, '23505')" \
	"JSON outcome, error line and SQLSTATE"

# 10,000 statements, the last one failing: nothing stays
{
	echo "create table run_big (n int);"
	for i in $(seq 1 9998); do echo "insert into run_big values ($i);"; done
	echo "insert into run_big values ('not a number');"
} >big.sql
expect_exit 1 "10,000 statements, the last one fails" -- "$DBCTL" --url "$TEST_PG_URL" run big.sql
like "$ERR" "big\.sql:10000:" "the error is at line 10000"
is "$(table_exists run_big)" f "0 rows afterwards: the table itself is gone"

# several files and stdin: one transaction around all of them
printf 'create table run_multi (x int);\ninsert into run_multi values (1);\n' >m1.sql
printf 'insert into run_multi values (2);\n' >m2.sql
expect_exit 1 "an error in the third input rolls back the first two" -- \
	"$DBCTL" --url "$TEST_PG_URL" run m1.sql m2.sql - <<<"insert into run_multi values ('x');"
like "$ERR" "<stdin>:1:" "stdin is named <stdin>"
is "$(table_exists run_multi)" f "nothing from m1.sql stayed"
expect_exit 0 "the same inputs without the bad one" -- "$DBCTL" --url "$TEST_PG_URL" run m1.sql m2.sql - <<<"select 1;"
is "$(psql -c 'select sum(x) from run_multi')" 3 "all applied"

# inputs that can be read only once (process substitution, a FIFO) are run, not skipped
expect_exit 0 "process substitution inputs" -- "$DBCTL" --url "$TEST_PG_URL" run \
	<(printf 'create table run_once (x int);\n') <(printf 'insert into run_once values (1);\n')
like "$OUT" "^2 statements, 1 row affected, committed" "... both statements run"
is "$(psql -c 'select count(*) from run_once')" 1 "... and committed"
expect_exit 1 "an error in a process substitution" -- "$DBCTL" --url "$TEST_PG_URL" run \
	<(printf 'insert into run_once values (2);\nselect 1/0;\n')
like "$ERR" "/dev/fd/[0-9]+:2:1: ERROR: division by zero" "... says where"
mkfifo once.fifo
timeout 30 sh -c "printf 'insert into run_once values (3);\n' >once.fifo" &
expect_exit 0 "a FIFO input" -- "$DBCTL" --url "$TEST_PG_URL" run once.fifo
wait $!
is "$(psql -c 'select sum(x) from run_once')" 4 "... applied once, the failed run left nothing"
expect_exit 3 "'-' given twice is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" run - - <<<"select 1;"
like "$ERR" "'-' given twice: standard input can be read only once" "... and says why"

# --- refused before anything is sent ---
for stmt in "BEGIN;" "commit;" "ROLLBACK;" "start transaction;" "vacuum run_ok;" "create database run_x;" \
	"create index concurrently run_i on run_ok (note);" "CREATE UNIQUE INDEX CONCURRENTLY run_j ON run_ok (id);"; do
	printf 'create table run_sentinel (x int);\n%s\n' "$stmt" >refused.sql
	expect_exit 3 "refused in a transactional run: $stmt" -- "$DBCTL" --url "$TEST_PG_URL" run refused.sql
	like "$ERR" "refused\.sql:2:1: " "... names file, line and column"
	like "$ERR" "--no-transaction" "... and suggests --no-transaction"
done
is "$(table_exists run_sentinel)" f "nothing was sent: the statement before was not run"
printf 'rollback to savepoint a;\n' >savepoint.sql
expect_exit 0 "ROLLBACK TO SAVEPOINT is not transaction control" -- "$DBCTL" --url "$closed_url" run --list savepoint.sql
like "$OUT" "savepoint\.sql:1:1 statement" "... it is a plain statement"
printf 'select 1;\n\\set x 1\n' >meta.sql
expect_exit 3 "a psql meta-command is exit 3" -- "$DBCTL" --url "$closed_url" run meta.sql
like "$ERR" "meta\.sql:2:1: psql meta-command '\\\\set' is not supported" "... named, with its place"
bad_inputs=(
	"select 'unterminated;|unterminated quoted string"
	'select $tag$ never closed;|unterminated dollar-quoted string'
	'select 1; /* never /* closed */|unterminated /\* comment'
	'select "unterminated ident;|unterminated quoted identifier'
	"select E'escaped \\' quote;|unterminated E'' string"
)
for case in "${bad_inputs[@]}"; do
	printf '%s\n' "${case%%|*}" >bad.sql
	expect_exit 3 "bad input refused: ${case%%|*}" -- "$DBCTL" --url "$closed_url" run bad.sql
	like "$ERR" "bad\.sql:1:[0-9]+: ${case#*|}" "... ${case#*|} at FILE:LINE:COL"
done
printf 'select 1;\nselect 2\0;\n' >nul.sql
expect_exit 3 "a NUL byte is refused (exit 3, not 2: nothing was even connected)" -- "$DBCTL" --url "$closed_url" run nul.sql
like "$ERR" "nul\.sql:2:9: NUL byte" "... at its line and column"
printf 'select 1;\nselect \xff\xfe;\n' >latin.sql
expect_exit 3 "invalid UTF-8 is refused" -- "$DBCTL" --url "$closed_url" run latin.sql
like "$ERR" "latin\.sql:2:8: invalid UTF-8" "... at its line and column"
head -c 20000 /dev/urandom >garbage.bin
expect_exit 3 "binary garbage is refused" -- "$DBCTL" --url "$closed_url" run garbage.bin
printf 'copy run_ok from stdin;\n5\tfive\n' >nocopyend.sql
expect_exit 3 "COPY data without \\. is refused" -- "$DBCTL" --url "$closed_url" run nocopyend.sql
: >empty.sql
expect_exit 0 "an empty file is nothing to do" -- "$DBCTL" --url "$TEST_PG_URL" run empty.sql
like "$OUT" "^0 statements" "0 statements"

# --- COPY FROM STDIN ---
printf 'create table run_copy (id int, t text);\ncopy run_copy (id, t) from stdin;\n1\tone\n2\t\\N\n3\tselect 1;\n\\.\ninsert into run_copy values (4, %s);\n' "'four'" >copy.sql
expect_exit 0 "COPY FROM STDIN with inline data" -- "$DBCTL" --url "$TEST_PG_URL" run copy.sql
is "$(psql -c "select count(*), count(t), max(id) from run_copy")" "4|3|4" "rows copied (NULL kept), then the next statement"
printf 'copy run_copy from stdin;\n5\tfive\nnot-a-number\tsix\n\\.\n' >badcopy.sql
expect_exit 1 "a COPY row the server rejects" -- "$DBCTL" --url "$TEST_PG_URL" run badcopy.sql
like "$ERR" "invalid input syntax for type integer" "... with the server's message"
is "$(psql -c 'select count(*) from run_copy')" 4 "and no row of it stayed"

# --- variables ---
printf "create table run_vars (who text);\ninsert into run_vars values (:'who');\nselect * from :\"tbl\" where :cond;\n" >vars.sql
expect_exit 0 "-v NAME=VALUE with :'name', :\"name\" and :name" -- \
	"$DBCTL" --url "$TEST_PG_URL" run -v "who=O'Brien; drop table run_ok; --" -v tbl=run_vars -v cond=true vars.sql
is "$(psql -c 'select who from run_vars')" "O'Brien; drop table run_ok; --" "the value arrived intact, quoted by libpq"
is "$(table_exists run_ok)" t "and nothing was injected"

# --- dry run, echo, list, json ---
printf 'create table run_dry (x int);\ninsert into run_dry values (1), (2);\n' >dry.sql
expect_exit 0 "--dry-run succeeds" -- "$DBCTL" --url "$TEST_PG_URL" run --dry-run dry.sql
like "$OUT" "2 rows affected, rolled back \(dry run\)" "reports what it would have done"
is "$(table_exists run_dry)" f "and leaves nothing"
expect_exit 1 "--dry-run of a failing script fails" -- "$DBCTL" --url "$TEST_PG_URL" run --dry-run fail.sql
expect_exit 0 "--echo" -- "$DBCTL" --url "$TEST_PG_URL" run --echo --dry-run dry.sql
like "$OUT" "^create table run_dry \(x int\);
insert into run_dry values \(1\), \(2\);" "prints each statement"
expect_exit 0 "--list runs nothing and needs no server" -- "$DBCTL" --url "$closed_url" run --list ok.sql
like "$OUT" "-- ok\.sql:4:1 statement
create function run_ok_f\(\)" "file, line, column and kind before each statement"
expect_exit 0 "--json" -- "$DBCTL" --url "$TEST_PG_URL" run --json --dry-run dry.sql
is "$(json_field 'd["statements"], d["rows_affected"], d["outcome"], d["files"]' <<<"$OUT")" \
	"(2, 2, 'dry_run_rolled_back', ['dry.sql'])" "JSON summary"

# --- --no-transaction ---
printf 'create table run_nt (x int);\ninsert into run_nt values (1);\nvacuum run_nt;\ninsert into run_nt values (1/0);\ninsert into run_nt values (3);\n' >nt.sql
expect_exit 1 "--no-transaction runs VACUUM and stops at the first error" -- "$DBCTL" --url "$TEST_PG_URL" run --no-transaction nt.sql --json
is "$(json_field 'd["outcome"], d["statements"], d["error"]["line"]' <<<"$OUT")" "('failed_partly_applied', 3, 4)" \
	"three statements applied, the fourth failed"
is "$(psql -c 'select count(*) from run_nt')" 1 "the statements before stayed; the one after did not run"

# a transaction the script opens and never ends is rolled back at the end, and said so (psql says nothing)
printf 'create table run_open (x int);\ninsert into run_open values (1);\nbegin;\ninsert into run_open values (2);\n' >open.sql
expect_exit 1 "--no-transaction: a script that leaves a transaction open fails" -- \
	"$DBCTL" --url "$TEST_PG_URL" run --no-transaction open.sql --json
is "$(json_field 'd["outcome"]' <<<"$OUT")" failed_partly_applied "... partly applied"
like "$ERR" "the run left a transaction open at its end: what ran in that transaction was rolled back" "... says what happened"
is "$(psql -c 'select string_agg(x::text, $$,$$) from run_open')" 1 "... true: the row before BEGIN stayed, the one in it did not"
expect_exit 1 "SQLite: the same" -- "$DBCTL" --url "sqlite:///$PWD/open.db" run --no-transaction open.sql
like "$ERR" "the run left a transaction open" "... said so"
is "$(echo 'select group_concat(x) from run_open;' | "$DBCTL" --url "sqlite:///$PWD/open.db" shell -f tsv | tail -1)" 1 \
	"... true: the row before BEGIN stayed, the one in it did not"

# --- the server goes away mid-run ---
printf 'create table run_gone (x int);\ninsert into run_gone values (1);\nselect pg_sleep(10);\ninsert into run_gone values (2);\n' >gone.sql
"$DBCTL" --url "$TEST_PG_URL" run gone.sql >gone.out 2>gone.err &
runner=$!
sleep 1
pg_stop_test
wait "$runner"
is "$?" 2 "server stopped mid-run: exit 2"
like "$(cat gone.err)" "gone\.sql:3:1: .*terminating connection" "... names the statement that was running"
like "$(cat gone.err)" "nothing was committed" "... and says nothing was committed"
pg_start_test
is "$(table_exists run_gone)" f "nothing was committed"

# --- interrupted ---
printf 'create table run_int (x int);\nselect pg_sleep(30);\n' >int.sql
"$DBCTL" --url "$TEST_PG_URL" run int.sql >int.out 2>int.err &
runner=$!
sleep 1
started=${EPOCHREALTIME/./}
kill -INT "$runner"
wait "$runner"
is "$?" 130 "SIGINT mid-run: exit 130"
cmp_ok "$(((${EPOCHREALTIME/./} - started) / 1000))" -lt 3000 "... promptly: the running statement was cancelled"
like "$(cat int.err)" "interrupted: rolled back" "... and says it rolled back"
is "$(table_exists run_int)" f "nothing stayed"

# --- SQLite ---
sq="sqlite:///$tmp/run.db"
cat >trig.sql <<'SQL'
create table item (id integer primary key, n int);
create table audit (id integer, note text);
create trigger item_ins after insert on item
begin
  insert into audit values (new.id, 'added; ok');
  update audit set note = note || '!' where id = new.id;
end;
insert into item (n) values (1), (2);
SQL
expect_exit 0 "SQLite: CREATE TRIGGER ... BEGIN ... END with ';' inside" -- "$DBCTL" --url "$sq" run trig.sql
like "$OUT" "^4 statements" "four statements"
printf 'insert into item (n) values (3);\ninsert into nosuch values (1);\n' >sqfail.sql
expect_exit 1 "SQLite: an error rolls back" -- "$DBCTL" --url "$sq" run sqfail.sql
like "$ERR" "sqfail\.sql:2:[0-9]+: ERROR: no such table: nosuch" "FILE:LINE:COL"
expect_exit 0 "SQLite: count" -- "$DBCTL" --url "$sq" run --echo - <<<"select 1;"
expect_exit 0 "SQLite: a process substitution input" -- "$DBCTL" --url "$sq" run <(printf 'create table once (a int);\n')
like "$OUT" "^1 statement, 0 rows affected, committed" "... is run"
is "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from item").fetchone()[0])' "$tmp/run.db")" \
	2 "SQLite: the failed run left nothing"
printf 'begin;\nselect 1;\n' >sqbegin.sql
expect_exit 3 "SQLite: BEGIN refused" -- "$DBCTL" --url "$sq" run sqbegin.sql
printf 'insert into item (n) values (:count);\n' >undefined.sql
expect_exit 3 "SQLite: an undefined :name is refused, not bound to NULL" -- "$DBCTL" --url "$sq" run undefined.sql
like "$ERR" "undefined\.sql:1:1: :count is not defined" "... named, with its place"
expect_exit 0 "SQLite: defined with -v, it runs" -- "$DBCTL" --url "$sq" run -v count=7 undefined.sql
printf '.tables\n' >dot.sql
expect_exit 3 "SQLite: a dot-command refused" -- "$DBCTL" --url "$sq" run dot.sql

# --- Redis ---
rcli del run:a run:b run:c run:n >/dev/null
printf '# a comment\nSET run:a "two words"\nSET run:b '"'"'it\\'"'"'s'"'"'\nINCR run:n\n' >ok.redis
expect_exit 0 "Redis: commands with redis-cli quoting" -- "$DBCTL" --url "$TEST_REDIS_URL" run ok.redis
is "$(rcli get run:a)|$(rcli get run:b)|$(rcli get run:n)" "two words|it's|1" "applied"
printf 'SET run:c 1\nNOSUCHCOMMAND x\n' >queue.redis
expect_exit 1 "Redis: a command rejected while queueing" -- "$DBCTL" --url "$TEST_REDIS_URL" run queue.redis
like "$ERR" "queue\.redis:2:1: ERR unknown command" "named by file and line"
is "$(rcli exists run:c)" 0 "nothing was applied"
printf 'SET run:c 1\nINCR run:a\nSET run:d 1\n' >exec.redis
expect_exit 1 "Redis: a command failing inside EXEC" -- "$DBCTL" --url "$TEST_REDIS_URL" run exec.redis
like "$ERR" "exec\.redis:2:1: ERR value is not an integer" "names the command that failed"
like "$ERR" "Redis has no rollback: the other commands of the run were applied" "and says the others were applied"
is "$(rcli get run:c)|$(rcli get run:d)" "1|1" "the others were applied, as Redis does"
printf 'MULTI\nSET run:e 1\nEXEC\n' >multi.redis
expect_exit 3 "Redis: MULTI in the script refused" -- "$DBCTL" --url "$TEST_REDIS_URL" run multi.redis
# B3: a MULTI without EXEC under --no-transaction: Redis discards what it
# queued when the connection closes, so the run must not end in success
printf 'SET run:f 1\nMULTI\nSET run:g 1\n' >open.redis
expect_exit 1 "Redis: --no-transaction leaving MULTI open fails" -- \
	"$DBCTL" --url "$TEST_REDIS_URL" run --no-transaction open.redis
like "$ERR" "the script left a transaction \(MULTI\) open at its end: the commands it queued were discarded" "... says so"
like "$ERR" "hint: end it with EXEC in the script" "... with the hint"
is "$(rcli get run:f)|$(rcli exists run:g)" "1|0" "... true: the command before MULTI ran, the queued one did not"
printf 'MULTI\nSET run:g 1\nEXEC\n' >closed.redis
expect_exit 0 "Redis: --no-transaction with MULTI ... EXEC runs" -- \
	"$DBCTL" --url "$TEST_REDIS_URL" run --no-transaction closed.redis
is "$(rcli get run:g)" "1" "... applied"
rcli del run:f run:g >/dev/null
printf 'SET run:e "unbalanced\n' >quote.redis
expect_exit 3 "Redis: unbalanced quotes refused" -- "$DBCTL" --url "$TEST_REDIS_URL" run quote.redis
like "$ERR" "quote\.redis:1:11: unbalanced quotes in command$" "with the place of the open quote, once"
rcli del run:a run:b run:c run:d run:n >/dev/null

done_testing
