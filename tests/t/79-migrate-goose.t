#!/bin/bash
# dbctl migrate adopts goose's goose_db_version (issue 12 item 2): the newest
# row of each version says whether it is applied; the first up copies those
# versions into dbctl's table. SQLite (no server), then PostgreSQL.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"

tmp=$(mktemp -d "${TEST_TMP:-/tmp}/miggoose.XXXXXX")
cd "$tmp" || exit 1
trap 'mig_cleanup; rm -rf "$tmp"' EXIT
lq() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]) if sys.argv[3] == "w" else print(",".join(str(r[0]) for r in c.execute(sys.argv[2])))' "$tmp/g.db" "$1" "${2:-r}"; }
mkdir m
for v in 1 2 3 4; do
	printf -- "-- +goose Up\nCREATE TABLE t$v (id int);\n-- +goose Down\nDROP TABLE t$v;\n" >"m/0000$v""_t$v.sql"
done
# goose applied 1, 2 and 3, then rolled 3 back; 2 was rolled back and applied again
lq "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL,
	is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
    INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (2, 0), (2, 1), (3, 1), (3, 0);
    CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);" w
lite=sqlite:///$tmp/g.db
expect_exit 4 "SQLite: status reads goose_db_version" -- "$DBCTL" --url "$lite" migrate status -d m
like "$OUT" "2 applied, 2 pending" "... 1 and 2 applied (2's newest row says so), 3 (rolled back) and 4 pending"
like "$OUT" "^1 +applied .*"$'\n'"2 +applied .*"$'\n'"3 +pending .*"$'\n'"4 +pending" "... per version"
is "$(lq "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'")" 0 "... and creates nothing"
# goose's own table named as migrations_table: refused, not altered
expect_exit 3 "migrations_table=goose_db_version" -- "$DBCTL" --url "$lite" -o migrations_table=goose_db_version migrate up -d m
like "$ERR" "goose_db_version has no version column" "... refused with the reason"
is "$(lq "SELECT count(*) FROM pragma_table_info('goose_db_version')")" 4 "... and goose's table keeps its 4 columns"
expect_exit 0 "up: applies 3 and 4 only" -- "$DBCTL" --url "$lite" migrate up -d m
unlike "$OUT" "applied 1_\|applied 2_" "... not 1 nor 2 again"
like "$OUT" "applied 3_t3" "... 3 applied"
is "$(lq "SELECT group_concat(version || ':' || (checksum IS NOT NULL), ',') FROM (SELECT * FROM schema_migrations ORDER BY CAST(version AS int))")" \
	"1:1,2:1,3:1,4:1" "dbctl's table has every version, the adopted ones with their checksums"
is "$(lq "SELECT count(*) FROM goose_db_version")" 7 "goose's table is left as it was"
expect_exit 0 "status: up to date" -- "$DBCTL" --url "$lite" migrate status -d m
sed -i 's/t1 (id int)/t1 (id bigint)/' m/00001_t1.sql
expect_exit 1 "an adopted migration edited afterwards is drift" -- "$DBCTL" --url "$lite" migrate status -d m

if [ -z "${TEST_PG_SUPER_URL:-}" ]; then
	skip "no PostgreSQL (run me through tests/run)" 12
	done_testing
	exit 0
fi
sed -i 's/t1 (id bigint)/t1 (id int)/' m/00001_t1.sql
newdb goose
q "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL,
   tstamp timestamp DEFAULT now());
   INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true), (3, false);
   CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);" >/dev/null
expect_exit 4 "PostgreSQL: status" -- "${dbctl[@]}" migrate status -d m
like "$OUT" "2 applied, 2 pending" "... 1 and 2 applied"
expect_exit 0 "PostgreSQL: --dry-run adopts nothing" -- "${dbctl[@]}" migrate up --dry-run -d m
is "$(exists schema_migrations)" f "... no table after the dry run"
expect_exit 0 "PostgreSQL: up" -- "${dbctl[@]}" migrate up -d m
is "$(versions)" 1,2,3,4 "... every version recorded once"

# down before any up: goose's newest applied version is reverted, and goose's
# rows are adopted in the same transaction (there was no table to delete from)
newdb goose_down
q "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL,
   tstamp timestamp DEFAULT now());
   INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true);
   CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);" >/dev/null
expect_exit 0 "PostgreSQL: down --dry-run before any up" -- "${dbctl[@]}" migrate down --dry-run -d m
is "$(exists schema_migrations)|$(exists t2)" "f|t" "... rolled back: no table, t2 still there"
expect_exit 0 "PostgreSQL: down before any up" -- "${dbctl[@]}" migrate down -d m
like "$OUT" "reverted 2_t2" "... reverts 2, goose's newest applied version"
is "$(exists t2)|$(versions)" "f|1" "... t2 dropped, dbctl's table holds 1"
is "$(q "SELECT count(*) FROM goose_db_version")" 3 "... goose's table is left as it was"

done_testing
