#!/bin/bash
# dbctl migrate under hostile migrations and racing runners (an audit of the
# exactly-once promise): a migration that releases advisory locks or changes
# session settings must not let a rival run beside it, nor leave its work
# unrecorded; a sequence's nextval counts each body's runs.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
. "$(dirname "$0")/../lib/pgbouncer.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/migrate-audit.XXXXXX")
cd "$tmp" || exit 1
trap 'stop_runners; pgb_stop_all; mig_cleanup; rm -rf "$tmp"' EXIT

# --- a migration that releases every advisory lock of its session ---------------------------------
# (the lock is on the session that runs the migrations: pg_advisory_unlock_all() there frees it)
for kind in tx notx discard; do
	newdb "unlock_$kind"
	d=$tmp/unlock_$kind
	q "create sequence body_runs" >/dev/null
	case $kind in
	tx) printf -- '-- migrate:up\nselect pg_advisory_unlock_all();\n' | wr "$d/1_unlock.sql" ;;
	notx) printf -- '-- migrate:up transaction:false\nselect pg_advisory_unlock_all();\n' | wr "$d/1_unlock.sql" ;;
	discard) printf -- '-- migrate:up transaction:false\ndiscard all;\n' | wr "$d/1_unlock.sql" ;;
	esac
	printf -- '-- migrate:up\nselect nextval($$body_runs$$);\nselect pg_sleep(2);\n' | wr "$d/2_slow.sql"
	expect_exit 1 "$kind: a migration runs pg_advisory_unlock_all(): migrate stops before the next one, exit 1" -- \
		"${dbctl[@]}" migrate up -d "$d"
	like "$ERR" "migration lock was released on this runner's own server session" "... it says why"
	is "$(versions)|$(q "select last_value from body_runs")|$(q "select is_called from body_runs")" "1|1|f" \
		"... the migration that released it is recorded, the next one did not run unlocked"
	expect_exit 0 "... the next up applies the rest" -- "${dbctl[@]}" migrate up -d "$d"
	is "$(versions)|$(q "select last_value from body_runs")" "1,2|1" "... once"
done
# a transaction:false down section that releases it
newdb unlock_down
d=$tmp/unlock_down
printf -- '-- migrate:up\ncreate table d1 (x int);\n-- migrate:down transaction:false\nselect pg_advisory_unlock_all();\ndrop table d1;\n' |
	wr "$d/1_d1.sql"
printf -- '-- migrate:up\ncreate table d2 (x int);\n-- migrate:down\ndrop table d2;\n' | wr "$d/2_d2.sql"
expect_exit 0 "down: set up" -- "${dbctl[@]}" migrate up -d "$d"
q "insert into schema_migrations (version, name, checksum) values ('0', 'zero', 'x')" >/dev/null
printf -- '-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n' | wr "$d/0_zero.sql"
expect_exit 1 "down 3, the second down section runs pg_advisory_unlock_all(): exit 1" -- "${dbctl[@]}" migrate down -d "$d" 3
like "$ERR" "migration 1 is reverted, but.*released" "... it says the lock was released"
is "$(versions)" 0 "... the third is not reverted without the lock"

# inside a transactional migration, before its long part: a rival must still wait for its COMMIT
newdb unlock_inside
d=$tmp/unlock_inside
q "create sequence body_runs" >/dev/null
printf -- '-- migrate:up\ncreate table u1 (x int);\n' | wr "$d/1_plain.sql"
printf -- '-- migrate:up\nselect pg_advisory_unlock_all();\nselect nextval($$body_runs$$);\nselect pg_sleep(2);\n' |
	wr "$d/2_slow.sql"
"$DBCTL" --url "$URL" migrate up -d "$d" >a.out 2>a.err &
runner=$!
pids=("$runner")
running "pg_sleep(2)"
expect_exit 0 "pg_advisory_unlock_all() inside a running migration: a second runner exits 0" -- \
	"${dbctl[@]}" migrate up -d "$d"
