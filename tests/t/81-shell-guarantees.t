#!/bin/bash
# dbctl shell keeps issue 9's promises under faults and hostile input:
# nothing commits unless you say so, what is printed is what happened (the
# server's command tags, an unknown outcome called unknown), no password in
# the history, no hang; piped --json output is one JSON document.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/pty.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"
command -v tmux >/dev/null || skip_all "tmux is not installed"

tmp=$(mktemp -d)
cd "$tmp" || exit 1
trap 'pty_cleanup; [ -z "${PROXY_PID:-}" ] || kill "$PROXY_PID" 2>/dev/null; rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state PAGER=
psql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning "$@"; }
json_ok() { /usr/bin/python3 -m json.tool >/dev/null; }
# the value of a Python expression over the JSON document on stdin (d)
json_eval() { /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
shell_pg() { pty_start "$1" env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$TEST_PG_URL" shell; }
# a shell whose pid is written to FILE and whose exit status goes to FILE.rc,
# under a session leader that ignores SIGHUP (nohup, a daemon): when the
# terminal goes away no SIGHUP reaches the shell, only end of input or EIO
shell_pg_pid() {
	local name=$1 leader child=
	_pty new-session -d -s "$name" -x 160 -y 50 \
		"trap '' HUP; env XDG_STATE_HOME=$(printf %q "$XDG_STATE_HOME") PAGER= $(printf %q "$DBCTL") --url $(printf %q "$TEST_PG_URL") shell; echo \$? >$(printf %q "$tmp/$name.pid.rc"); sleep 600"
	leader=$(_pty display-message -p -t "$name" '#{pane_pid}')
	for _ in $(seq 200); do
		read -r child _ <"/proc/$leader/task/$leader/children" 2>/dev/null && [ -n "$child" ] && break
		sleep 0.05
	done
	echo "$child" >"$tmp/$name.pid"
}
wait_file() { local i; for ((i = 0; i < 600; i++)); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
open_transactions() { psql -c "select count(*) from pg_stat_activity where datname = 'app' and state like 'idle in transaction%'"; }
wait_no_open_transaction() { local i; for ((i = 0; i < 300; i++)); do [ "$(open_transactions)" = 0 ] && return 0; sleep 0.1; done; return 1; }

# one idle session for the whole file: killing the last session ends the tmux
# server, and a session started while it is going away is lost with it
pty_start keepalive sleep 100000

psql -c "create table g_items (id int primary key, name text)"
psql -c "create schema g_other; create table g_other.g_hidden_thing (id int); create table g_visible_thing (id int)"
# a COMMIT that takes a while: a deferred constraint trigger that sleeps
psql -c "create table g_slow (id int)" \
	-c "create function g_slow_commit() returns trigger language plpgsql as \$\$ begin perform pg_sleep(60); return null; end \$\$" \
	-c "create constraint trigger g_slow_trigger after insert on g_slow deferrable initially deferred for each row execute function g_slow_commit()"

# --- relB 15: piped --json is one JSON document, an object per statement ---
cat >report.sql <<'SQL'
SET search_path = public;
insert into g_items values (1, 'one'), (2, 'two');
select id, name from g_items order by id;
select id from g_items where false;
SQL
run_cmd bash -c "\"$DBCTL\" --url \"$TEST_PG_URL\" --json shell <report.sql"
is "$RC" 0 "piped --json: exit 0"
printf '%s' "$OUT" | json_ok
ok $? "piped --json with a SET, an INSERT and two SELECTs is one valid JSON document (json.tool)"
is "$(printf '%s' "$OUT" | json_eval 'len(d)')" 4 "one object per statement"
is "$(printf '%s' "$OUT" | json_eval '[s["command"] for s in d]')" "['SET', 'INSERT 0 2', 'SELECT 2', 'SELECT 0']" \
	"each object has the statement's command tag"
is "$(printf '%s' "$OUT" | json_eval 'd[2]["rows"]')" "[{'id': '1', 'name': 'one'}, {'id': '2', 'name': 'two'}]" \
	"a SELECT's object holds its rows"
is "$(printf '%s' "$OUT" | json_eval 'd[3]["rows"]')" "[]" "a SELECT without rows has an empty rows array"
is "$(printf '%s' "$OUT" | json_eval '[(s["statement"], s["line"]) for s in d]')" "[(1, 1), (2, 2), (3, 3), (4, 4)]" \
	"each object says which statement it is and its line"
is "$(printf '%s' "$OUT" | json_eval '"rows" in d[1]')" False "a statement without a result has no rows member"
run_cmd bash -c "printf 'select 1 as a;\nselect 1/0 as b;\n' | \"$DBCTL\" --url \"$TEST_PG_URL\" --json shell"
is "$RC" 1 "piped --json with a failing statement: exit 1"
printf '%s' "$OUT" | json_ok
ok $? "a failed run is still one valid JSON document"
is "$(printf '%s' "$OUT" | json_eval '(d[-1]["statement"], d[-1]["error"]["sqlstate"], d[-1]["error"]["line"])')" \
	"(2, '22012', 2)" "the failing statement's object carries the error, with SQLSTATE and line"
run_cmd bash -c "printf 'select 1;\nbegin;\n' | \"$DBCTL\" --url \"$TEST_PG_URL\" shell -f json"
is "$RC" 3 "piped json input refused by the check pass: exit 3"
is "$(printf '%s' "$OUT" | json_eval '(len(d), d[0]["error"]["line"])')" "(1, 2)" \
	"refused before anything ran: one object, the error"
run_cmd bash -c "\"$DBCTL\" --url \"$TEST_PG_URL\" --json shell </dev/null"
is "$OUT" "[]" "empty input is an empty array"
# a failure in the middle of a streamed result still closes its rows array
run_cmd bash -c "echo 'select 1 / (3 - g) as q from generate_series(1, 5) g;' | \"$DBCTL\" --url \"$TEST_PG_URL\" --json shell"
printf '%s' "$OUT" | json_ok
ok $? "an error in the middle of a result's rows leaves valid JSON"
run_cmd bash -c "printf 'set g:k 1\nincr g:k\nget g:k\n' | \"$DBCTL\" --url \"$TEST_REDIS_URL\" --json shell"
is "$RC" 0 "Redis piped --json: exit 0"
is "$(printf '%s' "$OUT" | json_eval '[s["text"] for s in d]')" "[['OK'], ['(integer) 2'], ['\"2\"']]" \
	"Redis replies are text members of one document"
rcli del g:k >/dev/null
run_cmd bash -c "printf 'create table t (a);\ninsert into t values (1);\nselect a from t;\n' | \"$DBCTL\" --url sqlite::memory: --json shell"
is "$(printf '%s' "$OUT" | json_eval '[s.get("rows") for s in d]')" "[None, None, [{'a': '1'}]]" \
	"SQLite: one document too"

# --- relB 16: the Redis shell says what MULTI and EXEC did, never ROLLBACK ---
pty_start red env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "$TEST_REDIS_URL" shell
pty_wait red "$REDIS_PORT_TEST> \$"
pty_type red 'multi'
pty_wait red "\\(TX\\)> \$"
pty_type red 'incr g:counter'
pty_wait red 'QUEUED'
pty_type red 'exec'
pty_wait red "\\(integer\\) 1
127\\.0\\.0\\.1:$REDIS_PORT_TEST> \$"
ok $? "EXEC shows the queued commands' replies, then the prompt"
pty_type red 'multi'
pty_type red 'discard'
pty_wait red "OK
127\\.0\\.0\\.1:$REDIS_PORT_TEST> \$"
unlike "$(pty_screen red)" 'ROLLBACK|COMMIT' "no SQL transaction word after MULTI, EXEC or DISCARD"
is "$(rcli get g:counter)" 1 "and EXEC did apply the increment"
pty_type red '\q'
pty_stop red
rcli del g:counter >/dev/null

# --- tags say what happened: COMMIT AND CHAIN once; COMMIT of a failed transaction is ROLLBACK ---
shell_pg tags
pty_wait tags 'app=> $'
pty_type tags "insert into g_items values (10, 'chained');"
pty_wait tags 'INSERT 0 1'
unlike "$(pty_screen tags)" 'BEGIN' "the BEGIN the shell sends for itself before the first statement is not printed"
pty_type tags "commit and chain;"
pty_wait tags 'and chain;
COMMIT
app\*> $'
is "$(pty_screen tags | grep -c '^COMMIT$')" 1 "COMMIT AND CHAIN prints COMMIT once"
is "$(psql -c 'select count(*) from g_items where id = 10')" 1 "and it committed"
pty_type tags "rollback to savepoint no_such_savepoint;"
pty_wait tags 'app!> $'
pty_type tags "commit;"
pty_wait tags 'ROLLBACK
dbctl: the transaction had failed: it was rolled back'
ok $? "COMMIT of a failed transaction prints the server's ROLLBACK"
pty_type tags '\begin'
pty_wait tags '\\begin
BEGIN'
pty_type tags '\rollback'
pty_wait tags '\\rollback
ROLLBACK'
ok $? "\\begin and \\rollback print their tags"
# \i of a file with BEGIN: the hint names what works in the shell
printf 'begin;\ninsert into g_items values (11, $$x$$);\ncommit;\n' >tx.sql
pty_type tags '\i tx.sql'
pty_wait tags 'tx.sql:1:1: BEGIN is not allowed here'
pty_wait tags 'hint: remove it from the file'
ok $? "\\i of a file with BEGIN: the hint says to remove it"
unlike "$(pty_screen tags)" 'no-transaction' "the hint does not offer --no-transaction, which the shell has not"
# \d: no (null) where a column has no default
pty_type tags '\d g_items'
pty_wait tags 'name +\| text +\| +\|'
unlike "$(pty_screen tags)" '\(null\)' "\\d TABLE shows an empty Default, not (null)"
pty_type tags '\q'
pty_wait tags '\[exit 0\]'
pty_stop tags

# --- completion: a relation off the search_path only with its schema ---
shell_pg comp
pty_wait comp 'app=> $' 60
pty_keys comp -l "select * from g_items join g_hid"
pty_keys comp Tab
sleep 1
unlike "$(pty_screen comp)" 'join g_hidden_thing' "after JOIN a table of a schema not on the search_path is not offered bare"
pty_keys comp C-u
pty_keys comp -l "select * from g_items join g_other.g_hid"
pty_keys comp Tab
pty_wait comp 'join g_other\.g_hidden_thing $'
ok $? "with its schema typed it completes"
pty_keys comp C-u
pty_keys comp -l "select * from g_items join g_visible_th"
pty_keys comp Tab
pty_wait comp 'join g_visible_thing +$'
ok $? "a table on the search_path still completes bare"
pty_keys comp C-u
pty_type comp '\q'
pty_stop comp

# --- history: an existing wide file and directory are tightened at start-up ---
mkdir -p "$XDG_STATE_HOME/dbctl"
chmod 755 "$XDG_STATE_HOME/dbctl"
echo "_HiStOrY_V2_" >"$XDG_STATE_HOME/dbctl/history"
chmod 644 "$XDG_STATE_HOME/dbctl/history"
shell_pg hist
pty_wait hist 'app=> $'
is "$(stat -c %a "$XDG_STATE_HOME/dbctl/history")" 600 "an existing 0644 history file is 0600 as soon as the shell starts"
is "$(stat -c %a "$XDG_STATE_HOME/dbctl")" 700 "an existing 0755 history directory is 0700"
pty_keys hist C-d
pty_wait hist '\[exit 0\]'
pty_stop hist

# --- a pasted statement with an unclosed quote, then \commit: nothing commits ---
shell_pg paste
pty_wait paste 'app=> $'
pty_type paste "insert into g_items values (20, 'before the paste');"
pty_wait paste 'INSERT 0 1'
pty_type paste "insert into g_items values (21, 'unclosed);"
pty_type paste '\commit'
pty_wait paste 'dbctl: \\commit is text inside an unclosed quote'
ok $? "\\commit inside an unclosed quote is text, and the shell says so"
is "$(psql -c 'select count(*) from g_items where id in (20, 21)')" 0 "nothing was committed"
pty_keys paste C-c
pty_wait paste 'app\*> $'
pty_type paste '\rollback'
pty_wait paste 'ROLLBACK'
pty_type paste '\q'
pty_wait paste '\[exit 0\]'
pty_stop paste

# --- the terminal goes away and no SIGHUP reaches the shell ---
shell_pg_pid lost
pty_wait lost 'app=> $'
pty_type lost "insert into g_items values (30, 'terminal lost');"
pty_wait lost 'INSERT 0 1'
pty_stop lost
wait_file "$tmp/lost.pid.rc"
is "$(cat "$tmp/lost.pid.rc" 2>/dev/null)" 130 "a lost terminal (EOF/EIO, no SIGHUP) exits 130"
wait_no_open_transaction
ok $? "and the transaction is not left open"
is "$(psql -c 'select count(*) from g_items where id = 30')" 0 "its insert was rolled back"

# --- SIGTERM and SIGHUP during \commit: cancelled, rolled back, 130, no wait ---
for sig in TERM HUP; do
	shell_pg_pid "commit$sig"
	pty_wait "commit$sig" 'app=> $'
	pty_type "commit$sig" "insert into g_slow values (1);"
	pty_wait "commit$sig" 'INSERT 0 1'
	pty_type "commit$sig" '\commit'
	for _ in $(seq 200); do
		[ "$(psql -c "select count(*) from pg_stat_activity where query = 'COMMIT' and state = 'active'")" = 1 ] && break
		sleep 0.1
	done
	kill -"$sig" "$(cat "$tmp/commit$sig.pid")"
	wait_file "$tmp/commit$sig.pid.rc"
	is "$(cat "$tmp/commit$sig.pid.rc" 2>/dev/null)" 130 "SIG$sig during a slow \\commit: exit 130 (the COMMIT was cancelled, not waited out)"
	is "$(psql -c 'select count(*) from g_slow')" 0 "SIG$sig during \\commit: nothing committed"
	pty_stop "commit$sig"
done

# --- Ctrl-C during a slow \commit: cancelled, and the shell says the transaction is gone ---
shell_pg commitint
pty_wait commitint 'app=> $'
pty_type commitint "insert into g_slow values (3);"
pty_wait commitint 'INSERT 0 1'
pty_type commitint '\commit'
for _ in $(seq 200); do
	[ "$(psql -c "select count(*) from pg_stat_activity where query = 'COMMIT' and state = 'active'")" = 1 ] && break
	sleep 0.1
done
pty_keys commitint C-c
pty_wait commitint 'canceling statement due to user request.*the COMMIT failed: the transaction was rolled back.*app=> $'
ok $? "Ctrl-C during \\commit cancels it and says the transaction was rolled back"
is "$(psql -c 'select count(*) from g_slow')" 0 "nothing committed"
pty_type commitint '\q'
pty_wait commitint '\[exit 0\]'
pty_stop commitint

# --- the connection lost while COMMIT runs: the outcome is unknown, not "rolled back" ---
shell_pg unknown
pty_wait unknown 'app=> $'
pty_type unknown "insert into g_slow values (2);"
pty_wait unknown 'INSERT 0 1'
pty_type unknown '\commit'
for _ in $(seq 200); do
	[ "$(psql -c "select count(*) from pg_stat_activity where query = 'COMMIT' and state = 'active'")" = 1 ] && break
	sleep 0.1
done
psql -c "select pg_terminate_backend(pid) from pg_stat_activity where query = 'COMMIT' and state = 'active'" >/dev/null
pty_wait unknown 'the connection was lost after COMMIT was sent: it may or may not have been applied'
ok $? "a connection lost during COMMIT is reported as an unknown outcome"
unlike "$(pty_screen unknown)" 'rolled back' "and never as rolled back"
pty_type unknown '\q'
pty_wait unknown '\[exit 0\]'
pty_stop unknown

# --- Redis: the connection lost after EXEC was sent: unknown, never "rolled back" ---
# a proxy that forwards EXEC to the server and then drops the connection before its answer
cat >exec-drop.py <<'PY'
import socket, sys, threading
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(8)
print(listener.getsockname()[1], flush=True)
def serve(client):
    server = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    def back():
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
    threading.Thread(target=back, daemon=True).start()
    while True:
        data = client.recv(65536)
        if not data:
            break
        if b"$4\r\nEXEC\r\n" in data.upper():
            # the client's EXEC was sent; its answer will never reach it
            client.shutdown(socket.SHUT_RDWR)
            client.close()
            server.sendall(data)
            return
        server.sendall(data)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
coproc PROXY { exec /usr/bin/python3 exec-drop.py "$REDIS_PORT_TEST"; }
read -r proxy_port <&"${PROXY[0]}"
redis_proxy_url=${TEST_REDIS_URL/:$REDIS_PORT_TEST/:$proxy_port}
pty_start redexec env XDG_STATE_HOME="$XDG_STATE_HOME" "$DBCTL" --url "$redis_proxy_url" shell
pty_wait redexec "$proxy_port> \$"
pty_type redexec 'multi'
pty_type redexec 'incr g:exec'
pty_wait redexec 'QUEUED'
pty_type redexec 'exec'
pty_wait redexec 'the connection was lost after EXEC was sent: it may or may not have been applied'
ok $? "Redis: a connection lost after EXEC was sent is an unknown outcome"
unlike "$(pty_screen redexec)" 'ROLLBACK|rolled back' "and never called rolled back"
is "$(rcli get g:exec)" 1 "(the server did apply it: the shell could not have known)"
pty_type redexec '\q'
pty_stop redexec
kill "$PROXY_PID" 2>/dev/null
rcli del g:exec >/dev/null

# --- the connection dropped at the prompt, then \commit: known to be rolled back ---
shell_pg dropped
pty_wait dropped 'app=> $'
pty_type dropped "insert into g_items values (40, 'dropped');"
pty_wait dropped 'INSERT 0 1'
psql -c "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'app' and state like 'idle in transaction%'" >/dev/null
pty_type dropped '\commit'
pty_wait dropped 'the connection was lost and the open transaction was rolled back'
ok $? "\\commit after the connection dropped at the prompt says the transaction was rolled back"
unlike "$(pty_screen dropped)" '^COMMIT$|may or may not' "no COMMIT, and no unknown outcome: COMMIT was never sent"
is "$(psql -c 'select count(*) from g_items where id = 40')" 0 "its insert is not there"
pty_type dropped '\q'
pty_wait dropped '\[exit 0\]'
pty_stop dropped

# --- the server stops while a statement runs: reported, no hang, the next one reconnects ---
shell_pg killed
pty_wait killed 'app=> $'
pty_type killed "insert into g_items values (50, 'server killed');"
pty_wait killed 'INSERT 0 1'
pty_type killed "select pg_sleep(60);"
for _ in $(seq 200); do
	[ "$(psql -c "select count(*) from pg_stat_activity where query like 'select pg_sleep(60)%' and state = 'active'")" = 1 ] && break
	sleep 0.1
done
pg_stop_test
pty_wait killed 'the connection was lost and the open transaction was rolled back.*app=> $'
ok $? "the server stopping under a running statement is reported at once, the transaction rolled back"
pg_start_test
pty_type killed "select 'back' as again;"
pty_wait killed 'again.*back'
ok $? "the next statement connects again"
is "$(psql -c 'select count(*) from g_items where id = 50')" 0 "the insert before the stop is not there"
pty_type killed '\rollback'
pty_type killed '\q'
pty_wait killed '\[exit 0\]'
pty_stop killed

psql -c "drop table g_items, g_slow, g_visible_thing; drop schema g_other cascade; drop function g_slow_commit()"
done_testing
