#!/usr/bin/env bash
# bench/shell.sh - does `dbctl shell` keep its memory flat when piped input
# returns a big result to a non-terminal, and how fast is it next to psql?
#
# The issue's memory check: `SELECT * FROM generate_series(1, 5000000)` fed on
# standard input, output to a non-terminal. dbctl reads it in PostgreSQL's
# single-row mode and streams the rows to its output writer (the table format
# aligns chunks of 1000 rows, as psql's FETCH_COUNT does); psql without
# FETCH_COUNT loads the whole result into memory first.
#
# Same approach and tools as bench/ping.sh and bench/run.sh: a throwaway
# PostgreSQL 15 (tests/lib/servers.sh), a snapshot of the dbctl build, and
# bench/c/bench_run timing every command INTERLEAVED (each round runs each
# command once, in a per-round shuffled order), stdin from the query file,
# stdout to /dev/null, peak RSS from wait4(). Each command is checked once
# before the timing: on N=1000 its output must have as many lines as psql's
# and the same data lines. Report by bench/shell_report.pl.
#
# Rows (see bench/README.md for the exact commands):
#   dbctl-table        dbctl shell, default aligned table, N rows
#   dbctl-csv          dbctl shell -f csv
#   psql-aligned       psql -X -q (aligned; loads the whole result)
#   psql-fetch         psql -X -q -v FETCH_COUNT=1000 (psql's streaming mode)
#   psql-csv           psql -X -q --csv (loads the whole result too)
#   dbctl-table-small  dbctl-table on BENCH_SMALL_N rows: RSS must not grow with N
# Prints the table and the ratios behind the targets with PASS/MISS. Always
# exits 0 when it could measure: benchmarks inform, they don't gate.
#
# Environment:
#   BENCH_RUNS=5          rounds (each command runs once per round)
#   BENCH_WARMUP=1        rounds run first and thrown away
#   BENCH_SEED=1          shuffle seed; 0 = the same fixed order every round
#   BENCH_OUT=DIR         keep raw.csv, errors.log and report.txt in DIR
#   BENCH_N=5000000       rows of the big query
#   BENCH_SMALL_N=50000   rows of the dbctl-table-small row
#   BENCH_CHECK_N=1000    rows of the one-off output check
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
seed=${BENCH_SEED:-1}
big_n=${BENCH_N:-5000000}
small_n=${BENCH_SMALL_N:-50000}
check_n=${BENCH_CHECK_N:-1000}
pgbin=/usr/lib/postgresql/15/bin   # not /usr/bin/psql: a Perl wrapper (pg_wrapper)

