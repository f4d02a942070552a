#!/bin/bash
# dbctl pool stats on each backend: client side, server side, --workers both ways.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

expect_exit 0 "pool stats --help" -- "$DBCTL" pool stats --help
like "$OUT" "--workers N" "help lists --workers"
expect_exit 3 "--workers 0 is exit 3" -- "$DBCTL" --url "$TEST_PG_URL" pool stats --workers 0

# PostgreSQL: max_connections 50, 3 reserved for superusers
expect_exit 0 "PostgreSQL pool stats" -- "$DBCTL" --url "$TEST_PG_URL" pool stats
like "$OUT" "target: postgresql://app:\*\*\*@127\.0\.0\.1" "masked target"
like "$OUT" "capacity: 15" "capacity 5 + 10"
like "$OUT" "connects: 1" "one connect"
like "$OUT" "max_connections: 50" "server max_connections"
like "$OUT" "reserved: 3" "superuser_reserved_connections"
like "$OUT" "idle_in_transaction: " "backends by state"
like "$OUT" "oldest_idle_in_transaction_s: " "oldest idle-in-transaction age"
# one session left idle in a transaction: visible in the states
( "$TEST_PG_BINDIR/psql" -X "$TEST_PG_URL" -c 'begin' -c 'select pg_sleep(4)' >/dev/null 2>&1 & )
( "$TEST_PG_BINDIR/psql" -X "$TEST_PG_URL" <<<"begin; select 1; \\! sleep 4" >/dev/null 2>&1 & )
sleep 1.2
expect_exit 0 "--json with other sessions open" -- "$DBCTL" --url "$TEST_PG_URL" pool stats --json
is "$(json_field 'd["server"]["in_use"] >= 3' <<<"$OUT")" True "in_use counts the other sessions"
is "$(json_field 'd["server"]["idle_in_transaction"]' <<<"$OUT")" 1 "one session idle in transaction"
is "$(json_field 'd["server"]["oldest_idle_in_transaction_s"] >= 1' <<<"$OUT")" True "its age is at least 1 s"
free=$(json_field 'd["server"]["free"]' <<<"$OUT")
is "$free" "$((50 - 3 - 2))" "free = max_connections - reserved - others' connections"
sleep 3.5

expect_exit 0 "--workers 3 (45 of 47 free) fits" -- "$DBCTL" --url "$TEST_PG_URL" pool stats --workers 3
like "$OUT" "workers: 3 x 15 = 45 connections needed, 47 free: fits" "says it fits"
expect_exit 1 "--workers 4 (60 of 47 free) does not fit: exit 1" -- "$DBCTL" --url "$TEST_PG_URL" pool stats --workers 4
like "$OUT" "60 connections needed, 47 free: does not fit" "says it does not fit"
expect_exit 0 "a smaller pool makes 40 workers fit" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o pool_size=1 -o max_overflow=0 pool stats --workers 40 --json
is "$(json_field 'd["workers"]' <<<"$OUT")" "{'workers': 40, 'per_worker': 1, 'needed': 40, 'free': 47, 'fits': True, 'exact': True}" \
	"JSON workers block"
expect_exit 1 "max_overflow -1 never fits" -- "$DBCTL" --url "$TEST_PG_URL" -o max_overflow=-1 pool stats --workers 1
like "$OUT" "no limit" "says why"
expect_exit 1 "wrong password: exit 1" -- "$DBCTL" --url "${TEST_PG_URL/app:*@/app:wrong@}" pool stats
expect_exit 2 "closed port: exit 2" -- "$DBCTL" --url "postgresql://app@127.0.0.1:1/app" pool stats

# Redis
expect_exit 0 "Redis pool stats" -- "$DBCTL" --url "$TEST_REDIS_URL" pool stats --json
is "$(json_field 'd["server"]["maxclients"], d["server"]["max_connections"]' <<<"$OUT")" "(10000, 10000)" "maxclients"
is "$(json_field '"rejected_connections" in d["server"] and "connected_clients" in d["server"]' <<<"$OUT")" True \
	"INFO clients and rejected_connections"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning config set maxclients 40 >/dev/null
expect_exit 1 "Redis maxclients 40: 3 workers x 15 do not fit" -- "$DBCTL" --url "$TEST_REDIS_URL" pool stats --workers 3
expect_exit 0 "Redis maxclients 40: 2 workers x 15 fit" -- "$DBCTL" --url "$TEST_REDIS_URL" pool stats --workers 2
redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning config set maxclients 10000 >/dev/null

# SQLite
expect_exit 2 "SQLite pool stats on a missing file: exit 2, nothing created" -- "$DBCTL" --url "sqlite:///$tmp/s.db" pool stats
"$DBCTL" --url "sqlite:///$tmp/s.db" run - <<<"create table t(x);" >/dev/null
expect_exit 0 "SQLite pool stats" -- "$DBCTL" --url "sqlite:///$tmp/s.db" pool stats --workers 100
like "$OUT" "journal_mode: wal" "journal mode"
like "$OUT" "page_size: [0-9]+" "page size"
like "$OUT" "wal_bytes: [0-9]+" "WAL size"
like "$OUT" "fits" "no connection limit: fits"
expect_exit 0 "SQLite :memory: is one shared connection" -- "$DBCTL" --url "sqlite::memory:" pool stats --json
is "$(json_field 'd["client"]["pool_size"], d["client"]["capacity"], d["server"]["journal_mode"]' <<<"$OUT")" \
	"(1, 1, 'memory')" "StaticPool: size 1, capacity 1"

done_testing
