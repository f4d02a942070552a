#!/usr/bin/env bash
# bench/mysql.sh - MySQL/MariaDB: how fast are `dbctl ping`, `dbctl run` and
# `dbctl migrate up`, as whole processes, next to the MariaDB clients and to
# the smallest C programs that do the same work (bench/c/mysql_ping.c,
# bench/c/mysql_exec_file.c)? Issue 10's targets, see
# bench/README.md and /work/shared/findings/mysql-mariadb.md §9.
#
# Same machinery as bench/ping.sh, run.sh and migrate.sh: a throwaway MariaDB
# (tests/lib/mariadb.sh: loopback, free port, temp dir, stopped on exit), a
# snapshot of the dbctl build, the C helpers built into a temp dir, and
# bench/c/bench_run timing every command INTERLEAVED (each round runs each
# command once, order shuffled per round), with untimed reset/check hooks
# around each run. Each command is checked once first; a dbctl row whose
# command fails (MySQL support still being built) is reported as
# "not measured: <why>" and left out, the peer tools and floors are timed
# regardless.
#
# Rows:
#   ping     dbctl ping / mariadb-admin ping (right password: with a wrong
#            one it still says "alive", skipping the authentication) / C floor;
#            info: dbctl ping of sqlite::memory: (libmariadb must not be
#            loaded for it; bench/ping.sh has the full Redis/SQLite table)
#   run      50,000 INSERTs in one transaction: dbctl run / mariadb < the file
#            between START TRANSACTION and COMMIT / the one-message floor (the
#            same, one COM_QUERY with CLIENT_MULTI_STATEMENTS)
#   migrate  200 `create table` migrations from scratch: dbctl migrate up /
#            the floor (one message: the tracking table, then per migration
#            its DDL and its tracking-row INSERT) / the same statements one
#            message each on one connection (floor-up-each: a migrator must
#            see the DDL succeed before it writes the row); no-op migrate up
#            vs ping on the same database
# Always exits 0 once it could measure: benchmarks inform, they don't gate.
#
# Environment:
#   DBCTL_BUILD=DIR        time DIR/bin/dbctl (see bench/lib.sh); default build/
#   BENCH_RUNS=7           rounds of run and migrate; ping and no-op: BENCH_PING_RUNS=100
#   BENCH_WARMUP=1         rounds thrown away (ping: 3)
#   BENCH_SEED=1           shuffle seed; 0 = fixed order
#   BENCH_OUT=DIR          keep raw CSVs, errors.log and report.txt in DIR
#   BENCH_RUN_N=50000 BENCH_MIG_N=200
set -u

# ---- hooks: bench_run runs `bash mysql.sh --hook ACTION ARGS...` untimed --------
if [ "${1:-}" = --hook ]; then
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	# shellcheck source=../tests/lib/mariadb.sh
	. "${BENCH_MARIADB_SH:-$repo/tests/lib/mariadb.sh}" || exit 1
	action=$2
	shift 2
	case $action in
	reset-t)   # re-create app.bench_t
		mariadb_sql 'DROP TABLE IF EXISTS app.bench_t; CREATE TABLE app.bench_t (id int, t text) ENGINE=InnoDB'
		;;
	check-t)   # N
		got=$(mariadb_sql "SELECT concat_ws('|', count(*), coalesce(max(id), 0), sum(t = concat('text ', id))) FROM app.bench_t") || exit 1
		[ "$got" = "$1|$1|$1" ] || { echo "check-t: bench_t has count|max|ok '$got', expected $1|$1|$1" >&2; exit 1; }
		;;
	reset-db)  # DB: an empty database the app user owns
		mariadb_sql "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4"
		;;
	check-db)  # DB N: N tables t1..tN and N tracking rows
		got=$(mariadb_sql "SELECT concat_ws('|', (SELECT count(*) FROM information_schema.tables WHERE table_schema = '$1' AND table_name REGEXP '^t[0-9]+\$'), (SELECT count(*) FROM \`$1\`.schema_migrations))") || exit 1
		[ "$got" = "$2|$2" ] || { echo "check-db: $1 has tables|rows '$got', expected $2|$2" >&2; exit 1; }
		;;
	*)
		echo "mysql.sh --hook: unknown action $action" >&2
		exit 2
		;;
	esac
	exit
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$repo/bench/mysql.sh
runs=${BENCH_RUNS:-7}
warmup=${BENCH_WARMUP:-1}
ping_runs=${BENCH_PING_RUNS:-100}
seed=${BENCH_SEED:-1}
run_n=${BENCH_RUN_N:-50000}
mig_n=${BENCH_MIG_N:-200}
bash=$(command -v bash)

