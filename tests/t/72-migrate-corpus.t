#!/bin/bash
# dbctl migrate on real migration sets written by others (../shared/corpus):
# harbor's 39 golang-migrate files (0030 alters schema_migrations itself) and
# hatchet's 224 goose files (NO TRANSACTION, CONCURRENTLY, plpgsql), applied
# from scratch as they are, then reverted and applied again where the files
# have down sections.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/migrate.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"
corpus=${DBCTL_CORPUS:-${TEST_SRCDIR:-$(dirname "$0")/../..}/../shared/corpus}
harbor=$corpus/migrations-harbor-golang-migrate/migrations
hatchet=$corpus/migrations-hatchet-goose/migrations
{ [ -d "$harbor" ] && [ -d "$hatchet" ]; } || skip_all "no migration corpus at $corpus (set DBCTL_CORPUS)"

tmp=$(mktemp -d "$TEST_TMP/migrate-corpus.XXXXXX")
cd "$tmp" || exit 1
trap 'mig_cleanup; rm -rf "$tmp"' EXIT
schema() { "$TEST_PG_BINDIR/pg_dump" --schema-only --no-owner -d "$URL" | grep -v '^\\\(un\)\?restrict '; }

# --- harbor: golang-migrate, up files only ----------------------------------------------------
newdb harbor
expect_exit 4 "harbor: 39 pending" -- "${dbctl[@]}" --json migrate status -d "$harbor"
is "$(json_field 'd["counts"]["pending"], d["migrations"][0]["version"], d["migrations"][-1]["version"]' <<<"$OUT")" "(39, '1', '190')" \
	"... versions 1 to 190"
expect_exit 0 "harbor: up from scratch" -- "${dbctl[@]}" -q migrate up -d "$harbor"
note "harbor: $MS ms"
is "$(q 'select count(*) from schema_migrations where failed_statement is null and length(checksum) = 64')" 39 "... 39 recorded"
is "$(exists harbor_user)|$(exists artifact)|$(q "select count(*) from information_schema.columns where table_name = 'schema_migrations' and column_name = 'data_version'")" \
	"t|t|0" "... the schema is there (0030 added a column to schema_migrations, 0040 dropped it)"
expect_exit 0 "harbor: status up to date" -- "${dbctl[@]}" migrate status -d "$harbor"
like "$OUT" "39 applied, 0 pending$" "... 39 applied"
expect_exit 0 "harbor: up again is nothing to do" -- "${dbctl[@]}" migrate up -d "$harbor"
expect_exit 3 "harbor: down (no .down.sql files) is exit 3" -- "${dbctl[@]}" migrate down -d "$harbor"
like "$ERR" "0190_2\.16\.0_schema\.up\.sql: migration 190 has no down section" "... names the file"

# --- hatchet: goose ----------------------------------------------------------------------------
# 9 versions are Go code and absent; 20260424205453_v1_0_100.sql needs a table
# that v1_0_99.go creates, so the set applies up to the version before it.
before_100=$(find "$hatchet" -name '*.sql' -printf '%f\n' | sort | awk '$0 < "20260424205453_" { v = $0 } END { print substr(v, 1, 14) }')
is "$before_100" 20260421184231 "hatchet: the version before 20260424205453 is 20260421184231"
newdb hatchet
expect_exit 4 "hatchet: 224 pending" -- "${dbctl[@]}" --json migrate status -d "$hatchet"
is "$(json_field 'd["counts"]["pending"]' <<<"$OUT")" 224 "... 224"
expect_exit 0 "hatchet: migrate to $before_100 from scratch" -- "${dbctl[@]}" -q migrate to "$before_100" -d "$hatchet"
note "hatchet: $MS ms"
is "$(q 'select count(*) from schema_migrations where failed_statement is null')" 181 "... 181 applied"
is "$(q "select count(*) from pg_index where not indisvalid")" 0 "... every CONCURRENTLY index is valid"
expect_exit 4 "hatchet: status reports the rest pending" -- "${dbctl[@]}" --json migrate status -d "$hatchet"
is "$(json_field 'd["counts"]["applied"], d["counts"]["pending"], d["counts"]["out_of_order"], d["migrations"][181]["version"]' <<<"$OUT")" \
	"(181, 43, 0, '20260424205453')" "... 181 applied, 43 pending, starting at 20260424205453"
# up goes on, stops at the migration that needs the Go one, keeps the rest
expect_exit 1 "hatchet: up stops at 20260424205453 (its Go predecessor is missing)" -- "${dbctl[@]}" migrate up -d "$hatchet"
like "$ERR" "20260424205453_v1_0_100\.sql:[0-9]+:[0-9]+: ERROR: " "... FILE:LINE:COL of the failing statement"
is "$(q 'select count(*) from schema_migrations')" 181 "... the 181 stay, nothing of it is recorded"
# to 0 needs a down section in every applied file: 88 have none
expect_exit 3 "hatchet: to 0 is refused" -- "${dbctl[@]}" migrate to 0 -d "$hatchet"
like "$ERR" "20250417143656_v1_0_14\.sql: migration 20250417143656 has no down section" \
	"... names the newest applied file without a down section"
is "$(q 'select count(*) from schema_migrations')" 181 "... before reverting anything"
# from v1_0_15 to the top every file has a down section; the chain of those
# down sections is broken upstream at v1_0_90 (v1_0_91's down does not restore
# the table v1_0_90's down drops), so down and up again runs from the top to
# v1_0_91, and a down through v1_0_90 stops there with nothing dirty
top_schema=$(schema)
expect_exit 0 "hatchet: to 20260323184100 (down 6)" -- "${dbctl[@]}" -q migrate to 20260323184100 -d "$hatchet"
is "$(q 'select count(*) from schema_migrations')" 175 "... 175 left"
expect_exit 0 "hatchet: up to $before_100 again" -- "${dbctl[@]}" -q migrate to "$before_100" -d "$hatchet"
is "$(q 'select count(*) from schema_migrations')" 181 "... 181 again"
[ "$(schema)" = "$top_schema" ]
ok $? "... the schema is what it was (pg_dump --schema-only)"
expect_exit 1 "hatchet: down to v1_0_14 stops at v1_0_90's down section" -- "${dbctl[@]}" -q migrate to 20250417143656 -d "$hatchet"
like "$ERR" "20260316185928_v1_0_90\.sql:52:1: ERROR: table \"v1_otel_trace_lookup_table\" does not exist" "... FILE:LINE:COL"
is "$(q 'select count(*) from schema_migrations')|$(q "select count(*) from schema_migrations where version = '20260316185928'")" "174|1" \
	"... the 7 above it are reverted, it stays applied"
expect_exit 0 "hatchet: and up again" -- "${dbctl[@]}" -q migrate to "$before_100" -d "$hatchet"
[ "$(schema)" = "$top_schema" ]
ok $? "... the schema is what it was"
expect_exit 4 "hatchet: status" -- "${dbctl[@]}" migrate status -d "$hatchet"
like "$OUT" "181 applied, 43 pending$" "... 181 applied, 43 pending"

done_testing
