#!/bin/bash
# dbctl migrate --dump-schema / schema_file and migrate load (issue 12 item
# 3): after up, down, redo and to, the schema (pg_dump of the server's major,
# cleaned; SQLite's schema table) and the tracking rows are written; a
# schema file loads into an empty database, which is then up to date.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"

tmp=$(mktemp -d "${TEST_TMP:-/tmp}/migschema.XXXXXX")
cd "$tmp" || exit 1
trap 'mig_cleanup; rm -rf "$tmp"' EXIT

mkdir m
printf -- "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, name text);\n-- migrate:down\nDROP TABLE users;\n" >m/1_users.sql
printf -- "-- migrate:up\nCREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id));\nCREATE INDEX orders_user ON orders (user_id);\n-- migrate:down\nDROP TABLE orders;\n" >m/2_orders.sql
mkdir p
cp m/1_users.sql p/
cat >p/2_orders.sql <<'SQL'
-- migrate:up
CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id), total numeric);
CREATE INDEX orders_user ON orders (user_id);
CREATE FUNCTION order_total(o orders) RETURNS numeric LANGUAGE sql AS $$
SELECT o.total
$$;
-- migrate:down
DROP TABLE orders;
SQL

# --- SQLite ----------------------------------------------------------------------
lite=sqlite:///$tmp/a.db
expect_exit 0 "SQLite: up --dump-schema" -- "$DBCTL" --url "$lite" migrate up -d m --dump-schema s.sql
like "$OUT" "wrote s.sql" "... says it wrote the file"
like "$(cat s.sql)" "CREATE TABLE users \\(id int PRIMARY KEY, name text\\);" "... with each table's CREATE"
like "$(cat s.sql)" "INSERT INTO \"schema_migrations\" \\(version, name, checksum, checksum_algorithm, note\\) VALUES"$'\n'"    \\('1', 'users', '[0-9a-f]{64}', 'sha256', NULL\\)," \
	"... and the tracking rows"
expect_exit 0 "SQLite: migrate load into a new file" -- "$DBCTL" --url "sqlite:///$tmp/b.db" migrate load s.sql -d m
expect_exit 0 "... which is then up to date" -- "$DBCTL" --url "sqlite:///$tmp/b.db" migrate status -d m
like "$OUT" "2 applied, 0 pending" "... 2 applied"
expect_exit 1 "load into a database with a tracking table" -- "$DBCTL" --url "sqlite:///$tmp/b.db" migrate load s.sql -d m
like "$ERR" "is for an empty database" "... refused"
expect_exit 0 "schema_file setting: down writes it too" -- "$DBCTL" --url "$lite" -o schema_file=s.sql migrate down -d m
unlike "$(cat s.sql)" "orders" "... without the reverted table"
cp s.sql before.sql
expect_exit 0 "a dry run" -- "$DBCTL" --url "$lite" -o schema_file=s.sql migrate up --dry-run -d m
cmp -s s.sql before.sql
is "$?" 0 "... leaves the schema file as it was"

if [ -z "${TEST_PG_SUPER_URL:-}" ]; then
	skip "no PostgreSQL (run me through tests/run)" 14
	done_testing
	exit 0
fi

# --- PostgreSQL --------------------------------------------------------------------
newdb schema_a
expect_exit 0 "PostgreSQL: up --dump-schema" -- "${dbctl[@]}" migrate up -d p --dump-schema p.sql
s=$(cat p.sql)
like "$s" "CREATE TABLE public.orders" "the dump has the tables, schema-qualified"
like "$s" "CREATE FUNCTION public.order_total" "... and the function"
unlike "$s" $'\n''\\\\(un)?restrict ' "no \\\\restrict lines (their key changes every run)"
unlike "$s" "Dumped (from|by)" "no version header"
unlike "$s" $'\n'"SET (statement_timeout|client_encoding|standard_conforming_strings)" "no SET preamble"
like "$s" "INSERT INTO \"schema_migrations\" .*\\('1', 'users'.*\\('2', 'orders'" "the tracking rows, in order"
grep -qF "$TEST_PG_APP_PASSWORD" p.sql
isnt "$?" 0 "no password in it (pg_dump got it in its environment)"
expect_exit 0 "a second dump of the same database" -- "${dbctl[@]}" migrate status -d p
"${dbctl[@]}" -q migrate up -d p --dump-schema p2.sql >/dev/null 2>&1
cmp -s p.sql p2.sql
is "$?" 0 "... is byte for byte the same (a reviewable diff)"
newdb schema_b
expect_exit 0 "migrate load into an empty database" -- "${dbctl[@]}" migrate load p.sql -d p
like "$OUT" "loaded p.sql: [0-9]+ statements, committed" "... says what it did"
expect_exit 0 "... which is up to date" -- "${dbctl[@]}" migrate status -d p
is "$(q "SELECT order_total(ROW(1, 1, 9.5)::orders)")" 9.5 "... with the function working"

done_testing
