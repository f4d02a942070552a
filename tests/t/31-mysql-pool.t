#!/bin/bash
# dbctl pool stats against a throwaway MariaDB (findings §6): the server's
# budget from GLOBAL_STATUS for any user, the per-state breakdown (idle in
# transaction with its age) with PROCESS, "unknown (needs PROCESS)" and a hint
# without it, the account's max_user_connections (and --workers against it),
# wait_timeout, and a hint when pool_recycle does not retire connections first.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
holder= noproc_pids=()
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	for pid in "${noproc_pids[@]}"; do kill "$pid" 2>/dev/null; done
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
P=$TEST_MYSQL_PORT

mariadb_sql "CREATE TABLE app.t (id int PRIMARY KEY) ENGINE=InnoDB;
	CREATE USER 'noproc'@'%' IDENTIFIED BY 'np' WITH MAX_USER_CONNECTIONS 7;
	CREATE USER 'noproc'@'localhost' IDENTIFIED BY 'np' WITH MAX_USER_CONNECTIONS 7;
	GRANT ALL ON app.* TO 'noproc'@'%', 'noproc'@'localhost';
	SET GLOBAL wait_timeout = 1234"

# A session left idle inside a transaction that wrote a row, for 2 s or more.
mkfifo "$tmp/hold"
timeout 30 mariadb --no-defaults --skip-ssl -uapp -p"$TEST_MYSQL_APP_PASSWORD" -h127.0.0.1 -P"$P" app \
	<"$tmp/hold" >/dev/null 2>&1 &
holder=$!
exec 7>"$tmp/hold"
echo "BEGIN; INSERT INTO t VALUES (1);" >&7
for _ in $(seq 100); do
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.INNODB_TRX")" = 1 ] && break
	sleep 0.02
done
sleep 2.1
connected=$(mariadb_sql "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='THREADS_CONNECTED'")

expect_exit 0 "pool stats with PROCESS: exit 0" -- "$DBCTL" --url "$TEST_MYSQL_URL" --json pool stats
j=$OUT
is "$(json_field 'd["server"]["backend"]' <<<"$j")" mysql "backend mysql"
like "$(json_field 'd["server"]["version"]' <<<"$j")" "^MariaDB 10\." "version"
is "$(json_field 'd["server"]["max_connections"]' <<<"$j")" 50 "max_connections is the server's (--max-connections=50)"
is "$(json_field 'd["server"]["reserved"]' <<<"$j")" 0 "reserved 0"
# the holder and dbctl's own connection; mariadb_sql's connection has ended
is "$(json_field 'd["server"]["in_use"]' <<<"$j")" "$connected" "in_use is Threads_connected ($connected)"
is "$(json_field 'd["server"]["idle_in_transaction"]' <<<"$j")" 1 "one session idle in a transaction"
cmp_ok "$(json_field 'd["server"]["oldest_idle_in_transaction_s"]' <<<"$j")" -ge 2 "... for 2 s or more"
cmp_ok "$(json_field 'd["server"]["idle"]' <<<"$j")" -ge 1 "idle counts it (Sleep)"
cmp_ok "$(json_field 'd["server"]["active"]' <<<"$j")" -ge 1 "active counts dbctl's own query"
cmp_ok "$(json_field 'd["server"]["threads_running"]' <<<"$j")" -ge 1 "threads_running"
is "$(json_field 'd["server"]["max_user_connections"]' <<<"$j")" 0 "app has no per-account limit"
is "$(json_field 'd["server"]["wait_timeout"]' <<<"$j")" 1234 "wait_timeout (the global, for a new session)"
is "$(json_field 'd["server"].get("hint")' <<<"$j")" None "no PROCESS hint for app"
unlike "$j" "$(pct_encode "$TEST_MYSQL_APP_PASSWORD")|p@ss" "no password in the JSON"

expect_exit 0 "pool stats without PROCESS: exit 0" -- \
	"$DBCTL" --url "mysql://noproc:np@127.0.0.1:$P/app" pool stats
like "$OUT" "max_connections: 50" "the budget is still there"
like "$OUT" "  in_use: $connected" "in_use counts every user's threads ($connected)"
like "$OUT" "idle_in_transaction: unknown \(needs PROCESS\)" "idle in transaction unknown"
like "$OUT" "oldest_idle_in_transaction_s: unknown \(needs PROCESS\)" "its age unknown"
like "$OUT" "max_user_connections: 7" "the account's own MAX_USER_CONNECTIONS"
like "$OUT" "hint: grant PROCESS" "a hint says what to grant"
expect_exit 0 "--json without PROCESS" -- "$DBCTL" --url "mysql://noproc:np@127.0.0.1:$P/app" --json pool stats
is "$(json_field 'd["server"]["idle_in_transaction"]' <<<"$OUT")" "unknown (needs PROCESS)" "JSON: a string, not a number"

