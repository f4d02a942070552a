#!/bin/bash
# dbctl shell through a real pseudo-terminal (tmux) and through pipes, against
# real servers: savepoints, leaving with uncommitted work, a lost terminal,
# Ctrl-C, completion, history, prompt states, piped input, memory.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/pty.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"
command -v tmux >/dev/null || skip_all "tmux is not installed"

tmp=$(mktemp -d)
cd "$tmp" || exit 1
trap 'pty_cleanup; rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state PAGER=
psql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning "$@"; }
shell_pg() { pty_start "$1" env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$TEST_PG_URL" shell; }
# backends of the test database still inside a transaction (the shell's, when it is open)
open_transactions() { psql -c "select count(*) from pg_stat_activity where datname = 'app' and state like 'idle in transaction%'"; }

psql -c "create table shell_items (id int primary key, name text)"
psql -c "create table shell_completion_target (id int, label text)"
psql -c 'create table "ShellMixedCase" (id int)'

# --- the minimum every command gets ---
expect_exit 0 "shell --help" -- "$DBCTL" shell --help
like "$OUT" 'usage: dbctl shell' "help shows the usage"
expect_exit 3 "an unknown --format is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" shell --format xml
run_cmd "$DBCTL" --url "postgresql://app@127.0.0.1:1/app" shell </dev/null
is "$RC" 2 "piped input with no server answering is exit 2"

# --- savepoints: an error after an insert keeps the insert ---
shell_pg sp
pty_wait sp 'app=> $' || BAIL_OUT "the shell did not start"
ok 0 "a fresh shell shows the idle prompt app=>"
pty_type sp "insert into shell_items values (1, 'kept');"
pty_wait sp 'INSERT 0 1'
pty_wait sp 'app\*> $'
ok $? "after a statement the prompt shows an open transaction (app*>)"
is "$(psql -c 'select count(*) from shell_items')" 0 "nothing is visible to others before \\commit"
pty_type sp "select no_such_column from shell_items;"
pty_wait sp 'ERROR: column "no_such_column" does not exist \(42703\)'
ok $? "the error is shown with its SQLSTATE"
like "$(pty_screen sp)" 'LINE 1: select no_such_column from shell_items;' "the error shows the statement line"
pty_wait sp 'app\*> $'
ok $? "after the error the transaction goes on (app*>, not app!>)"
pty_type sp "insert into shell_items values (2, 'also kept');"
pty_wait sp 'INSERT 0 1.*INSERT 0 1'
pty_type sp '\commit'
pty_wait sp 'COMMIT'
pty_wait sp 'app=> $'
is "$(psql -c "select string_agg(name, ',' order by id) from shell_items")" "kept,also kept" \
	"after \\commit both inserts are there: the error rolled back only its own statement"

# --- prompt states: a failed transaction shows ! ---
pty_type sp "select 1;"
pty_wait sp 'app\*> $'
pty_type sp "rollback to savepoint no_such_savepoint;"
pty_wait sp 'app!> $'
ok $? "a failed transaction shows app!>"
pty_type sp '\rollback'
pty_wait sp 'ROLLBACK'
pty_wait sp 'app=> $'
ok $? "\\rollback ends it: app=>"

# --- multi-line statements and the continuation prompt ---
pty_type sp "select 40 +"
pty_wait sp 'app-> $'
ok $? "an unfinished statement shows the continuation prompt app->"
pty_type sp "2 as answer;"
pty_wait sp 'answer.*42.*\(1 row\)'
ok $? "the statement runs once complete"
pty_type sp "select \$\$ a;"
pty_type sp "b \$\$ as quoted;"
pty_wait sp 'a;.*b'
ok $? "a dollar quote spanning lines is one statement"

# --- \x, \format, \d ---
pty_type sp '\x on'
pty_type sp "select 1 as one, 'two' as two;"
pty_wait sp '-\[ RECORD 1 \].*one \| 1.*two \| two'
ok $? "\\x shows expanded records"
pty_type sp '\x off'
pty_type sp '\format csv'
pty_type sp "select 3 as three;"
pty_wait sp 'three
3'
ok $? "\\format csv prints CSV"
pty_type sp '\format table'
pty_type sp '\d shell_items'
pty_wait sp 'Column.*Type.*id +\| integer +\| not null'
ok $? "\\d NAME describes the columns"
pty_type sp '\q'
pty_wait sp '\[exit 0\]'
ok $? "\\q with nothing uncommitted leaves at once, exit 0"
pty_stop sp

# --- \conninfo masks the password; \timing, \pool; \i runs a file inside the transaction ---
shell_pg misc
pty_wait misc 'app=> $'
pty_type misc '\conninfo'
pty_wait misc 'connected to postgresql://app:\*\*\*@127\.0\.0\.1'
ok $? "\\conninfo shows the target with the password masked"
[[ $(pty_screen misc) != *"$TEST_PG_APP_PASSWORD"* ]]
ok $? "the password itself appears nowhere on the screen"
pty_type misc '\timing on'
pty_type misc "select 1 as timed;"
pty_wait misc 'Time: [0-9]+\.[0-9]{3} ms'
ok $? "\\timing shows how long a statement took"
pty_type misc '\timing off'
pty_type misc '\pool'
pty_wait misc 'pool: size [0-9]+, max overflow -?[0-9]+, in use 1'
ok $? "\\pool shows the engine's pool, the session's connection in use"
printf "insert into shell_items values (60, 'from a file');\n" >good.sql
printf "insert into shell_items values (61, 'undone');\nselect nope;\n" >bad.sql
pty_type misc '\i good.sql'
pty_wait misc '1 statement from good.sql \(in the transaction'
ok $? "\\i runs a file inside the open transaction"
pty_type misc '\i bad.sql'
pty_wait misc 'bad.sql:2:8: ERROR: column "nope" does not exist.*the file was rolled back; the transaction goes on'
ok $? "\\i of a failing file names FILE:LINE:COL and undoes only that file"
pty_type misc '\commit'
pty_wait misc 'COMMIT'
is "$(psql -c "select string_agg(id::text, ',' order by id) from shell_items where id in (60, 61)")" 60 \
	"after \\commit the good file's row is there, the failed file's is not"
pty_type misc '\q'
pty_wait misc '\[exit 0\]'
pty_stop misc

# --- a result taller than the screen goes through $PAGER, a short one does not ---
cat >pager.sh <<PAGER
#!/bin/sh
cat >"$tmp/paged"
PAGER
chmod +x pager.sh
pty_start pager env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER="$tmp/pager.sh" "$DBCTL" --url "$TEST_PG_URL" shell
pty_wait pager 'app=> $'
pty_type pager "select 'short' as s;"
pty_wait pager 'short.*\(1 row\)'
[ ! -e "$tmp/paged" ]
ok $? "a short result is printed directly, without the pager"
pty_type pager "select g from generate_series(1, 500) g;"
pty_wait pager 'app\*> $'
for _ in $(seq 300); do [ -s "$tmp/paged" ] && break; sleep 0.1; done
like "$(cat "$tmp/paged" 2>/dev/null)" '^ +g +
-+
 +1
.* 500
\(500 rows\)' "a 500-row result goes through \$PAGER, whole"
pty_type pager '\q'
pty_stop pager

# --- review findings: each of these lost work silently once ---
shell_pg rv
pty_wait rv 'app=> $'
pty_type rv "insert into shell_items values (70, 'before savepoint');"
pty_type rv "savepoint mine;"
pty_type rv "insert into shell_items values (71, 'after savepoint');"
pty_type rv "rollback work to savepoint mine;"
pty_wait rv 'app\*> $'
pty_type rv '\commit'
pty_wait rv 'COMMIT'
is "$(psql -c "select string_agg(id::text, ',' order by id) from shell_items where id in (70, 71)")" 70 \
	"ROLLBACK WORK TO SAVEPOINT undoes to the savepoint, not the whole transaction"
pty_type rv "insert into shell_items values (72, 'not prepared');"
pty_type rv "commit prepared 'no_such_gid';"
pty_wait rv 'dbctl: COMMIT PREPARED cannot run inside a transaction, and this one has uncommitted changes'
ok $? "COMMIT PREPARED does not commit the shell's transaction"
pty_type rv "with d as (delete from shell_items where id = 70 returning *) select count(*) as deleted from d;"
pty_wait rv 'deleted.*1'
pty_type rv "vacuum shell_items;"
pty_wait rv 'dbctl: VACUUM cannot run inside a transaction, and this one has uncommitted changes'
ok $? "VACUUM after a writing CTE is refused: the server, not a keyword list, says there are changes"
pty_type rv '\rollback'
pty_wait rv 'ROLLBACK'
is "$(psql -c "select count(*) from shell_items where id in (70, 72)")" 1 "nothing of that was committed"
pty_type rv "begin;"
pty_wait rv 'BEGIN'
ok $? "a typed BEGIN says BEGIN"
pty_type rv "select 1 as a"
pty_type rv '\g'
pty_wait rv 'a.*1.*\(1 row\)'
ok $? "\\g sends the statement in progress"
pty_type rv "select 'dropped' as d"
pty_type rv '\r'
pty_wait rv 'statement in progress cleared'
pty_type rv "select 'fresh' as f;"
pty_wait rv 'f.*fresh'
unlike "$(pty_screen rv)" ' dropped' "\\r drops the statement in progress"
# the server ends the session's connection (as a restart or idle_in_transaction_session_timeout would)
pty_type rv "insert into shell_items values (73, 'lost');"
pty_wait rv 'INSERT 0 1'
psql -c "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'app' and state like 'idle in transaction%'" >/dev/null
pty_type rv "select 'after the loss' as x;"
pty_wait rv 'the connection was lost and the open transaction was rolled back; the next statement connects again'
ok $? "a lost connection is reported at once, with the transaction it took"
pty_type rv "select 'reconnected' as y;"
pty_wait rv 'y.*reconnected'
ok $? "the next statement connects again"
is "$(psql -c "select count(*) from shell_items where id = 73")" 0 "the lost transaction's insert is not there"
pty_type rv '\rollback'
pty_type rv '\q'
pty_wait rv '\[exit 0\]'
pty_stop rv

# --- no server answering: dbctl says so in its own voice, and shows no password ---
pty_start noanswer env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "postgresql://app:Zecret-Closed-77@127.0.0.1:1/app" shell
pty_wait noanswer 'app=> $'
pty_type noanswer "select 1;"
pty_wait noanswer 'dbctl: connection to server at "127\.0\.0\.1", port 1 failed'
ok $? "a connection that fails is dbctl's message, not a database's ERROR"
[[ $(pty_screen noanswer) != *Zecret-Closed-77* ]]
ok $? "no password on the screen"
pty_type noanswer '\q'
pty_stop noanswer
pty_start kwstring env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "host=127.0.0.1 port=1 dbname=kwdb user=u password Zecret-Kw-88" shell
pty_wait kwstring 'kwdb=> $'
ok $? "a libpq keyword string's prompt is its dbname"
pty_type kwstring "select 1;"
pty_wait kwstring 'kwdb=> $'
[[ $(pty_screen kwstring) != *Zecret-Kw-88* ]]
ok $? "a malformed keyword string's password appears nowhere on the screen"
pty_type kwstring '\q'
pty_stop kwstring

# --- completion of a table name typed partly ---
shell_pg comp
pty_wait comp 'app=> $'
pty_keys comp -l "select * from shell_completion_ta"
pty_keys comp Tab
pty_wait comp 'from shell_completion_target $'
ok $? "Tab completes a table name typed partly"
pty_keys comp C-u
pty_keys comp -l 'select shell_completion_target.lab'
pty_keys comp Tab
pty_wait comp 'select shell_completion_target\.label +$'
ok $? "Tab completes a column after its table's name and a dot"
pty_keys comp C-u
pty_keys comp -l 'select * from "ShellMix'
pty_keys comp Tab
pty_wait comp 'from "ShellMixedCase" +$'
ok $? "Tab completes a name that needs quotes, quoted"
pty_keys comp C-u
pty_keys comp -l '\comm'
pty_keys comp Tab
pty_wait comp '\\commit *$'
ok $? "Tab completes a backslash command"
pty_keys comp C-u
# completion reads the catalog on its own connection: it works in a failed transaction
pty_type comp "rollback to savepoint nope;"
pty_wait comp 'app!> $'
pty_keys comp -l "select label from shell_completion_ta"
pty_keys comp Tab
pty_wait comp 'from shell_completion_target $'
ok $? "completion works inside a failed transaction (second pooled connection)"
pty_keys comp C-u
pty_type comp '\rollback'
pty_type comp '\q'
pty_wait comp '\[exit 0\]'
pty_stop comp

# --- Ctrl-C cancels the running statement, not the shell ---
shell_pg cancel
pty_wait cancel 'app=> $'
pty_type cancel "insert into shell_items values (10, 'before the sleep');"
pty_wait cancel 'INSERT 0 1'
pty_type cancel "select pg_sleep(30);"
sleep 0.5
t0=${EPOCHREALTIME/[.,]/}
pty_keys cancel C-c
# the server's own message proves the sleep was cancelled, not waited out
pty_wait cancel 'canceling statement due to user request.*app\*> $' 20
ok $? "Ctrl-C during pg_sleep(30) cancels it and returns to the prompt"
note "back at the prompt $(((${EPOCHREALTIME/[.,]/} - t0) / 1000)) ms after Ctrl-C"
pty_keys cancel -l "select 'half typed"
pty_keys cancel C-c
pty_type cancel "select 'after ctrl-c' as still_here;"
pty_wait cancel 'still_here.*after ctrl-c'
ok $? "Ctrl-C at the prompt clears the line and the session goes on"
pty_type cancel '\commit'
pty_wait cancel 'COMMIT'
is "$(psql -c "select count(*) from shell_items where id = 10")" 1 "work before the cancelled statement was kept"
pty_type cancel '\q'
pty_stop cancel

# --- leaving with uncommitted work asks; each answer does what it says ---
for answer in c r; do
	shell_pg "leave$answer"
	pty_wait "leave$answer" 'app=> $'
	pty_type "leave$answer" "insert into shell_items values (20, 'answer $answer');"
	pty_wait "leave$answer" 'INSERT 0 1'
	pty_type "leave$answer" '\q'
	pty_wait "leave$answer" 'uncommitted changes: commit, roll back, or stay\? \[c/r/s\] $'
	ok $? "\\q with uncommitted work asks ($answer)"
	pty_type "leave$answer" "$answer"
	pty_wait "leave$answer" '\[exit 0\]'
	pty_stop "leave$answer"
	got=$(psql -c "select count(*) from shell_items where id = 20")
	if [ "$answer" = c ]; then
		is "$got" 1 "answer c commits"
		psql -c "delete from shell_items where id = 20"
	else
		is "$got" 0 "answer r rolls back"
	fi
done
shell_pg stay
pty_wait stay 'app=> $'
pty_type stay "insert into shell_items values (30, 'stay');"
pty_wait stay 'INSERT 0 1'
pty_keys stay C-d
pty_wait stay 'roll back, or stay\? \[c/r/s\] $'
ok $? "Ctrl-D with uncommitted work asks too"
pty_type stay s
pty_wait stay 'app\*> $'
ok $? "answer s stays in the shell, transaction still open"
pty_type stay "select count(*) as mine from shell_items where id = 30;"
pty_wait stay 'mine.*1.*\(1 row\)'
ok $? "the uncommitted row is still there after staying"
pty_type stay '\q'
pty_wait stay 'roll back, or stay'
pty_type stay r
pty_wait stay '\[exit 0\]'
pty_stop stay
is "$(psql -c "select count(*) from shell_items where id = 30")" 0 "then r rolls it back"

# a read-only transaction has nothing to lose: no question
shell_pg readonly
pty_wait readonly 'app=> $'
pty_type readonly "select count(*) from shell_items;"
pty_wait readonly 'app\*> $'
pty_type readonly '\q'
pty_wait readonly '\[exit 0\]'
ok $? "\\q after reads only leaves without asking"
pty_stop readonly

# --- the terminal closed under an open transaction: rolled back ---
shell_pg hup
pty_wait hup 'app=> $'
pty_type hup "insert into shell_items values (40, 'terminal lost');"
pty_wait hup 'INSERT 0 1'
is "$(open_transactions)" 1 "the shell's transaction is open on the server"
pty_stop hup
for _ in $(seq 300); do [ "$(open_transactions)" = 0 ] && break; sleep 0.1; done
is "$(open_transactions)" 0 "closing the terminal ends the transaction"
is "$(psql -c "select count(*) from shell_items where id = 40")" 0 "and its insert was rolled back"

# --- history: mode 0600, no password statements ---
shell_pg hist
pty_wait hist 'app=> $'
pty_type hist "select 'remember me' as h;"
pty_wait hist 'remember me'
pty_type hist "alter role app password 'Secret-In-History-9';"
pty_wait hist 'ALTER ROLE'
pty_type hist '\rollback'
pty_type hist '\q'
pty_wait hist '\[exit 0\]'
pty_stop hist
hist=$XDG_STATE_HOME/dbctl/history
[ -f "$hist" ]
ok $? "history file is written under \$XDG_STATE_HOME/dbctl"
is "$(stat -c %a "$hist")" 600 "history file mode is 0600"
is "$(stat -c %a "$XDG_STATE_HOME/dbctl")" 700 "its directory mode is 0700"
# libedit stores lines vis(3)-encoded: a space is \040
grep -q 'remember' "$hist"
ok $? "statements are saved in the history"
grep -q 'Secret-In-History' "$hist"
ok $((!$?)) "a statement that sets a password is not saved"
shell_pg hist2
pty_wait hist2 'app=> $'
pty_keys hist2 C-r
pty_keys hist2 -l "remember"
pty_wait hist2 "select 'remember me' as h"
ok $? "Ctrl-R finds the statement from the last session's history"
pty_keys hist2 C-g C-u
pty_type hist2 '\q'
pty_stop hist2

# --- SQLite: deferred BEGIN, savepoints, commit ---
pty_start lite env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "sqlite:///$tmp/lite.db" shell
pty_wait lite 'lite.db=> $'
pty_type lite "create table t (a int);"
pty_type lite "insert into t values (1);"
pty_type lite "insert into nope values (2);"
pty_wait lite 'ERROR: no such table: nope'
pty_wait lite 'lite.db\*> $'
ok $? "SQLite: an error keeps the transaction (lite.db*>)"
pty_type lite '\commit'
pty_wait lite 'COMMIT'
pty_type lite '\q'
pty_wait lite '\[exit 0\]'
pty_stop lite
is "$(sqlite3 "$tmp/lite.db" 'select count(*) from t' 2>/dev/null || echo 1)" 1 "SQLite: the committed insert is there"

# SQLite knows whether the transaction wrote: a WITH ... INSERT counts
pty_start lite2 env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "sqlite:///$tmp/lite.db" shell
pty_wait lite2 'lite.db=> $'
pty_type lite2 "with x(a) as (select 777) insert into t select a from x;"
pty_wait lite2 'lite.db\*> $'
pty_keys lite2 C-d
pty_wait lite2 'roll back, or stay\? \[c/r/s\] $'
ok $? "SQLite: leaving after WITH ... INSERT asks"
pty_type lite2 r
pty_wait lite2 '\[exit 0\]'
pty_stop lite2

# --- Redis: replies as redis-cli prints them, MULTI in the prompt ---
pty_start red env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "$TEST_REDIS_URL" shell
pty_wait red "127.0.0.1:$REDIS_PORT_TEST> \$"
ok $? "Redis: the prompt is host:port>"
pty_keys red -l 'lran'
pty_keys red Tab
pty_wait red "> lrange +\$"
ok $? "Redis: Tab completes a command name, in the case typed"
pty_keys red C-u
pty_type red 'rpush shell:list a "b c"'
pty_wait red '\(integer\) 2'
ok $? "Redis: an integer reply prints as (integer) 2"
pty_type red 'lrange shell:list 0 -1'
pty_wait red '1\) "a"
2\) "b c"'
ok $? "Redis: an array reply prints numbered and quoted"
pty_type red 'get shell:none'
pty_wait red '\(nil\)'
ok $? "Redis: a missing key prints (nil)"
pty_type red 'multi'
pty_wait red "$REDIS_PORT_TEST\\(TX\\)> \$"
ok $? "Redis: MULTI shows (TX) in the prompt"
pty_type red 'exec'
pty_wait red "OK.*\\(empty array\\).*$REDIS_PORT_TEST> \$"
pty_type red 'nosuchcommand'
pty_wait red '\(error\) ERR unknown command'
ok $? "Redis: an error prints as (error)"
pty_type red 'monitor'
pty_wait red 'dbctl: MONITOR streams replies forever'
ok $? "Redis: MONITOR is refused, not left to scramble later replies"
pty_type red '\q'
pty_wait red '\[exit 0\]'
pty_stop red
pty_start redunix env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "$TEST_REDIS_UNIX_URL" shell
pty_wait redunix "$TEST_REDIS_SOCKET> \$"
ok $? "Redis over a unix socket: the prompt names the socket"
pty_type redunix '\q'
pty_stop redunix
rcli del shell:list >/dev/null

