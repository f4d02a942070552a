#!/bin/bash
# dbctl ping against real servers: each exit code on each backend, the deadline
# against a silent listener, --wait against a server that comes up late.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1   # ./dbctl.ini must not be read from wherever we were
listener_pids=()
cleanup() {
	local pid
	for pid in "${listener_pids[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# A listener that accepts connections and never says a word: the case that
# hangs clients relying on connect_timeout alone.
silent_port=$(free_port)
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>50,LocalAddr=>"127.0.0.1:'"$silent_port"'",ReuseAddr=>1) or die; while($c=$s->accept){push @k,$c}' &
listener_pids+=($!)
closed_port=$(free_port)
pg_bad_password=${TEST_PG_URL/app:*@/app:wrong@}

# --- usage ---
expect_exit 0 "ping --help" -- "$DBCTL" ping --help
like "$OUT" "--timeout SECONDS" "help lists --timeout"
expect_exit 3 "unknown option is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" ping --nope
expect_exit 3 "--timeout abc is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" ping --timeout abc
expect_exit 3 "--level nope is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" ping --level nope
expect_exit 3 "unparseable PostgreSQL URL is exit 3" -- "$DBCTL" --url "postgresql://h/db?bogus=1" ping
like "$ERR" "invalid PostgreSQL URL" "... and says the URL is invalid"
expect_exit 3 "rediss:// (no TLS in hiredis 0.14) is exit 3" -- "$DBCTL" --url "rediss://h:6379" ping

# --- PostgreSQL ---
expect_exit 0 "PostgreSQL up" -- "$DBCTL" --url "$TEST_PG_URL" ping
like "$OUT" "^postgresql://app:\*\*\*@127\.0\.0\.1:$PGPORT_TEST/app: up in [0-9.]+ ms \(PostgreSQL 15" \
	"prints the masked target, latency and server version"
expect_exit 1 "PostgreSQL wrong password: exit 1" -- "$DBCTL" --url "$pg_bad_password" ping
like "$ERR" "refused: .*password authentication failed" "... says refused and why"
expect_exit 1 "PostgreSQL unknown database: exit 1" -- "$DBCTL" --url "${TEST_PG_URL%/app}/nosuchdb" ping
like "$ERR" 'database "nosuchdb" does not exist' "... names the database"
run_cmd "$TEST_PG_BINDIR/psql" -X "$TEST_PG_SUPER_URL" -qc \
	"drop role if exists full_role; create role full_role login password 'full' connection limit 0"
expect_exit 1 "PostgreSQL too many connections (role limit reached): exit 1" -- \
	"$DBCTL" --url "postgresql://full_role:full@127.0.0.1:$PGPORT_TEST/app" ping
like "$ERR" "too many connections" "... says too many connections"
expect_exit 2 "PostgreSQL closed port: exit 2" -- "$DBCTL" --url "postgresql://app@127.0.0.1:$closed_port/app" ping
like "$ERR" "no answer" "... says no answer"
expect_exit 0 "--level server: a wrong password still proves the server answers" -- \
	"$DBCTL" --url "$pg_bad_password" ping --level server
expect_exit 1 "--level auth: a wrong password fails" -- "$DBCTL" --url "$pg_bad_password" ping --level auth
expect_exit 2 "--level server: a closed port fails" -- \
	"$DBCTL" --url "postgresql://app@127.0.0.1:$closed_port/app" ping --level server
expect_exit 2 "PostgreSQL silent listener, --timeout 2: exit 2" -- \
	"$DBCTL" --url "postgresql://app:x@127.0.0.1:$silent_port/app" ping --timeout 2
cmp_ok "$MS" -ge 1900 "... after the full 2 s ($MS ms)"
cmp_ok "$MS" -lt 2600 "... and not much longer ($MS ms)"
like "$ERR" "timed out .* after 2 s" "... says it timed out"
expect_exit 2 "PostgreSQL silent listener, --timeout 0.5: exit 2" -- \
	"$DBCTL" --url "postgresql://app:x@127.0.0.1:$silent_port/app" ping --timeout 0.5
cmp_ok "$MS" -lt 1000 "... within about half a second ($MS ms), below libpq's 2 s connect_timeout floor"
expect_exit 0 "--level reach: a silent listener accepted the TCP connection" -- \
	"$DBCTL" --url "postgresql://app:x@127.0.0.1:$silent_port/app" ping --timeout 0.3 --level reach

