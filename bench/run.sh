#!/usr/bin/env bash
# bench/run.sh - how fast is `dbctl run` on a large script, as a whole
# process, next to psql, sqlite3 and redis-cli and next to the floor (the
# whole script as one PostgreSQL query message)? And does its memory stay flat?
#
# Same approach and tools as bench/ping.sh: throwaway PostgreSQL 15 and Redis
# (tests/lib/servers.sh), a snapshot of the dbctl build, the C helpers in
# bench/c/ built into a temp dir, and bench/c/bench_run timing every command
# INTERLEAVED (each round runs each command once, in a per-round shuffled
# order). Before each run an untimed hook resets the database (PostgreSQL:
# drop and re-create bench_t; SQLite: a new file; Redis: FLUSHALL), and after
# it another checks the run's effect (row or key count), so every run does the
# same work and a run that did nothing counts as failed. Each command is also
# checked once on its own before the timing starts.
#
# Rows (see bench/README.md for the exact commands):
#   1. PostgreSQL, 50,000 INSERTs: dbctl run / psql -1 -f / the one-message
#      floor (bench/c/pq_exec_file), over TCP loopback and the unix socket
#   2. the same three through bench/c/delay_proxy (+~1 ms per round trip),
#      5,000 INSERTs (psql pays the delay per statement: 50,000 would be ~55 s)
#   3. SQLite, the same 50,000 INSERTs, files on /dev/shm: dbctl run vs the
#      sqlite3 shell reading BEGIN; ...; COMMIT; on stdin
#   4. Redis, 100,000 SETs: dbctl run vs redis-cli --pipe (RESP) vs redis-cli
#      reading the lines (one round trip each); info: redis-cli --pipe of the
#      same between MULTI and EXEC, the transaction dbctl wraps them in
#   5. memory: dbctl run of 500,000 INSERTs (peak RSS next to the 50,000 row),
#      and psql on the 500,000 once (BENCH_PSQL_BIG=0 skips it, ~25 s)
#   6. info: one pass of dbctl's lexer alone (dbctl run --list -q), SQL and Redis
# Prints the table and the ratios behind the targets with PASS/MISS. Always
# exits 0 when it could measure: benchmarks inform, they don't gate.
#
# Environment:
#   BENCH_RUNS=7          rounds (each command runs once per round)
#   BENCH_WARMUP=1        rounds run first and thrown away
#   BENCH_SEED=1          shuffle seed; 0 = the same fixed order every round
#   BENCH_OUT=DIR         keep raw.csv, errors.log and report.txt in DIR
#   BENCH_SQLITE_DIR=DIR  the SQLite files go in a new directory in DIR
#                         (default /dev/shm when it is a tmpfs)
#   BENCH_DELAY_US=500    one-way delay of the proxy (round trip + 2x this)
#   BENCH_PG_N=50000 BENCH_RTT_N=5000 BENCH_MEM_N=500000 BENCH_REDIS_N=100000
#   BENCH_PSQL_BIG=1      also run psql once on the BENCH_MEM_N script
set -u