like "$ERR" "another migrate holds the lock; waiting" "... after waiting for the first one's COMMIT"
wait "$runner"
is "$?" 0 "... the first exits 0"
pids=()
like "$(cat a.err)" "lock was not held by server session .* at the end" "... and warns that the lock was gone"
is "$(versions)|$(q "select last_value from body_runs")" "1,2|1" "... the body ran once"

# --- session settings of a transaction:false migration do not reach the tracking writes ----------------
# (the work stays applied; an unrecorded row would make the next up run it again)
sq "DROP ROLE IF EXISTS mig_nobody; CREATE ROLE mig_nobody; GRANT mig_nobody TO app" >/dev/null 2>&1
for setting in "set default_transaction_read_only = on" "set role mig_nobody" "set statement_timeout = 1" \
	"set lock_timeout = 1" "select set_config('search_path', '', false)"; do
	n=$((${n:-0} + 1))
	newdb "settings$n"
	d=$tmp/settings$n
	q "create sequence body_runs" >/dev/null
	printf -- '-- migrate:up transaction:false\nselect nextval($$public.body_runs$$);\n%s;\n' "$setting" | wr "$d/1_set.sql"
	run_cmd "${dbctl[@]}" migrate up -d "$d"
	is "$RC|$(versions)" "0|1" "'$setting' in a transaction:false migration: exit 0, recorded"
	[ "$RC" = 0 ] || diag "$ERR"
	printf -- '-- migrate:up\nselect nextval($$public.body_runs$$);\n' | wr "$d/2_next.sql"
	expect_exit 0 "... the next up applies only the next one" -- "${dbctl[@]}" migrate up -d "$d"
	is "$(q "select last_value from body_runs")|$(versions)" "2|1,2" "... each body once"
done
sq "DROP ROLE IF EXISTS mig_nobody" >/dev/null 2>&1

# --- in one transaction (--single-transaction, dry run) the guard does not change the next migrations' session
newdb single
d=$tmp/single
printf -- "-- migrate:up\nset lock_timeout = '7s';\n" | wr "$d/1_set.sql"
printf -- "-- migrate:up\ncreate table seen as select current_setting('lock_timeout') as v;\n" | wr "$d/2_seen.sql"
# (migrate_lock_timeout=0: otherwise each migration starts with SET LOCAL
# lock_timeout, as it does outside one transaction, and that is not the guard)
expect_exit 0 "--single-transaction, migration 1 sets lock_timeout: exit 0" -- \
	"${dbctl[@]}" -o migrate_lock_timeout=0 migrate up -d "$d" --single-transaction
is "$(versions)|$(q "select v from seen")" "1,2|7s" "... migration 2 sees it: the tracking row's guard did not reset it"

# --- the same settings under the lease: renewing and deleting it still work --------------------------
for setting in "set default_transaction_read_only = on" "set role mig_nobody"; do
	n=$((n + 1))
	newdb "settings$n"
	d=$tmp/settings$n
	sq "DROP ROLE IF EXISTS mig_nobody; CREATE ROLE mig_nobody; GRANT mig_nobody TO app" >/dev/null 2>&1
	printf -- '-- migrate:up transaction:false\n%s;\n' "$setting" | wr "$d/1_set.sql"
	printf -- '-- migrate:up transaction:false\nselect 1;\n' | wr "$d/2_next.sql"
	run_cmd "${dbctl[@]}" migrate up -d "$d" --lock=table
	is "$RC|$(versions)|$(q "select count(*) from schema_migrations_lock")" "0|1,2|0" \
		"--lock=table, '$setting' in a migration: both applied, the lease renewed and deleted"
	[ "$RC" = 0 ] || diag "$ERR"
	sq "DROP ROLE IF EXISTS mig_nobody" >/dev/null 2>&1
done

