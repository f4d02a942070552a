#!/bin/bash
# dbctl migrate --dry-run on PostgreSQL: what each statement locked and
# rewrote, read from pg_locks and relfilenode on the dry run's own session
# (issue 12, item 1); and migrate_lock_timeout, the wait limit every
# migration gets.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d "$TEST_TMP/miglocks.XXXXXX")
cd "$tmp" || exit 1
holder=
trap '[ -n "$holder" ] && kill -KILL "$holder" 2>/dev/null; mig_cleanup; rm -rf "$tmp"' EXIT

# --- lock evidence -------------------------------------------------------------
newdb locks
d=$tmp/locks
printf -- "-- migrate:up\nCREATE TABLE orders (id int PRIMARY KEY, total int);\nCREATE TABLE customers (id int);\n" |
	wr "$d/1_base.sql"
expect_exit 0 "setup: the tables exist" -- "${dbctl[@]}" migrate up -d "$d"
q "INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g" >/dev/null
cat <<'SQL' | wr "$d/2_change.sql"
-- migrate:up
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
CREATE INDEX orders_total ON orders (total);
ALTER TABLE customers ADD COLUMN note text;
SELECT count(*) FROM customers;
CREATE TABLE fresh (id int);
ALTER TABLE fresh ADD COLUMN x int;
SQL
before=$(q "SELECT relfilenode FROM pg_class WHERE relname = 'orders'")
expect_exit 0 "--dry-run of a migration that rewrites orders" -- "${dbctl[@]}" migrate up --dry-run -d "$d"
like "$OUT" "-- $d/2_change.sql:2: ACCESS EXCLUSIVE on public.orders \\(table rewritten\\)" \
	"the type change: ACCESS EXCLUSIVE on orders, table rewritten, at its FILE:LINE"
like "$OUT" "-- $d/2_change.sql:4: ACCESS EXCLUSIVE on public.customers"$'\n' \
	"ADD COLUMN without a default: ACCESS EXCLUSIVE on customers, not rewritten"
unlike "$OUT" "2_change.sql:3: " "CREATE INDEX on a table already held ACCESS EXCLUSIVE: no weaker lock reported"
unlike "$OUT" "2_change.sql:5: " "a SELECT under a stronger lock: nothing reported"
unlike "$OUT" "on public.fresh" "a table the migration created: nobody waits for it, not reported"
unlike "$OUT" "schema_migrations" "dbctl's own tracking table is not reported"
is "$(q "SELECT relfilenode FROM pg_class WHERE relname = 'orders'")" "$before" "... and the dry run rolled it all back"
is "$(versions)" 1 "... nothing recorded"

# SHARE for a plain CREATE INDEX on its own: blocks writes, not reads
cat <<'SQL' | wr "$tmp/idx/2_index.sql"
-- migrate:up
CREATE INDEX orders_total ON orders (total);
UPDATE orders SET total = total WHERE id = 1;
SQL
cp "$d/1_base.sql" "$tmp/idx/"
expect_exit 0 "--dry-run of CREATE INDEX" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/idx"
like "$OUT" "-- $tmp/idx/2_index.sql:2: SHARE on public.orders"$'\n' "CREATE INDEX: SHARE on orders, not rewritten"
unlike "$OUT" "2_index.sql:3:" "an UPDATE under SHARE takes ROW EXCLUSIVE, which is weaker than SHARE: not reported"

# a lock taken in a later statement that is stronger than the earlier one is reported
cat <<'SQL' | wr "$tmp/grow/2_grow.sql"
-- migrate:up
UPDATE orders SET total = total WHERE id = 1;
VACUUM_PLACEHOLDER
SQL
sed -i 's/VACUUM_PLACEHOLDER/LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE;/' "$tmp/grow/2_grow.sql"
cp "$d/1_base.sql" "$tmp/grow/"
expect_exit 0 "--dry-run: a lock that grows" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/grow"
like "$OUT" "2_grow.sql:2: ROW EXCLUSIVE on public.orders" "the UPDATE: ROW EXCLUSIVE"
like "$OUT" "2_grow.sql:3: SHARE ROW EXCLUSIVE on public.orders" "the LOCK TABLE after it: SHARE ROW EXCLUSIVE"