# ---- hooks: bench_run runs `bash run.sh --hook ACTION ARGS...` untimed ----------
if [ "${1:-}" = --hook ]; then
	psql=/usr/lib/postgresql/15/bin/psql
	action=$2
	shift 2
	case $action in
	pg-reset)   # URL
		PGOPTIONS='-c client_min_messages=warning' "$psql" -X -q -v ON_ERROR_STOP=1 -d "$1" \
			-c 'DROP TABLE IF EXISTS bench_t' \
			-c 'CREATE TABLE bench_t (id int, t text) WITH (autovacuum_enabled = off)' </dev/null
		;;
	pg-check)   # URL N
		got=$("$psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" </dev/null \
			-c "SELECT count(*), coalesce(max(id), 0), count(*) FILTER (WHERE t = 'text ' || id) FROM bench_t") || exit 1
		[ "$got" = "$2|$2|$2" ] || { echo "pg-check: bench_t has count|max(id)|ok '$got', expected $2|$2|$2" >&2; exit 1; }
		;;
	sqlite-reset)   # DB
		rm -f "$1" "$1-wal" "$1-shm" "$1-journal" &&
			sqlite3 "$1" 'CREATE TABLE bench_t (id int, t text)' </dev/null
		;;
	sqlite-check)   # DB N
		got=$(sqlite3 "$1" "SELECT count(*), coalesce(max(id), 0), count(*) FILTER (WHERE t = 'text ' || id) FROM bench_t" </dev/null) || exit 1
		[ "$got" = "$2|$2|$2" ] || { echo "sqlite-check: bench_t has count|max(id)|ok '$got', expected $2|$2|$2" >&2; exit 1; }
		;;
	redis-reset)
		got=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning flushall </dev/null)
		[ "$got" = OK ] || { echo "redis-reset: FLUSHALL said '$got'" >&2; exit 1; }
		;;
	redis-check)   # N
		got=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning \
			eval "return {redis.call('dbsize'), redis.call('get', 'key:1'), redis.call('get', 'key:' .. ARGV[1])}" 0 "$1" </dev/null)
		want=$(printf '%s\n' "$1" value:1 "value:$1")
		[ "$got" = "$want" ] || { echo "redis-check: dbsize, key:1, key:$1 are '${got//$'\n'/ }', expected '${want//$'\n'/ }'" >&2; exit 1; }
		;;
	*)
		echo "run.sh --hook: unknown action $action" >&2
		exit 2
		;;
	esac
	exit
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$repo/bench/run.sh
runs=${BENCH_RUNS:-7}
warmup=${BENCH_WARMUP:-1}
seed=${BENCH_SEED:-1}
delay_us=${BENCH_DELAY_US:-500}
pg_n=${BENCH_PG_N:-50000}
rtt_n=${BENCH_RTT_N:-5000}
mem_n=${BENCH_MEM_N:-500000}
redis_n=${BENCH_REDIS_N:-100000}
pgbin=/usr/lib/postgresql/15/bin   # not /usr/bin/psql: a Perl wrapper (pg_wrapper)
bash=$(command -v bash)

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
. "$repo/bench/lib.sh" || die "cannot source bench/lib.sh"

# ---- tools -----------------------------------------------------------------
need_pkgs=()
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v cc >/dev/null || need_pkgs+=(gcc)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
pkg-config --exists libpq 2>/dev/null || need_pkgs+=(libpq-dev)
bench_install ${need_pkgs[@]+"${need_pkgs[@]}"}
bench_require "$pgbin/psql" redis-cli redis-server perl awk
sqlite3_bin=$(command -v sqlite3)
rcli=$(command -v redis-cli)

# ---- build -----------------------------------------------------------------
make -C "$repo" -s --no-print-directory >&2 || die "make failed"
proxy_pid=
# shellcheck disable=SC2317 # called by bench_cleanup
bench_cleanup_more() {
	[ -z "$proxy_pid" ] || { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; }
}
bench_setup run   # $sqlite_tmp: the SQLite files' directory when not under $tmp
cflags=(-O2 -Wall -Wextra)
# shellcheck disable=SC2046 # pkg-config output is meant to split
{
	cc "${cflags[@]}" -o "$bin/bench_run" "$repo/bench/c/bench_run.c" &&
	cc "${cflags[@]}" -o "$bin/pq_exec_file" "$repo/bench/c/pq_exec_file.c" $(pkg-config --cflags --libs libpq) &&
	cc "${cflags[@]}" -o "$bin/delay_proxy" "$repo/bench/c/delay_proxy.c"
} || die "building the C helpers failed"

# ---- servers ---------------------------------------------------------------
# shellcheck source=../tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" || die "cannot source tests/lib/servers.sh"
servers_start || die "servers_start failed"
cd "$tmp" || die "cd $tmp"   # no ./dbctl.ini of the caller's

