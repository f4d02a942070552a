#!/bin/bash
# dbctl run and shell against a throwaway MariaDB: a script commits as a
# whole or not at all, errors point at FILE:LINE:COL, a statement that
# commits implicitly fails the run with the statements after it rolled
# back, and Ctrl-C stops the statement in flight (KILL QUERY) and rolls back.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
cleanup() {
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
U=$TEST_MYSQL_URL
rows() { mariadb_sql "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '-') FROM app.t"; }
mariadb_sql "CREATE TABLE app.t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB"

printf "INSERT INTO t VALUES (1, 'a'); -- one\nINSERT INTO t VALUES (2, 'b;c');\n" >ok.sql
expect_exit 0 "a script runs and commits" -- "$DBCTL" --url "$U" run ok.sql
like "$OUT" "2 statements, 2 rows affected, committed" "... says what it did"
is "$(rows)" "1,2" "... both rows are there"

printf "INSERT INTO t VALUES (3, 'c');\nINSERT INTO t VALUES (1, 'dup');\n" >dup.sql
expect_exit 1 "a duplicate key fails the run" -- "$DBCTL" --url "$U" run dup.sql
like "$ERR" "dup.sql:2:1: ERROR: Duplicate entry '1' .*1062.*\(23000\)" "... at FILE:LINE:COL with errno and SQLSTATE"
is "$(rows)" "1,2" "... and the row before it was rolled back"

printf "INSERT INTO t VALUES (4, 'd');\nSELECT\n  1 +\n  FROM nowhere;\n" >syntax.sql
expect_exit 1 "a syntax error fails the run" -- "$DBCTL" --url "$U" run syntax.sql
like "$ERR" "syntax.sql:4:3: ERROR: You have an error in your SQL syntax.*1064" "... at the line and column of the near-text"
is "$(rows)" "1,2" "... nothing applied"
# F8: placed also when the failing statement is the first of its message
# (a script of one statement, --no-transaction), when a string before it
# holds a newline (the server's line count skips it), and at the end of a
# statement followed by another in the same message
printf "SELECT\n  1 +\n  FROM nowhere;\n" >syntax1.sql
expect_exit 1 "a syntax error in a one-statement script" -- "$DBCTL" --url "$U" run syntax1.sql
like "$ERR" "syntax1.sql:3:3: ERROR: You have an error in your SQL syntax.*near 'FROM nowhere' \(MySQL error 1064\)" \
	"... at the line and column of the near-text, without the server's line"
like "$ERR" "3 \|   FROM nowhere" "... the excerpt shows that line"
printf "SELECT 1;\nSELECT\n  1 +\n  FROM nowhere;\n" >syntax2.sql
expect_exit 1 "a syntax error with --no-transaction" -- "$DBCTL" --url "$U" run --no-transaction syntax2.sql
like "$ERR" "syntax2.sql:4:3: ERROR: You have an error in your SQL syntax.*near 'FROM nowhere'" "... at its line and column"
printf "INSERT INTO t VALUES (4, 'd');\nSELECT 'a\nb',\n  1 +\n  FROM nowhere;\n" >syntax3.sql
expect_exit 1 "a syntax error after a string that holds a newline" -- "$DBCTL" --url "$U" run syntax3.sql
like "$ERR" "syntax3.sql:5:3: ERROR: You have an error in your SQL syntax.*near 'FROM nowhere'" "... at its line and column"
is "$(rows)" "1,2" "... nothing applied"
printf "INSERT INTO t VALUES (4, 'd');\nSELECT 1 +;\nSELECT 2;\n" >syntax4.sql
expect_exit 1 "a syntax error at the end of a statement" -- "$DBCTL" --url "$U" run syntax4.sql
like "$ERR" "syntax4.sql:2:11: ERROR: You have an error in your SQL syntax.*near '' \(MySQL" \
	"... at its end, the next statement not quoted"

printf "INSERT INTO t VALUES (5, 'e');\nCREATE TABLE t2 (id int);\nINSERT INTO t VALUES (6, 'f');\n" >ddl.sql
expect_exit 3 "DDL in a transactional run is refused before connecting" -- "$DBCTL" --url "$U" run ddl.sql
like "$ERR" "ddl.sql:2:1: CREATE TABLE commits implicitly" "... names the statement"
is "$(rows)" "1,2" "... nothing applied"
# The lexer cannot see DDL inside a procedure, and a procedure can commit in
# ways the server's in-transaction flag does not show (COMMIT AND CHAIN, DDL
# then DML): CALL is refused in a transactional run (audit F1, F2).
printf "CREATE PROCEDURE mkt2() BEGIN CREATE TABLE t2 (id int); END;\n" >proc.sql
expect_exit 0 "--no-transaction runs DDL (a procedure)" -- "$DBCTL" --url "$U" run --no-transaction proc.sql
printf "INSERT INTO t VALUES (5, 'e');\nCALL mkt2();\nINSERT INTO t VALUES (6, 'f');\n" >call.sql
expect_exit 3 "a CALL is refused in a transactional run: the procedure may commit" -- "$DBCTL" --url "$U" run call.sql
like "$ERR" "call.sql:2:1: CALL runs a procedure dbctl cannot see: it may commit" "... names the statement"
is "$(rows)" "1,2" "... nothing was sent"
printf "INSERT INTO t VALUES (7, 'g');\nSELECT SLEEP(20);\n" >slow.sql
"$DBCTL" --url "$U" run slow.sql >/dev/null 2>"$tmp/slow.err" &
pid=$!
mariadb_wait_running "SELECT SLEEP(20)"
t0=${EPOCHREALTIME/[.,]/}
kill -INT "$pid"
wait "$pid"
rc=$?
ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
is "$rc" 130 "Ctrl-C during a statement: exit 130"
cmp_ok "$ms" -lt 1500 "... within a moment ($ms ms): KILL QUERY stopped the SLEEP"
like "$(cat "$tmp/slow.err")" "interrupted" "... says interrupted"
is "$(rows)" "1,2" "... and the run was rolled back"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'")" 0 \
	"... and the statement is not running on"

expect_exit 0 "shell: piped SELECT" -- "$DBCTL" --url "$U" shell <<<"SELECT id, v FROM t WHERE id = 2;"
like "$OUT" "2 \| b;c" "... prints the row"
expect_exit 1 "statement_timeout becomes max_statement_time: the statement fails" -- \
	"$DBCTL" --url "$U" -o statement_timeout=300 run --no-transaction - <<<"SELECT SLEEP(3);"
like "$ERR" "max_statement_time exceeded.*1969" "... with 1969, found among the discarded rows"
cmp_ok "$MS" -lt 2000 "... the SLEEP was cut short ($MS ms)"

# The lexer's review (sqlscan_mysql.c): what each case once committed, or
# ran otherwise than checked, in a transactional run. Table app.r, rows3.
rows3() { mariadb_sql "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '-') FROM app.r"; }
mariadb_sql "CREATE TABLE app.r (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB; CREATE TABLE app.rb (id int, begin int) ENGINE=InnoDB"
printf "INSERT INTO r VALUES (42, 'a');\nBEGIN NOT ATOMIC INSERT INTO rb (id, begin) VALUES (1, 2); END;\nCOMMIT;\nSELECT 'tail';\n" >h1.sql
expect_exit 3 "a column named begin opens no block: the COMMIT after it is refused (--dry-run)" -- \
	"$DBCTL" --url "$U" run --dry-run h1.sql
like "$ERR" "h1.sql:3:1: COMMIT is not allowed here" "... at its own line"
is "$(rows3)" "-" "... and nothing was committed"
printf "INSERT INTO r VALUES (45, 'a');\nDELIMITER //\nBEGIN NOT ATOMIC COMMIT; END//\nDELIMITER ;\n" >h2.sql
expect_exit 3 "a COMMIT inside BEGIN NOT ATOMIC is refused" -- "$DBCTL" --url "$U" run h2.sql
like "$ERR" "h2.sql:3:1: COMMIT inside BEGIN NOT ATOMIC is not allowed here" "... named so"
is "$(rows3)" "-" "... nothing was committed"
printf "INSERT INTO r VALUES (43, 'a');\nSET sql_mode = 'NO_BACKSLASH_ESCAPES';\n" >h3a.sql
printf "SELECT 'a\\\\'; COMMIT; SELECT '\\\\';\n" >h3b.sql
expect_exit 3 "SET sql_mode NO_BACKSLASH_ESCAPES in one file is followed in the next" -- \
	"$DBCTL" --url "$U" run h3a.sql h3b.sql
like "$ERR" "h3b.sql:1:14: COMMIT is not allowed here" "... the COMMIT the server would run is found"
is "$(rows3)" "-" "... nothing was committed"
printf "SET sql_mode = 'NO_BACKSLASH_ESCAPES';\nINSERT INTO r VALUES (46, 'a\\\\');\nINSERT INTO r VALUES (47, 'b');\n" >h3c.sql
expect_exit 0 "the run pass reads strings with NO_BACKSLASH_ESCAPES as the check pass did" -- "$DBCTL" --url "$U" run h3c.sql
is "$(mariadb_sql "SELECT GROUP_CONCAT(CONCAT(id, '=', REPLACE(v, CHAR(92), '<backslash>')) ORDER BY id) FROM app.r")" \
	'46=a<backslash>,47=b' "... both rows, a backslash kept"
printf "INSERT INTO r VALUES (48, 'a');\nEXECUTE IMMEDIATE 'COMMIT';\n" >h4.sql
expect_exit 3 "EXECUTE IMMEDIATE is refused in a transactional run" -- "$DBCTL" --url "$U" run h4.sql
like "$ERR" "h4.sql:2:1: EXECUTE IMMEDIATE runs a statement dbctl cannot see.*--no-transaction" "... with the hint"
is "$(rows3)" "46,47" "... nothing more was committed"
expect_exit 0 "... and runs with --no-transaction" -- "$DBCTL" --url "$U" run --no-transaction h4.sql
is "$(rows3)" "46,47,48" "... there"
printf -- "-- +goose Up\n-- +goose StatementBegin\nINSERT INTO r VALUES (49, 'a');\nCOMMIT;\n-- +goose StatementEnd\n" >goose.sql
expect_exit 3 "a COMMIT in a goose StatementBegin block is refused" -- "$DBCTL" --url "$U" run goose.sql
like "$ERR" "goose.sql:3:1: COMMIT in a goose StatementBegin block is not allowed here" "... named so"
printf -- "-- +goose Up\n-- +goose StatementBegin\nINSERT INTO r VALUES (49, 'a');\nCOMMIT;\n" >goose2.sql
expect_exit 3 "an unclosed goose StatementBegin is an error" -- "$DBCTL" --url "$U" run --no-transaction goose2.sql
like "$ERR" "goose2.sql:2:1: -- \+goose StatementBegin without StatementEnd" "... at FILE:LINE:COL"
is "$(rows3)" "46,47,48" "... nothing was sent"
printf -- "--This is a comment, as the client has it\nINSERT INTO r VALUES (50, 'a');\n" >dash.sql
expect_exit 0 "--x that starts a statement is a comment" -- "$DBCTL" --url "$U" run dash.sql
is "$(rows3)" "46,47,48,50" "... the statement after it ran"

# The session may start with NO_BACKSLASH_ESCAPES (the server's default sql_mode):
# no SET shows it, so the run pass reads it from the server before the first file
mariadb_sql "SET GLOBAL sql_mode = CONCAT(@@global.sql_mode, ',NO_BACKSLASH_ESCAPES')"
printf "INSERT INTO r VALUES (51, 'a');\nSELECT 'a\\\\'; COMMIT; SELECT '\\\\';\n" >h3d.sql
expect_exit 3 "a server whose sql_mode has NO_BACKSLASH_ESCAPES: the COMMIT it would run is refused" -- \
	"$DBCTL" --url "$U" run h3d.sql
like "$ERR" "h3d.sql:2:14: COMMIT is not allowed here" "... found by the run pass, before it is sent"
# C1: the check pass too reads the script as the server will, in every run
# mode: with backslash escapes off, 'it\'s' ends at the backslash and the
# rest is an open string; 'a\' ends early and SET NAMES gbk after it is a
# statement. Both refused before anything is sent.
printf "INSERT INTO r VALUES (53, 'a');\nSELECT 'it\\\\'s';\n" >nbe1.sql
printf "INSERT INTO r VALUES (54, 'a');\nSELECT 'a\\\\'; SET NAMES gbk; SELECT '\\\\';\nINSERT INTO r VALUES (55, 'b');\n" >nbe2.sql
for mode in "" --no-transaction --dry-run; do
	# shellcheck disable=SC2086 # the mode's words
	expect_exit 3 "NO_BACKSLASH_ESCAPES from the server: an open string is found by the check (run $mode)" -- \
		"$DBCTL" --url "$U" run $mode nbe1.sql
	like "$ERR" "nbe1.sql:2:14: unterminated quoted string" "... at FILE:LINE:COL"
	like "$ERR" "hint: .*sql_mode \(.*NO_BACKSLASH_ESCAPES.*\) has NO_BACKSLASH_ESCAPES.*nothing was sent" "... saying why"
	# shellcheck disable=SC2086
	expect_exit 3 "... and a SET NAMES gbk the server would run is refused (run $mode)" -- \
		"$DBCTL" --url "$U" run $mode nbe2.sql
	like "$ERR" "nbe2.sql:2:14: SET to character set gbk is refused" "... at FILE:LINE:COL"
done
is "$(rows3)" "46,47,48,50" "... nothing was sent"
printf "INSERT INTO r VALUES (56, 'a\\\\');\nSELECT 'x\\\\'; INSERT INTO r VALUES (57, 'b'); SELECT '\\\\';\n" >nbe3.sql
expect_exit 0 "... a script that splits the same in both passes runs (--no-transaction)" -- \
	"$DBCTL" --url "$U" run --no-transaction nbe3.sql
like "$OUT" "4 statements" "... as four statements"
is "$(rows3)" "46,47,48,50,56,57" "... both rows there"
mariadb_sql "DELETE FROM app.r WHERE id IN (56, 57)"
mariadb_sql "SET GLOBAL sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@global.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))"
is "$(rows3)" "46,47,48,50" "... nothing was committed"
# ... where the server's mode is the default, or no server answers, the first check's error stands
for url in "$U" "mysql://app@127.0.0.1:1/app"; do
	expect_exit 3 "an error after a backslash with backslash escapes on: exit 3 (${url%%@*})" -- \
		"$DBCTL" --url "$url" -o connect_timeout=1 run --no-transaction nbe3.sql
	like "$ERR" "nbe3.sql:2:53: unterminated quoted string" "... the check's error"
done
is "$(rows3)" "46,47,48,50" "... nothing was sent"

printf "INSERT INTO r VALUES (52, 'a');\nSET sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');\n" >h3e.sql
expect_exit 3 "after SET sql_mode = an expression, a backslash in the next file is refused" -- \
	"$DBCTL" --url "$U" run h3e.sql h3b.sql
like "$ERR" "h3b.sql:1:10: a backslash in a string after SET sql_mode to a value dbctl cannot read" "... where it is"
is "$(rows3)" "46,47,48,50" "... nothing was sent"

# F25: on a gbk (big5, sjis, ...) connection 0xac 0x5c is one character, so a
# quote the lexer saw escaped closes the string and what follows runs
mariadb_sql "CREATE TABLE app.keep (id int) ENGINE=MyISAM"
printf "SET NAMES gbk;\nINSERT INTO r VALUES (60, :'v');\n" >gbk.sql
expect_exit 3 "SET NAMES gbk is refused before anything is sent" -- \
	"$DBCTL" --url "$U" run -v "v=€'); DROP TABLE keep; -- " gbk.sql
like "$ERR" "gbk.sql:1:1: SET to character set gbk is refused: .*backslash" "... at FILE:LINE:COL, saying why"
printf "INSERT INTO r VALUES (61, '€\\\\'); DROP TABLE keep; -- ');\n" >gbk3.sql
expect_exit 3 "?charset=gbk is refused" -- "$DBCTL" --url "$U?charset=gbk" run --dry-run gbk3.sql
like "$ERR" "charset=gbk is refused" "... naming the parameter"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'app' AND table_name = 'keep'")" \
	"1" "... the table is still there"
is "$(rows3)" "46,47,48,50" "... nothing was sent"

# C2: a computed value is no name the guard can judge: SET character_set_client
# = @x could be gbk at run time. Refused in every run mode, nothing sent.
printf "INSERT INTO r VALUES (65, 'a');\nSET @cs = 'gbk';\n  SET character_set_client = @cs;\nINSERT INTO r VALUES (66, '\\\\'); DROP TABLE keep; -- ');\n" >cs1.sql
for mode in "" --no-transaction --dry-run; do
	# shellcheck disable=SC2086 # the mode's words
	expect_exit 3 "SET character_set_client = @x is refused (run $mode)" -- "$DBCTL" --url "$U" run $mode cs1.sql
	like "$ERR" "cs1.sql:3:3: SET of the connection's character set to a computed value is refused" \
		"... at FILE:LINE:COL, saying why"
done
is "$(rows3)" "46,47,48,50" "... nothing was sent"
for stmt in "SET @@character_set_client = (SELECT CONCAT('gb', 'k'))" "SET character_set_connection=@v" \
	"SET SESSION character_set_results = @@character_set_server" "SET NAMES _latin1'gbk'" \
	"SET character_set_client = X'67626b'" "SET CHARACTER SET DEFAULT" "SET CHARSET @x" \
	"SET @a = 1, @@session.character_set_client := @a" "SET STATEMENT character_set_client = @x FOR SELECT 1" \
	"/*!40101 SET character_set_client = @x */" "BEGIN NOT ATOMIC SET character_set_client = @x; END"; do
	printf "INSERT INTO r VALUES (67, 'a');\n%s;\n" "$stmt" >cs2.sql
	expect_exit 3 "$stmt: refused" -- "$DBCTL" --url "$U" run --no-transaction cs2.sql
	like "$ERR" "cs2.sql:2:1: SET of the connection's character set to a computed value is refused" "... at FILE:LINE:COL"
done
is "$(rows3)" "46,47,48,50" "... nothing was sent"
printf "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_bin';\nSET @@session.character_set_client := utf8mb4, @cs = 'x';\nSET character_set_results = NULL;\nINSERT INTO r VALUES (68, 'a');\n" >cs3.sql
expect_exit 0 "plain names still run" -- "$DBCTL" --url "$U" run --no-transaction cs3.sql
is "$(rows3)" "46,47,48,50,68" "... and ran"
mariadb_sql "DELETE FROM app.r WHERE id = 68"
# the SET of UPDATE and INSERT assigns columns, which may be called names or charset
mariadb_sql "CREATE TABLE app.people (id int PRIMARY KEY, names text, charset text, character_set_name text) ENGINE=InnoDB"
printf "INSERT INTO people SET id = 2, names = 'x, y';\nUPDATE people SET names = 'Ann, Bob', charset = CONCAT('lat', 'in1') WHERE id = 2;\nUPDATE people SET character_set_name = @cs;\n" >cs4.sql
expect_exit 0 "UPDATE/INSERT ... SET names = ..., charset = ... are not SET statements: they run" -- \
	"$DBCTL" --url "$U" run cs4.sql
is "$(mariadb_sql "SELECT CONCAT(names, '/', charset) FROM app.people")" "Ann, Bob/latin1" "... and ran"

# F1/F2: a procedure can commit (COMMIT AND CHAIN, DDL, SET autocommit = 1)
# in ways the check after the batch cannot see: CALL is refused
mariadb_client -e "CREATE PROCEDURE app.p() COMMIT"
printf "INSERT INTO r VALUES (62, 'a');\nCALL p();\nINSERT INTO r VALUES (63, 'b');\n" >call2.sql
expect_exit 3 "CALL is refused in a transactional run" -- "$DBCTL" --url "$U" run --dry-run call2.sql
like "$ERR" "call2.sql:2:1: CALL runs a procedure dbctl cannot see: it may commit.*--no-transaction" "... with the hint"
is "$(rows3)" "46,47,48,50" "... nothing was sent"
expect_exit 0 "... and runs with --no-transaction" -- "$DBCTL" --url "$U" run --no-transaction call2.sql
is "$(rows3)" "46,47,48,50,62,63" "... there"

# F3: MariaDB skips /*!99999 ... */ and /*!50700 ... */: read as code, the
# comment would hide the DDL after it
printf "INSERT INTO r VALUES (64, 'a');\n/*!99999 SELECT 1 */ CREATE TABLE gated (a int);\n" >gated.sql
expect_exit 3 "a version comment the server may skip is refused in a transactional run" -- \
	"$DBCTL" --url "$U" run --dry-run gated.sql
like "$ERR" "gated.sql:2:1: the server runs or skips the /\*!99999\.\.\. comment by its version" "... saying why"
is "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'app' AND table_name = 'gated'")" \
	"0" "... the table was not created"
