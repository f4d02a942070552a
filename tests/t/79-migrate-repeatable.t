#!/bin/bash
# dbctl migrate: repeatable migrations (issue 12 item 4): Flyway's
# R__name.sql and the -- migrate:repeatable marker run after the versioned
# ones, in name order, again whenever their checksum changes; status shows
# them. SQLite first (no server), then PostgreSQL.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"

tmp=$(mktemp -d "${TEST_TMP:-/tmp}/migrep.XXXXXX")
cd "$tmp" || exit 1
trap 'mig_cleanup; rm -rf "$tmp"' EXIT
lite=sqlite:///$tmp/rep.db
lq() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(",".join(str(r[0]) for r in c.execute(sys.argv[2])))' "$tmp/rep.db" "$1"; }

mkdir m
printf -- "-- migrate:up\nCREATE TABLE users (id int, name text);\nCREATE TABLE log (what text);\n-- migrate:down\nDROP TABLE users;\nDROP TABLE log;\n" >m/1_users.sql
# name order: R__a_views before R__b_seed; each logs that it ran
printf "DROP VIEW IF EXISTS user_names;\nCREATE VIEW user_names AS SELECT name FROM users;\nINSERT INTO log VALUES ('views');\n" >m/R__a_views.sql
printf -- "-- reference data\n-- migrate:repeatable\nDELETE FROM users;\nINSERT INTO users VALUES (1, 'ann');\nINSERT INTO log VALUES ('seed');\n" >m/b_seed.sql

expect_exit 4 "status before anything: repeatables are to run" -- "$DBCTL" --url "$lite" migrate status -d m
like "$OUT" "R__a_views +pending +a_views" "R__a_views listed as pending"
like "$OUT" "R__b_seed +pending +b_seed" "b_seed.sql with the marker is R__b_seed"
like "$OUT" "0 applied, 1 pending, 2 repeatable to run" "summary counts them apart"
expect_exit 0 "up" -- "$DBCTL" --url "$lite" migrate up -d m
like "$OUT" "applied 1_users .*"$'\n'"applied R__a_views \\(repeatable, .*"$'\n'"applied R__b_seed \\(repeatable" \
	"the versioned one first, then the repeatables in name order"
is "$(lq "SELECT group_concat(what, ',') FROM log")" "views,seed" "... each ran once"
is "$(lq "SELECT name FROM user_names")" ann "... the view and the data are there"
expect_exit 0 "status: up to date" -- "$DBCTL" --url "$lite" migrate status -d m
like "$OUT" "R__b_seed +applied" "... the repeatable shows applied"
expect_exit 0 "up again: nothing to do" -- "$DBCTL" --url "$lite" migrate up -d m
is "$OUT" "nothing to do: up to date" "... an unchanged repeatable does not run again"
is "$(lq "SELECT count(*) FROM log")" 2 "... the log says so"

printf "INSERT INTO users VALUES (2, 'bob');\n" >>m/b_seed.sql
expect_exit 4 "status after editing the seed: changed, exit 4" -- "$DBCTL" --url "$lite" migrate status -d m
like "$OUT" "R__b_seed +changed" "... shown as changed, not modified (no drift)"
like "$OUT" "1 repeatable to run" "... 1 to run"
expect_exit 4 "--json status: exit 4 too" -- "$DBCTL" --url "$lite" --json migrate status -d m
is "$(json_field "[ (e['version'], e['state'], e['repeatable']) for e in d['migrations'] ]" <<<"$OUT")" \
	"[('1', 'applied', False), ('R__a_views', 'applied', True), ('R__b_seed', 'changed', True)]" "--json: state and repeatable"
is "$(json_field "d['counts']['repeatable_due']" <<<"$OUT")" 1 "--json: counts.repeatable_due"
expect_exit 0 "up runs only the changed one" -- "$DBCTL" --url "$lite" migrate up -d m
is "$(lq "SELECT group_concat(what, ',') FROM log")" "views,seed,seed" "... the seed ran again, the views did not"
is "$(lq "SELECT group_concat(name, ',') FROM users ORDER BY id")" "ann,bob" "... with its new text"
is "$(lq "SELECT count(*) FROM schema_migrations WHERE version = 'R__b_seed'")" 1 "... one row, updated"

# a failing repeatable: rolled back with its row, still due
printf "INSERT INTO log VALUES ('views2');\nSELECT * FROM no_such_table;\n" >>m/R__a_views.sql
expect_exit 1 "a repeatable that fails" -- "$DBCTL" --url "$lite" migrate up -d m
like "$ERR" "R__a_views.sql:5:" "... placed at its FILE:LINE"
is "$(lq "SELECT count(*) FROM log WHERE what = 'views2'")" 0 "... rolled back"
expect_exit 4 "... and still to run" -- "$DBCTL" --url "$lite" migrate status -d m
like "$OUT" "R__a_views +changed" "... still changed"
sed -i '$d' m/R__a_views.sql
expect_exit 0 "fixed: up runs it" -- "$DBCTL" --url "$lite" migrate up -d m

