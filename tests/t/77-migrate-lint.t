#!/bin/bash
# dbctl migrate lint and migrate validate: PostgreSQL's lock and rewrite
# rules, read from the files alone. The URL points at a port where nothing
# listens: a command that tried to connect would fail with exit 2.
. "$(dirname "$0")/../lib/tap.sh"

corpus=${DBCTL_CORPUS:-${TEST_SRCDIR:-$(dirname "$0")/../..}/../shared/corpus}
corpus=$(cd "$corpus" 2>/dev/null && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
PG=(--url "postgresql://app:lint-secret@127.0.0.1:1/app")
wr() { mkdir -p "$(dirname "$1")"; cat >"$1"; }

# --- each rule, on an existing table --------------------------------------------------------
wr d/1_orders.sql <<'SQL'
-- migrate:up
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric);
CREATE INDEX orders_customer ON orders (customer_id);
ALTER TABLE orders ADD COLUMN token text DEFAULT random()::text;
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
SQL
wr d/2_risky.sql <<'SQL'
-- migrate:up
CREATE INDEX orders_total ON orders (total);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE public.orders ALTER COLUMN total SET NOT NULL, ALTER total TYPE bigint;
ALTER TABLE "Orders" ADD COLUMN uid uuid DEFAULT gen_random_uuid(), ADD COLUMN n int DEFAULT 0;
ALTER TABLE orders ADD CHECK (total > 0);
SQL
expect_exit 1 "lint: findings are exit 1" -- "$DBCTL" "${PG[@]}" migrate lint -d d
unlike "$OUT" "1_orders" "a table the same file creates is new: nothing of 1_orders.sql is judged"
like "$OUT" "d/2_risky.sql:2:1: create-index-not-concurrently \\(orders\\): CREATE INDEX blocks every write to the table while it builds; use CREATE INDEX CONCURRENTLY" \
	"CREATE INDEX without CONCURRENTLY: FILE:LINE:COL, the rule, the table and why"
like "$OUT" "d/2_risky.sql:2:1: missing-lock-timeout \\(orders\\): without lock_timeout" "no lock_timeout: at the first statement that locks"
is "$(grep -c missing-lock-timeout <<<"$OUT")" 1 "... once per section"
like "$OUT" "d/2_risky.sql:3:1: constraint-not-valid \\(orders\\)" "ADD FOREIGN KEY without NOT VALID"
like "$OUT" "d/2_risky.sql:6:1: constraint-not-valid \\(orders\\)" "ADD CHECK without NOT VALID"
like "$OUT" "d/2_risky.sql:4:1: set-not-null \\(public.orders.total\\)" "SET NOT NULL, the schema kept as written"
like "$OUT" "d/2_risky.sql:4:1: column-type-change \\(public.orders.total\\)" "ALTER ... TYPE, in the same statement"
like "$OUT" "d/2_risky.sql:5:1: volatile-default \\(\"Orders\".uid\\)" "a volatile default, on a quoted table"
unlike "$OUT" "\\.n\\)" "... not the constant DEFAULT 0 beside it"
like "$OUT" "2 migrations, 9 statements: 7 findings \\(silence one in its file with -- dbctl:allow RULE\\)" "the summary"
unlike "$OUT$ERR" "lint-secret" "no password anywhere"

# --- the safe forms pass ----------------------------------------------------------------------
wr safe/1_safe.sql <<'SQL'
-- migrate:up
SET lock_timeout = '5s';
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;
ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now();
-- migrate:down
SET lock_timeout = '5s';
ALTER TABLE orders DROP CONSTRAINT orders_total_check;
SQL
wr safe/2_concurrently.sql <<'SQL'
-- migrate:up transaction:false
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total ON orders (total);
-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS orders_total;
SQL
wr safe/3_strings.sql <<'SQL'
-- migrate:up
SET lock_timeout = '5s';
INSERT INTO notes VALUES ('CREATE INDEX x ON orders (y)'), ($$ALTER TABLE orders ALTER total TYPE int$$);
-- ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
SQL
expect_exit 0 "lint: NOT VALID, CONCURRENTLY, now(), lock_timeout, strings and comments: no finding" -- \
	"$DBCTL" "${PG[@]}" migrate lint -d safe
like "$OUT" "3 migrations, [0-9]+ statements: 0 findings" "... says so"