# --json: one "locks" event per finding
expect_exit 0 "--dry-run --json" -- "${dbctl[@]}" --json migrate up --dry-run -d "$d"
is "$(json_field "[ (e['line'], e['table'], e['mode'], e['rewritten']) for e in d['events'] if e['event'] == 'locks' ]" <<<"$OUT")" \
	"[(2, 'public.orders', 'ACCESS EXCLUSIVE', True), (4, 'public.customers', 'ACCESS EXCLUSIVE', False)]" \
	"--json: the locks events, with line, table, mode and rewritten"
is "$(json_field "[ e['file'] for e in d['events'] if e['event'] == 'locks' ][0]" <<<"$OUT")" "$d/2_change.sql" \
	"--json: ... and the file"

# TRUNCATE gives the table new storage too: said as rewritten
printf -- "-- migrate:up\nTRUNCATE customers;\n" | wr "$tmp/trunc/2_t.sql"
cp "$d/1_base.sql" "$tmp/trunc/"
expect_exit 0 "--dry-run of TRUNCATE" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/trunc"
like "$OUT" "2_t.sql:2: ACCESS EXCLUSIVE on public.customers \\(table rewritten\\)" "TRUNCATE: new storage, said"

# down --dry-run measures the down section too
cat <<'SQL' | wr "$tmp/down/2_drop.sql"
-- migrate:up
ALTER TABLE customers ADD COLUMN gone int;
-- migrate:down
ALTER TABLE customers DROP COLUMN gone;
SQL
cp "$d/1_base.sql" "$tmp/down/"
newdb locks_down
expect_exit 0 "setup: up" -- "${dbctl[@]}" migrate up -d "$tmp/down"
expect_exit 0 "down --dry-run" -- "${dbctl[@]}" migrate down --dry-run -d "$tmp/down"
like "$OUT" "2_drop.sql:4: ACCESS EXCLUSIVE on public.customers" "down --dry-run: the DROP COLUMN's lock"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'gone'")" 1 \
	"... rolled back: the column is still there"

# a quoted, mixed-case table and a schema: named as SQL names them
newdb locks_names
printf -- '-- migrate:up\nCREATE SCHEMA billing;\nCREATE TABLE billing."Invoice" (id int);\n' | wr "$tmp/names/1_a.sql"
printf -- '-- migrate:up\nALTER TABLE billing."Invoice" ADD COLUMN n int DEFAULT random()::int;\n' | wr "$tmp/names/2_b.sql"
expect_exit 0 "setup: migrate to 1" -- "${dbctl[@]}" migrate to 1 -d "$tmp/names"
expect_exit 0 "--dry-run: a volatile default" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/names"
like "$OUT" '2_b.sql:2: ACCESS EXCLUSIVE on billing."Invoice" \(table rewritten\)' \
	"a volatile default rewrites: the quoted name as SQL writes it"

# a line break in a quoted name stays inside the comment line; --json keeps it as it is
newdb locks_newline
printf -- '-- migrate:up\nCREATE TABLE "two\nlines" (id int);\n' | wr "$tmp/nl/1_a.sql"
printf -- '-- migrate:up\nALTER TABLE "two\nlines" ADD COLUMN n int;\n' | wr "$tmp/nl/2_b.sql"
expect_exit 0 "setup: migrate to 1" -- "${dbctl[@]}" migrate to 1 -d "$tmp/nl"
expect_exit 0 "--dry-run on a table whose name holds a line break" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/nl"
like "$OUT" '2_b.sql:2: ACCESS EXCLUSIVE on public."two\\nlines"'$'\n' "... the name on the comment's one line, \\n escaped"
expect_exit 0 "... --json" -- "${dbctl[@]}" --json migrate up --dry-run -d "$tmp/nl"
is "$(json_field "[ e['table'] for e in d['events'] if e['event'] == 'locks' ]" <<<"$OUT")" "['public.\"two\\nlines\"']" \
	"... --json: the name as it is"

