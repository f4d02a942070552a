#!/usr/bin/env bash
# bench/migrate.sh - how fast is `dbctl migrate up`, as a whole process, next
# to sqitch and alembic and next to the floor (the same DDL in one psql
# transaction)? Both from scratch and when there is nothing to do.
#
# Same approach and tools as bench/ping.sh and bench/run.sh: a throwaway
# PostgreSQL 15 (tests/lib/servers.sh), a snapshot of the dbctl build, and
# bench/c/bench_run timing every command INTERLEAVED (each round runs each
# command once, in a per-round shuffled order). Before each from-scratch run an
# untimed hook gives the tool a new empty database (DROP DATABASE ... WITH
# (FORCE), CREATE DATABASE, one connection to build its relcache), and after
# it another checks the effect (N tables tN and N tracking rows, or alembic's
# head), so every run does the same work and a run that did nothing counts as
# failed. Each command is also checked once on its own before the timing.
#
# Rows (see bench/README.md for the exact commands):
#   1. from scratch, N (200) migrations `create table tN (id int primary key,
#      v text)`, each in its own transaction and recorded: dbctl migrate up,
#      sqitch deploy, alembic upgrade head (transaction_per_migration=True);
#      info: alembic with its default env.py (all in one transaction); the
#      floor: the N statements in ONE transaction, psql -1 -f; info, dbctl's
#      variants: dbctl-1tx (--single-transaction), dbctl-dry-run (--dry-run
#      on the empty database, which must stay empty: it sends each statement
#      alone and reads pg_locks/relfilenode after each), dbctl-no-lock-timeout
#      (-o migrate_lock_timeout=0: no SET LOCAL lock_timeout per migration)
#   2. no-op (everything applied): dbctl migrate up, sqitch deploy, alembic
#      upgrade head, and one dbctl ping on the same database
#   3. info: SQLite (file on /dev/shm): dbctl from scratch next to the sqlite3
#      shell running the N statements in one transaction; dbctl no-op next
#      to dbctl ping on the same file
#   4. BENCH_DIAG: one run of each tool with the server logging every
#      statement: connections and statements (round trips) per run
# Prints the table and the ratios behind the targets with PASS/MISS. Always
# exits 0 when it could measure: benchmarks inform, they don't gate.
#
# Environment:
#   BENCH_RUNS=10         from-scratch rounds (each command runs once per round)
#   BENCH_WARMUP=1        from-scratch rounds run first and thrown away
#   BENCH_NOOP_RUNS=50    no-op rounds
#   BENCH_NOOP_WARMUP=3   no-op rounds thrown away
#   BENCH_N=200           migrations
#   BENCH_SEED=1          shuffle seed; 0 = the same fixed order every round
#   BENCH_OUT=DIR         keep raw.csv, errors.log, diag.txt and report.txt in DIR
#   BENCH_SQLITE_DIR=DIR  the SQLite files go in a new directory in DIR
#                         (default /dev/shm when it is a tmpfs)
#   BENCH_PG_DIR=DIR      the PostgreSQL cluster too (default /dev/shm when it
#                         is a tmpfs; BENCH_PG_DIR=/tmp: on disk)
#   BENCH_DIAG=0          skip the statement-count table
#   BENCH_INSTALL_PEERS=0 do not apt-install sqitch and alembic (default 1: as
#                         root they are installed); a peer that is not
#                         installed is skipped with a note
set -u

psql_bin=/usr/lib/postgresql/15/bin/psql   # not /usr/bin/psql: a Perl wrapper (pg_wrapper)

