#!/bin/bash
# dbctl migrate: the migration lock is held exactly as long as the work it
# protects. A failed transaction:false migration is not retried by runners
# that waited; a SIGKILLed runner keeps the lock while its orphaned statement
# runs on; an idle-session killer cannot take the lock away unnoticed;
# --lock=table and --lock=advisory exclude each other; races of 16 runners
# run each migration body once (a sequence counts the runs).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/migrate-lock.XXXXXX")
cd "$tmp" || exit 1
trap 'stop_runners; sq "ALTER ROLE app RESET idle_session_timeout" >/dev/null 2>&1; mig_cleanup; rm -rf "$tmp"' EXIT
# race N DIR [ARGS...]: N runners of migrate up at once; sets codes ("0 0 ...") and leaves outI/errI
race() {
	local n=$1 dir=$2 i pid
	rm -f out* err*
	shift 2
	pids=()
	for ((i = 1; i <= n; i++)); do
		"$DBCTL" --url "$URL" migrate up -d "$dir" "$@" >"out$i" 2>"err$i" &
		pids+=($!)
	done
	codes=
	for pid in "${pids[@]}"; do
		wait "$pid"
		codes+="$? "
	done
	pids=()
	codes=${codes% }
	echo "$codes" >codes
}
all() { # all N CODE: "CODE CODE ..." N times
	local i s=
	for ((i = 0; i < $1; i++)); do s+="$2 "; done
	echo "${s% }"
}

# --- 7: runners that waited do not retry a failed transaction:false migration --------------------
newdb failed
d=$tmp/failed
q "create sequence tries_2; create sequence fails_4; create table audit (note text)" >/dev/null
printf -- '-- migrate:up\ncreate table f1 (x int);\ninsert into f1 values (1);\n' | wr "$d/1_base.sql"
# statement 4 counts its runs, then fails (division by zero at run time)
wr "$d/2_backfill.sql" <<'SQL'
-- migrate:up transaction:false
select nextval('tries_2');
insert into audit values ('one');
select pg_sleep(0.5);
select nextval('fails_4') + 1 / (x - x) from f1;
insert into audit values ('four');
SQL
race 16 "$d"
is "$codes" "$(all 16 1)" "16 runners, a transaction:false migration fails: every runner exits 1"
is "$(q "select last_value from fails_4")" 1 "... the failing statement ran once, not once per runner that waited"
is "$(q "select last_value from tries_2")|$(q "select count(*) from audit where note = 'one'")" "1|1" \
	"... the statements before it once"
is "$(grep -l 'stopped at statement 4' err* | wc -l)" 15 "... the 15 that waited refuse: 'stopped at statement 4'"
expect_exit 1 "status: failed" -- "${dbctl[@]}" migrate status -d "$d"
# --retry: the failure the runners were started on is retried once, not once each
# (they wait behind a session holding the lock, so that all of them read the status before any retries)
PGAPPNAME=dbctl-test-lock-holder "$TEST_PG_BINDIR/psql" -X -q -At -d "$URL" \
	-c "select pg_advisory_lock(hashtext(current_database() || ':dbctl:' || 'schema_migrations'))" \
	-c "select pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
wait_for_advisory || diag "the lock holder did not get its lock"
rm -f out* err*
race 8 "$d" --retry &
racer=$!
for ((i = 0; i < 200; i++)); do
	[ "$(cat err* 2>/dev/null | grep -c 'holds the lock; waiting')" -ge 8 ] && break
	sleep 0.05
done
sq "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbctl-test-lock-holder'" >/dev/null
wait "$holder"
wait "$racer"
codes=$(cat codes)
is "$codes" "$(all 8 1)" "8 runners with --retry, failing again: every runner exits 1"
is "$(q "select last_value from fails_4")" 2 "... the failing statement retried once"
is "$(q "select last_value from tries_2")|$(q "select count(*) from audit where note = 'one'")" "1|1" \
	"... from statement 4: statements 1-3 did not run again"
is "$(grep -l 'stopped at statement 4' err* | wc -l)" 7 "... the 7 that waited refuse"
# fixed: resumed once at statement 4
sed -i 's|select nextval(.fails_4.) + 1 / (x - x) from f1;|select nextval($$fails_4$$) from f1;|' "$d/2_backfill.sql"
race 8 "$d"
is "$codes" "$(all 8 0)" "the file fixed, 8 runners: all exit 0"
is "$(q "select last_value from fails_4")|$(q "select string_agg(note, ',' order by note) from audit")" "3|four,one" \
	"... resumed at statement 4 exactly once"