# --- the lease expires while a long transactional migration runs (as 10 minutes would) --------------
for second in table advisory; do
	newdb "expire_$second"
	d=$tmp/expire_$second
	q "create sequence body_runs" >/dev/null
	printf -- '-- migrate:up\nselect nextval($$body_runs$$);\nselect pg_sleep(3);\n' | wr "$d/1_long.sql"
	printf -- '-- migrate:up\nselect nextval($$body_runs$$);\n' | wr "$d/2_next.sql"
	"$DBCTL" --url "$URL" migrate up -d "$d" --lock=table >a.out 2>a.err &
	runner=$!
	pids=("$runner")
	running "pg_sleep(3)"
	q "update schema_migrations_lock set expires_at = now() - interval '1 second'" >/dev/null
	expect_exit 0 "--lock=table, its lease expires mid-migration; a --lock=$second runner: exit 0" -- \
		"${dbctl[@]}" migrate up -d "$d" --lock=$second --lock-timeout 30
	wait "$runner"
	first=$?
	pids=()
	is "$(versions)|$(q "select last_value from body_runs")" "1,2|2" "... each body ran once"
	is "$first" 1 "... the first runner stops at its expired lease, exit 1"
	like "$(cat a.err)" "lease expired" "... and says so"
done

# --- the connection is lost while COMMIT runs (a deferred trigger sleeps in it) --------------------
cat >"$tmp/cutproxy.py" <<'PY2'
import os, select, socket, sys, threading
portfile, cutfile, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
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
PY2
for mode in advisory table; do
	newdb "commitcut_$mode"
	d=$tmp/commitcut_$mode
	q "create sequence body_runs" >/dev/null
	wr "$d/1_slow_commit.sql" <<'SQL'
-- migrate:up
select nextval('body_runs');
create table t1 (x int);
create function slow_check() returns trigger language plpgsql as $$ begin perform pg_sleep(2); return null; end $$;
create constraint trigger t1_slow after insert on t1 deferrable initially deferred for each row execute function slow_check();
insert into t1 values (1);
SQL
	rm -f "$tmp/proxy.port" "$tmp/proxy.cut"
	/usr/bin/python3 "$tmp/cutproxy.py" "$tmp/proxy.port" "$tmp/proxy.cut" "$PGPORT_TEST" &
	proxy=$!
	pids=("$proxy")
	for ((i = 0; i < 100; i++)); do [ -s "$tmp/proxy.port" ] && break; sleep 0.05; done
	purl="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@127.0.0.1:$(cat "$tmp/proxy.port")/$DB"
	"$DBCTL" --url "$purl" migrate up -d "$d" --lock=$mode >cc.out 2>cc.err &
	runner=$!
	pids+=("$runner")
	running "; COMMIT"
	touch "$tmp/proxy.cut"
	wait "$runner"
	code=$?
	is "$code" 5 "--lock=$mode: connection lost while COMMIT runs: exit 5 (outcome unknown)"
	[ "$code" = 5 ] || diag "$(cat cc.err)"
	like "$(cat cc.err)" "migrate status" "... the hint says to check migrate status"
	sleep 2.5
	[ $mode = table ] && q "update schema_migrations_lock set expires_at = now() - interval '1 second'" >/dev/null
	expect_exit 0 "... the next up exits 0" -- "${dbctl[@]}" migrate up -d "$d" --lock=$mode --lock-timeout 30
	is "$(versions)|$(q "select last_value from body_runs")|$(q "select count(*) from t1")" "1|1|1" \
		"... the commit had happened: recorded, applied once"
	kill "$proxy" 2>/dev/null
	wait "$proxy" 2>/dev/null
	pids=()
done

# --- SIGTERM / SIGINT while COMMIT runs (a deferred trigger sleeps in it) ----------------------------
for sig in TERM INT; do
	newdb "commitsig_${sig,,}"
	d=$tmp/commitsig_$sig
	q "create sequence body_runs" >/dev/null
	wr "$d/1_slow_commit.sql" <<'SQL'