app_pw=$(pct_encode "$TEST_PG_APP_PASSWORD")
pg_tcp=$TEST_PG_URL
pg_unix="postgresql://app:$app_pw@/app?host=$TEST_PG_SOCKET_DIR&port=$PGPORT_TEST"

# The delaying proxy in front of PostgreSQL's TCP port.
"$bin/delay_proxy" -d "$delay_us" 127.0.0.1 "$PGPORT_TEST" >"$tmp/proxy.port" 2>"$tmp/proxy.err" &
proxy_pid=$!
for _ in $(seq 100); do [ -s "$tmp/proxy.port" ] && break; sleep 0.02; done
proxy_port=$(cat "$tmp/proxy.port")
[ -n "$proxy_port" ] || die "delay_proxy did not start: $(cat "$tmp/proxy.err")"
pg_rtt="postgresql://app:$app_pw@127.0.0.1:$proxy_port/app"

# Round-trip time as psql sees it: median of 50 \timing'd empty SELECTs.
rtt_ms() {
	{ printf '%s\n' '\timing on'; for _ in $(seq 50); do echo 'SELECT;'; done; } |
		"$pgbin/psql" -X -q -d "$1" 2>/dev/null |
		awk '/^Time:/ { print $2 }' | sort -n | awk '{ t[NR] = $1 } END { printf "%.3f", NR ? t[int((NR + 1) / 2)] : -1 }'
}
rtt_direct=$(rtt_ms "$pg_tcp")
rtt_proxy=$(rtt_ms "$pg_rtt")

# SQLite files go on tmpfs (/dev/shm) unless BENCH_SQLITE_DIR says otherwise:
# on this VM's journal-less ext4, creating files right after others were
# deleted costs ~0.8 ms of kernel CPU each (see bench/README.md).
sqlite_base=${BENCH_SQLITE_DIR:-}
if [ -z "$sqlite_base" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	sqlite_base=/dev/shm
fi
sqlite_dir=$tmp
if [ -n "$sqlite_base" ]; then
	sqlite_tmp=$(mktemp -d "$sqlite_base/dbctl-bench-run.XXXXXX") || die "cannot make a directory in $sqlite_base"
	sqlite_dir=$(cd "$sqlite_tmp" && pwd) || die "cd $sqlite_tmp"
fi

# ---- the scripts ---------------------------------------------------------------
say "generating scripts: $pg_n, $rtt_n and $mem_n INSERTs, $redis_n SETs"
gen_sql() {   # N: INSERT INTO bench_t VALUES (n, 'text n'); for n = 1..N (valid SQLite too)
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "INSERT INTO bench_t VALUES (%d, '\''text %d'\'');\n", i, i }'
}
gen_sql "$pg_n" >"$tmp/pg.sql"
gen_sql "$rtt_n" >"$tmp/pg-rtt.sql"
gen_sql "$mem_n" >"$tmp/pg-big.sql"
{ echo 'BEGIN;'; cat "$tmp/pg.sql"; echo 'COMMIT;'; } >"$tmp/sqlite-tx.sql"
awk -v n="$redis_n" 'BEGIN { for (i = 1; i <= n; i++) printf "SET key:%d value:%d\n", i, i }' >"$tmp/redis.txt"
awk -v n="$redis_n" 'BEGIN { for (i = 1; i <= n; i++) { k = "key:" i; v = "value:" i
	printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' >"$tmp/redis.resp"
# shellcheck disable=SC2016 # RESP's $ is literal
{ printf '*1\r\n$5\r\nMULTI\r\n'; cat "$tmp/redis.resp"; printf '*1\r\n$4\r\nEXEC\r\n'; } >"$tmp/redis-multi.resp"