is "$(cat out* | grep -c '^applied ')|$(cat out* | grep -c 'nothing to do')" "1|7" "... one applies, seven are up to date"

# --- 8: SIGKILL of a runner: its lock lives as long as its orphaned statement -------------------------
newdb kill
d=$tmp/kill
printf -- '-- migrate:up\ncreate table runs (started timestamptz, finished timestamptz, pid int);\n' | wr "$d/1_setup.sql"
printf -- '-- migrate:up transaction:false\ninsert into runs select now(), clock_timestamp(), pg_backend_pid() from (select pg_sleep(3)) s;\n' |
	wr "$d/2_backfill.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" >kill.out 2>kill.err &
runner=$!
pids=("$runner")
running "pg_sleep(3)"
kill -KILL "$runner"
wait "$runner" 2>/dev/null
pids=()
is "$(q "select count(*) from pg_locks where locktype = 'advisory' and granted")" 1 \
	"SIGKILL mid-statement: the lock stays with the orphaned statement"
expect_exit 0 "a second runner waits for it, then exit 0" -- "${dbctl[@]}" migrate up -d "$d"
like "$ERR" "another migrate holds the lock; waiting" "... it waited"
is "$(q "select count(*) from runs r1 join runs r2 on r1.pid < r2.pid and r2.started < r1.finished")" 0 \
	"... the two runs of the transaction:false backfill never overlapped"
is "$(q "select count(*) from runs")" 2 "... (it ran twice, one after the other, as the docs say for a crash)"

# transactional: the orphan's work rolls back, the next runner applies it once
newdb kill_tx
d=$tmp/kill_tx
printf -- '-- migrate:up\ncreate table t1 (x int);\ninsert into t1 values (1);\nselect pg_sleep(3);\n' | wr "$d/1_slow.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" >kill.out 2>kill.err &
runner=$!
pids=("$runner")
running "pg_sleep(3)"
kill -KILL "$runner"
wait "$runner" 2>/dev/null
pids=()
expect_exit 0 "SIGKILL in a transactional migration: the next runner applies it" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(q 'select count(*) from t1')" "1|1" "... once"

# --- 9: idle_session_timeout cannot free the lock of a working runner ---------------------------
newdb idle
d=$tmp/idle
printf -- '-- migrate:up\ncreate table runs (started timestamptz, pid int);\n' | wr "$d/1_setup.sql"
printf -- '-- migrate:up transaction:false\ninsert into runs select now(), pg_backend_pid() from (select pg_sleep(3)) s;\n' |
	wr "$d/2_backfill.sql"
sq "ALTER ROLE app SET idle_session_timeout = '1500ms'" >/dev/null
"$DBCTL" --url "$URL" migrate up -d "$d" >a.out 2>a.err &
runner=$!
pids=("$runner")
sleep 2.2
expect_exit 0 "idle_session_timeout=1500ms, a second runner 2.2 s into a 3 s migration: exit 0" -- \
	"${dbctl[@]}" migrate up -d "$d"
wait "$runner"
is "$?" 0 "... the first runner exits 0"
pids=()
sq "ALTER ROLE app RESET idle_session_timeout" >/dev/null
is "$(q "select count(*) from runs")" 1 "... the backfill ran once"
is "$(versions)" "1,2" "... both recorded"

# --- 10: --lock=table and --lock=advisory exclude each other -----------------------------------
for order in "table advisory" "advisory table" "auto table" "table auto"; do
	read -r first second <<<"$order"
	newdb "mix_${first}_$second"
	d=$tmp/mix_${first}_$second
	printf -- '-- migrate:up\ncreate table runs (started timestamptz, finished timestamptz);\n' | wr "$d/1_setup.sql"
	printf -- '-- migrate:up transaction:false\ninsert into runs select now(), clock_timestamp() from (select pg_sleep(2)) s;\n' |
		wr "$d/2_backfill.sql"
	"$DBCTL" --url "$URL" migrate up -d "$d" --lock="$first" >a.out 2>a.err &
	runner=$!
	pids=("$runner")
	running "pg_sleep(2)"
	expect_exit 0 "--lock=$first running, then --lock=$second: exit 0" -- "${dbctl[@]}" migrate up -d "$d" --lock="$second"
	like "$ERR" "holds the (lock|lease)" "... it waited"
	wait "$runner"
	is "$?" 0 "... the first exits 0"
	pids=()
	is "$(q "select count(*) from runs")|$(versions)" "1|1,2" "... the backfill ran once"