-- migrate:up
select nextval('body_runs');
create table t1 (x int);
create function slow_check() returns trigger language plpgsql as $$ begin perform pg_sleep(2); return null; end $$;
create constraint trigger t1_slow after insert on t1 deferrable initially deferred for each row execute function slow_check();
insert into t1 values (1);
SQL
	printf -- '-- migrate:up\ncreate table t2 (x int);\n' | wr "$d/2_after.sql"
	"$DBCTL" --url "$URL" migrate up -d "$d" >cs.out 2>cs.err &
	runner=$!
	pids=("$runner")
	running "; COMMIT"
	kill -"$sig" "$runner"
	wait "$runner"
	code=$?
	pids=()
	# the signal is honoured in COMMIT too: the COMMIT is cancelled, the
	# migration rolled back and not recorded, and the run stops there
	is "$code|$(versions)|$(exists t1)|$(exists t2)" "130||f|f" \
		"SIG$sig during a migration's COMMIT: exit 130, rolled back, not recorded; the next one did not start"
	[ "$code" = 130 ] || diag "$(cat cs.out cs.err)"
	like "$(cat cs.err)" "interrupted during the COMMIT of migration 1: rolled back, not recorded" \
		"... it says the COMMIT was interrupted and rolled back"
	expect_exit 0 "... the next up applies both" -- "${dbctl[@]}" migrate up -d "$d"
	# body_runs counts attempts (a sequence is not rolled back): one rolled back, one committed
	is "$(versions)|$(q "select count(*) from t1")|$(q "select last_value from body_runs")" "1,2|1|2" \
		"... each applied once (the rolled-back attempt left nothing but the sequence's count)"
done

# --- pg_terminate_backend of the runner's own backend, mid-migration ---------------------------------
for kind in tx notx; do
	newdb "term_$kind"
	d=$tmp/term_$kind
	q "create sequence body_runs; create table runs (x int)" >/dev/null
	if [ $kind = tx ]; then
		printf -- '-- migrate:up\nselect nextval($$body_runs$$);\ninsert into runs values (1);\nselect pg_sleep(3);\n' | wr "$d/1_slow.sql"
	else
		printf -- '-- migrate:up transaction:false\ninsert into runs select 1 from (select pg_sleep(3)) s;\n' | wr "$d/1_slow.sql"
	fi
	"$DBCTL" --url "$URL" migrate up -d "$d" >tb.out 2>tb.err &
	runner=$!
	pids=("$runner")
	running "pg_sleep(3)"
	sq "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$runner"
	code=$?
	pids=()
	is "$code|$(versions)|$(q "select count(*) from runs")" "2||0" \
		"$kind: the runner's backend is terminated mid-statement: exit 2, nothing recorded, nothing applied"
	[ $kind = notx ] && like "$(cat tb.err)" "connection was lost during statement 1" "... the hint says where"
	expect_exit 0 "... the next up applies it" -- "${dbctl[@]}" migrate up -d "$d"
	is "$(versions)|$(q "select count(*) from runs")" "1|1" "... once"
done

# --- redo and up racing ----------------------------------------------------------------------------
newdb redo_race
d=$tmp/redo_race
q "create sequence ups; create sequence downs" >/dev/null
for i in 1 2 3; do
	printf -- '-- migrate:up\nselect nextval($$ups$$);\ncreate table r%d (x int);\nselect pg_sleep(0.2);\n-- migrate:down\nselect nextval($$downs$$);\ndrop table r%d;\n' \
		"$i" "$i" | wr "$d/${i}_r$i.sql"
done
pids=()
for i in $(seq 1 8); do
	cmd=up
	((i % 2)) && cmd=redo
	"$DBCTL" --url "$URL" migrate $cmd -d "$d" >"out$i" 2>"err$i" &
	pids+=($!)
done
codes=
for pid in "${pids[@]}"; do
	wait "$pid"
	codes+="$? "
