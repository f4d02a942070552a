#!/bin/bash
# The MySQL corpus files load with `dbctl run --no-transaction` exactly as
# the mariadb client loads them, and run's batches respect the server's
# max_allowed_packet, against a throwaway MariaDB with the general log on.
#
# "Exactly as the client" is checked on what the server received: the
# Query and Init DB entries of the general log (log_output=TABLE) of the
# one connection that loaded the file, the client's and dbctl's, compared
# after this normalisation and nothing else:
#   - client: its USE arrives as SELECT DATABASE() then COM_INIT_DB (an
#     "Init DB x" entry): the pair is the file's `USE x`;
#   - dbctl: its own statements are left out, exactly these texts: the
#     connect-time init command SET SESSION session_track_transaction_info=
#     'STATE', and SELECT @@SESSION.max_allowed_packet, @@SESSION.sql_mode
#     (read once, at the start of a run, to bound the batches and to know
#     whether a backslash escapes in a string); a
#     message holding several statements (a batch, joined by "\n;") is
#     split there;
#   - both: outside quotes, comments other than the executable /*! */ and
#     /*M! */ are removed, runs of blanks become one space, the ends are
#     trimmed, and `USE \`x\`` is written `USE x`. Why: the mariadb client
#     strips comments (its default --skip-comments), inside routine bodies
#     too, and turns USE into COM_INIT_DB with the bare name; dbctl sends
#     each statement as the file writes it. Quoted text is compared byte for
#     byte. On this corpus that covers 3 sakila routine bodies with `#`
#     comments and chinook's USE `Chinook`: the test prints the count of
#     raw differences.
# The resulting databases are compared too: tables, columns, views,
# routines and triggers (bodies normalised as above, since the stored body
# is the text received), and per table its row count and CHECKSUM TABLE.
# The files name their database (sakila, Chinook), so the client's load and
# dbctl's run one after the other, each from the same starting state.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"
corpus=${DBCTL_CORPUS:-${TEST_SRCDIR:-$(dirname "$0")/../..}/../shared/corpus}