# --- Redis ---
expect_exit 0 "Redis up" -- "$DBCTL" --url "$TEST_REDIS_URL" ping
like "$OUT" "^redis://:\*\*\*@127\.0\.0\.1:$REDIS_PORT_TEST/0: up in [0-9.]+ ms \(Redis 7" "masked target and version"
expect_exit 0 "Redis over the unix socket" -- "$DBCTL" --url "$TEST_REDIS_UNIX_URL" ping
expect_exit 1 "Redis without password: NOAUTH is exit 1 (redis-cli ping exits 0)" -- \
	"$DBCTL" --url "redis://127.0.0.1:$REDIS_PORT_TEST/0" ping
like "$ERR" "NOAUTH" "... says NOAUTH"
expect_exit 1 "Redis wrong password: exit 1" -- "$DBCTL" --url "redis://:wrong@127.0.0.1:$REDIS_PORT_TEST/0" ping
like "$ERR" "WRONGPASS" "... says WRONGPASS"
expect_exit 0 "Redis --level server without password: it answered" -- \
	"$DBCTL" --url "redis://127.0.0.1:$REDIS_PORT_TEST/0" ping --level server
expect_exit 2 "Redis closed port: exit 2" -- "$DBCTL" --url "redis://127.0.0.1:$closed_port" ping
expect_exit 2 "Redis silent listener, --timeout 0.5: exit 2" -- \
	"$DBCTL" --url "redis://127.0.0.1:$silent_port" ping --timeout 0.5
cmp_ok "$MS" -lt 1000 "... within about half a second ($MS ms)"

# A real redis-server still loading its dataset answers -LOADING: up for
# redis-cli ping, not ready for us. key-load-delay slows loading down.
loading_dir=$tmp/loading
mkdir -p "$loading_dir"
loading_port=$(free_port)
redis-server --port "$loading_port" --bind 127.0.0.1 --dir "$loading_dir" --save "" --appendonly no --enable-debug-command yes \
	</dev/null >"$loading_dir/log" 2>&1 &
loading_pid=$!
listener_pids+=($loading_pid)
until redis-cli -p "$loading_port" ping >/dev/null 2>&1; do sleep 0.05; done
redis-cli -p "$loading_port" debug populate 20000 >/dev/null
redis-cli -p "$loading_port" save >/dev/null
kill "$loading_pid"
while [ -e "/proc/$loading_pid" ] && ! grep -q '^State:.*Z' "/proc/$loading_pid/status" 2>/dev/null; do sleep 0.05; done
redis-server --port "$loading_port" --bind 127.0.0.1 --dir "$loading_dir" --save '' --appendonly no \
	--key-load-delay 200 --loading-process-events-interval-bytes 1024 </dev/null >>"$loading_dir/log" 2>&1 &
listener_pids+=($!)
for _ in $(seq 100); do
	reply=$(redis-cli -p "$loading_port" ping 2>&1)
	case $reply in LOADING*) break ;; esac
	sleep 0.02
done
if [[ $reply == LOADING* ]]; then
	expect_exit 1 "Redis still loading its dataset (-LOADING): exit 1" -- \
		"$DBCTL" --url "redis://127.0.0.1:$loading_port" ping
	like "$ERR" "LOADING" "... says LOADING"
else
	skip "could not catch redis-server while loading (got '$reply')" 2
fi

# --- SQLite ---
expect_exit 2 "SQLite file that does not exist: exit 2" -- "$DBCTL" --url "sqlite:///$tmp/ok.db" ping
[ ! -e "$tmp/ok.db" ]
ok $? "... and ping did not create it (a probe changes nothing)"
"$DBCTL" --url "sqlite:///$tmp/ok.db" -o journal_mode=delete run - <<<"create table t(x);" >/dev/null
expect_exit 0 "SQLite file up" -- "$DBCTL" --url "sqlite:///$tmp/ok.db" ping
like "$OUT" "up in [0-9.]+ ms \(SQLite 3" "SQLite version"
expect_exit 0 "SQLite ping with journal_mode=wal configured" -- "$DBCTL" --url "sqlite:///$tmp/ok.db" -o journal_mode=wal ping
is "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("pragma journal_mode").fetchone()[0])' "$tmp/ok.db")" \
	delete "... left the file's journal mode alone"
expect_exit 0 "SQLite :memory: up" -- "$DBCTL" --url "sqlite::memory:" ping
expect_exit 2 "SQLite file in a missing directory: exit 2" -- "$DBCTL" --url "sqlite:///$tmp/missing/dir/x.db" ping
head -c 4096 /dev/urandom >"$tmp/garbage.db"
expect_exit 1 "SQLite file that is not a database: exit 1" -- "$DBCTL" --url "sqlite:///$tmp/garbage.db" ping
like "$ERR" "not a database" "... says so"
expect_exit 2 "SQLite ?mode=rw on a missing file: exit 2, nothing created" -- \
	"$DBCTL" --url "sqlite:///$tmp/absent.db?mode=rw" ping
