#!/bin/bash
# dbctl migrate under concurrency and failure: 8 runners at once (one of the
# migrations a CREATE INDEX CONCURRENTLY), the lock and its timeout, the server
# stopped mid-migration, SIGINT, and two runners on one SQLite file.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/migrate-race.XXXXXX")
cd "$tmp" || exit 1
holder=
stop_holder() { # ends the psql that holds an advisory lock, and its session
	[ -n "$holder" ] || return 0
	sq "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbctl-test-lock-holder'" \
		>/dev/null 2>&1
	wait "$holder" 2>/dev/null
	holder=
}
hold_lock() { # KEY-EXPRESSION: a psql session takes that advisory lock and sleeps
	PGAPPNAME=dbctl-test-lock-holder "$TEST_PG_BINDIR/psql" -X -q -At -d "$URL" \
		-c "select pg_advisory_lock($1)" -c "select pg_sleep(60)" >/dev/null 2>&1 &
	holder=$!
	wait_for_advisory || diag "the lock holder did not get its lock"
}
trap 'stop_holder; mig_cleanup; rm -rf "$tmp"' EXIT
ms_since() { echo $(((${EPOCHREALTIME/[.,]/} - $1) / 1000)); }
# wait_gone PID SECONDS: 0 once PID has exited (reaped by wait), 1 if still running after SECONDS
wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# --- 8 runners at once ---------------------------------------------------------------
newdb race
d=$tmp/race
printf -- '-- migrate:up\ncreate table r1 (x int);\ninsert into r1 select generate_series(1, 200000);\n-- migrate:down\ndrop table r1;\n' | wr "$d/1_r1.sql"
printf -- '-- migrate:up\ncreate table r2 (x int);\ninsert into r2 select x from r1;\n' | wr "$d/2_r2.sql"
wr "$d/3_index.sql" <<'SQL'
-- migrate:up transaction:false
create index concurrently r1_x on r1 (x);
create unique index concurrently r2_x on r2 (x);
SQL
printf -- '-- migrate:up\ncreate table r4 (x int);\ninsert into r4 values (4);\n' | wr "$d/4_r4.sql"
printf -- '-- +goose NO TRANSACTION\n-- +goose Up\ncreate index concurrently r4_x on r4 (x);\n' | wr "$d/5_index.sql"
printf -- '-- migrate:up\ncreate table r6 (x int);\ninsert into r6 select count(*) from r1;\n' | wr "$d/6_r6.sql"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$DBCTL" --url "$URL" migrate up -d "$d" >"out$i" 2>"err$i" &
	pids+=($!)
done
codes=
for pid in "${pids[@]}"; do
	wait "$pid"
	codes+="$? "
done
is "$codes" "0 0 0 0 0 0 0 0 " "8 runners at once: all exit 0"
[ "$codes" = "0 0 0 0 0 0 0 0 " ] || diag "$(tail -n +1 err*)"
is "$(q "select string_agg(version || 'x' || n, ',' order by version) from (select version, count(*) n from schema_migrations group by 1) s")" \
	"1x1,2x1,3x1,4x1,5x1,6x1" "... every migration recorded exactly once"
is "$(q "select count(*) from pg_index where indisvalid and indexrelid::regclass::text in ('r1_x', 'r2_x', 'r4_x')")|$(q 'select count(*) from r2')|$(q 'select x from r6')" \
	"3|200000|200000" "... every object exists once (valid indexes, rows copied once)"
applied=$(cat out* | grep -c '^applied ')
is "$applied" 6 "... six 'applied' lines across the runners"
is "$(q "select count(*) from pg_locks where locktype = 'advisory'")" 0 "... and no advisory lock is left"
expect_exit 0 "status after the race: up to date" -- "${dbctl[@]}" migrate status -d "$d"

# --- the same race with --lock=table (a lease row, for PgBouncer's transaction pooling) ------------
newdb race_table
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$DBCTL" --url "$URL" migrate up --lock=table -d "$d" >"out$i" 2>"err$i" &
	pids+=($!)
done
codes=
for pid in "${pids[@]}"; do
	wait "$pid"
	codes+="$? "
done
is "$codes" "0 0 0 0 0 0 0 0 " "8 runners at once with --lock=table: all exit 0"
[ "$codes" = "0 0 0 0 0 0 0 0 " ] || diag "$(tail -n +1 err*)"
is "$(q "select string_agg(version || 'x' || n, ',' order by version) from (select version, count(*) n from schema_migrations group by 1) s")" \
	"1x1,2x1,3x1,4x1,5x1,6x1" "... every migration recorded exactly once"