done
# a race of both kinds at once
newdb mix_race
d=$tmp/mix_race
q "create sequence tries" >/dev/null
for i in 1 2 3 4; do
	printf -- '-- migrate:up transaction:false\nselect nextval($$tries$$);\ncreate table m%d (x int);\nselect pg_sleep(0.2);\n' "$i" |
		wr "$d/${i}_m$i.sql"
done
pids=()
for i in $(seq 1 12); do
	mode=advisory
	((i % 2)) && mode=table
	"$DBCTL" --url "$URL" migrate up -d "$d" --lock=$mode >"out$i" 2>"err$i" &
	pids+=($!)
done
codes=
for pid in "${pids[@]}"; do
	wait "$pid"
	codes+="$? "
done
pids=()
is "${codes% }" "$(all 12 0)" "12 runners, half --lock=table, half --lock=advisory: all exit 0"
is "$(q "select last_value from tries")|$(versions)" "4|1,2,3,4" "... each transaction:false body ran once"

# --- races: 16 runners, CREATE INDEX CONCURRENTLY, each body once ----------------------------------
newdb race16
d=$tmp/race16
q "create sequence body_runs" >/dev/null
printf -- '-- migrate:up\nselect nextval($$body_runs$$);\ncreate table r1 (x int);\ninsert into r1 select generate_series(1, 50000);\n' | wr "$d/1_r1.sql"
printf -- '-- migrate:up transaction:false\nselect nextval($$body_runs$$);\ncreate index concurrently r1_x on r1 (x);\n' | wr "$d/2_cic.sql"
printf -- '-- migrate:up\nselect nextval($$body_runs$$);\ncreate table r3 as select * from r1;\n' | wr "$d/3_r3.sql"
printf -- '-- migrate:up transaction:false\nselect nextval($$body_runs$$);\ncreate unique index concurrently r3_x on r3 (x);\n' | wr "$d/4_cic.sql"
race 16 "$d"
is "$codes" "$(all 16 0)" "16 runners at once (two CREATE INDEX CONCURRENTLY): all exit 0"
[ "$codes" = "$(all 16 0)" ] || diag "$(tail -n +1 err*)"
is "$(q "select last_value from body_runs")" 4 "... four bodies ran, each once"
is "$(q "select count(*) from pg_index where indisvalid and indexrelid::regclass::text in ('r1_x', 'r3_x')")" 2 \
	"... both indexes valid"
is "$(cat out* | grep -c '^applied ')|$(cat out* | grep -c 'nothing to do')" "4|15" "... 4 applied lines, 15 up to date"
is "$(q "select count(*) from pg_locks where locktype = 'advisory'")" 0 "... no lock left"

# --- one connection per runner; the wait still honours --lock-timeout and SIGINT ------------------
newdb conns
d=$tmp/conns
printf -- '-- migrate:up\ncreate table c1 (x int);\nselect pg_sleep(2);\n' | wr "$d/1_slow.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" >a.out 2>a.err &
runner=$!
pids=("$runner")
running "pg_sleep(2)"
is "$(q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'dbctl'")" 1 \
	"a runner at work holds one server connection"
is "$(q "select count(*) from pg_locks l join pg_stat_activity a using (pid) where l.locktype = 'advisory' and a.state = 'active'")" 1 \
	"... and the lock is on it, the one running the migration"
expect_exit 1 "a second runner with --lock-timeout 0.5: exit 1" -- "${dbctl[@]}" migrate up -d "$d" --lock-timeout 0.5
like "$ERR" "could not take the migration lock within 0.5 s" "... the lock message"
"$DBCTL" --url "$URL" migrate up -d "$d" >b.out 2>b.err &
other=$!
pids+=("$other")
sleep 0.5
kill -INT "$other"
wait "$other"
is "$?" 130 "SIGINT while waiting for the lock: exit 130"
wait "$runner"
is "$?" 0 "... the holder finishes, exit 0"
pids=()
is "$(versions)" 1 "... applied once"