say() { printf 'shell.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
. "$repo/bench/lib.sh" || die "cannot source bench/lib.sh"

# ---- tools -----------------------------------------------------------------
need_pkgs=()
command -v cc >/dev/null || need_pkgs+=(gcc)
bench_install ${need_pkgs[@]+"${need_pkgs[@]}"}
bench_require "$pgbin/psql" redis-server redis-cli perl   # servers.sh starts Redis too
psql=$pgbin/psql

# ---- build -----------------------------------------------------------------
make -C "$repo" -s --no-print-directory >&2 || die "make failed"
bench_setup shell
cc -O2 -Wall -Wextra -o "$bin/bench_run" "$repo/bench/c/bench_run.c" || die "building bench_run failed"

# ---- servers ---------------------------------------------------------------
# shellcheck source=../tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" || die "cannot source tests/lib/servers.sh"
servers_start || die "servers_start failed"
cd "$tmp" || die "cd $tmp"   # no ./dbctl.ini of the caller's
url=$TEST_PG_URL

# ---- the queries (one line each, as `echo 'SELECT ...' |` would give) --------
query() { printf 'SELECT * FROM generate_series(1, %d)\n' "$1"; }
query "$big_n" >"$tmp/big.sql"
query "$small_n" >"$tmp/small.sql"
query "$check_n" >"$tmp/check.sql"

# ---- the commands ----------------------------------------------------------
# Each row: LABEL, query file, reference row for the check, then ARGV.
spec=$tmp/spec.tsv
: >"$spec"
tsv() { (IFS=$'\t'; printf '%s\n' "$*"); }
declare -A ref_of argv_of
labels=()
add() {   # add LABEL QUERY_FILE REF ARGV...: REF = the psql row whose output it must match
	local label=$1 file=$2 ref=$3
	shift 3
	labels+=("$label")
	ref_of[$label]=$ref
	argv_of[$label]=$(tsv "$@")
	tsv "$label" "$@" "<$file" >>"$spec"
}
add dbctl-table "$tmp/big.sql" psql-aligned "$dbctl" --url "$url" shell
add dbctl-csv "$tmp/big.sql" psql-csv "$dbctl" --url "$url" shell -f csv
add psql-aligned "$tmp/big.sql" psql-aligned "$psql" -X -q "$url"
add psql-fetch "$tmp/big.sql" psql-aligned "$psql" -X -q -v FETCH_COUNT=1000 "$url"
add psql-csv "$tmp/big.sql" psql-csv "$psql" -X -q --csv "$url"
add dbctl-table-small "$tmp/small.sql" psql-aligned "$dbctl" --url "$url" shell

# ---- check each command once, on N=check_n rows, so that none is timed broken
# Output is compared with psql's byte for byte: the table format is psql's own
# (numbers right-aligned), CSV is RFC 4180 as psql --csv writes it.
say "checking each command once (N=$check_n)"
run_check() {   # LABEL: its output for check.sql in $tmp/out.LABEL
	local argv
	IFS=$'\t' read -r -a argv <<<"${argv_of[$1]}"
	"${argv[@]}" <"$tmp/check.sql" >"$tmp/out.$1" 2>"$tmp/check.err"
}
for l in psql-aligned psql-csv; do
	run_check "$l" || { say "$l does not work (exit $?):"; cat "$tmp/check.err" >&2; exit 1; }
done
for l in "${labels[@]}"; do
	ref=${ref_of[$l]}
	[ "$l" = "$ref" ] && continue
	run_check "$l" || { say "$l does not work (exit $?):"; cat "$tmp/check.err" >&2; exit 1; }
	got=$(wc -l <"$tmp/out.$l") want=$(wc -l <"$tmp/out.$ref")
	[ "$got" = "$want" ] || die "$l printed $got lines for N=$check_n, $ref $want"
	cmp -s "$tmp/out.$l" "$tmp/out.$ref" || {
		say "$l's output for N=$check_n differs from $ref's (first differences):"
		diff "$tmp/out.$ref" "$tmp/out.$l" | head -n 10 >&2
		exit 1
	}
	# the data lines proper: N of them, 1..N in order
	data=$(grep -cE '^[[:space:]]*[0-9]+[[:space:]]*$' "$tmp/out.$l")
	[ "$data" = "$check_n" ] || die "$l printed $data data lines for N=$check_n"
done

# The server's own share: the same query, rows counted, not sent (psql
# \timing, median of 3).
server_ms=$({ printf '%s\n' '\timing on'; for _ in 1 2 3; do
	printf 'SELECT count(*) FROM (SELECT * FROM generate_series(1, %d)) s;\n' "$big_n"; done; } |
	"$psql" -X -q -d "$url" 2>/dev/null |
	awk '/^Time:/ { print $2 }' | sort -n | awk '{ t[NR] = $1 } END { printf "%.0f", NR ? t[int((NR + 1) / 2)] : -1 }')

# ---- measure ---------------------------------------------------------------
ncmd=$(wc -l <"$spec")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)   # others' work on the machine skews all rows
say "timing $ncmd commands x $runs rounds (+$warmup warm-up), interleaved$([ "$seed" = 0 ] || echo ", shuffled per round")"
# In the background, so that a signal's trap runs now rather than at the end.
"$bin/bench_run" -n "$runs" -w "$warmup" -s "$seed" -e "$tmp/errors.log" "$spec" >"$tmp/raw.csv" &
bench_pid=$!
wait "$bench_pid" || die "bench_run failed"
bench_pid=
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

pg_version=$("$psql" -X -A -t -q -d "$url" -c 'SHOW server_version' </dev/null)
{
	echo "dbctl shell benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr)"
	echo "$runs rounds (+$warmup warm-up) x $ncmd commands, interleaved and shuffled; wall = spawn to reap, per process;" \
		"stdin = the query, stdout = /dev/null"
	echo "load average before: $load_before, after: $load_after; dbctl build $build_id; PostgreSQL $pg_version"
	printf 'query: SELECT * FROM generate_series(1, N), N = %s (small: %s);' "$big_n" "$small_n"
	printf ' server alone (count(*) of it, psql \\timing, median of 3): %s ms\n' "$server_ms"
	echo
	BIG_N=$big_n SMALL_N=$small_n perl "$repo/bench/shell_report.pl" "$tmp/raw.csv"
} | tee "$tmp/report.txt"

if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT" && cp "$tmp/raw.csv" "$tmp/errors.log" "$tmp/report.txt" "$BENCH_OUT/" &&
		say "raw data in $BENCH_OUT/"
fi
[ -s "$tmp/errors.log" ] && { say "stderr of the timed runs (first lines):"; head -n 5 "$tmp/errors.log" >&2; }
exit 0
