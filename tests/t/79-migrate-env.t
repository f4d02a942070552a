#!/bin/bash
# dbctl migrate: sections for an environment (-- migrate:up env:dev,test and
# the environment setting) and goose's ENVSUB substitution (issue 12 item 5).
# SQLite: no server needed.
. "$(dirname "$0")/../lib/tap.sh"

tmp=$(mktemp -d "${TEST_TMP:-/tmp}/migenv.XXXXXX")
cd "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
db=sqlite:///$tmp/env.db
dbctl=("$DBCTL" --url "$db")
q() { "$DBCTL" --url "$db" run - <<<"$1" >/dev/null 2>&1; }
rows() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(",".join(str(r[0]) for r in c.execute(sys.argv[2])))' "$tmp/env.db" "$1"; }

mkdir m
printf -- "-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n" >m/1_users.sql
printf -- "-- migrate:up env:dev,test\nINSERT INTO users VALUES (42);\n-- migrate:down\nDELETE FROM users WHERE id = 42;\n" >m/2_seed.sql
printf -- "-- migrate:up\nCREATE TABLE orders (id int);\n-- migrate:down\nDROP TABLE orders;\n" >m/3_orders.sql

expect_exit 4 "status with no environment set: the seed file is not pending" -- "${dbctl[@]}" migrate status -d m
like "$OUT" "0 applied, 2 pending, 1 for other environments \\(not run here\\)" "... the summary says 1 for other environments"
unlike "$OUT" "seed" "... and the seed file is not listed"
expect_exit 0 "up without an environment" -- "${dbctl[@]}" migrate up -d m
is "$(rows "SELECT count(*) FROM users")" 0 "... the seed did not run"
is "$(rows "SELECT version FROM schema_migrations ORDER BY version")" "1,3" "... versions 1 and 3 recorded"
expect_exit 0 "status: up to date in production" -- "${dbctl[@]}" migrate status -d m
expect_exit 0 "status --json" -- "${dbctl[@]}" --json migrate status -d m
like "$OUT" '"other_environment":1' "--json counts other_environment"

# a database of the test environment
db=sqlite:///$tmp/test.db
dbctl=("$DBCTL" --url "$db")
rows() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(",".join(str(r[0]) for r in c.execute(sys.argv[2])))' "$tmp/test.db" "$1"; }
expect_exit 0 "-o environment=test: up runs the seed" -- "${dbctl[@]}" -o environment=test migrate up -d m
like "$OUT" "applied 2_seed" "... applied 2_seed"
is "$(rows "SELECT id FROM users")" 42 "... its row is there"
expect_exit 0 "DBCTL_ENVIRONMENT=dev status: all applied" -- env DBCTL_ENVIRONMENT=dev "${dbctl[@]}" migrate status -d m
like "$OUT" "3 applied, 0 pending"$'$' "... 3 applied"
expect_exit 0 "environment=prod status: the recorded seed is shown applied, not missing" -- \
	"${dbctl[@]}" -o environment=prod migrate status -d m
like "$OUT" "3 applied, 0 pending"$'$' "... a migration run here stays applied whatever the environment"
expect_exit 0 "environment=test down 2: orders, then the seed" -- \
	"${dbctl[@]}" -o environment=test migrate down 2 -d m
is "$(rows "SELECT count(*) FROM users")" 0 "... the seed's down ran"
is "$(rows "SELECT version FROM schema_migrations")" 1 "... version 1 left"
db=sqlite:///$tmp/devel.db
dbctl=("$DBCTL" --url "$db")
expect_exit 0 "environment=devel (a longer name than dev): the seed is not run" -- \
	"${dbctl[@]}" -o environment=devel migrate up -d m
unlike "$OUT" "2_seed" "... names match whole"

# bad markers: exit 3 before connecting
mkdir bad1 bad2 bad3
printf -- "-- migrate:up\nSELECT 1;\n-- migrate:down env:dev\nSELECT 1;\n" >bad1/1_a.sql
expect_exit 3 "env: on the down marker" -- "${dbctl[@]}" migrate up -d bad1
like "$ERR" "bad1/1_a.sql:3: env: belongs on the '-- migrate:up' line" "... FILE:LINE and why"
printf -- "-- migrate:up env:\nSELECT 1;\n" >bad2/1_a.sql
expect_exit 3 "an empty env: list" -- "${dbctl[@]}" migrate up -d bad2
like "$ERR" "bad2/1_a.sql:1: env: needs a comma-separated list" "... FILE:LINE"
printf -- "-- migrate:up env:dev,,test\nSELECT 1;\n" >bad3/1_a.sql
expect_exit 3 "env:dev,,test" -- "${dbctl[@]}" migrate up -d bad3