# --- silenced in the file ------------------------------------------------------------------------
wr quiet/1_small.sql <<'SQL'
-- migrate:up
-- settings has ten rows: dbctl:allow create-index-not-concurrently, missing-lock-timeout
CREATE INDEX settings_k ON settings (k);
ALTER TABLE settings ALTER COLUMN k SET NOT NULL;
SQL
expect_exit 1 "-- dbctl:allow silences the rules it names, only those" -- "$DBCTL" "${PG[@]}" migrate lint -d quiet
unlike "$OUT" "create-index-not-concurrently|missing-lock-timeout" "... the two named ones are silent"
like "$OUT" "quiet/1_small.sql:4:1: set-not-null \\(settings.k\\)" "... the other one still speaks"

# --- --json ----------------------------------------------------------------------------------------
expect_exit 1 "--json" -- "$DBCTL" "${PG[@]}" --json migrate lint -d d
is "$(json_field 'd["exit"], d["migrations"], len(d["findings"]), d["findings"][0]["rule"], d["findings"][0]["line"], d["findings"][0]["subject"]' <<<"$OUT")" \
	"(1, 2, 7, 'create-index-not-concurrently', 2, 'orders')" "... exit, counts and each finding's fields"

# --- validate: lex, modes and lint, without a database -------------------------------------------
expect_exit 0 "validate: a clean directory is exit 0" -- "$DBCTL" "${PG[@]}" migrate validate -d safe
like "$OUT" "0 findings; valid" "... valid"
expect_exit 1 "validate: lint findings are exit 1" -- "$DBCTL" "${PG[@]}" migrate validate -d d
wr bad1/1_a.sql <<<$'-- migrate:up\nSELECT \'unterminated;\n'
expect_exit 3 "validate: an unterminated quote is exit 3" -- "$DBCTL" "${PG[@]}" migrate validate -d bad1
like "$ERR" "bad1/1_a.sql:2:8: unterminated quoted string" "... at FILE:LINE:COL"
wr bad2/1_a.sql <<<$'-- migrate:up\nCREATE INDEX CONCURRENTLY i ON t (x);\n'
expect_exit 3 "validate: CONCURRENTLY in a transactional section is exit 3" -- "$DBCTL" "${PG[@]}" migrate validate -d bad2
like "$ERR" "bad2/1_a.sql:2:1: .*cannot run inside a transaction" "... names it"
expect_exit 0 "... lint alone does not judge modes" -- "$DBCTL" "${PG[@]}" migrate lint -d bad2
wr bad3/1_a.sql <<<$'-- migrate:up\nSELECT 1;\n'
wr bad3/01_b.sql <<<$'-- migrate:up\nSELECT 2;\n'
expect_exit 3 "validate: two files with one version are exit 3" -- "$DBCTL" "${PG[@]}" migrate validate -d bad3
expect_exit 3 "validate: a missing directory is exit 3" -- "$DBCTL" "${PG[@]}" migrate validate -d nonexistent
expect_exit 3 "validate takes no arguments" -- "$DBCTL" "${PG[@]}" migrate validate -d safe extra

# --- backends without rules ------------------------------------------------------------------------
expect_exit 0 "SQLite: validate reads and checks, no rules" -- "$DBCTL" --url "sqlite:///$tmp/never.db" migrate validate -d d
like "$ERR" "no lint rules for SQLite" "... and says so"
[ ! -e "$tmp/never.db" ]
ok $? "... and did not create the database file"

# --- real migrations from the corpus --------------------------------------------------------------
harbor=$corpus/migrations-harbor-golang-migrate/migrations
hatchet=$corpus/migrations-hatchet-goose/migrations
if [ -z "$corpus" ] || [ ! -d "$harbor" ] || [ ! -d "$hatchet" ]; then
	skip "no corpus (../shared/corpus): the lint runs on real migrations are skipped" 4
else
	expect_exit 1 "harbor (golang-migrate): lint reads all 39 files and finds what they lock" -- \
		"$DBCTL" "${PG[@]}" migrate lint -d "$harbor"
	like "$OUT" "0002_1\.7\.0_schema\.up\.sql:1:1: column-type-change \(properties\.v\)" "... its ALTER ... TYPE on properties"
	expect_exit 1 "hatchet (goose): lint reads all 224 files" -- "$DBCTL" "${PG[@]}" migrate lint -d "$hatchet"
	like "$OUT" "224 migrations, [0-9]+ statements: [0-9]+ findings" "... and sums them up"
fi

done_testing