# --- a proxy drops the connection mid-statement: the lock stays with the orphaned statement -------------
# cutproxy.py PORTFILE CUTFILE TARGETPORT: forwards 127.0.0.1:(free port) to the server and closes
# every connection, both ways, once CUTFILE exists (a firewall or proxy dropping an idle-looking link)
cat >"$tmp/cutproxy.py" <<'PY'
import os, select, socket, sys, threading
portfile, cutfile, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
pairs = []
def pump(a, b):
    try:
        while not os.path.exists(cutfile):
            r, _, _ = select.select([a], [], [], 0.05)
            if r:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
with open(portfile + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    client, _ = listener.accept()
    server = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(client, server), daemon=True).start()
    threading.Thread(target=pump, args=(server, client), daemon=True).start()
PY
for mode in advisory table; do
	newdb "cut_$mode"
	d=$tmp/cut_$mode
	printf -- '-- migrate:up\ncreate table runs (started timestamptz, finished timestamptz, pid int);\n' | wr "$d/1_setup.sql"
	printf -- '-- migrate:up transaction:false\ninsert into runs select now(), clock_timestamp(), pg_backend_pid() from (select pg_sleep(3)) s;\n' |
		wr "$d/2_backfill.sql"
	rm -f "$tmp/proxy.port" "$tmp/proxy.cut"
	/usr/bin/python3 "$tmp/cutproxy.py" "$tmp/proxy.port" "$tmp/proxy.cut" "$PGPORT_TEST" &
	proxy=$!
	pids=("$proxy")
	for ((i = 0; i < 100; i++)); do [ -s "$tmp/proxy.port" ] && break; sleep 0.05; done
	purl="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@127.0.0.1:$(cat "$tmp/proxy.port")/$DB"
	"$DBCTL" --url "$purl" migrate up -d "$d" --lock=$mode >cut.out 2>cut.err &
	runner=$!
	pids+=("$runner")
	running "pg_sleep(3)"
	touch "$tmp/proxy.cut"
	wait "$runner"
	is "$?" 2 "--lock=$mode through a proxy that drops the connection mid-statement: exit 2"
	if [ "$mode" = advisory ]; then
		expect_exit 0 "... a second runner straight to the server waits for the orphaned statement, exit 0" -- \
			"${dbctl[@]}" migrate up -d "$d" --lock=$mode --lock-timeout 30
	else
		# the lost connection may still be running its statement: its lease is left to expire, not deleted
		expect_exit 1 "... the lease stays: a second runner gives up after --lock-timeout, exit 1" -- \
			"${dbctl[@]}" migrate up -d "$d" --lock=$mode --lock-timeout 4
		is "$(q "select count(*) from runs")" 1 "... and ran nothing"
		q "update schema_migrations_lock set expires_at = now() - interval '1 second'" >/dev/null
		expect_exit 0 "... once it expired, a runner applies the migration" -- "${dbctl[@]}" migrate up -d "$d" --lock=$mode
	fi
	is "$(q "select count(*) from runs r1 join runs r2 on r1.pid < r2.pid and r2.started < r1.finished")" 0 \
		"... the two runs never overlapped"
	kill "$proxy" 2>/dev/null
	wait "$proxy" 2>/dev/null
	pids=()
done

# --- the lease: a crashed runner's lease expires as documented ------------------------------------
newdb lease
d=$tmp/lease
printf -- '-- migrate:up transaction:false\ncreate table if not exists l1 (x int);\nselect pg_sleep(3);\n' | wr "$d/1_slow.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" --lock=table >a.out 2>a.err &
runner=$!
pids=("$runner")
running "pg_sleep(3)"
kill -KILL "$runner"
wait "$runner" 2>/dev/null
pids=()
expect_exit 1 "SIGKILL with --lock=table: the lease stays, an advisory runner waits and gives up" -- \
	"${dbctl[@]}" migrate up -d "$d" --lock-timeout 1
like "$ERR" "holds the lease" "... because of the lease"
is "$(q "select expires_at > now() + interval '9 minutes' from schema_migrations_lock")" t "... which expires 10 minutes on"
q "update schema_migrations_lock set expires_at = now() - interval '1 second'" >/dev/null
sleep 2
expect_exit 0 "expired: taken over" -- "${dbctl[@]}" migrate up -d "$d" --lock=table --lock-timeout 1
is "$(q 'select count(*) from schema_migrations_lock')|$(versions)" "0|1" "... applied, lease released"

done_testing