# --- goose ENVSUB ---------------------------------------------------------------
db=sqlite:///$tmp/env.db
dbctl=("$DBCTL" --url "$db")
rows() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(",".join(str(r[0]) for r in c.execute(sys.argv[2])))' "$tmp/env.db" "$1"; }
rm -f "$tmp/env.db"
mkdir g
cat >g/1_envsub.sql <<'SQL'
-- +goose Up
CREATE TABLE t (v text, d text, e text, dollars text);
-- +goose ENVSUB ON
INSERT INTO t VALUES ('${DBCTL_T_VALUE}', '${DBCTL_T_UNSET:-fallback}', '${DBCTL_T_EMPTY-kept}', '$1 $$ $DBCTL_T_VALUE');
-- +goose ENVSUB OFF
INSERT INTO t VALUES ('${DBCTL_T_VALUE}', '', '', '');
-- +goose Down
DROP TABLE t;
SQL
expect_exit 0 "ENVSUB ON: substituted" -- env DBCTL_T_VALUE="it''s" DBCTL_T_EMPTY= "${dbctl[@]}" migrate up -d g
is "$(rows "SELECT v || '|' || d || '|' || e || '|' || dollars FROM t ORDER BY rowid")" \
	"it's|fallback||\$1 \$\$ \$DBCTL_T_VALUE,\${DBCTL_T_VALUE}|||" \
	"\${NAME}, \${NAME:-d}, \${NAME-d} substituted; \$1, \$\$ and bare \$NAME untouched; after OFF nothing"
sum1=$(rows "SELECT checksum FROM schema_migrations")
rm -f "$tmp/env.db"
expect_exit 0 "another value" -- env DBCTL_T_VALUE=other DBCTL_T_EMPTY= "${dbctl[@]}" migrate up -d g
is "$(rows "SELECT checksum FROM schema_migrations")" "$sum1" "the checksum is the file's, whatever the values"
expect_exit 0 "status with yet another value: not modified" -- env DBCTL_T_VALUE=third "${dbctl[@]}" migrate status -d g
rm -f "$tmp/env.db"
expect_exit 3 "an unset \${NAME} without a default" -- env -u DBCTL_T_VALUE "${dbctl[@]}" migrate up -d g
like "$ERR" "g/1_envsub.sql:4:24: \\\$\\{DBCTL_T_VALUE\\} is not set" "... FILE:LINE:COL naming it"
is "$(rows "SELECT count(*) FROM sqlite_master WHERE name = 't'")" 0 "... nothing ran"
expect_exit 3 "a value with a line break" -- env DBCTL_T_VALUE=$'a\nb' "${dbctl[@]}" migrate up -d g
like "$ERR" "line break" "... refused"

# an unset name matters only where its section runs: not in the down section
# of a migration being applied, nor in a migration applied long ago
rm -f "$tmp/env.db"
mkdir g2
cat >g2/1_a.sql <<'SQL'
-- +goose Up
-- +goose ENVSUB ON
CREATE TABLE a (v text DEFAULT '${DBCTL_T_UP}');
-- +goose Down
DROP TABLE a; -- ${DBCTL_T_DOWN}
SQL
expect_exit 0 "up with the down section's name unset" -- env DBCTL_T_UP=x "${dbctl[@]}" migrate up -d g2
is "$(rows "SELECT version FROM schema_migrations")" 1 "... applied and recorded"
expect_exit 0 "status of the applied migration with its name unset" -- "${dbctl[@]}" migrate status -d g2
expect_exit 3 "down with the down section's name unset" -- "${dbctl[@]}" migrate down -d g2
like "$ERR" "g2/1_a.sql:5:18: \\\$\\{DBCTL_T_DOWN\\} is not set" "... FILE:LINE:COL naming it"
is "$(rows "SELECT count(*) FROM sqlite_master WHERE name = 'a'")" 1 "... nothing ran"
expect_exit 3 "validate checks every section" -- "${dbctl[@]}" migrate validate -d g2
like "$ERR" "DBCTL_T_UP\\} is not set" "... and names the unset one"

# env: on a repeatable marker: fixtures for dev and test are never run elsewhere
rm -f "$tmp/env.db"
mkdir rep
printf -- "-- migrate:repeatable env:dev,test\nCREATE TABLE IF NOT EXISTS fixtures (n int);\n" >rep/fixtures.sql
expect_exit 0 "a repeatable for dev,test, no environment set: nothing to run" -- "${dbctl[@]}" migrate status -d rep
like "$OUT" "1 for other environments" "... counted as for other environments"
expect_exit 0 "up without an environment" -- "${dbctl[@]}" migrate up -d rep
is "$(rows "SELECT count(*) FROM sqlite_master WHERE name = 'fixtures'")" 0 "... the repeatable did not run"
expect_exit 0 "up with environment=prod" -- "${dbctl[@]}" -o environment=prod migrate up -d rep
is "$(rows "SELECT count(*) FROM sqlite_master WHERE name = 'fixtures'")" 0 "... not there either"
expect_exit 0 "up with environment=test" -- "${dbctl[@]}" -o environment=test migrate up -d rep
is "$(rows "SELECT count(*) FROM sqlite_master WHERE name = 'fixtures'")|$(rows "SELECT version FROM schema_migrations")" \
	"1|R__fixtures" "... runs in test, and is recorded"
printf -- "-- migrate:repeatable env:dev,test\nCREATE TABLE IF NOT EXISTS fixtures (n int);\nINSERT INTO fixtures VALUES (1);\n" >rep/fixtures.sql
expect_exit 0 "changed, then up with environment=prod" -- "${dbctl[@]}" -o environment=prod migrate up -d rep
is "$(rows "SELECT count(*) FROM fixtures")" 0 "... the changed fixtures did not run in prod"
printf -- "-- migrate:repeatable env:\nSELECT 1;\n" >rep/fixtures.sql
expect_exit 3 "env: without a list on a repeatable marker" -- "${dbctl[@]}" migrate status -d rep

done_testing
