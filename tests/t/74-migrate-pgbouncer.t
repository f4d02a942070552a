#!/bin/bash
# dbctl migrate behind a real PgBouncer: transaction pooling (the default lock
# sees the pooler and takes the lease; each migration body runs once) and
# session pooling (8 runners on a pool of 5 server connections do not
# deadlock; --lock-timeout bounds the wait for a server connection).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
. "$(dirname "$0")/../lib/pgbouncer.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/migrate-pgbouncer.XXXXXX")
cd "$tmp" || exit 1
stop_all() {
	stop_runners
	pgb_stop_all
	mig_cleanup
	rm -rf "$tmp"
}
trap stop_all EXIT
# query_wait_timeout well below the test's timeouts: a deadlock shows as exit 2, not a hang
pgb_start tx transaction query_wait_timeout=30 || BAIL_OUT "pgbouncer (transaction pooling) did not start"
TX=$PGB_URL_BASE
pgb_start ss session query_wait_timeout=30 || BAIL_OUT "pgbouncer (session pooling) did not start"
SS=$PGB_URL_BASE

# race N URL DIR [ARGS...]: N runners of migrate up at once; sets codes and leaves outI/errI
race() {
	local n=$1 url=$2 dir=$3 i pid
	shift 3
	rm -f out* err*
	pids=()
	for ((i = 1; i <= n; i++)); do
		timeout -k 5 100 "$DBCTL" --url "$url" migrate up -d "$dir" "$@" >"out$i" 2>"err$i" &
		pids+=($!)
	done
	codes=
	for pid in "${pids[@]}"; do
		wait "$pid"
		codes+="$? "
	done
	pids=()
	codes=${codes% }
}
all() {
	local i s=
	for ((i = 0; i < $1; i++)); do s+="$2 "; done
	echo "${s% }"
}
# the migrations of the audit (scale-out P7): each counts its runs first, 5 is transaction:false
make_migrations() {
	local d=$1 i
	printf -- '-- migrate:up\nselect nextval($$attempts_1$$);\ncreate table widgets (id serial primary key, name text);\ninsert into applied_log values ($$1$$, pg_backend_pid());\nselect pg_sleep(0.3);\n' |
		wr "$d/20260101000001_create_widgets.sql"
	for i in 2 3 4; do
		printf -- '-- migrate:up\nselect nextval($$attempts_%d$$);\ninsert into widgets (name) values ($$seed %d$$);\ninsert into applied_log values ($$%d$$, pg_backend_pid());\nselect pg_sleep(0.3);\n' "$i" "$i" "$i" |
			wr "$d/2026010100000${i}_seed$i.sql"
	done
	printf -- '-- migrate:up transaction:false\nselect nextval($$attempts_5$$);\ninsert into widgets (name) values ($$notx 5$$);\ninsert into applied_log values ($$5$$, pg_backend_pid());\nselect pg_sleep(0.3);\n' |
		wr "$d/20260101000005_notx.sql"
}
fresh() { # fresh NAME: a new database with the counters
	newdb "$1"
	q "create table applied_log (version text, pid int); create sequence attempts_1; create sequence attempts_2;
	   create sequence attempts_3; create sequence attempts_4; create sequence attempts_5" >/dev/null
}
attempts() { q "select string_agg(last_value::text, ',') from (select last_value from attempts_1 union all select last_value from attempts_2 union all select last_value from attempts_3 union all select last_value from attempts_4 union all select last_value from attempts_5) s"; }
mig=$tmp/mig
make_migrations "$mig"

# --- detection ---------------------------------------------------------------------------------
fresh detect
expect_exit 0 "through transaction pooling: up exits 0" -- "$DBCTL" --url "$TX/$DB" migrate up -d "$mig"
like "$ERR" "warning: a pooler or proxy is between dbctl and the server \(the server sees this connection come from 127\.0\.0\.1:[0-9]+, dbctl's end of it is 127\.0\.0\.1:[0-9]+\).*takes the lease row" \
	"... it warns that it sees a pooler and takes the lease"
