# tests/lib/migrate.sh - helpers for the dbctl migrate tests (70-*.t, 71-*.t, 72-*.t).
#
# Sourced after tap.sh and servers.sh. Each scenario gets its own PostgreSQL
# database (created by the superuser, owned by app) and its own migrations
# directory under the script's temporary directory:
#
#   newdb NAME          fresh database mig_NAME; sets DB, URL and dbctl=(dbctl --url URL)
#   q SQL               one query on $DB as app, unaligned, tuples only
#   sq SQL              one query as the superuser on the postgres database
#   exists NAME         t/f: does relation NAME exist in $DB
#   versions            the tracking table's versions, numerically ordered, comma-separated
#   json_field EXPR     evaluates EXPR over the JSON document d read from stdin
#   wr FILE             writes stdin to FILE (directories created)
#   crlf FILE           converts FILE to CRLF line endings in place
#   wait_for_advisory   waits until some session holds an advisory lock in $DB
#   running FRAGMENT    waits until a session of $DB runs a query containing FRAGMENT
#   stop_runners        SIGKILLs the runners whose pids the caller put in pids=()
#
# mig_cleanup drops every database newdb made; call it from the EXIT trap.

# shellcheck shell=bash disable=SC2034 # DB URL dbctl are for the caller

MIG_DATABASES=()

sq() { "$TEST_PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$TEST_PG_SUPER_URL" -c "$1"; }

newdb() {
	DB=mig_$1
	sq "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	sq "CREATE DATABASE $DB OWNER app" >/dev/null || BAIL_OUT "cannot create database $DB"
	MIG_DATABASES+=("$DB")
	URL=${TEST_PG_URL%/*}/$DB
	dbctl=("$DBCTL" --url "$URL")
}

q() { "$TEST_PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$URL" -c "$1" 2>&1; }

exists() { q "SELECT to_regclass('$1') IS NOT NULL"; }

versions() {
	if [ "$(exists schema_migrations)" != t ]; then
		echo "(no table)"
		return
	fi
	q "SELECT coalesce(string_agg(version::text, ',' ORDER BY length(version::text), version::text), '')
	   FROM schema_migrations"
}

json_field() {
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>&1
}

wr() {
	mkdir -p "$(dirname "$1")" && cat >"$1"
}

crlf() { sed -i 's/$/\r/' "$1"; }

wait_for_advisory() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}

running() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(q "select count(*) from pg_stat_activity where datname = current_database()
			and state = 'active' and query like '%$1%' and pid <> pg_backend_pid()")" -gt 0 ] && return 0
		sleep 0.05
	done
	diag "nothing ran '$1'"
	return 1
}

# Runners started in the background go into pids, so that a failed test
# leaves none behind.
pids=()
stop_runners() {
	local pid
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	pids=()
}

mig_cleanup() {
	local db
	for db in "${MIG_DATABASES[@]}"; do
		sq "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	done
}