say() { printf 'mysql.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
. "$repo/bench/lib.sh" || die "cannot source bench/lib.sh"

need_pkgs=()
command -v cc >/dev/null || need_pkgs+=(gcc)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
pkg-config --exists libmariadb 2>/dev/null || need_pkgs+=(libmariadb-dev)
command -v mariadbd >/dev/null || need_pkgs+=(mariadb-server)
command -v mariadb >/dev/null || need_pkgs+=(mariadb-client)
bench_install ${need_pkgs[@]+"${need_pkgs[@]}"}
bench_require mariadb mariadb-admin mariadbd mariadb-install-db perl awk
mariadb_sh=${BENCH_MARIADB_SH:-$repo/tests/lib/mariadb.sh}
[ -f "$mariadb_sh" ] || die "$mariadb_sh not found (tests/lib/mariadb.sh of the MySQL driver work)"
export BENCH_MARIADB_SH=$mariadb_sh

[ -n "${DBCTL_BUILD:-}" ] || make -C "$repo" -s --no-print-directory >&2 || die "make failed"
# shellcheck disable=SC2317 # called by bench_cleanup
bench_cleanup_more() { mariadb_stop_test; }
bench_setup mysql
cflags=(-O2 -Wall -Wextra)
# shellcheck disable=SC2046 # pkg-config output is meant to split
{
	cc "${cflags[@]}" -o "$bin/bench_run" "$repo/bench/c/bench_run.c" &&
	cc "${cflags[@]}" -o "$bin/mysql_ping" "$repo/bench/c/mysql_ping.c" $(pkg-config --cflags --libs libmariadb) &&
	cc "${cflags[@]}" -o "$bin/mysql_exec_file" "$repo/bench/c/mysql_exec_file.c" $(pkg-config --cflags --libs libmariadb)
} || die "building the C helpers failed"

# ---- server --------------------------------------------------------------------
# shellcheck source=../tests/lib/mariadb.sh
. "$mariadb_sh" || die "cannot source $mariadb_sh"
TEST_TMP=$tmp mariadb_start_test || die "mariadb_start_test failed"
cd "$tmp" || die "cd $tmp"   # no ./dbctl.ini of the caller's
port=$TEST_MYSQL_PORT
# The password reaches the peers through the environment, never argv: the
# mariadb clients read MYSQL_PWD (dbctl does not), the C floors BENCH_MYSQL_PW.
export MYSQL_PWD=$TEST_MYSQL_APP_PASSWORD BENCH_MYSQL_PW=$TEST_MYSQL_APP_PASSWORD
app_pw=$(pct_encode "$TEST_MYSQL_APP_PASSWORD")
url_db() { printf 'mysql://app:%s@127.0.0.1:%s/%s' "$app_pw" "$port" "$1"; }
mariadb_sql "CREATE DATABASE scratch; CREATE DATABASE noop; GRANT ALL ON scratch.* TO 'app'@'%', 'app'@'localhost'; GRANT ALL ON noop.* TO 'app'@'%', 'app'@'localhost'; GRANT ALL ON floor.* TO 'app'@'%', 'app'@'localhost'" ||
	die "provisioning failed"
madmin=$(command -v mariadb-admin) mcli=$(command -v mariadb)   # bench_run wants paths
peer=(--no-defaults --skip-ssl -h 127.0.0.1 -P "$port" -u app)

# ---- inputs ----------------------------------------------------------------------
say "generating $run_n INSERTs and $mig_n migrations"
awk -v n="$run_n" 'BEGIN { for (i = 1; i <= n; i++) printf "INSERT INTO bench_t VALUES (%d, '\''text %d'\'');\n", i, i }' >"$tmp/run.sql"
# mariadb gets the same single transaction (autocommit would fsync per row:
# ~29 s here against ~1 s, a different job)
{ echo 'START TRANSACTION;'; cat "$tmp/run.sql"; echo 'COMMIT;'; } >"$tmp/run-tx.sql"
mkdir -p "$tmp/migrations"
ddl() { printf 'create table t%d (id int primary key, v text)' "$1"; }
for ((i = 1; i <= mig_n; i++)); do
	printf -- '-- migrate:up\n%s;\n\n-- migrate:down\ndrop table t%d;\n' "$(ddl "$i")" "$i" \
		>"$tmp/migrations/$(printf '2026010100%04d' "$i")_t$i.sql"