# migrate to a version runs no repeatable; down reverts none
printf -- "-- migrate:up\nCREATE TABLE extra (id int);\n-- migrate:down\nDROP TABLE extra;\n" >m/2_extra.sql
printf "\n-- touched\n" >>m/b_seed.sql
expect_exit 0 "migrate to 2" -- "$DBCTL" --url "$lite" migrate to 2 -d m
unlike "$OUT" "R__" "... runs no repeatable migration"
expect_exit 0 "migrate down" -- "$DBCTL" --url "$lite" migrate down -d m
like "$OUT" "reverted 2_extra" "down reverts the newest versioned migration, never a repeatable"

# a dry run includes them and writes nothing
seeds=$(lq "SELECT count(*) FROM log WHERE what = 'seed'")
expect_exit 0 "up --dry-run" -- "$DBCTL" --url "$lite" migrate up --dry-run -d m
like "$OUT" "applied R__b_seed \\(repeatable" "... the changed repeatable is in the plan"
is "$(lq "SELECT count(*) FROM log WHERE what = 'seed'")" "$seeds" "... and rolled back"

# bad files: exit 3 before anything runs
mkdir bad1 bad2 bad3
printf -- "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n" >bad1/R__x.sql
expect_exit 3 "an R__ file with up/down markers" -- "$DBCTL" --url "$lite" migrate status -d bad1
like "$ERR" "bad1/R__x.sql:1: a repeatable migration is one section" "... FILE:LINE and why"
printf -- "-- migrate:up\n-- migrate:repeatable\nSELECT 1;\n" >bad2/5_x.sql
expect_exit 3 "the marker in a versioned file" -- "$DBCTL" --url "$lite" migrate status -d bad2
like "$ERR" "bad2/5_x.sql:2: '-- migrate:repeatable' in a versioned migration" "... FILE:LINE"
printf "SELECT 1;\n" >bad3/views.sql
expect_exit 3 "a name without a version and no marker" -- "$DBCTL" --url "$lite" migrate status -d bad3
like "$ERR" "cannot read a version" "... as before"
like "$ERR" "R__description.sql for a repeatable one" "... with the hint"

mkdir bad4
printf "SELECT 'unterminated;\n" >bad4/R__bad.sql
expect_exit 3 "migrate validate lexes repeatables too" -- "$DBCTL" --url "$lite" migrate validate -d bad4
like "$ERR" "bad4/R__bad.sql:1:8: unterminated" "... FILE:LINE:COL"

# a transaction:false repeatable that fails part way never resumes there: the
# hint says its next run starts again at statement 1, and it does
mkdir tf
printf -- "-- migrate:repeatable transaction:false\nCREATE TABLE IF NOT EXISTS runs (n int);\nINSERT INTO runs VALUES (1);\nSELECT nope FROM runs;\n" >tf/R__log.sql
expect_exit 1 "a transaction:false repeatable failing at statement 3" -- "$DBCTL" --url "sqlite:///$tmp/tf.db" migrate up -d tf
like "$ERR" "R__log.sql:4:8: .*no such column" "... placed"
like "$ERR" "runs it again from statement 1" "... the hint: the next run starts at statement 1"
unlike "$ERR" "resume at statement 3|R__log_log" "... not that it resumes at statement 3, and named R__log"
printf -- "-- migrate:repeatable transaction:false\nCREATE TABLE IF NOT EXISTS runs (n int);\nINSERT INTO runs VALUES (1);\n" >tf/R__log.sql
expect_exit 0 "fixed: up" -- "$DBCTL" --url "sqlite:///$tmp/tf.db" migrate up -d tf
is "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM runs").fetchone()[0])' "$tmp/tf.db")" 2 \
	"... it ran from statement 1 again, as the hint said (the first run's INSERT stayed)"

# --- PostgreSQL ------------------------------------------------------------------
if [ -z "${TEST_PG_SUPER_URL:-}" ]; then
	skip "no PostgreSQL (run me through tests/run)" 10
	done_testing
	exit 0
fi
newdb repeatable
mkdir p
printf -- "-- migrate:up\nCREATE TABLE prices (id int, amount numeric);\n" >p/1_prices.sql
printf "CREATE OR REPLACE FUNCTION price_with_tax(a numeric) RETURNS numeric LANGUAGE sql AS \$\$ SELECT a * 1.2 \$\$;\n" \
	>p/R__functions.sql
printf -- "-- migrate:repeatable transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS prices_amount ON prices (amount);\n" \
	>p/R__indexes.sql
expect_exit 0 "PostgreSQL: up with a transactional and a transaction:false repeatable" -- "${dbctl[@]}" migrate up -d p
like "$OUT" "applied R__indexes \\(repeatable, .*no transaction\\)" "... the transaction:false one runs without one"
is "$(q "SELECT price_with_tax(10)")" 12.0 "... the function is there"
is "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 'prices_amount'")" 1 "... the index too"
sed -i 's/1.2/1.25/' p/R__functions.sql
expect_exit 0 "--single-transaction with a changed transactional repeatable" -- \
	"${dbctl[@]}" migrate up --single-transaction -d p
is "$(q "SELECT price_with_tax(10)")" 12.50 "... ran again with the new body"
is "$(q "SELECT count(*) FROM schema_migrations WHERE version LIKE 'R\_\_%'")" 2 "... one row each"
expect_exit 0 "status: up to date" -- "${dbctl[@]}" migrate status -d p
rm p/R__indexes.sql
expect_exit 0 "a repeatable whose file is gone" -- "${dbctl[@]}" migrate status -d p
like "$OUT" "R__indexes +missing_file" "... stays listed as missing_file, not to run"

done_testing