is "$(q 'select count(*) from schema_migrations_lock')|$(versions)" "0|20260101000001,20260101000002,20260101000003,20260101000004,20260101000005" \
	"... applied, and the lease released"
fresh detect_direct
expect_exit 0 "straight to the server: no warning" -- "$DBCTL" --url "$URL" migrate up -d "$mig"
unlike "$ERR" "pooler" "... no pooler warning"
is "$(exists schema_migrations_lock)" f "... the advisory lock, no lease table"
fresh detect_unix
expect_exit 0 "through the server's unix socket: no warning" -- \
	"$DBCTL" --url "postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@/$DB?host=$TEST_PG_SOCKET_DIR&port=$PGPORT_TEST" migrate up -d "$mig"
unlike "$ERR" "pooler" "... no pooler warning"
fresh detect_pgb_unix
expect_exit 0 "through PgBouncer's unix socket: the lease, with the warning" -- \
	"$DBCTL" --url "postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@/$DB?host=$TEST_TMP/pgbouncer-tx&port=$(pgb_port tx)" migrate up -d "$mig"
like "$ERR" "warning: a pooler or proxy is between dbctl and the server.*(unix socket|port)" "... it says why"
expect_exit 0 "--lock=table through the pooler: no warning" -- "$DBCTL" --url "$TX/$DB" migrate up -d "$mig" --lock=table
unlike "$ERR" "pooler" "... quiet"
expect_exit 0 "nothing pending through the pooler: no warning either (no lock taken)" -- "$DBCTL" --url "$TX/$DB" migrate up -d "$mig"
is "$ERR" "" "... stderr empty"

# --- P7: 8 runners through transaction pooling, everything pending -------------------------------
for trial in 1 2; do
	fresh "p7_$trial"
	race 8 "$TX/$DB" "$mig" --lock-timeout 30
	is "$codes" "$(all 8 0)" "P7 trial $trial: 8 runners through transaction pooling: all exit 0"
	[ "$codes" = "$(all 8 0)" ] || diag "$(tail -n +1 err*)"
	is "$(attempts)" "1,1,1,1,1" "... each migration body ran once"
	is "$(q "select count(*) from applied_log")|$(q "select count(*) from widgets")" "5|4" "... its effects once"
	is "$(cat out* | grep -c '^applied ')|$(cat out* | grep -c 'nothing to do')" "5|7" "... 5 applied lines, 7 up to date"
	is "$(q "select count(*) from pg_locks where locktype = 'advisory'")|$(q 'select count(*) from schema_migrations_lock')" "0|0" \
		"... no advisory lock and no lease left"
	unlike "$(cat err*)" "WARNING: +you don't own a lock" "... no unlock on a wrong backend"
done

# only the transaction:false one pending
fresh p7_notx
expect_exit 0 "1-4 applied" -- "$DBCTL" --url "$URL" migrate to 20260101000004 -d "$mig"
race 8 "$TX/$DB" "$mig" --lock-timeout 30
is "$codes" "$(all 8 0)" "P7: only the transaction:false one pending, 8 runners: all exit 0"
is "$(q "select last_value from attempts_5")|$(q "select count(*) from widgets where name = 'notx 5'")" "1|1" \
	"... applied once, not four times"