[ ! -e "$tmp/absent.db" ]
ok $? "... and the file was not created"

# --- output forms ---
expect_exit 0 "--quiet" -- "$DBCTL" --url "$TEST_PG_URL" ping --quiet
is "$OUT" "" "--quiet prints nothing on success"
expect_exit 0 "--json up" -- "$DBCTL" --url "$TEST_PG_URL" ping --json
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" up "JSON status up"
is "$(json_field 'd["results"][0]["backend"]' <<<"$OUT")" postgresql "JSON backend"
like "$(json_field 'd["results"][0]["server_version"]' <<<"$OUT")" "^PostgreSQL 15" "JSON server_version"
expect_exit 1 "--json refused" -- "$DBCTL" --url "$pg_bad_password" ping --json
is "$(json_field 'd["results"][0]["status"], d["exit"]' <<<"$OUT")" "('refused', 1)" "JSON status refused, exit 1"
expect_exit 2 "--json timeout" -- "$DBCTL" --url "redis://127.0.0.1:$silent_port" ping --json --timeout 0.3
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" no_answer "JSON status no_answer"
expect_exit 0 "--count 3" -- "$DBCTL" --url "$TEST_REDIS_URL" ping --count 3 --interval 0.05
is "$(grep -c ': up in ' <<<"$OUT")" 3 "three attempts printed"
like "$OUT" "3 pings, 3 up, latency min/avg/max" "and a summary"

# --- --all ---
cat >"$tmp/all.ini" <<INI
[pg]
url = $TEST_PG_URL
[cache]
url = $TEST_REDIS_URL
[local]
url = sqlite:///$tmp/ok.db
INI
chmod 600 "$tmp/all.ini"
expect_exit 0 "--all: three profiles up" -- "$DBCTL" --config "$tmp/all.ini" ping --all
is "$(grep -c ': up in ' <<<"$OUT")" 3 "one line per profile"
like "$OUT" "\[pg\] postgresql://app:\*\*\*@" "lines are prefixed with the profile"
printf '[down]\nurl = redis://127.0.0.1:%s\n' "$closed_port" >>"$tmp/all.ini"
DATABASE_URL=sqlite::memory: expect_exit 2 "--all with one profile down: its exit code" -- \
	"$DBCTL" --config "$tmp/all.ini" ping --all --json
is "$(json_field '[r["status"] for r in d["results"]]' <<<"$OUT")" "['up', 'up', 'up', 'no_answer']" \
	"each profile pinged at its own url, even with DATABASE_URL set"

# --- interrupted ---
"$DBCTL" --url "postgresql://app:x@127.0.0.1:$silent_port/app" ping --timeout 10 >/dev/null 2>"$tmp/int.err" &
victim=$!
sleep 0.5
kill -TERM "$victim"
wait "$victim"
is "$?" 130 "SIGTERM during a ping: exit 130"
like "$(cat "$tmp/int.err")" "interrupted" "... and says so"
expect_exit 3 "--all with --url is exit 3" -- "$DBCTL" --config "$tmp/all.ini" --url "$TEST_PG_URL" ping --all

# --- --wait: a server that comes up late ---
redis_stop_test
(sleep 1.5; redis_start_test) >/dev/null 2>&1 &
starter=$!
expect_exit 0 "--wait: Redis comes up after 1.5 s" -- "$DBCTL" --url "$TEST_REDIS_URL" ping --wait 15 --timeout 1
cmp_ok "$MS" -ge 1400 "... it waited for it ($MS ms)"
wait "$starter"
expect_exit 2 "--wait gives up: a closed port for 1 s" -- \
	"$DBCTL" --url "redis://127.0.0.1:$closed_port" ping --wait 1 --timeout 0.2
cmp_ok "$MS" -ge 900 "... after about the wait ($MS ms)"
cmp_ok "$MS" -lt 2500 "... not much longer ($MS ms)"

pg_stop_test
(sleep 2; pg_start_test) >/dev/null 2>&1 &
starter=$!
expect_exit 0 "--wait: PostgreSQL comes up after 2 s" -- "$DBCTL" --url "$TEST_PG_URL" ping --wait 30 --timeout 2
cmp_ok "$MS" -ge 1900 "... it waited for it ($MS ms)"
wait "$starter"

done_testing