tmp=$(mktemp -d)
cleanup() {
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
ROOT=${TEST_MYSQL_SUPER_URL%/mysql}
mariadb_general_log_on || skip_all "could not turn the general log on"

# compare.pl MODE: the comparison's normalisation (see the top).
#   log client|dbctl   mariadb_general_log lines -> one statement a line
#   raw client|dbctl   the same without the normalisation of text
#   field              TSV (mariadb -B) -> its last field normalised
#   lengths            mariadb_general_log lines -> COMMAND LENGTH, unescaped
# Input escaped as mariadb -B does (\\ \n \t \0); statements are written
# with \\ and \n escaped. Exits 2 unless the log holds exactly one connection.
cat >compare.pl <<'PERL'
use strict;
use warnings;
my ($mode, $side) = @ARGV;
my %own = map { $_ => 1 } ("SET SESSION session_track_transaction_info='STATE'",
	'SELECT @@SESSION.max_allowed_packet, @@SESSION.sql_mode');
my %unescaped = (n => "\n", t => "\t", 0 => "\0");
sub unescape { my $s = shift; $s =~ s{\\(.)}{$unescaped{$1} // $1}ge; return $s }
sub escape { my $s = shift; $s =~ s/\\/\\\\/g; $s =~ s/\n/\\n/g; return $s }
sub normalise {
	my ($s) = @_;
	return $s if $mode eq 'raw';
	my ($out, $blank) = ('', 0);
	while (length $s) {
		if ($s =~ s/^\s+//) { $blank = 1; next }
		# "-- " needs a blank or the end after it, as the server reads it
		if ($s =~ s/^(?:#[^\n]*|--(?=[ \t\n]|$)[^\n]*)//) { $blank = 1; next }
		if ($s =~ s{^/\*(?!!|M!).*?\*/}{}s) { $blank = 1; next }
		my $token;
		if ($s =~ s/^('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`)//s) {
			$token = $1;
		} else {
			$s =~ s/^([^\s'"`#\/-]+|.)//s;
			$token = $1;
		}
		$out .= ' ' if $blank && length $out;
		$blank = 0;
		$out .= $token;
	}
	$out =~ s/^(USE) `((?:[^`]|``)*)`$/$1 $2/i;
	return $out;
}
if ($mode eq 'field') {
	while (<STDIN>) {
		chomp;
		my @f = split /\t/, $_, -1;
		$f[-1] = escape(normalise(unescape($f[-1])));
		print join("\t", @f), "\n";
	}
	exit 0;
}
my (@entries, %threads);
while (<STDIN>) {
	chomp;
	my ($thread, $command, $arg) = split /\t/, $_, 3;
	$threads{$thread} = 1;
	push @entries, [$command, unescape($arg // '')];
}
if ($mode eq 'lengths') {
	print "$_->[0]\t", length($_->[1]), "\n" for @entries;
	exit 0;
}
if (keys %threads != 1) {
	print STDERR "compare.pl: ", scalar(keys %threads), " connections in the log, not one\n";
	exit 2;
}
for my $i (0 .. $#entries) {
	my ($command, $arg) = @{$entries[$i]};
	if ($command eq 'Init DB') {
		print "USE $arg\n";
	} elsif ($command ne 'Query') {
		next;
	} elsif ($side eq 'client') {
		next if $arg eq 'SELECT DATABASE()' && $i < $#entries && $entries[$i + 1][0] eq 'Init DB';
		print escape(normalise($arg)), "\n";
	} elsif (!$own{$arg}) {
		print escape(normalise($_)), "\n" for split /\n;/, $arg;
	}
}
PERL

# snapshot DB: what a load left in DB, one fact a line.
snapshot() {
	local db=$1 tables
	mariadb_sql "SELECT 'table', TABLE_NAME, TABLE_TYPE, COALESCE(ENGINE, '') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = '$db' ORDER BY TABLE_NAME"
	mariadb_sql "SELECT 'column', TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, '-'),
		EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$db' ORDER BY TABLE_NAME, ORDINAL_POSITION"
	{
		mariadb_sql "SELECT 'view', TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS
			WHERE TABLE_SCHEMA = '$db' ORDER BY TABLE_NAME"
		mariadb_sql "SELECT 'routine', ROUTINE_TYPE, ROUTINE_NAME, ROUTINE_DEFINITION
			FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$db' ORDER BY ROUTINE_TYPE, ROUTINE_NAME"
		mariadb_sql "SELECT 'trigger', TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_STATEMENT
			FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$db' ORDER BY TRIGGER_NAME"
	} | perl compare.pl field
	tables=$(mariadb_sql "SELECT CONCAT('SELECT ''rows'', ''', TABLE_NAME, ''', COUNT(*) FROM \`$db\`.\`', TABLE_NAME,
		'\`; CHECKSUM TABLE \`$db\`.\`', TABLE_NAME, '\`;') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = '$db' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
	[ -z "$tables" ] || mariadb_sql <<<"$tables"
}

# compare_load NAME FILE DB STATEMENTS RESET [SCHEMA [ERROR]]: loads FILE
# with the client and with dbctl (database DB selected, else none and the
# file makes SCHEMA), each after RESET (a function), and checks that both
# exit alike, fail at the same line (with the client's errno, or dbctl's
# ERROR), sent the same STATEMENTS statements, and left the same database.
compare_load() {
	local name=$1 file=$2 db=$3 count=$4 reset=$5 crc cline errno raw want
	$reset
	mariadb_general_log_clear
	mariadb_client ${db:+"$db"} <"$file" >/dev/null 2>"$name.client.err"
	crc=$?
	mariadb_general_log >"$name.client.log"
	snapshot "${db:-$6}" >"$name.client.db"
	$reset
	mariadb_general_log_clear
	expect_exit "$crc" "$name: dbctl run --no-transaction exits $crc, as the client does" -- \
		"$DBCTL" --url "$ROOT/${db:-mysql}" run --no-transaction "$file"
	mariadb_general_log >"$name.dbctl.log"
	snapshot "${db:-$6}" >"$name.dbctl.db"
	if [ "$crc" -ne 0 ]; then
		# the client: "ERROR 1832 (HY000) at line 12: ..."
		cline=$(sed -n 's/^ERROR \([0-9]*\) ([0-9A-Z]*) at line \([0-9]*\):.*/\2/p' "$name.client.err")
		errno=$(sed -n 's/^ERROR \([0-9]*\) .*/\1/p' "$name.client.err")
		want=${7:-.*\(MySQL error $errno\)}
		like "$ERR" "^dbctl: $file:$cline:1: ERROR: $want" \
			"$name: dbctl stops at line $cline, as the client does (its error $errno)"
	fi
	perl compare.pl log client <"$name.client.log" >"$name.client.sent" &&
		perl compare.pl log dbctl <"$name.dbctl.log" >"$name.dbctl.sent"
	is "$(wc -l <"$name.dbctl.sent")" "$count" "$name: the server received $count statements from dbctl"
	if cmp -s "$name.client.sent" "$name.dbctl.sent"; then
		pass "$name: ... the client's statements, in the same order"
	else
		fail "$name: ... the client's statements, in the same order"
		diff "$name.client.sent" "$name.dbctl.sent" | cut -c1-300 | head -20 | sed 's/^/# /' >&2
	fi
	raw=$(diff <(perl compare.pl raw client <"$name.client.log") <(perl compare.pl raw dbctl <"$name.dbctl.log") |
		grep -c '^>')
	note "$name: $raw statement(s) differ before the normalisation (comments, USE quoting)"
	if cmp -s "$name.client.db" "$name.dbctl.db"; then
		pass "$name: the same tables, columns, views, routines, triggers, row counts and checksums"
	else
		fail "$name: the same tables, columns, views, routines, triggers, row counts and checksums"
		diff "$name.client.db" "$name.dbctl.db" | cut -c1-300 | head -20 | sed 's/^/# /' >&2
	fi
}

sakila=$corpus/sakila/mysql-sakila-db
chinook=$corpus/chinook/Chinook_MySql.sql
no_sakila() { mariadb_sql "DROP DATABASE IF EXISTS sakila"; }
fresh_sakila() { no_sakila && mariadb_client <"$sakila/mysql-sakila-schema.sql"; }
no_chinook() { mariadb_sql "DROP DATABASE IF EXISTS Chinook"; }
if [ -f "$sakila/mysql-sakila-schema.sql" ] && [ -f "$chinook" ]; then
	compare_load sakila-schema "$sakila/mysql-sakila-schema.sql" "" 41 no_sakila sakila
	like "$(grep -c '^table' sakila-schema.dbctl.db)/$(grep -c '^routine' sakila-schema.dbctl.db)/$(grep -c \
		'^trigger' sakila-schema.dbctl.db)" "^23/6/3$" "... 16 tables and 7 views, 6 routines, 3 triggers"
	# fails on MariaDB 10.11 at line 12 (1832), half applied: the client's case too
	compare_load sakila-delete-data "$sakila/mysql-sakila-delete-data.sql" sakila 11 fresh_sakila
	compare_load sakila-drop-objects "$sakila/mysql-sakila-drop-objects.sql" sakila 29 fresh_sakila
	compare_load chinook "$chinook" "" 60 no_chinook Chinook
	like "$(grep -c '^table' chinook.dbctl.db)/$(grep -P '^rows\tTrack\t' chinook.dbctl.db)" $'^11/rows\tTrack\t3503$' \
		"... 11 tables, 3503 tracks"

	# In a transaction, DDL is refused before anything is sent.
	for f in "$chinook:19:1: DROP DATABASE" "$sakila/mysql-sakila-schema.sql:21:1: DROP SCHEMA"; do
		file=${f%%:*}
		mariadb_general_log_clear
		expect_exit 3 "${file##*/} without --no-transaction is refused" -- "$DBCTL" --url "$ROOT/mysql" run "$file"
		like "$ERR" "^dbctl: ${f//./\\.} commits implicitly.*--no-transaction" "... at the first DDL, with the hint"
		is "$(mariadb_general_log)" "" "... before connecting: the server saw nothing"
	done
else
	skip "no MySQL corpus at $corpus (the sakila and chinook files)" 25
fi

# ---- batches and max_allowed_packet ----
# It applies to connections made after the SET; the test's dbctl runs all are.
mariadb_sql "SET GLOBAL max_allowed_packet = 65536"
mariadb_sql "CREATE TABLE app.big (id int PRIMARY KEY, v varchar(200)) ENGINE=InnoDB"
count() { mariadb_sql "SELECT COUNT(*) FROM app.big"; }
# rows N [LINE:TEXT...]: N INSERTs, one a line, except the replaced ones
rows() {
	perl -e 'my ($n, %replace) = (shift, map { split /:/, $_, 2 } @ARGV);
		printf("%s\n", $replace{$_} // sprintf("INSERT INTO big VALUES (%d, \x27%090d\x27);", $_, $_)) for 1 .. $n' "$@"
}
rows 5000 >big.sql
size=$(wc -c <big.sql)
cmp_ok "$size" -gt $((9 * 65536)) "the generated file is $size bytes, over 9 x max_allowed_packet (64 KiB)"
mariadb_general_log_clear
expect_exit 0 "it loads in one transaction" -- "$DBCTL" --url "$TEST_MYSQL_URL" run big.sql
mariadb_general_log >big.log
like "$OUT" "^5000 statements, 5000 rows affected, committed" "... all 5000 statements"
is "$(count)" 5000 "... all 5000 rows are there"
longest=$(perl compare.pl lengths <big.log | sort -k2,2n | tail -n 1 | cut -f2)
messages=$(grep -c $'\tQuery\tINSERT' big.log)
cmp_ok "$longest" -le 65534 "... in messages the server takes (longest $longest bytes; the limit is 65534)"
cmp_ok "$longest" -gt 60000 "... filled close to it"
cmp_ok "$messages" -lt 20 "... $messages messages for 5000 statements: batched"
perl compare.pl log dbctl <big.log | grep '^INSERT' >big.sent
sed 's/;$//' big.sql >big.want
if cmp -s big.want big.sent; then pass "... every statement exactly once, in order"; else fail "... every statement exactly once, in order"; fi

# An error in the middle of a batch names its own line.
mariadb_sql "TRUNCATE app.big"
rows 5000 "3700:INSERT INTO big VALUES (1, 'dup');" >dup.sql
expect_exit 1 "a duplicate at statement 3700 (mid-message, in the 2nd batch: 8th message here) fails the run" -- "$DBCTL" --url "$TEST_MYSQL_URL" run dup.sql
like "$ERR" "^dbctl: dup\.sql:3700:1: ERROR: Duplicate entry '1' for key 'PRIMARY' \(MySQL error 1062\)" \
	"... at its line"
is "$(count)" 0 "... and the run is rolled back"
rows 5000 "4200:INSERT INTO big"$'\n'"  VALUES (4200,"$'\n'"    'a' 'b' FROM);" >syntax.sql
expect_exit 1 "a syntax error on the 3rd line of statement 4200 fails the run" -- \
	"$DBCTL" --url "$TEST_MYSQL_URL" run syntax.sql
like "$ERR" "^dbctl: syntax\.sql:4202:13: ERROR: You have an error in your SQL syntax.* near 'FROM\)' \(MySQL error 1064\)" \
	"... at its file line and column; the near-text stops at the statement's end"
unlike "$ERR" "at line [0-9]" "... and the server's statement-relative 'at line 3' is not shown"
like "$ERR" $'\n 4202 \\|     \'a\' \'b\' FROM\\)\n +\\| +\\^' "... the caret under FROM"

# A statement larger than max_allowed_packet is refused unsent, at its line.
{
	echo "INSERT INTO big VALUES (1, 'a');"
	echo "-- one statement of 70,017 bytes"
	printf "SELECT LENGTH('%s');\n" "$(printf '%070000d' 0)"
	echo "INSERT INTO big VALUES (2, 'b');"
} >huge.sql
expect_exit 1 "a statement over max_allowed_packet fails the run" -- "$DBCTL" --url "$TEST_MYSQL_URL" run huge.sql
like "$ERR" "^dbctl: huge\.sql:3:1: ERROR: the statement is 70017 bytes, and the server's max_allowed_packet \(65536\) takes at most 65534: it was not sent" \
	"... at its line, saying why"
like "$ERR" "hint: raise it on the server" "... with a hint"
unlike "$ERR" "gone away|lost" "... the connection was not dropped"
is "$(count)" 0 "... and ROLLBACK on it undid statement 1"
expect_exit 1 "with --no-transaction too" -- "$DBCTL" --url "$TEST_MYSQL_URL" run --no-transaction huge.sql
like "$ERR" "^dbctl: huge\.sql:3:1: ERROR: the statement is 70017 bytes" "... at its line"
is "$(mariadb_sql "SELECT GROUP_CONCAT(id) FROM app.big")" 1 "... statement 1 stays, statement 4 never ran"
# the bound: the command byte and the text must stay below max_allowed_packet
for n in 65534 65535; do
	printf "SELECT LENGTH('%s')" "$(printf "%0$((n - 17))d" 0)" >"edge$n.sql"
done
is "$(wc -c <edge65534.sql)" 65534 "(a 65534-byte statement)"
expect_exit 0 "a statement of 65534 bytes runs" -- "$DBCTL" --url "$TEST_MYSQL_URL" run edge65534.sql
expect_exit 1 "one of 65535 bytes is refused" -- "$DBCTL" --url "$TEST_MYSQL_URL" run edge65535.sql
like "$ERR" "edge65535\.sql:1:1: ERROR: the statement is 65535 bytes" "... unsent (sent, the server would drop the connection)"

# A real file, as the client fails on it: chinook's INSERT of 87,773 bytes.
if [ -f "$chinook" ]; then
	compare_load chinook-64k "$chinook" "" 40 no_chinook Chinook "the statement is 87773 bytes, .*: it was not sent"
else
	skip "no MySQL corpus at $corpus" 5
fi

done_testing