done
pids=()
expect_exit 0 "8 runners, half up, half redo: then up" -- "${dbctl[@]}" migrate up -d "$d"
is "$(versions)|$(exists r1)$(exists r2)$(exists r3)" "1,2,3|ttt" "... all three applied, their tables there"
is "$(q "select last_value - (select case when is_called then last_value else 0 end from downs) from ups")" 3 \
	"... every down was followed by exactly one up (ups - downs = 3)"
is "$(grep -l 'another runner recorded' err* | wc -l)" 0 "... no runner hit another's row (codes: $codes)"

# --- chaos: 16 runners, every lock mode, direct and through PgBouncer, some interrupted -----------------------
pgb_start tx transaction query_wait_timeout=60 || BAIL_OUT "pgbouncer (transaction pooling) did not start"
TX=$PGB_URL_BASE
pgb_start ss session query_wait_timeout=60 default_pool_size=40 || BAIL_OUT "pgbouncer (session pooling) did not start"
SS=$PGB_URL_BASE
newdb chaos
d=$tmp/chaos
# runs: one row per committed body (transaction:false ones with their time span, to see overlaps)
q "create sequence starts; create table runs (version int, started timestamptz, finished timestamptz)" >/dev/null
for i in 1 2 3 4 5 6; do
	if ((i % 2)); then
		printf -- '-- migrate:up\nselect nextval($$starts$$);\ninsert into runs values (%d, now(), clock_timestamp());\nselect pg_sleep(0.3);\ncreate table c%d (x int);\n' \
			"$i" "$i" | wr "$d/${i}_tx.sql"
	else
		printf -- '-- migrate:up transaction:false\nselect nextval($$starts$$);\ninsert into runs select %d, now(), clock_timestamp() from (select pg_sleep(0.3)) s;\n' \
			"$i" | wr "$d/${i}_notx.sql"
	fi
done
direct=${TEST_PG_URL%/*}/$DB
victims=()
pids=()
for i in $(seq 1 16); do
	case $((i % 6)) in
	0) url=$direct args=(--lock=advisory) ;;
	1) url=$direct args=(--lock=table) ;;
	2) url=$direct args=() ;;
	3) url=$TX/$DB args=() ;;
	4) url=$TX/$DB args=(--lock=table) ;;
	5) url=$SS/$DB args=(--lock=advisory) ;;
	esac
	"$DBCTL" --url "$url" migrate up -d "$d" --lock-timeout 60 "${args[@]}" >"out$i" 2>"err$i" &
	pids+=($!)
	((i % 4 == 0)) && victims+=($!)
done
sleep 0.5
for sig in INT TERM INT TERM; do
	sleep 0.4
	kill -"$sig" "${victims[0]}" 2>/dev/null
	victims=("${victims[@]:1}")
done
codes=
for pid in "${pids[@]}"; do
	wait "$pid"
	codes+="$? "
done
pids=()
diag "chaos exit codes: $codes"
i=0
for c in $codes; do
	i=$((i + 1))
	case $c in 0 | 130 | 137 | 143) ;; *) diag "runner $i: $(cat "err$i")" ;; esac
done
# an interrupt inside a transaction:false section after its first statement is recorded: --retry resumes it
run_cmd "${dbctl[@]}" migrate up -d "$d" --lock-timeout 30 --retry
is "$RC|$(versions)" "0|1,2,3,4,5,6" "chaos: after the race and one up --retry, all six are applied"
[ "$RC" = 0 ] || diag "$ERR"
is "$(q "select string_agg(version || ':' || n, ',' order by version) from (select version, count(*) n from runs group by version) s")" \
	"1:1,2:1,3:1,4:1,5:1,6:1" "... each body committed once"
is "$(q "select count(*) from runs r1 join runs r2 on r1.ctid < r2.ctid and r1.started < r2.finished and r2.started < r1.finished")" 0 \
	"... no two bodies ever ran at the same time"
is "$(grep -l 'another runner recorded migration' err* 2>/dev/null | wc -l)" 0 "... no runner hit another's tracking row"

done_testing