# --- piped input behaves like run -, and prints results ---
run_cmd bash -c "printf '%s\n' \"insert into shell_items values (50, 'piped');\" 'select name from shell_items where id = 50;' | \"$DBCTL\" --url \"$TEST_PG_URL\" shell"
is "$RC" 0 "piped input: exit 0"
like "$OUT" 'INSERT 0 1.* name.*-------.* piped.*\(1 row\)' "piped input: tags and results printed as the shell prints them"
is "$(psql -c "select count(*) from shell_items where id = 50")" 1 "piped input: committed at the end"
# the table format is psql's own: the same bytes for the same results (psql told to show NULL as dbctl does)
cat >parity.sql <<'SQL'
select 1 as a, 'x'::text as b, 12345.6::numeric as c, null::int as d, -3::int8 as e from generate_series(1, 3);
select g as n, repeat('w', g) as w, g * 1.5 as f from generate_series(8, 12) g;
select 'multi
line' as m, 42 as answer;
select '日本語' as wide, 7 as n;
select * from (values (1, 'a')) v(id, name) where false;
SQL
"$TEST_PG_BINDIR/psql" -X -q -P 'null=(null)' "$TEST_PG_URL" -f parity.sql >parity.psql
"$DBCTL" --url "$TEST_PG_URL" shell <parity.sql >parity.dbctl
cmp -s parity.psql parity.dbctl
ok $? "piped output is byte for byte psql's aligned format (numbers right-aligned, multi-line cells, wide characters)"
[ $? -eq 0 ] || diag "$(diff parity.psql parity.dbctl)"
run_cmd bash -c "printf '%s\n' \"insert into shell_items values (51, 'no');\" 'select nope;' | \"$DBCTL\" --url \"$TEST_PG_URL\" shell"
is "$RC" 1 "piped input with a failing statement: exit 1"
like "$ERR" '<stdin>:2:8: ERROR: column "nope" does not exist \(42703\)' "piped input: FILE:LINE:COL error form"
is "$(psql -c "select count(*) from shell_items where id = 51")" 0 "piped input: nothing applied when a statement fails"
run_cmd bash -c "printf 'select 1;\nselect \$\$ unterminated;\n' | \"$DBCTL\" --url \"$TEST_PG_URL\" shell"
is "$RC" 3 "piped input that cannot be lexed: exit 3"
unlike "$OUT" '1 row' "piped input that cannot be lexed: nothing ran"
run_cmd bash -c "echo 'select 1 as a, null as b;' | \"$DBCTL\" --url \"$TEST_PG_URL\" shell --format json"
is "$OUT" '[
{"statement": 1, "line": 1, "rows": [
{"a": "1", "b": null}
], "command": "SELECT 1"}
]' "piped input: --format json is one document, an object per statement"
run_cmd bash -c "echo \"select :'v' as v;\" | \"$DBCTL\" --url \"$TEST_PG_URL\" shell -v \"v=it's\" -f csv"
is "$OUT" "v
it's" "piped input: -v variables, quoted by libpq"
run_cmd bash -c "printf 'set shell:k 1\nincr shell:k\nget shell:k\n' | \"$DBCTL\" --url \"$TEST_REDIS_URL\" shell"
is "$RC" 0 "Redis piped input: exit 0"
like "$OUT" 'OK.*\(integer\) 2.*"2"' "Redis piped input: each reply printed"
rcli del shell:k >/dev/null

