#!/bin/bash
# pagila (pg_dump plain format: schema, then data in 21 COPY ... FROM stdin
# blocks) loaded by `dbctl run schema data` in one transaction gives the same
# database as psql loading the same files; the data alone fails at its first
# COPY and leaves nothing behind. pagila assigns owners to postgres: the
# superuser URL, and databases of the test's own.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"
corpus=${DBCTL_CORPUS:-${TEST_SRCDIR:-$(dirname "$0")/../..}/../shared/corpus}
schema=$corpus/pagila/pagila-schema.sql
data=$corpus/pagila/pagila-data.sql
if [ ! -r "$schema" ] || [ ! -r "$data" ]; then
	skip_all "no pagila in the SQL corpus at $corpus (set DBCTL_CORPUS)"
fi

tmp=$(mktemp -d)
cd "$tmp" || exit 1
databases=(pagila_dbctl pagila_psql pagila_empty pagila_partial)
sql() { "$TEST_PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(db_url "${2:-postgres}")" -c "$1"; }
db_url() { printf '%s/%s\n' "${TEST_PG_SUPER_URL%/*}" "$1"; }
drop_all() {
	local db
	for db in "${databases[@]}"; do sql "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null; done
}
trap 'drop_all; rm -rf "$tmp"' EXIT
drop_all
for db in "${databases[@]}"; do sql "CREATE DATABASE $db" || BAIL_OUT "cannot create database $db"; done

# Every table's exact row count, one "schema.table|count" line each
# (query_to_xml runs a count(*) per table inside one query).
row_counts() {
	sql "SELECT table_schema || '.' || table_name || '|' ||
	            (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
	                   table_schema, table_name), false, true, '')))[1]::text
	       FROM information_schema.tables
	      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
	      ORDER BY 1" "$1"
}
# Objects the user made, by kind: relations, functions, types, schemas.
user_objects() {
	sql "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
	     || ' ' || (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
	     || ' ' || (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
	              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
	     || ' ' || (SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%'
	              AND nspname NOT IN ('information_schema', 'public'))" "$1"
}
# pg_dump's lines, sorted: rows are not in the same physical order (COPY into
# a table made in the same transaction does not use the free space map), and
# without the random \restrict key of newer pg_dumps.
dump() {
	"$TEST_PG_BINDIR/pg_dump" --no-comments -d "$(db_url "$1")" | grep -Ev '^\\(un)?restrict |^-- Dumped ' | sort
}

# What the lexer finds: statements and COPY data lines, without connecting.
run_cmd "$DBCTL" --url "$(db_url pagila_dbctl)" run --list --json "$schema" "$data"
is "$RC" 0 "--list --json of schema and data exits 0"
read -r statements copies data_lines < <(/usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)["statements"]
c = [x for x in s if x["kind"] == "copy-in"]
print(len(s), len(c), sum(x["data_lines"] for x in c))' <<<"$OUT")
is "$copies" 21 "21 COPY ... FROM stdin blocks"
cmp_ok "$data_lines" -gt 40000 "$data_lines lines of COPY data"

# --- dbctl: schema and data in one transaction ---
expect_exit 0 "dbctl run schema data exits 0" -- "$DBCTL" --url "$(db_url pagila_dbctl)" run "$schema" "$data"
like "$OUT" "^$statements statements, $data_lines rows affected, committed in [0-9.]+ s$" \
	"summary: $statements statements, $data_lines rows affected (the COPY rows), committed"
note "dbctl loaded pagila in $MS ms"

# --- psql: the same files, the reference ---
run_cmd "$TEST_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$(db_url pagila_psql)" -f "$schema" -f "$data"
is "$RC" 0 "psql loads the same files (exit 0)"
[ -z "$ERR" ] || diag "psql: $ERR"
note "psql loaded pagila in $MS ms"

dbctl_counts=$(row_counts pagila_dbctl)
psql_counts=$(row_counts pagila_psql)
cmp_ok "$(wc -l <<<"$psql_counts")" -ge 20 "psql's database has $(wc -l <<<"$psql_counts") tables"
is "$dbctl_counts" "$psql_counts" "identical row counts for every table"
is "$(awk -F'|' '$1 == "public.rental" || $1 == "public.actor" || $1 == "public.film" { print }' <<<"$dbctl_counts" |
	paste -sd ' ')" "public.actor|200 public.film|1000 public.rental|16044" "actor, film and rental have pagila's sizes"
is "$(user_objects pagila_dbctl)" "$(user_objects pagila_psql)" "the same number of relations, functions, types, schemas"
dump pagila_dbctl >dbctl.dump
dump pagila_psql >psql.dump
if cmp -s dbctl.dump psql.dump; then
	pass "pg_dump of both databases has the same lines (schema, data, owners, sequences)"
else
	fail "pg_dump of both databases has the same lines (schema, data, owners, sequences)"
	diag "$(diff dbctl.dump psql.dump | head -n 20)"
fi

# --- the data alone: the first COPY fails, nothing stays ---
first_copy_line=$(grep -n -m1 '^COPY ' "$data" | cut -d: -f1)
dump pagila_empty >empty-before.dump
expect_exit 1 "pagila-data.sql alone into an empty database exits 1" -- \
	"$DBCTL" --url "$(db_url pagila_empty)" run "$data"
like "$ERR" "^dbctl: ${data//./\\.}:$first_copy_line:[0-9]+: ERROR: relation \"public\.actor\" does not exist \(42P01\)" \
	"FILE:$first_copy_line:COL names the first COPY, the first statement that fails"
like "$ERR" "   $first_copy_line \| COPY public\.actor " "the failing line is shown"
is "$(user_objects pagila_empty)" "0 0 0 0" "no objects afterwards"
dump pagila_empty >empty-after.dump
cmp -s empty-before.dump empty-after.dump
ok $? "pg_dump of the database is the same before and after"

# the same with the first table present: its 200 rows go in, then the second
# COPY fails, and the rollback takes the 200 rows out again
sql "CREATE TABLE public.actor (actor_id int PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
     last_update timestamptz NOT NULL)" pagila_partial
second_copy_line=$(grep -n '^COPY ' "$data" | sed -n 2p | cut -d: -f1)
expect_exit 1 "with only actor present the run fails at the second COPY" -- \
	"$DBCTL" --url "$(db_url pagila_partial)" run --json "$data"
is "$(/usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["outcome"], d["error"]["line"], d["error"]["sqlstate"])' <<<"$OUT")" "rolled_back $second_copy_line 42P01" \
	"JSON: rolled back, error at line $second_copy_line, 42P01"
is "$(sql 'SELECT count(*) FROM public.actor' pagila_partial)" 0 "actor has 0 rows afterwards (its COPY was rolled back)"
is "$(user_objects pagila_partial)" "2 0 2 0" "only the table made by the test (and its index) is there"

drop_all
is "$(sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'pagila\_%'")" 0 "the test's databases are dropped"

done_testing