is "$(q "select count(*) from pg_index where indisvalid and indexrelid::regclass::text in ('r1_x', 'r2_x', 'r4_x')")|$(q 'select count(*) from r2')|$(q 'select x from r6')" \
	"3|200000|200000" "... every object exists once"
is "$(q 'select count(*) from schema_migrations_lock')" 0 "... and the lease row is gone"
# a lease held by someone else, then expired
printf -- '-- migrate:up\ncreate table r7 (x int);\n' | wr "$d/7_r7.sql"
q "insert into schema_migrations_lock values (1, 'someone-else', now() + interval '1 hour')" >/dev/null
expect_exit 1 "a lease held by another runner: --lock-timeout 1 is exit 1" -- "${dbctl[@]}" migrate up --lock=table --lock-timeout 1 -d "$d"
like "$ERR" "could not take the migration lease within 1 s" "... with the lease message"
is "$(exists r7)" f "... nothing applied"
q "update schema_migrations_lock set expires_at = now() - interval '1 second'" >/dev/null
expect_exit 0 "an expired lease is taken over" -- "${dbctl[@]}" migrate up --lock=table --lock-timeout 1 -d "$d"
is "$(exists r7)|$(q 'select count(*) from schema_migrations_lock')" "t|0" "... 7 applied, the lease released"

# --- the lock: timeout, nothing pending, SIGINT, configurable id ------------------------------
newdb lock
d=$tmp/lock
printf -- '-- migrate:up\ncreate table lk_1 (x int);\n-- migrate:down\ndrop table lk_1;\n' | wr "$d/1_a.sql"
expect_exit 0 "lock: up" -- "${dbctl[@]}" migrate up -d "$d"
hold_lock "hashtext(current_database() || ':dbctl:' || 'schema_migrations')"
printf -- '-- migrate:up\ncreate table lk_2 (x int);\n-- migrate:down\ndrop table lk_2;\n' | wr "$d/2_b.sql"
expect_exit 1 "another session holds the lock: up --lock-timeout 1 is exit 1" -- "${dbctl[@]}" migrate up --lock-timeout 1 -d "$d"
like "$ERR" "could not take the migration lock within 1 s" "... with the lock message"
cmp_ok "$MS" -ge 950 "... after a second ($MS ms)"
cmp_ok "$MS" -lt 2500 "... not much more"
is "$(versions)|$(exists lk_2)" "1|f" "... nothing applied"
expect_exit 1 "--json" -- "${dbctl[@]}" --json migrate up --lock-timeout 0.3 -d "$d"
like "$(json_field 'd["error"]["message"]' <<<"$OUT")" "could not take the migration lock" "... the lock message in JSON"
expect_exit 1 "down --lock-timeout 1 waits for the lock too" -- "${dbctl[@]}" migrate down --lock-timeout 1 -d "$d"
is "$(versions)" 1 "... nothing reverted"
expect_exit 4 "status needs no lock" -- "${dbctl[@]}" migrate status -d "$d"
mv "$d/2_b.sql" "$tmp/2_b.sql"
expect_exit 0 "nothing pending: up exits 0 though the lock is held" -- "${dbctl[@]}" migrate up --lock-timeout 10 -d "$d"
is "$OUT" "nothing to do: up to date" "... says so"
cmp_ok "$MS" -lt 1000 "... at once: no lock taken ($MS ms)"
mv "$tmp/2_b.sql" "$d/2_b.sql"
# SIGINT while waiting for the lock
"$DBCTL" --url "$URL" migrate up -d "$d" >int.out 2>int.err &
runner=$!
sleep 1
started=${EPOCHREALTIME/[.,]/}
kill -INT "$runner" 2>/dev/null
if wait_gone "$runner" 3; then
	wait "$runner"
	rc=$?
else
	stop_holder
	wait "$runner"
	rc="$? (still waiting 3 s after SIGINT)"
fi
is "$rc" 130 "SIGINT while waiting for the lock: exit 130"
cmp_ok "$(ms_since "$started")" -lt 2000 "... promptly"
stop_holder
is "$(versions)|$(exists lk_2)" "1|f" "... nothing applied"
expect_exit 0 "the holder gone: up applies" -- "${dbctl[@]}" migrate up --lock-timeout 5 -d "$d"
is "$(versions)" "1,2" "... 2 applied"
# migrations_lock_id replaces the derived id
hold_lock 4242
printf -- '-- migrate:up\ncreate table lk_3 (x int);\n' | wr "$d/3_c.sql"
expect_exit 1 "-o migrations_lock_id=4242 while 4242 is held: exit 1" -- \
	"${dbctl[@]}" -o migrations_lock_id=4242 migrate up --lock-timeout 0.5 -d "$d"
