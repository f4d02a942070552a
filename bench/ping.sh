#!/usr/bin/env bash
# bench/ping.sh - how fast is `dbctl ping`, as a whole process, next to the
# tools and minimal C clients that do the same job?
#
# Starts throwaway PostgreSQL 15 and Redis servers (tests/lib/servers.sh),
# builds dbctl (make) and the C baselines in bench/c/ into a temp dir, then
# times every command INTERLEAVED: each round runs each command once, in a
# per-round shuffled order, so machine noise falls on all of them alike.
# Prints median/p90 wall time, CPU time and peak RSS per command, the ratios
# behind the spec's targets with PASS/MISS, and a dynamic-loader breakdown.
# Always exits 0 when it could measure: benchmarks inform, they don't gate.
#
# Environment:
#   BENCH_RUNS=200     rounds (each command runs once per round)
#   BENCH_WARMUP=3     rounds run first and thrown away
#   BENCH_SEED=1       shuffle seed; 0 = the same fixed order every round
#   BENCH_OUT=DIR      keep raw.csv, errors.log and report.txt in DIR
#   BENCH_SQLITE_DIR=DIR  the SQLite rows' files go in a new directory in DIR
#                      (default /dev/shm when it is a tmpfs; see below)
#   BENCH_DIAG=0       skip the LD_DEBUG loader breakdown
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_RUNS:-200}
warmup=${BENCH_WARMUP:-3}
seed=${BENCH_SEED:-1}
pgbin=/usr/lib/postgresql/15/bin   # not /usr/bin/pg_isready: a Perl wrapper (pg_wrapper)