# a direct advisory runner is not blocked by anything the pooled runners left
printf -- '-- migrate:up\ncreate table after6 (x int);\n' | wr "$tmp/mig6/20260101000006_after.sql"
cp "$mig"/*.sql "$tmp/mig6/"
expect_exit 0 "then a direct runner (advisory): no lock left behind, exit 0" -- "$DBCTL" --url "$URL" migrate up -d "$tmp/mig6" --lock-timeout 5
cmp_ok "$MS" -lt 4000 "... at once ($MS ms)"

# pooled (lease) and direct (advisory) runners at once
fresh p7_mixed
pids=()
rm -f out* err*
for i in 1 2 3 4 5 6 7 8; do
	url=$TX/$DB
	((i % 2)) && url=$URL
	timeout -k 5 100 "$DBCTL" --url "$url" migrate up -d "$mig" --lock-timeout 30 >"out$i" 2>"err$i" &
	pids+=($!)
done
codes=
for pid in "${pids[@]}"; do wait "$pid"; codes+="$? "; done
pids=()
is "${codes% }" "$(all 8 0)" "4 runners through the transaction pooler, 4 straight to the server, at once: all exit 0"
is "$(attempts)" "1,1,1,1,1" "... each migration body ran once"

# --lock=advisory forced through transaction pooling: never a silent double run
fresh p7_forced
race 8 "$TX/$DB" "$mig" --lock-timeout 10 --lock=advisory
is "$(q "select max(last_value) from (select last_value from attempts_1 union all select last_value from attempts_5) s")" 1 \
	"--lock=advisory forced through transaction pooling: no body ran twice"
like "$(cat err* /dev/null)" "server session|could not take|duplicate|nothing" "... runners that could not be sure stopped with a message"
q "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())" >/dev/null

# --- P9: session pooling, 8 runners, pool of 5 server connections -------------------------------
for lock in auto table advisory; do
	fresh "p9_$lock"
	race 8 "$SS/$DB" "$mig" --lock-timeout 60 --lock=$lock
	is "$codes" "$(all 8 0)" "P9 --lock=$lock: 8 runners through a session pool of 5: all exit 0 (no deadlock)"
	[ "$codes" = "$(all 8 0)" ] || diag "$(tail -n +1 err*)"
	is "$(attempts)|$(q "select count(*) from applied_log")" "1,1,1,1,1|5" "... each migration body once"
done
# a single runner holds one server connection
fresh p9_one
printf -- '-- migrate:up\nselect pg_sleep(1.5);\n' | wr "$tmp/slow/1_slow.sql"
"$DBCTL" --url "$SS/$DB" migrate up -d "$tmp/slow" --lock=advisory >one.out 2>one.err &
runner=$!
pids=("$runner")
for ((i = 0; i < 100; i++)); do
	[ "$(q "select count(*) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(1.5)%' and state = 'active' and pid <> pg_backend_pid()")" = 1 ] && break
	sleep 0.05
done
is "$(pgb_show ss "SHOW POOLS" | awk -F'|' -v db="$DB" '$1 == db && $2 == "app" { print "cl_active=" $3 " sv_active=" $7 }')" \
	"cl_active=1 sv_active=1" "a runner through the session pooler: one client, one server connection"
wait "$runner"
is "$?" 0 "... exit 0"
pids=()

# --lock-timeout bounds the wait for a server connection
fresh p9_full
sleepers=()
for i in 1 2 3 4 5; do
	PGPASSWORD=$TEST_PG_APP_PASSWORD "$TEST_PG_BINDIR/psql" -X -q -At -h 127.0.0.1 -p "$(pgb_port ss)" -U app -d "$DB" \
		-c "select pg_sleep(20)" >/dev/null 2>&1 &
	sleepers+=($!)
done
for ((i = 0; i < 100; i++)); do
	[ "$(q "select count(*) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(20)%' and state = 'active'")" = 5 ] && break
	sleep 0.05
done
expect_exit 2 "the session pool full for 20 s: up --lock-timeout 2 gives up, exit 2" -- \
	"$DBCTL" --url "$SS/$DB" migrate up -d "$mig" --lock-timeout 2
cmp_ok "$MS" -lt 10000 "... within the lock timeout, not PgBouncer's query_wait_timeout ($MS ms)"
like "$ERR" "lock-timeout" "... and the hint names --lock-timeout"
is "$(versions)" "(no table)" "... nothing applied"
q "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(20)%' and pid <> pg_backend_pid()" >/dev/null
for pid in "${sleepers[@]}"; do wait "$pid" 2>/dev/null; done

done_testing