done
# The migrate floor: what any tracked migrator must get the server to do, in
# one message: the tracking table, then per migration its DDL and its row.
# MySQL's DDL commits implicitly, so per-migration transactions would not make
# the DDL atomic with its row anyway; one message is the lower bound.
{
	echo 'CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY, applied_at timestamp DEFAULT CURRENT_TIMESTAMP);'
	for ((i = 1; i <= mig_n; i++)); do
		printf '%s;\nINSERT INTO schema_migrations (version) VALUES ('\''2026010100%04d'\'');\n' "$(ddl "$i")" "$i"
	done
} >"$tmp/mig-floor.sql"

# ---- the commands ----------------------------------------------------------------
tsv() { (IFS=$'\t'; printf '%s\n' "$*"); }
# add SPEC LABEL ARGV...: a command, with the hooks in the arrays reset and check
add() {
	local file=$1 label=$2
	shift 2
	tsv "$label" "$@" >>"$file"
	((${#reset[@]} == 0)) || tsv "$label" "$bash" "$self" --hook "${reset[@]}" >>"$file.before"
	((${#check[@]} == 0)) || tsv "$label" "$bash" "$self" --hook "${check[@]}" >>"$file.after"
}
ping_spec=$tmp/ping.tsv run_spec=$tmp/run.tsv mig_spec=$tmp/mig.tsv noop_spec=$tmp/noop.tsv
for f in "$ping_spec" "$run_spec" "$mig_spec" "$noop_spec"; do : >"$f"; : >"$f.before"; : >"$f.after"; done

reset=() check=()
add "$ping_spec" dbctl-mysql "$dbctl" --url "$(url_db app)" ping --quiet
add "$ping_spec" mysqladmin "$madmin" "${peer[@]}" ping
add "$ping_spec" c-mysql "$bin/mysql_ping" 127.0.0.1 "$port" app app
add "$ping_spec" dbctl-sqlite-mem "$dbctl" --url sqlite::memory: ping --quiet
add "$ping_spec" dbctl-version "$dbctl" --version

reset=(reset-t) check=(check-t "$run_n")
add "$run_spec" dbctl-run "$dbctl" --url "$(url_db app)" run "$tmp/run.sql"
add "$run_spec" mariadb-cli "$mcli" "${peer[@]}" app "<$tmp/run-tx.sql"
add "$run_spec" floor-run "$bin/mysql_exec_file" -t 127.0.0.1 "$port" app app "$tmp/run.sql"

reset=(reset-db scratch) check=(check-db scratch "$mig_n")
add "$mig_spec" dbctl-up "$dbctl" --url "$(url_db scratch)" migrate up --dir "$tmp/migrations"
reset=(reset-db floor) check=(check-db floor "$mig_n")
add "$mig_spec" floor-up "$bin/mysql_exec_file" 127.0.0.1 "$port" app floor "$tmp/mig-floor.sql"
add "$mig_spec" floor-up-each "$bin/mysql_exec_file" -l 127.0.0.1 "$port" app floor "$tmp/mig-floor.sql"

reset=() check=()
add "$noop_spec" noop-dbctl "$dbctl" --url "$(url_db noop)" migrate up --dir "$tmp/migrations"
add "$noop_spec" ping-dbctl "$dbctl" --url "$(url_db noop)" ping --quiet
add "$noop_spec" ping-c "$bin/mysql_ping" 127.0.0.1 "$port" app noop

# hooks BASE: bench_run's -b/-a options for BASE.before/BASE.after, when not
# empty (bench_run refuses an empty hook file). The temp dir has no spaces.
hooks() {
	[ -s "$1.before" ] && printf -- '-b %s ' "$1.before"
	[ -s "$1.after" ] && printf -- '-a %s ' "$1.after"
	return 0
}

# ---- check each command once; a failing dbctl row is "not measured" -----------
not_measured=$tmp/not-measured.txt
: >"$not_measured"
# the no-op database: applied once, untimed (its failure makes noop-dbctl unmeasurable)
noop_ok=1
"$dbctl" --url "$(url_db noop)" migrate up --dir "$tmp/migrations" >"$tmp/noop-setup.out" 2>&1 || noop_ok=0
say "checking each command once"
for spec in "$ping_spec" "$run_spec" "$mig_spec" "$noop_spec"; do
	: >"$spec.ok"
	while IFS= read -r line; do
		label=${line%%$'\t'*}
		printf '%s\n' "$line" >"$tmp/one.tsv"
		grep -P "^\\Q$label\\E\t" "$spec.before" >"$tmp/one.before"
		grep -P "^\\Q$label\\E\t" "$spec.after" >"$tmp/one.after"
		: >"$tmp/check.err"
		# shellcheck disable=SC2046 # the options are meant to split
		"$bin/bench_run" -n 1 -w 0 -s 0 -e "$tmp/check.err" $(hooks "$tmp/one") \
			"$tmp/one.tsv" >"$tmp/check.csv" || die "bench_run failed"
		code=$(tail -n 1 "$tmp/check.csv" | cut -d, -f6)
		if [ "$label" = noop-dbctl ] && [ "$noop_ok" = 0 ]; then
			code="1 (applying the migrations beforehand)" && cp "$tmp/noop-setup.out" "$tmp/check.err"
		fi
		if [ "$code" = 0 ]; then
			printf '%s\n' "$line" >>"$spec.ok"
		elif [ "${label#dbctl-}" != "$label" ] || [ "${label#noop-dbctl}" != "$label" ] || [ "${label#ping-dbctl}" != "$label" ]; then
			printf '%s: not measured: exit %s: %s\n' "$label" "$code" \
				"$(head -n 1 "$tmp/check.err" | head -c 300)" >>"$not_measured"
		else
			say "$label does not work (exit $code; 1000+N: the check after it failed, 2000+N: the reset before it):"
			cat "$tmp/check.err" >&2
			exit 1
		fi
	done <"$spec"
done

# ---- measure ---------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$tmp/errors.log"
timed() {   # NAME RUNS WARMUP SPEC
	local spec=$4
	[ -s "$spec.ok" ] || return 0
	say "$1: $(wc -l <"$spec.ok") commands x $2 rounds (+$3 warm-up), interleaved"
	# shellcheck disable=SC2046 # the options are meant to split
	"$bin/bench_run" -n "$2" -w "$3" -s "$seed" -e "$tmp/errors.log" $(hooks "$spec") \
		"$spec.ok" >"$tmp/$1.csv" &
	bench_pid=$!
	wait "$bench_pid" || die "bench_run failed"
	bench_pid=
}
timed ping "$ping_runs" 3 "$ping_spec"
timed run "$runs" "$warmup" "$run_spec"
timed migrate "$runs" "$warmup" "$mig_spec"
timed noop "$ping_runs" 3 "$noop_spec"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
	head -n 1 "$tmp/ping.csv"
	for f in ping run migrate noop; do [ -f "$tmp/$f.csv" ] && tail -n +2 "$tmp/$f.csv"; done
} >"$tmp/raw.csv"
server_version=$(mariadb_sql 'SELECT version()')
{
	echo "dbctl MySQL/MariaDB benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr)"
	echo "interleaved and shuffled per round; wall = spawn to reap, per process; reset/check hooks untimed"
	echo "load average before: $load_before, after: $load_after; dbctl build $build_id; MariaDB $server_version, TCP loopback, no TLS"
	echo "ping and no-op: $ping_runs rounds (+3); run ($run_n INSERTs, $(du -k "$tmp/run.sql" | cut -f1) KiB) and migrate ($mig_n): $runs rounds (+$warmup)"
	echo
	RUN_N=$run_n MIG_N=$mig_n perl "$repo/bench/mysql_report.pl" "$tmp/raw.csv"
	if [ -s "$not_measured" ]; then
		echo
		cat "$not_measured"
	fi
} | tee "$tmp/report.txt"

if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT" && cp "$tmp"/*.csv "$tmp/errors.log" "$tmp/report.txt" "$BENCH_OUT/" &&
		say "raw data in $BENCH_OUT/"
fi
[ -s "$tmp/errors.log" ] && { say "stderr of the timed runs (first lines):"; head -n 5 "$tmp/errors.log" >&2; }
exit 0