# --- memory: a 5,000,000-row result to a pipe is streamed, not held ---
peak_kb() { # peak RSS in KB of the piped shell for a generate_series of N rows
	/usr/bin/python3 -c '
import resource, subprocess, sys
p = subprocess.run([sys.argv[1], "--url", sys.argv[2], "shell", "-f", "csv"],
                   input=("select g, md5(g::text) from generate_series(1, %s) g;" % sys.argv[3]).encode(),
                   stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if p.returncode == 0 else -1)' "$DBCTL" "$TEST_PG_URL" "$1"
}
case ${BUILD:-build} in
*asan*)
	# ASan's quarantine keeps freed memory: RSS says nothing there
	skip "peak RSS is not meaningful under AddressSanitizer" 3
	;;
*)
	small=$(peak_kb 50000)
	big=$(peak_kb 5000000)
	note "peak RSS: 50,000 rows ${small} KB, 5,000,000 rows ${big} KB"
	cmp_ok "$small" -gt 0 "50,000 rows streamed"
	cmp_ok "$big" -gt 0 "5,000,000 rows streamed"
	cmp_ok "$big" -lt $((small + 8192)) "peak RSS stays flat: 100x the rows, under 8 MB more"
	;;
esac
run_cmd bash -c "echo 'select * from generate_series(1, 2000);' | \"$DBCTL\" --url \"$TEST_PG_URL\" shell | head -3"
is "$RC" 0 "a reader that stops early (| head) ends the shell cleanly"

psql -c 'drop table shell_items, shell_completion_target, "ShellMixedCase"'
done_testing