like "$ERR" "could not take the migration lock" "... the lock message"
expect_exit 0 "the derived id is another lock" -- "${dbctl[@]}" migrate up --lock-timeout 0.5 -d "$d"
is "$(versions)" "1,2,3" "... 3 applied"
stop_holder

# --- the server stopped mid-migration ------------------------------------------------------
newdb stop
d=$tmp/stop
printf -- '-- migrate:up\ncreate table sp_1 (x int);\n' | wr "$d/1_a.sql"
printf -- '-- migrate:up\ncreate table sp_2 (x int);\ninsert into sp_2 values (1);\nselect pg_sleep(5);\n' | wr "$d/2_sleep.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" >stop.out 2>stop.err &
runner=$!
running "pg_sleep(5)"
pg_stop_test
wait "$runner"
is "$?" 2 "server stopped mid-migration: exit 2"
like "$(cat stop.err)" "2_sleep\.sql:4:1: " "... names the statement that was running"
expect_exit 2 "the server down: status is exit 2" -- "${dbctl[@]}" migrate status -d "$d"
# --wait: for deploys that start the database and the migration together
"$DBCTL" --url "$URL" migrate status --wait 20 -d "$d" >wait.out 2>wait.err &
runner=$!
sleep 0.5
pg_start_test || BAIL_OUT "PostgreSQL did not start again"
wait "$runner"
is "$?" 4 "status --wait 20 started before the server: waits, then exit 4 (pending)"
expect_exit 2 "--wait 1 on a closed port: exit 2" -- "$DBCTL" --url "postgresql://app@127.0.0.1:1/app" migrate up --wait 1 -d "$d"
cmp_ok "$MS" -ge 950 "... after waiting a second ($MS ms)"
is "$(versions)|$(exists sp_1)|$(exists sp_2)" "1|t|f" "... 1 stayed applied; 2 is not recorded and its table is absent"
expect_exit 4 "status afterwards: 2 pending" -- "${dbctl[@]}" migrate status -d "$d"
sed -i 's/pg_sleep(5)/pg_sleep(0)/' "$d/2_sleep.sql"
expect_exit 0 "up afterwards applies it" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(q 'select count(*) from sp_2')" "1,2|1" "... once"

# --- SIGINT ---------------------------------------------------------------------------------
newdb sigint
d=$tmp/sigint
printf -- '-- migrate:up\ncreate table si_1 (x int);\nselect pg_sleep(30);\n' | wr "$d/1_sleep.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" >int.out 2>int.err &
runner=$!
running "pg_sleep(30)"
started=${EPOCHREALTIME/[.,]/}
kill -INT "$runner" 2>/dev/null
wait "$runner"
is "$?" 130 "SIGINT during a migration: exit 130"
cmp_ok "$(ms_since "$started")" -lt 3000 "... promptly: the statement was cancelled"
like "$(cat int.err)" "interrupted" "... says so"
is "$(versions)|$(exists si_1)" "|f" "... not recorded, rolled back"
# interrupted in the middle of a transaction:false section: how far it got is recorded
rm "$d/1_sleep.sql"
wr "$d/2_notx.sql" <<'SQL'
-- migrate:up transaction:false
create table si_2 (x int);
select pg_sleep(30);
insert into si_2 values (3);
SQL
"$DBCTL" --url "$URL" migrate up -d "$d" >int.out 2>int.err &
runner=$!
running "pg_sleep(30)"
kill -INT "$runner" 2>/dev/null
wait "$runner"
is "$?" 130 "SIGINT during a transaction:false section: exit 130"
is "$(exists si_2)" t "... the first statement stayed (no transaction)"
expect_exit 1 "status: failed at statement 2" -- "${dbctl[@]}" --json migrate status -d "$d"
is "$(json_field '[(m["version"], m["state"], m.get("failed_statement")) for m in d["migrations"]]' <<<"$OUT")" \
	"[('2', 'failed', 2)]" "... recorded as failed at statement 2"
