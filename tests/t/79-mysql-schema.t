#!/bin/bash
# dbctl migrate --dump-schema and migrate load on MariaDB (issue 12 item 3):
# mariadb-dump --no-data with the connection's settings, no option files and
# the password in its environment only; the file loads into an empty
# database (statement by statement: DDL commits implicitly there).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"
command -v mariadb-dump >/dev/null || command -v mysqldump >/dev/null || skip_all "no mariadb-dump"

tmp=$(mktemp -d)
cleanup() {
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
for db in schema_a schema_b; do
	mariadb_sql "CREATE DATABASE $db; GRANT ALL ON $db.* TO 'app'@'%', 'app'@'localhost'"
done
A=${TEST_MYSQL_URL%/app}/schema_a
B=${TEST_MYSQL_URL%/app}/schema_b

mkdir m
printf -- "-- migrate:up\nCREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40)) ENGINE=InnoDB;\n-- migrate:down\nDROP TABLE users;\n" >m/1_users.sql
printf -- "-- migrate:up\nCREATE VIEW user_names AS SELECT name FROM users;\n-- migrate:down\nDROP VIEW user_names;\n" >m/2_view.sql
expect_exit 0 "MariaDB: up --dump-schema" -- "$DBCTL" --url "$A" migrate up -d m --dump-schema s.sql
like "$OUT" "wrote s.sql" "... wrote it"
s=$(cat s.sql)
like "$s" "CREATE TABLE \`users\`" "the table is in it"
like "$s" "user_names" "... and the view"
unlike "$s" "AUTO_INCREMENT=[0-9]" "no AUTO_INCREMENT counter (that is data)"
unlike "$s" "@saved_cs_client" "no character-set juggling"
like "$s" "INSERT INTO \`schema_migrations\` .*\\('1', 'users'" "the tracking rows"
grep -qF "$TEST_MYSQL_APP_PASSWORD" s.sql
isnt "$?" 0 "no password in it"
mariadb_sql "USE schema_a; INSERT INTO users (name) VALUES ('a'), ('b')"
"$DBCTL" -q --url "$A" migrate up -d m --dump-schema s2.sql >/dev/null 2>&1
cmp -s s.sql s2.sql
is "$?" 0 "rows added since: the same file"
expect_exit 0 "migrate load into an empty database" -- "$DBCTL" --url "$B" migrate load s.sql -d m
expect_exit 0 "... which is up to date" -- "$DBCTL" --url "$B" migrate status -d m
like "$OUT" "2 applied, 0 pending" "... 2 applied"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'schema_b'" | tail -1)" 1 \
	"... with the view"

done_testing