# a plain up (no dry run) prints no lock lines and reads no pg_locks
newdb locks_plain
expect_exit 0 "plain up" -- "${dbctl[@]}" migrate up -d "$d"
unlike "$OUT" "ACCESS EXCLUSIVE" "a real up prints no lock report"

# DROP TABLE: the table is gone from the session's catalogue, its ACCESS
# EXCLUSIVE lock is not (everyone reading it waits); a partition's parent too
newdb locks_drop
printf -- '-- migrate:up\nCREATE TABLE gone (id int);\nCREATE TABLE p (id int) PARTITION BY RANGE (id);\nCREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\n' |
	wr "$tmp/drop/1_a.sql"
printf -- '-- migrate:up\nDROP TABLE gone;\nDROP TABLE p1;\n' | wr "$tmp/drop/2_drop.sql"
expect_exit 0 "setup: migrate to 1" -- "${dbctl[@]}" migrate to 1 -d "$tmp/drop"
expect_exit 0 "--dry-run of DROP TABLE" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/drop"
like "$OUT" "2_drop.sql:2: ACCESS EXCLUSIVE on public.gone"$'\n' "DROP TABLE: its ACCESS EXCLUSIVE is reported (not as a rewrite)"
like "$OUT" "2_drop.sql:3: ACCESS EXCLUSIVE on public.p1"$'\n' "dropping a partition: the partition's lock"
like "$OUT" "2_drop.sql:3: ACCESS EXCLUSIVE on public.p"$'\n' "... and its parent's"

# SERIALIZABLE reads take SIReadLock, which blocks nobody: not reported, and
# not in the way of the ACCESS EXCLUSIVE that follows
newdb locks_serializable
sq "ALTER DATABASE $DB SET default_transaction_isolation = serializable" >/dev/null
printf -- '-- migrate:up\nSELECT * FROM orders;\nALTER TABLE orders ADD COLUMN s int;\n' | wr "$tmp/ser/2_s.sql"
cp "$d/1_base.sql" "$tmp/ser/"
expect_exit 0 "setup: migrate to 1 under SERIALIZABLE" -- "${dbctl[@]}" migrate to 1 -d "$tmp/ser"
expect_exit 0 "--dry-run under default_transaction_isolation = serializable" -- \
	"${dbctl[@]}" migrate up --dry-run -d "$tmp/ser"
like "$OUT" "2_s.sql:2: ACCESS SHARE on public.orders"$'\n' "SERIALIZABLE: the SELECT's ACCESS SHARE"
like "$OUT" "2_s.sql:3: ACCESS EXCLUSIVE on public.orders"$'\n' "... and the ALTER's ACCESS EXCLUSIVE, not hidden"
unlike "$OUT" "SIReadLock" "... no predicate lock reported"

# CREATE OR REPLACE VIEW takes ACCESS EXCLUSIVE on the view: its readers queue
newdb locks_view
printf -- '-- migrate:up\nCREATE TABLE items (id int);\nCREATE VIEW items_v AS SELECT id FROM items;\n' |
	wr "$tmp/view/1_v.sql"
printf -- 'CREATE OR REPLACE VIEW items_v AS SELECT id FROM items;\n' | wr "$tmp/view/R__views.sql"
expect_exit 0 "setup: the view exists" -- "${dbctl[@]}" migrate to 1 -d "$tmp/view"
expect_exit 0 "--dry-run of a repeatable CREATE OR REPLACE VIEW" -- "${dbctl[@]}" migrate up --dry-run -d "$tmp/view"
like "$OUT" "R__views.sql:1: ACCESS EXCLUSIVE on public.items_v"$'\n' \
	"CREATE OR REPLACE VIEW: ACCESS EXCLUSIVE on the view is reported"

# --- migrate_lock_timeout ---------------------------------------------------------
newdb lockwait
lw=$tmp/lockwait
printf -- "-- migrate:up\nCREATE TABLE hot (id int);\n" | wr "$lw/1_hot.sql"
expect_exit 0 "setup" -- "${dbctl[@]}" migrate up -d "$lw"
printf -- "-- migrate:up\nSELECT current_setting('lock_timeout') AS t;\nCREATE TABLE seen AS SELECT current_setting('lock_timeout') AS t;\n" |
	wr "$lw/2_seen.sql"