# ---- hooks: bench_run runs `bash migrate.sh --hook ACTION ARGS...` untimed ------
if [ "${1:-}" = --hook ]; then
	action=$2
	shift 2
	q() {   # q URL SQL...: one psql, stop at the first error
		local url=$1 a=()
		shift
		for s in "$@"; do a+=(-c "$s"); done
		PGOPTIONS='-c client_min_messages=warning' "$psql_bin" -X -A -t -q -v ON_ERROR_STOP=1 -d "$url" "${a[@]}" </dev/null
	}
	case $action in
	pg-reset)   # DB: a new empty database owned by app, relcache built
		q "$TEST_PG_SUPER_URL" "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" "CREATE DATABASE \"$1\" OWNER app" >/dev/null &&
			q "${TEST_PG_SUPER_URL%/*}/$1" 'SELECT 1' >/dev/null
		;;
	pg-check)   # DB N TOOL [ALEMBIC_HEAD]: N tables t1..tN, and the tool's record of N migrations
		n=$2
		case $3 in
		dbctl) track="(SELECT count(*) FROM schema_migrations WHERE checksum IS NOT NULL AND failed_statement IS NULL)" ;;
		sqitch) track="(SELECT count(*) FROM sqitch.changes WHERE project = 'bench')" ;;
		alembic) track="(SELECT CASE WHEN max(version_num) = '${4:-}' AND count(*) = 1 THEN $n ELSE -1 END FROM alembic_version)" ;;
		floor) track=$n ;;
		*) echo "pg-check: unknown tool $3" >&2; exit 2 ;;
		esac
		got=$(q "${TEST_PG_URL%/*}/$1" "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+\$'), $track") || exit 1
		[ "$got" = "$n|$n" ] || { echo "pg-check: $1 ($3): tables|recorded '$got', expected $n|$n" >&2; exit 1; }
		;;
	pg-check-empty)   # DB: nothing in the database's schemas (a dry run's check): no relation, no tracking table
		got=$(q "${TEST_PG_URL%/*}/$1" "SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND s.nspname !~ '^pg_temp'" \
			"SELECT coalesce(to_regclass('public.schema_migrations')::text, 'none')") || exit 1
		[ "$got" = $'0\nnone' ] || { echo "pg-check-empty: $1: relations and tracking table '${got//$'\n'/|}', expected 0|none" >&2; exit 1; }
		;;
	sqlite-reset)   # DB
		rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
		;;
	sqlite-check)   # DB N TOOL
		track=$2
		[ "$3" = dbctl ] && track="(SELECT count(*) FROM schema_migrations WHERE checksum IS NOT NULL)"
		got=$(sqlite3 "$1" "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name GLOB 't[0-9]*'), $track" </dev/null) || exit 1
		[ "$got" = "$2|$2" ] || { echo "sqlite-check: $1 ($3): tables|recorded '$got', expected $2|$2" >&2; exit 1; }
		;;
	*)
		echo "migrate.sh --hook: unknown action $action" >&2
		exit 2
		;;
	esac
	exit
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$repo/bench/migrate.sh
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-1}
noop_runs=${BENCH_NOOP_RUNS:-50}
noop_warmup=${BENCH_NOOP_WARMUP:-3}
n=${BENCH_N:-200}
seed=${BENCH_SEED:-1}
bash=$(command -v bash)