sed -i 's/pg_sleep(30)/pg_sleep(0)/' "$d/2_notx.sql"
expect_exit 0 "the file fixed: up resumes at statement 2" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(q 'select count(*) from si_2')" "2|1" "... without running CREATE TABLE again"

# --- SQLite: two runners on one file ----------------------------------------------------------
d=$tmp/sqlite
for i in 1 2 3 4 5 6; do
	printf -- '-- migrate:up\ncreate table s%d (x int);\ninsert into s%d with recursive c(n) as (select 1 union all select n + 1 from c where n < 100000) select n from c;\n' "$i" "$i" |
		wr "$d/${i}_s$i.sql"
done
sqlite_check() {
	/usr/bin/python3 - "$1" <<'PY' 2>&1
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("select version, count(*) from schema_migrations group by version order by 0 + version").fetchall()
sizes = [c.execute(f"select count(*) from s{i}").fetchone()[0] for i in range(1, 7)]
print(",".join(f"{v}x{n}" for v, n in rows), sizes)
PY
}
# at_once T CMD...: waits until the clock reads T (microseconds), then runs CMD
at_once() {
	local t=$1
	shift
	while ((${EPOCHREALTIME/[.,]/} < t)); do :; done
	exec "$@"
}
two_runners() { # DB-FILE DIR: two migrate up started at the same microsecond; sets codes to "RC1 RC2"
	local t=$((${EPOCHREALTIME/[.,]/} + 100000)) p1 p2 c1
	(at_once "$t" "$DBCTL" --url "sqlite:///$1" migrate up -d "$2") >sq1.out 2>sq1.err &
	p1=$!
	(at_once "$t" "$DBCTL" --url "sqlite:///$1" migrate up -d "$2") >sq2.out 2>sq2.err &
	p2=$!
	wait "$p1"
	c1=$?
	wait "$p2"
	codes="$c1 $?"
}
two_runners "$tmp/race.db" "$d"
is "$codes" "0 0" "SQLite: two runners on a new file both exit 0"
[ "$codes" = "0 0" ] || diag "$(cat sq1.err sq2.err)"
is "$(sqlite_check "$tmp/race.db")" "1x1,2x1,3x1,4x1,5x1,6x1 [100000, 100000, 100000, 100000, 100000, 100000]" \
	"... each migration applied once"
is "$(cat sq1.out sq2.out | grep -c '^applied ')" 6 "... six 'applied' lines between them"
# the moment both create the file and switch it to WAL, again and again
printf -- '-- migrate:up\ncreate table t (x int);\n' | wr "$tmp/small/1_t.sql"
failed_rounds=0 errors=
for round in $(seq 1 20); do
	two_runners "$tmp/small$round.db" "$tmp/small"
	[ "$codes" = "0 0" ] && continue
	failed_rounds=$((failed_rounds + 1))
	errors+="exit $codes: $(cat sq1.err sq2.err)"$'\n'
done
is "$failed_rounds" 0 "SQLite: 20 more rounds of two runners on a new file: both exit 0 every time"
[ "$failed_rounds" = 0 ] || diag "$(sort <<<"${errors%$'\n'}" | uniq -c)"
# the same thing made certain: another connection writes to a rollback-journal file
# while migrate up opens it; up must wait (busy_timeout), not fail at once
/usr/bin/python3 - "$tmp/busy.db" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("create table other (x int)")
c.execute("begin immediate")
c.execute("insert into other values (1)")
open(sys.argv[1] + ".ready", "w").close()
time.sleep(1.5)
c.execute("commit")
PY
writer=$!
for ((i = 0; i < 100; i++)); do [ -e "$tmp/busy.db.ready" ] && break; sleep 0.05; done
expect_exit 0 "SQLite: up while another connection writes: waits for it, exit 0" -- "$DBCTL" --url "sqlite:///$tmp/busy.db" migrate up -d "$tmp/small"
cmp_ok "$MS" -ge 500 "... it waited ($MS ms)"
wait "$writer"
# an existing WAL file
/usr/bin/python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("pragma journal_mode=wal")' "$tmp/wal.db"
two_runners "$tmp/wal.db" "$d"
is "$codes" "0 0" "SQLite: two runners on an existing WAL file both exit 0"
[ "$codes" = "0 0" ] || diag "$(cat sq1.err sq2.err)"
is "$(sqlite_check "$tmp/wal.db")" "1x1,2x1,3x1,4x1,5x1,6x1 [100000, 100000, 100000, 100000, 100000, 100000]" \
	"... each migration applied once"

done_testing