say() { printf 'ping.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
. "$repo/bench/lib.sh" || die "cannot source bench/lib.sh"

# ---- tools -----------------------------------------------------------------
need_pkgs=()
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v cc >/dev/null || need_pkgs+=(gcc)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
for pc in libpq:libpq-dev hiredis:libhiredis-dev sqlite3:libsqlite3-dev; do
	pkg-config --exists "${pc%%:*}" 2>/dev/null || need_pkgs+=("${pc#*:}")
done
bench_install ${need_pkgs[@]+"${need_pkgs[@]}"}
bench_require "$pgbin/psql" "$pgbin/pg_isready" redis-cli redis-server perl

# ---- build -----------------------------------------------------------------
make -C "$repo" -s --no-print-directory >&2 || die "make failed"
bench_setup ping   # $sqlite_tmp: the SQLite rows' directory when not under $tmp (see below)
cflags=(-O2 -Wall -Wextra)
# shellcheck disable=SC2046 # pkg-config output is meant to split
{
	cc "${cflags[@]}" -o "$bin/bench_run" "$repo/bench/c/bench_run.c" &&
	cc "${cflags[@]}" -o "$bin/pq_ping" "$repo/bench/c/pq_ping.c" $(pkg-config --cflags --libs libpq) &&
	cc "${cflags[@]}" -o "$bin/redis_ping" "$repo/bench/c/redis_ping.c" $(pkg-config --cflags --libs hiredis) &&
	cc "${cflags[@]}" -o "$bin/sqlite_ping" "$repo/bench/c/sqlite_ping.c" $(pkg-config --cflags --libs sqlite3)
} || die "building the C baselines failed"

# ---- servers ---------------------------------------------------------------
# shellcheck source=../tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" || die "cannot source tests/lib/servers.sh"
servers_start || die "servers_start failed"
cd "$tmp" || die "cd $tmp"   # no ./dbctl.ini of the caller's

# SQLite files go on tmpfs (/dev/shm) unless BENCH_SQLITE_DIR says otherwise.
# Each cold open of a WAL database creates b.db-wal and b.db-shm and its close
# deletes them; on an ext4 without a journal (this VM's root) every inode
# allocation then scans the inodes deleted in the last 30 s (ext4's
# recently_deleted()), so hundreds of runs a second - or someone's rm -rf
# nearby - make each create cost ~0.8 ms of kernel CPU, and the SQLite rows
# would time the file system's state. The dbctl-sqlite-disk row keeps a file
# in the temp dir to show that effect.
sqlite_base=${BENCH_SQLITE_DIR:-}
if [ -z "$sqlite_base" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	sqlite_base=/dev/shm
fi
sqlite_dir=$tmp
if [ -n "$sqlite_base" ]; then
	sqlite_tmp=$(mktemp -d "$sqlite_base/dbctl-bench.XXXXXX") || die "cannot make a directory in $sqlite_base"
	sqlite_dir=$(cd "$sqlite_tmp" && pwd) || die "cd $sqlite_tmp"
fi
db=$sqlite_dir/b.db
sqlite_url="sqlite:///$db"   # $db is absolute: sqlite:////dev/shm/...
for f in "$db" "$sqlite_dir/del.db" "$tmp/disk.db"; do
	[ "$f" = "$tmp/disk.db" ] && [ "$sqlite_dir" = "$tmp" ] && continue
	sqlite3 "$f" 'create table t(x); insert into t values (1);' || die "sqlite3 $f failed"
done
# dbctl sets journal_mode=wal at connect: make it so before timing, for every
# tool; del.db stays in rollback-journal mode for the dbctl-sqlite-del row.
"$dbctl" --url "$sqlite_url" ping --quiet || die "dbctl sqlite ping failed"
[ "$sqlite_dir" = "$tmp" ] || "$dbctl" --url "sqlite:///$tmp/disk.db" ping --quiet || die "dbctl sqlite ping failed"

# redis-cli 7.0's -u does not percent-decode the password, and servers.sh's
# passwords are full of URL-special characters: give it the same password
# with -a instead (same work: AUTH + PING).
rcli=$(command -v redis-cli)

# ---- the commands ----------------------------------------------------------
spec=$tmp/spec.tsv
add() {   # add LABEL EXPECTED_STDOUT ARGV...
	local label=$1 expect=$2 out rc
	shift 2
	out=$("$@" 2>"$tmp/check.err" </dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] || [ "$out" != "$expect" ]; then
		say "$label does not work (exit $rc, stdout '$out', expected '$expect'):"
		cat "$tmp/check.err" >&2
		exit 1
	fi
	(IFS=$'\t'; printf '%s\t%s\n' "$label" "$*") >>"$spec"
}
pg_ready_out="127.0.0.1:$PGPORT_TEST - accepting connections"
add dbctl-pg '' "$dbctl" --url "$TEST_PG_URL" ping --quiet
add c-libpq '' "$bin/pq_ping" "$TEST_PG_URL"
add psql 1 "$pgbin/psql" "$TEST_PG_URL" -Atc 'select 1'
add pg_isready "$pg_ready_out" "$pgbin/pg_isready" -d "$TEST_PG_URL"
add dbctl-redis '' "$dbctl" --url "$TEST_REDIS_URL" ping --quiet
add c-hiredis '' "$bin/redis_ping" 127.0.0.1 "$REDIS_PORT_TEST" "$TEST_REDIS_PASSWORD"
add redis-cli PONG "$rcli" -h 127.0.0.1 -p "$REDIS_PORT_TEST" -a "$TEST_REDIS_PASSWORD" --no-auth-warning ping
add dbctl-sqlite '' "$dbctl" --url "$sqlite_url" ping --quiet
add dbctl-sqlite-del '' "$dbctl" --url "sqlite:///$sqlite_dir/del.db" -o journal_mode=delete ping --quiet
[ "$sqlite_dir" = "$tmp" ] || add dbctl-sqlite-disk '' "$dbctl" --url "sqlite:///$tmp/disk.db" ping --quiet
add dbctl-sqlite-mem '' "$dbctl" --url sqlite::memory: ping --quiet
add c-sqlite '' "$bin/sqlite_ping" "$db"
add sqlite3-cli 1 "$(command -v sqlite3)" "$db" 'select count(*) from sqlite_schema'
add dbctl-version "$("$dbctl" --version)" "$dbctl" --version
add true '' /bin/true

# ---- measure ---------------------------------------------------------------
ncmd=$(wc -l <"$spec")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)   # others' work on the machine skews all rows
say "timing $ncmd commands x $runs rounds (+$warmup warm-up), interleaved$([ "$seed" = 0 ] || echo ", shuffled per round")"
# In the background, so that a signal's trap runs now rather than at the end.
"$bin/bench_run" -n "$runs" -w "$warmup" -s "$seed" -e "$tmp/errors.log" "$spec" >"$tmp/raw.csv" &
bench_pid=$!
wait "$bench_pid" || die "bench_run failed"
bench_pid=

{
	echo "dbctl ping benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr)"
	echo "$runs rounds x $ncmd commands, interleaved; wall = spawn to reap, per process;" \
		"load average before: $load_before; dbctl build $build_id"
	printf 'SQLite files in %s (%s)' "$sqlite_dir" "$(stat -f -c %T "$sqlite_dir")"
	[ "$sqlite_dir" = "$tmp" ] || printf '; dbctl-sqlite-disk in %s (%s)' "$tmp" "$(stat -f -c %T "$tmp")"
	echo
	echo
	perl "$repo/bench/report.pl" "$tmp/raw.csv"
} | tee "$tmp/report.txt"

# ---- where the start-up time goes (dynamic loader) --------------------------
if [ "${BENCH_DIAG:-1}" != 0 ]; then
	{
		echo
		echo "dynamic loader (LD_DEBUG=files,statistics; one run each):"
		printf '  %-17s %8s %12s %14s\n' tool objects relocations 'ld.so startup'
		while IFS=$'\t' read -r label argv0 rest; do
			IFS=$'\t' read -r -a args <<<"$rest"
			LD_DEBUG=files,statistics "$argv0" "${args[@]}" >/dev/null 2>"$tmp/ld.log" </dev/null
			L=$label perl -ne '
				$obj++ if /generating link map/;
				$rel = $1 if /final number of relocations:\s*(\d+)/;
				$cyc = $1 if /total startup time in dynamic loader:\s*(\d+)/;
				END { printf "  %-17s %8d %12s %14s\n", $ENV{L}, $obj, $rel // "?", defined $cyc ? "$cyc cycles" : "?" }
			' "$tmp/ld.log"
		done <"$spec"
		echo "  (objects: shared objects mapped, dlopen()ed ones included; relocations: symbol"
		echo "  relocations done, lazy ones as they happen; ld.so startup: before main, so not dlopen)"
	} | tee -a "$tmp/report.txt"
fi

if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT" && cp "$tmp/raw.csv" "$tmp/errors.log" "$tmp/report.txt" "$BENCH_OUT/" &&
		say "raw data in $BENCH_OUT/"
fi
[ -s "$tmp/errors.log" ] && { say "stderr of the timed runs (first lines):"; head -n 5 "$tmp/errors.log" >&2; }
exit 0