say() { printf 'migrate.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
. "$repo/bench/lib.sh" || die "cannot source bench/lib.sh"

# ---- tools -----------------------------------------------------------------
need_pkgs=()
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v cc >/dev/null || need_pkgs+=(gcc)
# The peers are installed unless BENCH_INSTALL_PEERS=0 (as root only); a peer that
# is missing is skipped with a note, its rows and ratios left out.
peer_sqitch() { [ -x /usr/bin/sqitch ] && perl -MDBD::Pg -e 1 2>/dev/null; }
peer_alembic() { [ -x /usr/bin/alembic ] && /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; }
if [ "${BENCH_INSTALL_PEERS:-1}" = 1 ]; then
	[ -x /usr/bin/sqitch ] || need_pkgs+=(sqitch)
	perl -MDBD::Pg -e 1 2>/dev/null || need_pkgs+=(libdbd-pg-perl)
	[ -x /usr/bin/alembic ] || need_pkgs+=(alembic)
	/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || need_pkgs+=(python3-psycopg2)
fi
bench_install ${need_pkgs[@]+"${need_pkgs[@]}"}
bench_require "$psql_bin" perl awk
# Debian's alembic and sqitch, on Debian's python3 and perl: not a pyenv's
# python3 found first on PATH (/usr/bin/alembic's shebang is /usr/bin/python3).
sqitch_bin=/usr/bin/sqitch
alembic_bin=/usr/bin/alembic
have_sqitch=1 have_alembic=1 peer_note=
peer_sqitch || { have_sqitch=0 peer_note+=" sqitch (/usr/bin/sqitch, DBD::Pg)"; }
peer_alembic || { have_alembic=0 peer_note+=" alembic (/usr/bin/alembic, python3-psycopg2)"; }
[ -z "$peer_note" ] || say "NOTE: skipping peers not installed:$peer_note (as root, without BENCH_INSTALL_PEERS=0, they are installed)"
sqlite3_bin=$(command -v sqlite3)
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PERL5LIB PERL5OPT

# ---- build -----------------------------------------------------------------
make -C "$repo" -s --no-print-directory >&2 || die "make failed"
bench_setup migrate   # $sqlite_tmp: the SQLite files' directory when not under $tmp
chmod 755 "$tmp"   # the postgres user reads the cluster's directory under it
cc -O2 -Wall -Wextra -o "$bin/bench_run" "$repo/bench/c/bench_run.c" || die "building bench_run failed"

# ---- servers ---------------------------------------------------------------
# shellcheck source=../tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" || die "cannot source tests/lib/servers.sh"
# The cluster goes on tmpfs (/dev/shm) too, unless BENCH_PG_DIR says
# otherwise: every reset drops a database of ~1,000 files and every run then
# creates ~800 (a table, its primary key, its TOAST table and index), the
# pattern that makes this VM's journal-less ext4 slow (see bench/README.md).
# The floor would then time the file system, and it would flatter every tool.
pg_base=${BENCH_PG_DIR:-}
if [ -z "$pg_base" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	pg_base=/dev/shm
fi
TMPDIR=${pg_base:-${TMPDIR:-/tmp}} servers_start || die "servers_start failed"
cd "$tmp" || die "cd $tmp"   # no ./dbctl.ini of the caller's

pg_url() { printf '%s/%s' "${TEST_PG_URL%/*}" "$1"; }   # the app role's URL for database $1
app_pw=$(pct_encode "$TEST_PG_APP_PASSWORD")
sqitch_target() { printf 'db:pg://app:%s@127.0.0.1:%s/%s' "$app_pw" "$PGPORT_TEST" "$1"; }
hook() { "$bash" "$self" --hook "$@" </dev/null; }

# SQLite files go on tmpfs (/dev/shm) unless BENCH_SQLITE_DIR says otherwise:
# on this VM's journal-less ext4, creating files right after others were
# deleted costs ~0.8 ms of kernel CPU each (see bench/README.md).
sqlite_base=${BENCH_SQLITE_DIR:-}
if [ -z "$sqlite_base" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	sqlite_base=/dev/shm
fi
sqlite_dir=$tmp
if [ -n "$sqlite_base" ]; then
	sqlite_tmp=$(mktemp -d "$sqlite_base/dbctl-bench-migrate.XXXXXX") || die "cannot make a directory in $sqlite_base"
	sqlite_dir=$(cd "$sqlite_tmp" && pwd) || die "cd $sqlite_tmp"
fi

# ---- the migrations ------------------------------------------------------------
say "generating $n migrations for dbctl, psql$([ "$have_sqitch" = 0 ] || echo ", sqitch")$([ "$have_alembic" = 0 ] || echo ", alembic")"
ddl() { printf 'create table t%d (id int primary key, v text)' "$1"; }

# dbctl: dbmate-format files VERSION_tI.sql
mkdir -p "$tmp/dbctl-migrations"
for ((i = 1; i <= n; i++)); do
	printf -- '-- migrate:up\n%s;\n\n-- migrate:down\ndrop table t%d;\n' "$(ddl "$i")" "$i" \
		>"$tmp/dbctl-migrations/$(printf '2026010100%04d' "$i")_t$i.sql"
done

# the floor: the same statements in one file, run by psql -1 (one transaction)
for ((i = 1; i <= n; i++)); do printf '%s;\n' "$(ddl "$i")"; done >"$tmp/all.sql"
{ echo 'BEGIN;'; cat "$tmp/all.sql"; echo 'COMMIT;'; } >"$tmp/all-tx.sql"

# sqitch: `sqitch init` and one `sqitch add` give the project layout, the
# script templates and the plan line format; the other changes are written the
# way `sqitch add` writes them (200 `sqitch add` would take ~70 s). Each deploy
# script is sqitch's template, BEGIN; ... COMMIT;, around one statement.
# The client is the real psql (sqitch runs one per change), not pg_wrapper.
if [ "$have_sqitch" = 1 ]; then
	export SQITCH_USER_CONFIG=$tmp/sqitch-user.conf SQITCH_SYSTEM_CONFIG=$tmp/sqitch-system.conf
	: >"$SQITCH_USER_CONFIG"
	: >"$SQITCH_SYSTEM_CONFIG"
	sq=$tmp/sqitch
	mkdir -p "$sq"
	{
		"$sqitch_bin" -C "$sq" init bench --engine pg &&
			"$sqitch_bin" -C "$sq" config engine.pg.client "$psql_bin" &&
			"$sqitch_bin" -C "$sq" add t1 -n 'create t1'
	} >"$tmp/sqitch-init.log" 2>&1 || { cat "$tmp/sqitch-init.log" >&2; die "sqitch init/add failed"; }
	plan_line=$(grep '^t1 ' "$sq/sqitch.plan") || die "sqitch add wrote no plan line for t1"
	for kind in deploy revert verify; do cp "$sq/$kind/t1.sql" "$tmp/sqitch-$kind.tmpl"; done
	for ((i = 1; i <= n; i++)); do
		[ "$i" = 1 ] || printf '%s\n' "${plan_line//t1/t$i}" >>"$sq/sqitch.plan"
		sed "s/:t1 /:t$i /; s/^-- XXX Add DDLs here\\.\$/$(ddl "$i");/" "$tmp/sqitch-deploy.tmpl" >"$sq/deploy/t$i.sql"
		sed "s/:t1 /:t$i /; s/^-- XXX Add DDLs here\\.\$/drop table t$i;/" "$tmp/sqitch-revert.tmpl" >"$sq/revert/t$i.sql"
		sed "s/:t1 /:t$i /; s/^-- XXX Add verifications here\\.\$/select id, v from t$i where false;/" \
			"$tmp/sqitch-verify.tmpl" >"$sq/verify/t$i.sql"
	done
	grep -q "^create table t$n " "$sq/deploy/t$n.sql" || die "sqitch deploy script template not as expected: $sq/deploy/t$n.sql"
fi

# alembic: `alembic init` and one `alembic revision` give the layout and the
# revision file format; N revision files, each op.execute() of one statement.
# env.py (online mode) takes the URL from -x url=... and sets
# transaction_per_migration=True (each migration in its own transaction, as
# dbctl and sqitch); the info row alembic-1tx keeps alembic's default: all of
# them in one transaction. alembic's INFO log lines are turned off (stderr is
# the error log here).
if [ "$have_alembic" = 1 ]; then
	al=$tmp/alembic
	mkdir -p "$al"
	{
		(cd "$al" && "$alembic_bin" init alembic) &&
			(cd "$al" && "$alembic_bin" revision -m 'create t1')
	} >"$tmp/alembic-init.log" 2>&1 || { cat "$tmp/alembic-init.log" >&2; die "alembic init/revision failed"; }
	rev_tmpl=$(ls "$al"/alembic/versions/*_create_t1.py) || die "alembic revision wrote no file"
	mv "$rev_tmpl" "$tmp/alembic-revision.tmpl"
	sed -i 's|^script_location = .*|script_location = %(here)s/alembic|; /^\[logger_alembic\]/,/^qualname/ s/^level = INFO/level = WARN/' \
		"$al/alembic.ini"
	cp "$al/alembic.ini" "$al/alembic-1tx.ini"
	sed -i 's|^script_location = .*|script_location = %(here)s/alembic-1tx|' "$al/alembic-1tx.ini"
	perl -0pi -e 's/connectable = engine_from_config\(.*?\)\n/connectable = engine_from_config(\n        {"sqlalchemy.url": context.get_x_argument(as_dictionary=True)["url"]},\n        prefix="sqlalchemy.",\n        poolclass=pool.NullPool,\n    )\n/s' \
		"$al/alembic/env.py"
	cp -r "$al/alembic" "$al/alembic-1tx"
	perl -0pi -e 's/connection=connection, target_metadata=target_metadata\n/connection=connection, target_metadata=target_metadata,\n            transaction_per_migration=True,\n/' \
		"$al/alembic/env.py"
	grep -q 'transaction_per_migration=True' "$al/alembic/env.py" && grep -q 'get_x_argument' "$al/alembic-1tx/env.py" ||
		die "alembic's env.py template is not as expected"
	alembic_head=
	prev=None
	for ((i = 1; i <= n; i++)); do
		rev=$(printf 'b%011x' "$i")
		REV=$rev PREV=$prev I=$i DDL=$(ddl "$i") perl -pe '
			s/^"""create t1/"""create t$ENV{I}/;
			s/^Revision ID: .*/Revision ID: $ENV{REV}/;
			s/^Revises: .*/Revises: @{[ $ENV{PREV} eq "None" ? "" : $ENV{PREV} ]}/;
			s/^revision = .*/revision = \x27$ENV{REV}\x27/;
			s/^down_revision = .*/down_revision = @{[ $ENV{PREV} eq "None" ? "None" : "\x27$ENV{PREV}\x27" ]}/;
			if (/^def (upgrade|downgrade)\(/) { $in = $1 }
			s/^    pass$/    op.execute("@{[ $in eq "upgrade" ? $ENV{DDL} : "drop table t$ENV{I}" ]}")/;
		' "$tmp/alembic-revision.tmpl" >"$al/alembic/versions/${rev}_create_t$i.py"
		cp "$al/alembic/versions/${rev}_create_t$i.py" "$al/alembic-1tx/versions/"
		prev=$rev
		alembic_head=$rev
	done
	grep -q "op.execute(\"$(ddl "$n")\")" "$al/alembic/versions/${alembic_head}_create_t$n.py" ||
		die "alembic revision template not as expected"
fi

# ---- the commands ----------------------------------------------------------
scratch_spec=$tmp/scratch.tsv noop_spec=$tmp/noop.tsv before=$tmp/before.tsv after=$tmp/after.tsv
: >"$scratch_spec"
: >"$noop_spec"
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

# dbctl_up URL [OPTION...]: the argv of dbctl migrate up, one word a line
dbctl_up() {
	local url=$1
	shift
	printf '%s\n' "$dbctl" --url "$url" migrate up --dir "$tmp/dbctl-migrations" "$@"
}
mapfile -t up_scratch < <(dbctl_up "$(pg_url scratch)")
mapfile -t up_1tx < <(dbctl_up "$(pg_url scratch)" --single-transaction)
mapfile -t up_dry < <(dbctl_up "$(pg_url scratch)" --dry-run)
mapfile -t up_no_lt < <(dbctl_up "$(pg_url scratch)" -o migrate_lock_timeout=0)
sqlite_scratch=$sqlite_dir/scratch.db sqlite_noop=$sqlite_dir/noop.db sqlite_floor=$sqlite_dir/floor.db

# 1. from scratch: every run on a new empty database "scratch"
reset=(pg-reset scratch)
check=(pg-check scratch "$n" dbctl)
add "$scratch_spec" dbctl "${up_scratch[@]}"
add "$scratch_spec" dbctl-1tx "${up_1tx[@]}"
add "$scratch_spec" dbctl-no-lock-timeout "${up_no_lt[@]}"
check=(pg-check-empty scratch)   # a dry run must leave the new database as empty as it found it
add "$scratch_spec" dbctl-dry-run "${up_dry[@]}"
if [ "$have_sqitch" = 1 ]; then
	check=(pg-check scratch "$n" sqitch)
	add "$scratch_spec" sqitch "$sqitch_bin" -C "$sq" deploy "$(sqitch_target scratch)"
fi
if [ "$have_alembic" = 1 ]; then
	check=(pg-check scratch "$n" alembic "$alembic_head")
	add "$scratch_spec" alembic "$alembic_bin" -c "$al/alembic.ini" -x "url=$(pg_url scratch)" upgrade head
	add "$scratch_spec" alembic-1tx "$alembic_bin" -c "$al/alembic-1tx.ini" -x "url=$(pg_url scratch)" upgrade head
fi
check=(pg-check scratch "$n" floor)
add "$scratch_spec" psql-floor "$psql_bin" -X -q -1 -v ON_ERROR_STOP=1 -f "$tmp/all.sql" "$(pg_url scratch)"
mapfile -t up_sqlite < <(dbctl_up "sqlite:///$sqlite_scratch")
reset=(sqlite-reset "$sqlite_scratch") check=(sqlite-check "$sqlite_scratch" "$n" dbctl)
add "$scratch_spec" dbctl-sqlite "${up_sqlite[@]}"
reset=(sqlite-reset "$sqlite_floor") check=(sqlite-check "$sqlite_floor" "$n" floor)
add "$scratch_spec" sqlite3-floor "$sqlite3_bin" "$sqlite_floor" "<$tmp/all-tx.sql"

# 2. no-op: one database per tool, migrated once below; nothing to reset
reset=() check=()
mapfile -t up_noop < <(dbctl_up "$(pg_url noop_dbctl)")
add "$noop_spec" noop-dbctl "${up_noop[@]}"
add "$noop_spec" ping-dbctl "$dbctl" --url "$(pg_url noop_dbctl)" ping --quiet
[ "$have_sqitch" = 0 ] || add "$noop_spec" noop-sqitch "$sqitch_bin" -C "$sq" deploy "$(sqitch_target noop_sqitch)"
[ "$have_alembic" = 0 ] ||
	add "$noop_spec" noop-alembic "$alembic_bin" -c "$al/alembic.ini" -x "url=$(pg_url noop_alembic)" upgrade head
mapfile -t up_sqlite_noop < <(dbctl_up "sqlite:///$sqlite_noop")
add "$noop_spec" noop-dbctl-sqlite "${up_sqlite_noop[@]}"
add "$noop_spec" ping-dbctl-sqlite "$dbctl" --url "sqlite:///$sqlite_noop" ping --quiet

# ---- check each command once, so that none is timed broken ---------------------
# one_run SPEC_LINE [BEFORE AFTER]: bench_run -n 1 on that command; prints its exit
one_run() {
	printf '%s\n' "$1" >"$tmp/one.tsv"
	"$bin/bench_run" -n 1 -w 0 -s 0 -e "$tmp/check.err" ${2:+-b "$2" -a "$3"} "$tmp/one.tsv" >"$tmp/check.csv" ||
		die "bench_run failed"
	tail -n 1 "$tmp/check.csv" | cut -d, -f6
}
say "checking each from-scratch command once (reset, run, check)"
while IFS= read -r line; do
	: >"$tmp/check.err"
	code=$(one_run "$line" "$before" "$after")
	[ "$code" = 0 ] || {
		say "${line%%$'\t'*} does not work (exit $code; 1000+N: the check after it failed, 2000+N: the reset before it):"
		cat "$tmp/check.err" >&2
		exit 1
	}
done <"$scratch_spec"

say "migrating the no-op databases once, then checking each no-op command"
# noop_checked: every no-op database holds the N migrations, by its tool's record
noop_checked() {
	hook pg-check noop_dbctl "$n" dbctl && hook sqlite-check "$sqlite_noop" "$n" dbctl &&
		{ [ "$have_sqitch" = 0 ] || hook pg-check noop_sqitch "$n" sqitch; } &&
		{ [ "$have_alembic" = 0 ] || hook pg-check noop_alembic "$n" alembic "$alembic_head"; }
}
for db in noop_dbctl noop_sqitch noop_alembic; do hook pg-reset "$db" || die "cannot create database $db"; done
hook sqlite-reset "$sqlite_noop"
{
	"${up_noop[@]}" -q && "${up_sqlite_noop[@]}" -q &&
		{ [ "$have_sqitch" = 0 ] || "$sqitch_bin" -C "$sq" deploy "$(sqitch_target noop_sqitch)" >/dev/null; } &&
		{ [ "$have_alembic" = 0 ] || "$alembic_bin" -c "$al/alembic.ini" -x "url=$(pg_url noop_alembic)" upgrade head; }
} </dev/null 2>"$tmp/check.err" || { cat "$tmp/check.err" >&2; die "migrating the no-op databases failed"; }
noop_checked || die "the no-op databases are not migrated"
# what each no-op command says on stdout, then nothing may have changed
noop_says() {
	case $1 in
	noop-dbctl | noop-dbctl-sqlite) echo 'nothing to do: up to date' ;;
	noop-sqitch) echo 'Nothing to deploy (up-to-date)' ;;
	*) echo '' ;;
	esac
}
while IFS= read -r line; do
	label=${line%%$'\t'*}
	IFS=$'\t' read -r -a argv <<<"${line#*$'\t'}"
	out=$("${argv[@]}" 2>"$tmp/check.err" </dev/null)
	rc=$?
	[ "$rc" = 0 ] && [ "$out" = "$(noop_says "$label")" ] || {
		say "$label does not work (exit $rc, stdout '$out', expected '$(noop_says "$label")'):"
		cat "$tmp/check.err" >&2
		exit 1
	}
done <"$noop_spec"
noop_checked || die "a no-op run changed its database"

# ---- measure ---------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "from scratch: $(wc -l <"$scratch_spec") commands x $runs rounds (+$warmup warm-up), interleaved$([ "$seed" = 0 ] || echo ", shuffled per round")"
"$bin/bench_run" -n "$runs" -w "$warmup" -s "$seed" -e "$tmp/errors.log" -b "$before" -a "$after" \
	"$scratch_spec" >"$tmp/raw-scratch.csv" &
bench_pid=$!
wait "$bench_pid" || die "bench_run failed"
load_mid=$(cut -d' ' -f1-3 /proc/loadavg)
say "no-op: $(wc -l <"$noop_spec") commands x $noop_runs rounds (+$noop_warmup warm-up), interleaved$([ "$seed" = 0 ] || echo ", shuffled per round")"
"$bin/bench_run" -n "$noop_runs" -w "$noop_warmup" -s "$seed" -e "$tmp/errors.log" \
	"$noop_spec" >"$tmp/raw-noop.csv" &
bench_pid=$!
wait "$bench_pid" || die "bench_run failed"
bench_pid=
{ cat "$tmp/raw-scratch.csv"; tail -n +2 "$tmp/raw-noop.csv"; } >"$tmp/raw.csv"
# the no-op runs must have left everything as it was
noop_checked || say "WARNING: a no-op run changed its database"

# ---- diagnostics: connections and statements per run, from the server log ---------
# One run of each tool (the from-scratch ones after their reset) with
# log_connections and log_statement = 'all'; the app role's backends only.
: >"$tmp/diag.txt"
if [ "${BENCH_DIAG:-1}" != 0 ]; then
	pglog=$TEST_TMP/pg/postgres.log
	"$psql_bin" -X -q -d "$TEST_PG_SUPER_URL" -c "ALTER SYSTEM SET log_statement = 'all'" \
		-c 'ALTER SYSTEM SET log_connections = on' -c 'SELECT pg_reload_conf()' </dev/null >/dev/null ||
		die "cannot turn statement logging on"
	sleep 0.2
	{
		echo "server side, one run each (log_connections, log_statement = 'all'; the app role's backends):"
		printf '  %-30s %11s %11s %14s\n' run connections statements 'statements/mig'
		for spec in "$scratch_spec" "$noop_spec"; do
			while IFS= read -r line; do
				label=${line%%$'\t'*}
				case $label in *sqlite*) continue ;; esac
				[ "$spec" = "$scratch_spec" ] && { hook pg-reset scratch || die "reset failed"; }
				IFS=$'\t' read -r -a argv <<<"${line#*$'\t'}"
				from=$(($(wc -l <"$pglog") + 1))
				"${argv[@]}" </dev/null >/dev/null 2>>"$tmp/errors.log"
				sleep 0.3   # let the backends log their last lines
				tail -n +"$from" "$pglog" | N=$n L=$([ "$spec" = "$scratch_spec" ] && echo "scratch $label" || echo "$label") perl -ne '
					$app{$1} = 1 if /\[(\d+)\] LOG:  connection authorized: user=app /;
					$stmt{$1}++ if /\[(\d+)\] LOG:  (?:statement|execute [^:]*):/;
					END {
						my $s = 0; $s += $stmt{$_} // 0 for keys %app;
						printf "  %-30s %11d %11d %14s\n", $ENV{L}, scalar keys %app, $s,
							$ENV{L} =~ /^scratch/ ? sprintf("%.2f", $s / $ENV{N}) : "-";
					}'
			done <"$spec"
		done
		echo "  (a statement is one simple Query message or one extended-protocol Execute: about one round trip;"
		echo "   psql -f sends each statement of the file as its own message)"
	} >"$tmp/diag.txt"
	"$psql_bin" -X -q -d "$TEST_PG_SUPER_URL" -c 'ALTER SYSTEM RESET log_statement' \
		-c 'ALTER SYSTEM RESET log_connections' -c 'SELECT pg_reload_conf()' </dev/null >/dev/null
fi

pg_version=$("$psql_bin" -X -A -t -q -d "$TEST_PG_URL" -c 'SHOW server_version' </dev/null)
{
	echo "dbctl migrate benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr)"
	echo "from scratch: $runs rounds (+$warmup warm-up); no-op: $noop_runs rounds (+$noop_warmup warm-up);" \
		"interleaved and shuffled; wall = spawn to reap, per process; reset/check hooks untimed"
	echo "load average before: $load_before, between: $load_mid; dbctl build $build_id; PostgreSQL $pg_version" \
		"(fsync off), $([ "$have_sqitch" = 1 ] && "$sqitch_bin" --version | head -n 1 || echo 'sqitch not installed'), alembic $([ "$have_alembic" = 1 ] && "$alembic_bin" --version | awk '{ print $2 }' || echo 'not installed')" \
		"(Python $(/usr/bin/python3 -c 'import platform; print(platform.python_version())')), SQLite $("$sqlite3_bin" --version | cut -d' ' -f1)"
	echo "$n migrations 'create table tN (id int primary key, v text)'; PostgreSQL cluster in $PGDATA_TEST" \
		"($(stat -f -c %T "$PGDATA_TEST")); SQLite files in $sqlite_dir ($(stat -f -c %T "$sqlite_dir"))"
	[ -z "$peer_note" ] || echo "peers not installed, not measured:$peer_note"
	echo
	N=$n perl "$repo/bench/migrate_report.pl" "$tmp/raw.csv"
	[ -s "$tmp/diag.txt" ] && { echo; cat "$tmp/diag.txt"; }
} | tee "$tmp/report.txt"

if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT" && cp "$tmp/raw.csv" "$tmp/errors.log" "$tmp/diag.txt" "$tmp/report.txt" "$BENCH_OUT/" &&
		say "raw data in $BENCH_OUT/"
fi
[ -s "$tmp/errors.log" ] && { say "stderr of the timed runs (first lines):"; head -n 5 "$tmp/errors.log" >&2; }
exit 0
