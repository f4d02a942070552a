#!/bin/bash
# run and migrate when the outcome is in doubt or the run is interrupted:
# a connection lost after COMMIT/EXEC was sent is "unknown" (exit 5), never
# "rolled back"; Ctrl-C/SIGTERM are honoured while connecting, while queued
# behind a pooler and during COMMIT; errors point at their statement (syntax
# errors of a batch, COMMIT-time errors, COPY data lines, SQLite busy); server
# notices go through dbctl's own output, in order with stdout.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1
proxies=()
cleanup() {
	local p
	for p in "${proxies[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${bdir:-}" ] && [ -s "$bdir/pgbouncer.pid" ] && kill "$(cat "$bdir/pgbouncer.pid")" 2>/dev/null
	[ -n "${bdir:-}" ] && rm -rf "$bdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
psql() { "$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning "$@"; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
pg_user_pw=${TEST_PG_URL#postgresql://}
pg_user_pw=${pg_user_pw%%@*}
# the process state, since init reaps late: a zombie counts as gone
gone() { ! [ -e /proc/$1/stat ] || [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" = Z ]; }
# waits up to $2 seconds (default 20) for process $1 to end
wait_gone() {
	local i
	for ((i = 0; i < ${2:-20} * 10; i++)); do gone "$1" && return 0; sleep 0.1; done
	return 1
}

# start_proxy MODE UPSTREAM_PORT [REGEX]: sets PROXY_PORT
start_proxy() {
	rm -f proxy.port
	/usr/bin/python3 "$tmp/faultproxy.py" "$tmp/proxy.port" "$2" "$1" "${3:-}" &
	proxies+=($!)
	local i
	for ((i = 0; i < 100; i++)); do [ -s proxy.port ] && break; sleep 0.05; done
	PROXY_PORT=$(cat proxy.port)
}
stop_proxies() {
	local p
	for p in "${proxies[@]}"; do kill "$p" 2>/dev/null; done
	proxies=()
}

cat >faultproxy.py <<'PY'
"""A TCP fault proxy for the tests: one listener on 127.0.0.1, forwarding to a
real server, with one fault chosen by the first argument.

  faultproxy.py PORTFILE UPSTREAM_PORT MODE [REGEX]

MODE
  cut      forward both ways; when a client packet matches REGEX, forward it,
           give the server a moment to act on it, then close both sides
           without passing the server's answer on (a connection lost after
           COMMIT was sent)
  hold     forward both ways until a client packet matches REGEX, then keep
           that packet and everything after it from the server, as a pooler
           does with a client queued for a server connection
  silent   accept connections and never answer (nothing is forwarded)
The proxy writes its port to PORTFILE once it listens; it runs until killed.
"""
import re
import socket
import sys
import threading
import time

port_file, upstream, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pattern = re.compile(sys.argv[4].encode()) if len(sys.argv) > 4 else None
fired = threading.Event()


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def client_to_server(client, server):
    held = False
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            matched = pattern is not None and pattern.search(data) and not fired.is_set()
            if mode == "hold" and (matched or held):
                fired.set()
                held = True
                continue
            if mode == "cut" and matched:
                fired.set()  # before sending: the answer must not get through
                server.sendall(data)
                time.sleep(0.5)
                break
            server.sendall(data)
    except OSError:
        pass
    close(client, server)


def server_to_client(server, client):
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            if mode == "cut" and fired.is_set():
                break
            client.sendall(data)
    except OSError:
        pass
    close(client, server)


def serve(client):
    if mode == "silent":
        return  # keep it open, say nothing
    server = socket.create_connection(("127.0.0.1", upstream))
    threading.Thread(target=client_to_server, args=(client, server), daemon=True).start()
    threading.Thread(target=server_to_client, args=(server, client), daemon=True).start()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
kept = []
while True:
    conn, _ = listener.accept()
    kept.append(conn)
    serve(conn)
PY

# --- a connection lost after COMMIT was sent: unknown, exit 5 ---
psql -c "create table out_once (id int primary key, v text)"
printf "insert into out_once values (1, 'once');\n" >once.sql
start_proxy cut "$PGPORT_TEST" 'COMMIT'
px="postgresql://$pg_user_pw@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
expect_exit 5 "PG: connection lost after COMMIT was sent is exit 5" -- "$DBCTL" --json --url "$px" run once.sql
is "$(json_field 'd["outcome"]' <<<"$OUT")" unknown "... JSON outcome unknown, not rolled_back"
like "$ERR" "COMMIT was sent: the transaction may have committed" "... says it may have committed"
like "$ERR" "hint: check the database" "... and what to do"
unlike "$ERR" "rolled back|nothing was committed" "... never calls it rolled back"
is "$(psql -c 'select v from out_once')" once "(the row was in fact committed)"
stop_proxies

# migrate: the connection lost during a migration's COMMIT names it
mkdir mlost
printf -- '-- migrate:up\ncreate table out_mig (x int);\n-- migrate:down\ndrop table out_mig;\n' >mlost/1_lost.sql
start_proxy cut "$PGPORT_TEST" 'INSERT INTO ("?public"?\.)?"?schema_migrations.*COMMIT'
px="postgresql://$pg_user_pw@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
expect_exit 5 "migrate: connection lost during a migration's COMMIT is exit 5" -- \
	"$DBCTL" --url "$px" migrate up -d mlost --lock=advisory   # a plain TCP proxy: one server session per connection
like "$ERR" "migration 1: .*may have committed" "... names the migration"
like "$ERR" "migrate status" "... and says to run migrate status"
stop_proxies
expect_exit 0 "migrate status afterwards tells what happened" -- "$DBCTL" --url "$TEST_PG_URL" migrate status -d mlost
like "$OUT" "applied" "... (it was applied)"

# --- PG: interrupted during COMMIT: rolled back is 130 ---
psql <<'SQL'
create table out_slow (id int);
create function out_slow_trg() returns trigger language plpgsql as $$
begin perform pg_sleep(3); return null; end $$;
create constraint trigger out_slow_t after insert on out_slow deferrable initially deferred
  for each row execute function out_slow_trg();
SQL
printf 'insert into out_slow values (1);\n' >slow.sql
for sig in INT TERM; do
	"$DBCTL" --url "$TEST_PG_URL" run slow.sql >slow.out 2>slow.err &
	runner=$!
	sleep 1
	kill -$sig "$runner"
	wait "$runner"
	is "$?" 130 "PG: SIG$sig during COMMIT (a deferred trigger runs): exit 130"
	like "$(cat slow.err)" "interrupted during COMMIT: rolled back" "... says COMMIT was interrupted and rolled back"
done
is "$(psql -c 'select count(*) from out_slow')" 0 "... and nothing was committed"
mkdir mslow
printf -- '-- migrate:up\ninsert into out_slow values (9);\n' >mslow/3_slow.sql
"$DBCTL" --url "$TEST_PG_URL" migrate up -d mslow >ms.out 2>ms.err &
runner=$!
sleep 1
kill -TERM "$runner"
wait "$runner"
is "$?" 130 "migrate: SIGTERM during a migration's COMMIT: exit 130"
like "$(cat ms.err)" "interrupted during the COMMIT of migration 3: rolled back, not recorded" "... names the migration"
unlike "$(cat ms.err)" "no transaction in progress" "... without a ROLLBACK after the failed COMMIT"
is "$(psql -c 'select count(*) from out_slow')" 0 "... and nothing was committed"

# --- signals while connecting: PG and Redis, with connect_timeout=0 too ---
printf 'SET out:never 1\n' >never.redis
start_proxy silent 1
for target in "postgresql://app:x@127.0.0.1:$PROXY_PORT/app?sslmode=disable" "redis://:x@127.0.0.1:$PROXY_PORT/0"; do
	for timeout in 10 0; do
		script=once.sql
		[ "${target%%:*}" = redis ] && script=never.redis
		"$DBCTL" --url "$target" -o connect_timeout=$timeout run "$script" >conn.out 2>conn.err &
		runner=$!
		sleep 1
		kill -INT "$runner"
		if wait_gone "$runner" 4; then
			wait "$runner"
			is "$?" 130 "SIGINT while connecting to ${target%%:*} (connect_timeout=$timeout): exit 130"
		else
			fail "SIGINT while connecting to ${target%%:*} (connect_timeout=$timeout): still running 4 s later"
			kill -KILL "$runner"
		fi
	done
done
"$DBCTL" --url "postgresql://app:x@127.0.0.1:$PROXY_PORT/app?sslmode=disable" -o connect_timeout=0 \
	migrate up -d mlost >conn.out 2>conn.err &
runner=$!
sleep 1
kill -TERM "$runner"
if wait_gone "$runner" 4; then wait "$runner"; is "$?" 130 "SIGTERM while migrate connects: exit 130"
else fail "SIGTERM while migrate connects: still running"; kill -KILL "$runner"; fi
stop_proxies

# a listener whose backlog is full: the TCP handshake itself never completes
cat >synfull.py <<'PY'
import os, socket, sys, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0)
port = listener.getsockname()[1]
queued = []
for _ in range(4):  # fill the backlog: later SYNs are dropped
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    queued.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
PY
rm -f syn.port
/usr/bin/python3 synfull.py "$tmp/syn.port" &
proxies+=($!)
for ((i = 0; i < 100; i++)); do [ -s syn.port ] && break; sleep 0.05; done
for target in "postgresql://app:x@127.0.0.1:$(cat syn.port)/app?sslmode=disable" "redis://:x@127.0.0.1:$(cat syn.port)/0"; do
	script=once.sql
	[ "${target%%:*}" = redis ] && script=never.redis
	"$DBCTL" --url "$target" -o connect_timeout=0 run "$script" >conn.out 2>conn.err &
	runner=$!
	sleep 1
	kill -INT "$runner"
	if wait_gone "$runner" 4; then
		wait "$runner"
		is "$?" 130 "SIGINT during the TCP handshake with ${target%%:*}: exit 130"
		like "$(cat conn.err)" "interrupted while connecting: nothing was sent" "... says so"
	else
		fail "SIGINT during the TCP handshake with ${target%%:*}: still running 4 s later"
		kill -KILL "$runner"
	fi
done
stop_proxies

# --- queued behind a pooler: the connection is up, the query waits ---
start_proxy hold "$PGPORT_TEST" '^Q'
px="postgresql://$pg_user_pw@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
printf 'insert into out_once values (2, $$queued$$);\n' >queued.sql
for sig in INT TERM; do
	"$DBCTL" --url "$px" run queued.sql >q.out 2>q.err &
	runner=$!
	sleep 1.5
	kill -$sig "$runner"
	if wait_gone "$runner" 10; then
		wait "$runner"
		is "$?" 130 "SIG$sig while the query is queued: exit 130"
	else
		fail "SIG$sig while the query is queued: still running 10 s later"
		kill -KILL "$runner"
	fi
	like "$(cat q.err)" "interrupted" "... says interrupted"
	stop_proxies
	start_proxy hold "$PGPORT_TEST" '^Q'
	px="postgresql://$pg_user_pw@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
done
stop_proxies
is "$(psql -c 'select count(*) from out_once where id = 2')" 0 "nothing of the queued runs was applied"

# the same behind a real PgBouncer (session mode, one server connection, held)
bdir=$(mktemp -d /tmp/dbctl-bouncer.XXXXXX)
chmod 755 "$bdir"
bport=$(_free_port)
printf '"app" "%s"\n' "$TEST_PG_APP_PASSWORD" >"$bdir/users.txt"
cat >"$bdir/pgbouncer.ini" <<INI
[databases]
app = host=127.0.0.1 port=$PGPORT_TEST dbname=app
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $bdir/users.txt
pool_mode = session
default_pool_size = 1
max_client_conn = 20
logfile = $bdir/pgbouncer.log
pidfile = $bdir/pgbouncer.pid
INI
chown -R postgres "$bdir"
if runuser -u postgres -- pgbouncer -d -q "$bdir/pgbouncer.ini" 2>"$bdir/start.err"; then
	for ((i = 0; i < 50; i++)); do [ -s "$bdir/pgbouncer.pid" ] && break; sleep 0.1; done
	burl="postgresql://$pg_user_pw@127.0.0.1:$bport/app?sslmode=disable"
	"$TEST_PG_BINDIR/psql" -X -q -At "$burl" -c "select pg_sleep(20)" >/dev/null 2>&1 &
	holder=$!
	sleep 1
	"$DBCTL" --url "$burl" run queued.sql >b.out 2>b.err &
	runner=$!
	sleep 1.5
	kill -TERM "$runner"
	if wait_gone "$runner" 10; then
		wait "$runner"
		is "$?" 130 "PgBouncer: SIGTERM while queued for a server connection: exit 130"
	else
		fail "PgBouncer: SIGTERM while queued for a server connection: still running 10 s later"
		kill -KILL "$runner"
	fi
	kill "$holder" 2>/dev/null
	kill "$(cat "$bdir/pgbouncer.pid")" 2>/dev/null
	wait "$holder" 2>/dev/null
else
	fail "PgBouncer did not start: $(cat "$bdir/start.err")"
fi
rm -rf "$bdir"
is "$(psql -c 'select count(*) from out_once where id = 2')" 0 "... nothing of it was applied"

# --- Redis: an interrupt once EXEC is sent waits for its answer ---
rcli del out:a out:b >/dev/null
cat >rslow.redis <<'REDIS'
SET out:a 1
EVAL "local i=0 while i<150000000 do i=i+1 end return 1" 0
SET out:b 2
REDIS
"$DBCTL" --json --url "$TEST_REDIS_URL" run rslow.redis >rs.out 2>rs.err &
runner=$!
sleep 0.7
kill -INT "$runner"
wait "$runner"
is "$?" 0 "Redis: SIGINT while EXEC runs: EXEC's answer is awaited (exit 0: it was applied)"
is "$(json_field 'd["outcome"]' <rs.out)" committed "... JSON outcome committed, not rolled_back"
like "$(cat rs.err)" "interrupt came while EXEC was running, and it applied the commands all the same" "... and it says the interrupt came too late"
is "$(rcli get out:a)|$(rcli get out:b)" "1|2" "... every command was applied, as reported"
rcli del out:a out:b >/dev/null
"$DBCTL" --json --url "$TEST_REDIS_URL" run rslow.redis >rs.out 2>rs.err &
runner=$!
sleep 0.7
kill -INT "$runner"
sleep 0.2
kill -TERM "$runner"
wait "$runner"
is "$?" 5 "Redis: a second signal while EXEC runs: exit 5, outcome unknown"
is "$(json_field 'd["outcome"]' <rs.out)" unknown "... JSON outcome unknown"
like "$(cat rs.err)" "EXEC was sent: Redis may have applied" "... says it may have been applied"
for ((i = 0; i < 200; i++)); do [ "$(rcli get out:b)" = 2 ] && break; sleep 0.1; done
is "$(rcli get out:a)|$(rcli get out:b)" "1|2" "(Redis ran it to the end)"
rcli del out:a out:b >/dev/null
# the connection lost once EXEC is sent: unknown
printf 'SET out:c 3\n' >cut.redis
start_proxy cut "$REDIS_PORT_TEST" 'EXEC'
rurl="redis://:$(pct_encode "$TEST_REDIS_PASSWORD")@127.0.0.1:$PROXY_PORT/0"
expect_exit 5 "Redis: connection lost after EXEC was sent: exit 5" -- "$DBCTL" --json --url "$rurl" run cut.redis
is "$(json_field 'd["outcome"]' <<<"$OUT")" unknown "... JSON outcome unknown"
like "$ERR" "the connection was lost after EXEC was sent: Redis may have applied" "... says it may have been applied"
is "$(rcli get out:c)" 3 "(it was applied)"
stop_proxies
rcli del out:c >/dev/null
# before EXEC is sent: nothing applied, 130 (another client's script keeps
# Redis busy, so the run is still queueing when the signal comes)
printf 'SET out:q 1\nSET out:a done\n' >few.redis
rcli eval "local i=0 while i<150000000 do i=i+1 end return 1" 0 >/dev/null &
busy=$!
sleep 0.3
"$DBCTL" --url "$TEST_REDIS_URL" run few.redis >rm.out 2>rm.err &
runner=$!
sleep 0.5
kill -INT "$runner"
wait "$runner"
is "$?" 130 "Redis: SIGINT while queueing: exit 130"
wait "$busy"
is "$(rcli exists out:a)" 0 "... nothing applied"

# --- errors point at their statement ---
printf "insert into out_once values (50, 'a');\nselect 2;\nselec 3;\nselect 4;\n" >syn.sql
expect_exit 1 "PG: a syntax error in a batch" -- "$DBCTL" --url "$TEST_PG_URL" run syn.sql
like "$ERR" "^dbctl: syn\.sql:3:1: ERROR: syntax error at or near \"selec\" \(42601\)" "... is placed at its own line (3), column 1"
like "$ERR" "    3 \| selec 3;
      \| \^" "... with the caret under it"
/usr/bin/python3 -c '
for i in range(1, 43): print("select %d;" % i if i != 41 else "select 1 +;")' >syn42.sql
expect_exit 1 "PG: a syntax error on line 41 of 42" -- "$DBCTL" --url "$TEST_PG_URL" run syn42.sql
like "$ERR" "syn42\.sql:41:11: ERROR: syntax error at end of input|syn42\.sql:41:1[01]: ERROR: syntax error" "... is placed at line 41"
mkdir msyn
printf -- '-- migrate:up\ncreate table out_a (id int);\ncreate table out_b (id int);\ncreate tabl out_c (id int);\n' >msyn/2_syn.sql
expect_exit 1 "migrate: a syntax error" -- "$DBCTL" --url "$TEST_PG_URL" migrate up -d msyn
like "$ERR" "2_syn\.sql:4:8: ERROR: syntax error at or near \"tabl\"" "... is placed at line 4"

psql -c "create table out_p (id int primary key); create table out_c (p int references out_p deferrable initially deferred)"
printf 'insert into out_c values (7);\n' >dfk.sql
expect_exit 1 "PG: a deferred FK failing at COMMIT" -- "$DBCTL" --json --url "$TEST_PG_URL" run dfk.sql
like "$ERR" "^dbctl: at COMMIT: ERROR: insert or update on table \"out_c\" violates foreign key constraint .* \(23503\)" \
	"... says it happened at COMMIT, with ERROR: and SQLSTATE"
like "$ERR" "hint: COMMIT failed, so the transaction was rolled back" "... and that nothing was applied"
is "$(json_field 'd["outcome"]' <<<"$OUT")" rolled_back "... JSON outcome rolled_back"

printf 'create table out_copy (n int);\ncopy out_copy from stdin;\n1\n2\nthree\n4\n\\.\n' >copybad.sql
expect_exit 1 "PG: bad COPY data" -- "$DBCTL" --url "$TEST_PG_URL" run copybad.sql
like "$ERR" "^dbctl: copybad\.sql:5:1: ERROR: invalid input syntax for type integer: \"three\"" "... is placed at the data line (file line 5)"
like "$ERR" "CONTEXT: COPY out_copy, line 3" "... with the server's CONTEXT"

sq="$tmp/busy.db"
/usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table t (x int)"); c.commit()' "$sq"
/usr/bin/python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("begin exclusive"); open(sys.argv[2], "w").close(); time.sleep(4); c.execute("rollback")' "$sq" "$tmp/locked" &
holder=$!
for ((i = 0; i < 100; i++)); do [ -e locked ] && break; sleep 0.05; done
printf 'insert into t values (1);\n' >sqins.sql
expect_exit 1 "SQLite: busy past busy_timeout" -- "$DBCTL" --url "sqlite:///$sq" -o busy_timeout=300 run sqins.sql
like "$ERR" "database is locked" "... the server's words"
like "$ERR" "busy_timeout .*ran out.*another (process|connection)" "... say busy_timeout ran out and another process holds the file"
wait "$holder"

# --- notices and order ---
printf -- '-- one statement\ndrop table if exists out_nosuch;\n' >notice.sql
expect_exit 0 "PG: a script whose statement raises a NOTICE" -- "$DBCTL" --url "$TEST_PG_URL" run notice.sql
is "$ERR" 'dbctl: notice.sql:2:1: NOTICE: table "out_nosuch" does not exist, skipping' "... printed by dbctl, with FILE:LINE:COL"
printf 'select 1;\ndrop table if exists out_nosuch;\nselect 2;\n' >notice3.sql
expect_exit 0 "PG: a NOTICE in a batch of three" -- "$DBCTL" --url "$TEST_PG_URL" run notice3.sql
like "$ERR" '^dbctl: notice3\.sql:(2:1|1-3): NOTICE: table "out_nosuch" does not exist, skipping$' "... with its line, or the batch's lines when libpq cannot tell"
printf 'select 1;\n' >ok1.sql
expect_exit 1 "--echo then an error, both to one pipe" -- bash -o pipefail -c "'$DBCTL' --url '$TEST_PG_URL' run --echo ok1.sql syn.sql 2>&1 | cat"
like "$OUT" "^select 1;
insert into out_once values \(50, 'a'\);
select 2;
selec 3;
select 4;
dbctl: syn\.sql:3:1" "stdout comes before the error that followed it"

# --- a line printed before Ctrl-C is not lost ---
"$DBCTL" --url "$TEST_PG_URL" ping --count 5 --interval 3 >ping.out 2>ping.err &
runner=$!
for ((i = 0; i < 100; i++)); do grep -q ' up in ' ping.out 2>/dev/null && break; sleep 0.1; done
kill -INT "$runner"
wait "$runner"
is "$?" 130 "ping --count interrupted during its pause: exit 130"
like "$(cat ping.out)" " up in " "... the line printed before the pause is in the (redirected) output"

done_testing
