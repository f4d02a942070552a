#!/bin/bash
# Interactions between the branches merged for issue 9: the interruptible
# wait under the shell, ping and run; migrate's --lock auto on ordinary
# direct setups; no password in the new messages.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
. "$(dirname "$0")/../lib/pty.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
cd "$tmp" || exit 1
trap 'pty_cleanup; mig_cleanup; type pgb_stop_all >/dev/null 2>&1 && pgb_stop_all; rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state PAGER=
pty_start keepalive sleep 100000

mkdir -p mig
echo "select 1;" >one.sql
printf -- '-- migrate:up\ncreate table a_one (id int);\n-- migrate:down\ndrop table a_one;\n' >mig/001_one.sql

# --- migrate --lock auto on a direct connection: no pooler warning ---
newdb unixsock
sock_url="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@/$DB?host=$TEST_PG_SOCKET_DIR&port=$PGPORT_TEST"
run_cmd "$DBCTL" --url "$sock_url" migrate up -d mig
is "$RC" 0 "migrate up over a unix socket: exit 0"
unlike "$ERR" "pooler or proxy" "... and no pooler warning on a direct unix socket"
diag "$ERR"

newdb localhost
lh_url="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@localhost:$PGPORT_TEST/$DB"
run_cmd "$DBCTL" --url "$lh_url" migrate up -d mig
is "$RC" 0 "migrate up to localhost: exit 0"
unlike "$ERR" "pooler or proxy" "... and no pooler warning on localhost"
diag "$ERR"

newdb searchpath
run_cmd "$DBCTL" --url "$URL" -o search_path=nowhere migrate up -d mig
diag "search_path rc=$RC out=$OUT err=$ERR"

# --- the interactive shell: Ctrl-C cancels the statement, keeps the session ---
pty_start sh1 env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$TEST_PG_URL" shell
pty_wait sh1 'to quit' || true
pty_type sh1 "select pg_sleep(60);"
sleep 1
pty_keys sh1 C-c
pty_wait sh1 'cancel' 15; ok $? "shell: Ctrl-C cancels a long statement"
pty_type sh1 "select 40 + 2 as answer;"
pty_wait sh1 '42' 15; ok $? "shell: the session goes on after the cancel"
pty_keys sh1 C-c
sleep 0.5
pty_type sh1 "select 'still' || 'here';"
pty_wait sh1 'stillhere' 15; ok $? "shell: Ctrl-C at the prompt keeps the shell"
pty_type sh1 "select pg_sleep(60);"
sleep 1
pty_keys sh1 C-c
sleep 1
pty_type sh1 "select pg_sleep(60);"
sleep 1
pty_keys sh1 C-c
sleep 1
pty_type sh1 "select 'third' || 'one';"
pty_wait sh1 'thirdone' 15; ok $? "shell: a second cancelled statement, and the session still goes on"
diag "$(pty_screen sh1 | tail -30)"

# --- ping --count and Ctrl-C ---
"$DBCTL" --url "$TEST_PG_URL" ping --count 100 --interval 0.5 >ping.out 2>ping.err &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
diag "ping rc=$rc $(cat ping.out ping.err | tail -5)"

# the fault proxy of 62-run-outcomes.t (hold: keeps a matching packet and all after it from the server)
sed -n "/^cat >faultproxy.py <<'PY'\$/,/^PY\$/p" "$here/62-run-outcomes.t" | sed '1d;$d' >faultproxy.py
proxies=()
start_proxy() {
	rm -f proxy.port
	/usr/bin/python3 "$tmp/faultproxy.py" "$tmp/proxy.port" "$2" "$1" "${3:-}" &
	proxies+=($!)
	local i
	for ((i = 0; i < 100; i++)); do [ -s proxy.port ] && break; sleep 0.05; done
	PROXY_PORT=$(cat proxy.port)
}
trap 'pty_cleanup; mig_cleanup; type pgb_stop_all >/dev/null 2>&1 && pgb_stop_all; for p in "${proxies[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
start_proxy hold "$PGPORT_TEST" stall_me
px="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
pty_start sh2 env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$px" shell
pty_wait sh2 'to quit' || true
pty_type sh2 "select 1 as warm;"
pty_wait sh2 'row' 15 || true
pty_type sh2 "select 'stall_me';"
sleep 1
pty_keys sh2 C-c
sleep 2
pty_keys sh2 C-c
pty_wait sh2 'app.?> $' 20; ok $? "shell: a second Ctrl-C ends a statement whose server never answers the cancel"
like "$(pty_screen sh2)" "did not answer the cancel" "... and says the connection was closed unanswered"
pty_type sh2 "select 'after' || 'abandon';"
pty_wait sh2 'afterabandon' 20; ok $? "shell: the next statement runs on a new connection"
pty_type sh2 "select 'no' || 'poison';"
pty_wait sh2 'nopoison' 20; ok $? "shell: and the one after (the interrupts were forgotten)"
diag "$(pty_screen sh2 | tail -14)"