# --- the account's own limit (1226 comes before the server's 1040) ---
# three more of noproc's connections, idle: 7 - 3 = 4 left for the account
noproc_pids=()
for i in 1 2 3; do
	mkfifo "$tmp/np$i"
	timeout 30 mariadb --no-defaults --skip-ssl -unoproc -pnp -h127.0.0.1 -P"$P" app <"$tmp/np$i" >/dev/null 2>&1 &
	noproc_pids+=($!)
	eval "exec $((7 + i))>\"\$tmp/np$i\""
	echo "SELECT 1;" >&$((7 + i))
done
for _ in $(seq 100); do
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='noproc'")" = 3 ] && break
	sleep 0.02
done
NP=(--url "mysql://noproc:np@127.0.0.1:$P/app" -o pool_size=2 -o max_overflow=0)
expect_exit 0 "--workers 2 x 2 fits the 4 connections the account has left" -- "$DBCTL" "${NP[@]}" pool stats --workers 2
like "$OUT" "workers: 2 x 2 = 4 connections needed, 4 free for this account \(its limit is 7 connections\): fits" \
	"... counted against the account's limit"
like "$OUT" "account_limit: 7" "... which pool stats shows"
like "$OUT" "account_in_use: 4" "... with the account's connections now (3 + dbctl's own)"
expect_exit 1 "--workers 3 x 2 does not fit: the account's limit binds, not the server's 50" -- \
	"$DBCTL" "${NP[@]}" pool stats --workers 3
like "$OUT" "6 connections needed, 4 free for this account.*: does not fit" "... says which limit"
expect_exit 1 "--json --workers 3" -- "$DBCTL" "${NP[@]}" --json pool stats --workers 3
is "$(json_field 'd["workers"]["free"]' <<<"$OUT")" 4 "JSON workers.free is the account's"
is "$(json_field 'd["workers"]["account_free"]' <<<"$OUT")" 4 "JSON workers.account_free"
is "$(json_field 'd["server"]["account_limit"]' <<<"$OUT")" 7 "JSON server.account_limit"
cmp_ok "$(json_field 'd["server"]["free"]' <<<"$OUT")" -ge 40 "... while the server has plenty free"
expect_exit 0 "app has no per-account limit: --workers 3 x 2 fits" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL" -o pool_size=2 -o max_overflow=0 pool stats --workers 3
unlike "$OUT" "for this account|account_limit" "... and no account limit is shown"
for i in 1 2 3; do eval "exec $((7 + i))>&-"; done
for pid in "${noproc_pids[@]}"; do wait "$pid" 2>/dev/null; done

# --- pool_recycle against the server's wait_timeout (1234 s, set above) ---
expect_exit 0 "pool_recycle off (the default)" -- "$DBCTL" --url "$TEST_MYSQL_URL" pool stats
like "$OUT" "hint: pool_recycle is off, and the server closes connections idle for 1234 s" \
	"... hints that the server closes idle connections first"
expect_exit 0 "pool_recycle 3600 (SQLAlchemy's MySQL advice) against wait_timeout 1234" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL" -o pool_recycle=3600 pool stats
like "$OUT" "hint: pool_recycle 3600 s is not below the server's idle timeout 1234 s" "... hints to set it lower"
expect_exit 0 "pool_recycle 1234: equal is not below" -- "$DBCTL" --url "$TEST_MYSQL_URL" -o pool_recycle=1234 --json pool stats
like "$(json_field 'd["hints"][0]' <<<"$OUT")" "pool_recycle 1234 s is not below the server's idle timeout 1234 s" \
	"... the JSON hints too"
expect_exit 0 "pool_recycle 600, below it" -- "$DBCTL" --url "$TEST_MYSQL_URL" -o pool_recycle=600 pool stats
unlike "$OUT" "hint: pool_recycle" "... no hint"
expect_exit 0 "... --json" -- "$DBCTL" --url "$TEST_MYSQL_URL" -o pool_recycle=600 --json pool stats
is "$(json_field 'len(d["hints"])' <<<"$OUT")" 0 "... no JSON hint"

echo "ROLLBACK;" >&7
exec 7>&-
wait "$holder" 2>/dev/null
holder=
expect_exit 0 "after the holder left" -- "$DBCTL" --url "$TEST_MYSQL_URL" --json pool stats
is "$(json_field 'd["server"]["idle_in_transaction"]' <<<"$OUT")" 0 "nobody idle in a transaction"

expect_exit 1 "pool stats with a wrong password: exit 1" -- "$DBCTL" --url "mysql://app:wrong@127.0.0.1:$P/app" pool stats
expect_exit 2 "pool stats on a closed port: exit 2" -- "$DBCTL" --url "mysql://app:x@127.0.0.1:1/app" pool stats

done_testing
