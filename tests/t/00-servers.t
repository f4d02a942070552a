#!/bin/bash
# shellcheck disable=SC2317,SC2119 # helpers are called through run_cmd
# The test harness itself: both servers run, want the password and take the
# percent-encoded URLs that tests/run exports.
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

psql() { "$TEST_PG_BINDIR/psql" -X -w "$@"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" "$@"; }

# PostgreSQL
run_cmd psql "$TEST_PG_URL" -Atc 'select current_user'
is "$OUT" app "PostgreSQL: app logs in with the percent-encoded URL"
run_cmd psql "$TEST_PG_SUPER_URL" -Atc 'select rolsuper from pg_roles where rolname = current_user'
is "$OUT" t "PostgreSQL: postgres logs in as superuser"
run_cmd psql "${TEST_PG_URL/@/xx@}" -Atc 'select 1'
isnt "$RC" 0 "PostgreSQL: wrong password fails"
like "$ERR" 'password authentication failed for user "app"' "PostgreSQL: ... with an auth error"
run_cmd psql "postgresql://app@127.0.0.1:$PGPORT_TEST/app" -Atc 'select 1'
isnt "$RC" 0 "PostgreSQL: no password fails"
run_cmd env PGPASSWORD="$TEST_PG_APP_PASSWORD" "$TEST_PG_BINDIR/psql" -X -w \
	-h "$TEST_PG_SOCKET_DIR" -p "$PGPORT_TEST" -U app -d app -Atc 'select current_database()'
is "$OUT" app "PostgreSQL: unix socket in TEST_PG_SOCKET_DIR, password checked there too"
run_cmd psql "$TEST_PG_URL" -Atc 'show max_connections'
is "$OUT" 50 "PostgreSQL: max_connections is 50"
run_cmd psql "$TEST_PG_URL" -Atc 'show listen_addresses'
is "$OUT" 127.0.0.1 "PostgreSQL: listens on 127.0.0.1 only"

# Redis
run_cmd rcli -a "$TEST_REDIS_PASSWORD" --no-auth-warning ping
is "$OUT" PONG "Redis: PING with the password"
# redis-cli 7.0 -u does not percent-decode: check the URL by decoding it here.
pct_decode() { perl -pe 's/%([0-9A-Fa-f]{2})/chr hex $1/ge' <<<"$1"; }
is "$(pct_decode "${TEST_REDIS_URL#redis://:}")" \
	"$TEST_REDIS_PASSWORD@127.0.0.1:$REDIS_PORT_TEST/0" "Redis: TEST_REDIS_URL decodes to the password"
like "$TEST_REDIS_URL" '^redis://:[A-Za-z0-9%._~-]+@127\.0\.0\.1:[0-9]+/0$' \
	"Redis: TEST_REDIS_URL has the password percent-encoded"
run_cmd rcli ping
like "$OUT$ERR" NOAUTH "Redis: refused without password (NOAUTH)"
run_cmd rcli -a wrong --no-auth-warning ping
like "$OUT$ERR" WRONGPASS "Redis: refused with a wrong password (WRONGPASS)"
run_cmd redis-cli -s "$TEST_REDIS_SOCKET" -a "$TEST_REDIS_PASSWORD" --no-auth-warning ping
is "$OUT" PONG "Redis: PING on the unix socket"

# Stop and restart helpers.
pg_stop_test
ok $? "pg_stop_test"
run_cmd psql "$TEST_PG_URL" -Atc 'select 1'
like "$ERR" 'Connection refused' "PostgreSQL: stopped means connection refused"
pg_start_test -c max_connections=7
ok $? "pg_start_test with an extra option"
run_cmd psql "$TEST_PG_URL" -Atc 'show max_connections'
is "$OUT" 7 "PostgreSQL: back up, with the option applied"
pg_stop_test && pg_start_test
run_cmd psql "$TEST_PG_URL" -Atc 'show max_connections'
is "$OUT" 50 "PostgreSQL: a plain restart is back to the defaults"

redis_stop_test
ok $? "redis_stop_test"
run_cmd rcli -a "$TEST_REDIS_PASSWORD" --no-auth-warning ping
like "$OUT$ERR" 'Connection refused' "Redis: stopped means connection refused"
redis_start_test
ok $? "redis_start_test"
run_cmd rcli -a "$TEST_REDIS_PASSWORD" --no-auth-warning ping
is "$OUT" PONG "Redis: back up on the same port"

# tap.sh itself
run_cmd sh -c 'echo out; echo err >&2; sleep 0.2; exit 3'
is "$OUT|$ERR|$RC" "out|err|3" "run_cmd captures stdout, stderr and exit status"
cmp_ok "$MS" -ge 200 "run_cmd measures wall time (${MS} ms)"
expect_exit 3 "expect_exit" -- sh -c 'exit 3'
RUN_TIMEOUT=0.3 run_cmd sleep 5 2>/dev/null
is "$RC" 124 "run_cmd kills a command after RUN_TIMEOUT"

done_testing