# --- run - from a pipe that never ends: Ctrl-C ---
mkfifo never.fifo
sleep 60 >never.fifo &
writer=$!
"$DBCTL" --url "$TEST_PG_URL" run - <never.fifo >pipe.out 2>pipe.err &
pid=$!
sleep 1.5
kill -INT $pid
for _ in $(seq 100); do [ "$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)" = Z ] || ! [ -e /proc/$pid ] && break; sleep 0.1; done
kill -0 $pid 2>/dev/null && [ "$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)" != Z ] && { kill -KILL $pid; echo stuck >pipe.rc; }
wait $pid; rc=$?; [ -s pipe.rc ] || echo $rc >pipe.rc
kill $writer 2>/dev/null
is "$(cat pipe.rc 2>/dev/null)" 130 "run - from a pipe: Ctrl-C while it is read ends dbctl (130)"
diag "$(cat pipe.err)"

# --- secrets: no password in the new messages (resolve, per-host, proxy warning, exit 5, interrupt) ---
pw_url() { printf 'postgresql://app:%s@%s/%s' "$(pct_encode "$TEST_PG_APP_PASSWORD")" "$1" "$2"; }
leaks=()
check_leak() {
	local what=$1
	shift
	run_cmd "$@"
	case "$OUT$ERR" in *"$TEST_PG_APP_PASSWORD"* | *"$(pct_encode "$TEST_PG_APP_PASSWORD")"*) leaks+=("$what: $OUT $ERR") ;; esac
}
check_leak "unknown host" "$DBCTL" --url "$(pw_url no-such-host.invalid app)" ping
check_leak "multi-host refused" "$DBCTL" --url "$(pw_url "127.0.0.1:1,127.0.0.2:1" app)" run one.sql
check_leak "multi-host refused json" "$DBCTL" --json --url "$(pw_url "127.0.0.1:1,127.0.0.2:1" app)" ping
start_proxy cut "$PGPORT_TEST" 'COMMIT'
check_leak "lost COMMIT" "$DBCTL" --url "$(pw_url "127.0.0.1:$PROXY_PORT" "app?sslmode=disable")" run one.sql
is "$RC" 5 "a COMMIT cut by the proxy: exit 5"
start_proxy hold "$PGPORT_TEST" 'nothing_matches_this'
newdb viaproxy
check_leak "proxy warning" "$DBCTL" --url "$(pw_url "127.0.0.1:$PROXY_PORT" "$DB?sslmode=disable")" migrate up -d mig
like "$ERR" "pooler or proxy" "migrate through a TCP proxy: --lock auto warns and takes the lease"
is "$(q "select count(*) from schema_migrations")" 1 "... and the migration is applied"
check_leak "lease held" "$DBCTL" --url "$(pw_url "127.0.0.1:$PROXY_PORT" "$DB?sslmode=disable")" migrate up -d mig --lock table
is "${#leaks[@]}" 0 "no password in any of these messages"
for l in "${leaks[@]}"; do diag "$l"; done