expect_exit 0 "a migration reads its lock_timeout" -- "${dbctl[@]}" migrate up -d "$lw"
is "$(q "SELECT t FROM seen")" 5s "the default migrate_lock_timeout: 5 s inside each migration"
q "DROP TABLE seen; DELETE FROM schema_migrations WHERE version = '2'" >/dev/null
expect_exit 0 "-o migrate_lock_timeout=1234 under --lock=table" -- \
	"${dbctl[@]}" -o migrate_lock_timeout=1234 migrate up --lock=table -d "$lw"
is "$(q "SELECT t FROM seen")" 1234ms "... the setting reaches a migration under the lease too"
q "DROP TABLE seen; DELETE FROM schema_migrations WHERE version = '2'" >/dev/null
expect_exit 0 "migrate_lock_timeout=0 keeps the profile's lock_timeout" -- \
	"${dbctl[@]}" -o migrate_lock_timeout=0 -o lock_timeout=777 migrate up -d "$lw"
is "$(q "SELECT t FROM seen")" 777ms "... 0: the session's own lock_timeout (777 ms) holds"
q "DROP TABLE seen; DELETE FROM schema_migrations WHERE version = '2'" >/dev/null
printf -- "-- migrate:up\nSET LOCAL lock_timeout = '42s';\nCREATE TABLE seen AS SELECT current_setting('lock_timeout') AS t;\n" |
	wr "$lw/2_seen.sql"
expect_exit 0 "a migration's own SET LOCAL lock_timeout" -- "${dbctl[@]}" migrate up --on-drift=warn -d "$lw"
is "$(q "SELECT t FROM seen")" 42s "... wins over the setting"
is "$("$TEST_PG_BINDIR/psql" -X -At -d "$URL" -c "SHOW lock_timeout")" 0 \
	"the setting is SET LOCAL: a new session of the same role is untouched"

# a held lock: the migration fails after the wait, placed, rolled back
printf -- "-- migrate:up\nINSERT INTO hot VALUES (1);\nALTER TABLE hot ADD COLUMN n int;\n" | wr "$lw/3_alter.sql"
"$TEST_PG_BINDIR/psql" -X -q -d "$URL" -c "BEGIN; LOCK TABLE hot IN ACCESS SHARE MODE; SELECT pg_sleep(30)" \
	>/dev/null 2>&1 &
holder=$!
for ((i = 0; i < 100; i++)); do
	[ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'hot' AND l.granted")" -gt 0 ] && break
	sleep 0.05
done
expect_exit 1 "an ALTER behind a held lock, migrate_lock_timeout=300" -- \
	"${dbctl[@]}" -o migrate_lock_timeout=300 migrate up -d "$lw"
like "$ERR" "3_alter.sql:3:1: .*lock timeout" "... fails with the lock timeout at FILE:LINE:COL of the ALTER"
cmp_ok "$MS" -lt 5000 "... after the 300 ms wait, not the 5 s default nor forever"
is "$(q "SELECT count(*) FROM hot")" 0 "... rolled back: the INSERT before it is not applied"
is "$(versions)" 1,2 "... and not recorded"
kill -KILL "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=

# one transaction for all: an earlier migration's own SET LOCAL is not the next one's
newdb lockwait_single
printf -- "-- migrate:up\nSET LOCAL lock_timeout = 0;\nCREATE TABLE seen (v text, t text);\n" | wr "$tmp/single/1_off.sql"
printf -- "-- migrate:up\nINSERT INTO seen SELECT '2', current_setting('lock_timeout');\n" | wr "$tmp/single/2_next.sql"
expect_exit 0 "--single-transaction: the first migration turns lock_timeout off for itself" -- \
	"${dbctl[@]}" migrate up --single-transaction -d "$tmp/single"
is "$(q "SELECT t FROM seen")" 5s "... the next migration in the same transaction still gets migrate_lock_timeout"

done_testing