# ---- the commands ----------------------------------------------------------
spec=$tmp/spec.tsv before=$tmp/before.tsv after=$tmp/after.tsv
: >"$spec"
: >"$before"
: >"$after"
tsv() { (IFS=$'\t'; printf '%s\n' "$*"); }
# add SPEC LABEL ARGV...: a command, with the hooks in the arrays reset and
# check (none when empty)
add() {
	local file=$1 label=$2
	shift 2
	tsv "$label" "$@" >>"$file"
	((${#reset[@]} == 0)) || tsv "$label" "$bash" "$self" --hook "${reset[@]}" >>"$before"
	((${#check[@]} == 0)) || tsv "$label" "$bash" "$self" --hook "${check[@]}" >>"$after"
}

psql_f=("$pgbin/psql" -X -q -1 -v ON_ERROR_STOP=1 -f)
for t in tcp unix; do
	u=$pg_tcp
	[ "$t" = unix ] && u=$pg_unix
	reset=(pg-reset "$u") check=(pg-check "$u" "$pg_n")
	add "$spec" "dbctl-pg-$t" "$dbctl" --url "$u" run "$tmp/pg.sql"
	add "$spec" "psql-pg-$t" "${psql_f[@]}" "$tmp/pg.sql" "$u"
	add "$spec" "floor-pg-$t" "$bin/pq_exec_file" "$u" "$tmp/pg.sql"
done
# reset and check go around the proxy: they are not timed
reset=(pg-reset "$pg_tcp") check=(pg-check "$pg_tcp" "$rtt_n")
add "$spec" dbctl-pg-rtt "$dbctl" --url "$pg_rtt" run "$tmp/pg-rtt.sql"
add "$spec" psql-pg-rtt "${psql_f[@]}" "$tmp/pg-rtt.sql" "$pg_rtt"
add "$spec" floor-pg-rtt "$bin/pq_exec_file" "$pg_rtt" "$tmp/pg-rtt.sql"
reset=(pg-reset "$pg_tcp") check=(pg-check "$pg_tcp" "$mem_n")
add "$spec" dbctl-pg-big "$dbctl" --url "$pg_tcp" run "$tmp/pg-big.sql"
big_spec=$tmp/big.tsv   # psql on the big script: once, after the rounds
: >"$big_spec"
[ "${BENCH_PSQL_BIG:-1}" = 0 ] || add "$big_spec" psql-pg-big "${psql_f[@]}" "$tmp/pg-big.sql" "$pg_tcp"

for l in dbctl-sqlite dbctl-sqlite-del sqlite3-cli; do
	db=$sqlite_dir/$l.db
	case $l in
	dbctl-sqlite) argv=("$dbctl" --url "sqlite:///$db" run "$tmp/pg.sql") ;;
	dbctl-sqlite-del) argv=("$dbctl" --url "sqlite:///$db" -o journal_mode=delete run "$tmp/pg.sql") ;;
	sqlite3-cli) argv=("$sqlite3_bin" "$db" "<$tmp/sqlite-tx.sql") ;;
	esac
	reset=(sqlite-reset "$db") check=(sqlite-check "$db" "$pg_n")
	add "$spec" "$l" "${argv[@]}"
done

rcli_args=("$rcli" -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning)
reset=(redis-reset) check=(redis-check "$redis_n")
add "$spec" dbctl-redis "$dbctl" --url "$TEST_REDIS_URL" run "$tmp/redis.txt"
add "$spec" redis-cli-pipe "${rcli_args[@]}" --pipe "<$tmp/redis.resp"
add "$spec" redis-cli-lines "${rcli_args[@]}" "<$tmp/redis.txt"
# info: the same RESP between MULTI and EXEC, as dbctl sends it (all or nothing)
add "$spec" redis-cli-multi "${rcli_args[@]}" --pipe "<$tmp/redis-multi.resp"

# info: one pass of dbctl's statement lexer alone (run --list -q prints and
# sends nothing); `dbctl run` makes two, a check pass and the run pass
reset=() check=()
"$sqlite3_bin" "$sqlite_dir/lex.db" 'CREATE TABLE bench_t (id int, t text)' </dev/null || die "sqlite3 failed"
add "$spec" dbctl-lex-sql "$dbctl" -q --url "sqlite:///$sqlite_dir/lex.db" run --list "$tmp/pg.sql"
add "$spec" dbctl-lex-redis "$dbctl" -q --url "$TEST_REDIS_URL" run --list "$tmp/redis.txt"

# ---- check each command once (reset, run, check), so that none is timed broken
say "checking each command once"
while IFS= read -r line; do
	label=${line%%$'\t'*}
	printf '%s\n' "$line" >"$tmp/one.tsv"
	: >"$tmp/check.err"
	"$bin/bench_run" -n 1 -w 0 -s 0 -e "$tmp/check.err" -b "$before" -a "$after" "$tmp/one.tsv" >"$tmp/check.csv" ||
		die "bench_run failed"
	code=$(tail -n 1 "$tmp/check.csv" | cut -d, -f6)
	if [ "$code" != 0 ]; then
		say "$label does not work (exit $code; 1000+N: the check after it failed, 2000+N: the reset before it):"
		cat "$tmp/check.err" >&2
		exit 1
	fi
done <"$spec"   # psql-pg-big (one run, for its peak RSS) is checked by its after hook

# ---- measure ---------------------------------------------------------------
ncmd=$(wc -l <"$spec")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "timing $ncmd commands x $runs rounds (+$warmup warm-up), interleaved$([ "$seed" = 0 ] || echo ", shuffled per round")"
"$bin/bench_run" -n "$runs" -w "$warmup" -s "$seed" -e "$tmp/errors.log" -b "$before" -a "$after" \
	"$spec" >"$tmp/raw.csv" &
bench_pid=$!
wait "$bench_pid" || die "bench_run failed"
if [ -s "$big_spec" ]; then
	say "psql on the $mem_n-statement script, once (memory only)"
	"$bin/bench_run" -n 1 -w 0 -s 0 -e "$tmp/errors.log" -b "$before" -a "$after" \
		"$big_spec" >"$tmp/big.csv" &
	bench_pid=$!
	wait "$bench_pid" || die "bench_run failed"
	tail -n +2 "$tmp/big.csv" >>"$tmp/raw.csv"
fi
bench_pid=

pg_version=$("$pgbin/psql" -X -A -t -q -d "$pg_tcp" -c 'SHOW server_version' </dev/null)
redis_version=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
sqlite_version=$("$sqlite3_bin" --version | cut -d' ' -f1)
{
	echo "dbctl run benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr)"
	echo "$runs rounds (+$warmup warm-up) x $ncmd commands, interleaved and shuffled; wall = spawn to reap, per process;" \
		"reset/check hooks untimed"
	echo "load average before: $load_before; dbctl build $build_id; PostgreSQL $pg_version, Redis $redis_version, SQLite $sqlite_version"
	echo "scripts: PostgreSQL and SQLite $pg_n INSERTs ($(du -k "$tmp/pg.sql" | cut -f1) KiB), RTT rows $rtt_n," \
		"big $mem_n ($(du -k "$tmp/pg-big.sql" | cut -f1) KiB); Redis $redis_n SETs"
	printf 'round trip (psql \\timing, SELECT;, median of 50): direct %s ms, through delay_proxy -d %s %s ms\n' \
		"$rtt_direct" "$delay_us" "$rtt_proxy"
	echo "SQLite files in $sqlite_dir ($(stat -f -c %T "$sqlite_dir"))"
	echo
	PG_N=$pg_n RTT_N=$rtt_n MEM_N=$mem_n REDIS_N=$redis_n perl "$repo/bench/run_report.pl" "$tmp/raw.csv"
} | tee "$tmp/report.txt"

if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT" && cp "$tmp/raw.csv" "$tmp/errors.log" "$tmp/report.txt" "$BENCH_OUT/" &&
		say "raw data in $BENCH_OUT/"
fi
[ -s "$tmp/errors.log" ] && { say "stderr of the timed runs (first lines):"; head -n 5 "$tmp/errors.log" >&2; }
exit 0