# --- the shell's \commit behind a proxy that never passes COMMIT on: two Ctrl-C, unknown outcome ---
start_proxy hold "$PGPORT_TEST" 'COMMIT'
px="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
"$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" -c "create table a_commit (id int)"
pty_start sh3 env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$px" shell
pty_wait sh3 'to quit' || true
pty_type sh3 "insert into a_commit values (1);"
pty_wait sh3 'INSERT' 15 || true
pty_type sh3 '\commit'
sleep 1
pty_keys sh3 C-c
sleep 1
pty_keys sh3 C-c
pty_wait sh3 'may have committed' 20; ok $? "shell: a second Ctrl-C during an unanswered \\commit says the outcome is unknown"
pty_type sh3 "select 'shell' || 'alive';"
pty_wait sh3 'shellalive' 20; ok $? "... and the shell goes on"
diag "$(pty_screen sh3 | tail -14)"

# --- SIGTERM to the shell during a statement whose server never answers ---
start_proxy hold "$PGPORT_TEST" 'stall_me'
px="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@127.0.0.1:$PROXY_PORT/app?sslmode=disable"
leader=
pty_start sh4 env XDG_STATE_HOME="$XDG_STATE_HOME" PAGER= "$DBCTL" --url "$px" shell
pty_wait sh4 'to quit' || true
pty_type sh4 "select 'stall_me';"
sleep 1
pid=$(pgrep -n -f "dbctl.*shell" -P "$(_pty display-message -p -t sh4 '#{pane_pid}')")
kill -TERM "$pid"
pty_wait sh4 '\[exit 130\]' 30; ok $? "shell: SIGTERM during a statement the server never answers ends the shell (130)"
diag "$(pty_screen sh4 | tail -8)"

# --- run through PgBouncer transaction pooling ---
. "$here/../lib/pgbouncer.sh"
if pgb_start tx transaction query_wait_timeout=30; then
	printf "create table if not exists a_pgb (id int, t text);\ninsert into a_pgb values (1, 'é');\nselect count(*) from a_pgb;\n" >pgb.sql
	run_cmd "$DBCTL" --url "$PGB_URL_BASE/app" run pgb.sql
	is "$RC" 0 "run through PgBouncer transaction pooling: exit 0"
	diag "$ERR"
	run_cmd "$DBCTL" --url "$PGB_URL_BASE/app" run --no-transaction pgb.sql
	is "$RC" 0 "run --no-transaction through PgBouncer transaction pooling: exit 0"
	diag "$ERR"
	is "$("$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" -c "select count(*) from a_pgb where t = 'é'")" 2 "... both runs applied, UTF-8 intact"
	pgb_stop tx
else
	ok 1 "# skip pgbouncer did not start"
fi

# --- SIGINT during the check pass of a huge file: 130, nothing applied ---
"$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" -c "create table a_huge (id int)"
/usr/bin/python3 -c "
with open('huge.sql', 'w') as f:
    for i in range(3000000):
        f.write('insert into a_huge values (%d);\\n' % i)
"
"$DBCTL" --url "$TEST_PG_URL" run huge.sql >huge.out 2>huge.err &
pid=$!
sleep 0.7
kill -INT $pid
wait $pid
is "$?" 130 "SIGINT during a huge file's check pass: exit 130"
is "$("$TEST_PG_BINDIR/psql" -X -q -At "$TEST_PG_URL" -c "select count(*) from a_huge")" 0 "... nothing applied"
diag "$(tail -3 huge.err)"

# --- a lease left by a lost connection: the next run says whose it is and how long it still blocks ---
newdb leftlease
printf -- '-- migrate:up\ncreate table a_two (id int);\n-- migrate:down\ndrop table a_two;\n' >mig/002_two.sql
run_cmd "$DBCTL" --url "$URL" migrate up -d mig --lock table
is "$RC" 0 "migrate up --lock table: exit 0"
q "insert into schema_migrations_lock (id, holder, expires_at) values (1, 'ci-1:4242:0', now() + interval '10 minutes') on conflict (id) do update set holder = excluded.holder, expires_at = excluded.expires_at" >/dev/null
printf -- '-- migrate:up\ncreate table a_three (id int);\n-- migrate:down\ndrop table a_three;\n' >mig/003_three.sql
run_cmd "$DBCTL" --url "$URL" migrate up -d mig --lock table --lock-timeout 1
is "$RC" 1 "a lease left behind: the next run gives up after --lock-timeout (exit 1)"
like "$ERR" "ci-1:4242:0, which expires in (59[0-9]|600) s" "... naming the lease's holder and how long it still blocks"
diag "$ERR"
done_testing