printf "INSERT INTO r VALUES (65, 'a');\nSELECT 1 /*! abc;\n" >open.sql
expect_exit 3 "a ';' inside an open /*! comment is an error" -- "$DBCTL" --url "$U" run --no-transaction open.sql
like "$ERR" "open.sql:2:10: unterminated /\*! comment" "... at FILE:LINE:COL"
is "$(rows3)" "46,47,48,50,62,63" "... nothing was sent"

# F23: the error excerpt (stderr, CI logs) does not show the password
printf "CREATE USER 'q1'@'%%' IDENTIFIED BY 'RunSecret1';\n" >cu.sql
expect_exit 1 "CREATE USER without the privilege fails" -- "$DBCTL" --url "$U" run --no-transaction cu.sql
like "$ERR" "1 \| CREATE USER 'q1'@'%' IDENTIFIED BY '\*\*\*\*\*\*\*\*\*\*'" "... the excerpt masks the password"
unlike "$ERR$OUT" "RunSecret1" "... which appears nowhere"
# F24c: nor in run --list, nor in the server's near '...'
expect_exit 0 "run --list" -- "$DBCTL" --url "$U" run --list cu.sql
like "$OUT" "CREATE USER 'q1'@'%' IDENTIFIED BY '\*\*\*\*\*\*\*\*\*\*'" "... masks the password"
unlike "$OUT$ERR" "RunSecret1" "... which appears nowhere"
expect_exit 0 "run --list --json" -- "$DBCTL" --url "$U" --json run --list cu.sql
unlike "$OUT$ERR" "RunSecret1" "... masks it too"
printf "CREATE USER 'q2'@'%%' IDENTIFIED BYY 'NearSecret1';\n" >near.sql
expect_exit 1 "a syntax error just before a password" -- "$DBCTL" --url "$U" run --no-transaction near.sql
like "$ERR" "near 'BYY '\*\*\*\*\*\*\*\*\*\*\*'' \(MySQL error 1064\)" "... the server's near-text is masked"
unlike "$ERR$OUT" "NearSecret1" "... the password appears nowhere"

done_testing
