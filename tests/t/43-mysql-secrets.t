#!/bin/bash
# No MySQL/MariaDB password ever appears in any output: every command, human
# and --json, success and failure, URL forms (dbmate, golang-migrate tcp() and
# unix(), ?socket=), passwords from the URL, -o password and MYSQL_* env.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
silent_pid= fake_pid=
cleanup() {
	[ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	mariadb_stop_test
	rm -rf "$tmp"
}
trap cleanup EXIT
mariadb_start_test || skip_all "could not start a throwaway MariaDB (see the messages above)"
cd "$tmp" || exit 1
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
silent_port=$(free_port)
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>50,LocalAddr=>"127.0.0.1:'"$silent_port"'",ReuseAddr=>1) or die; while($c=$s->accept){push @k,$c}' &
silent_pid=$!

P=$TEST_MYSQL_PORT
pw=$TEST_MYSQL_APP_PASSWORD
pw_enc=$(pct_encode "$pw")
wrong='Wr0ng:p@ss/w%rd'
wrong_enc=$(pct_encode "$wrong")
secrets=("$pw" "$pw_enc" "$wrong" "$wrong_enc")

check_clean() {
	local s leaked=""
	for s in "${secrets[@]}"; do
		case "$OUT$ERR" in *"$s"*) leaked="$s" ;; esac
	done
	[ -z "$leaked" ]
	ok $? "$1: no password in the output (exit $RC)"
	[ -z "$leaked" ] || diag "leaked: $leaked" "stdout: $OUT" "stderr: $ERR"
}

cat >secret.ini <<INI
[defaults]
profile = my
[my]
url = $TEST_MYSQL_URL
[myvar]
url = mysql://app@127.0.0.1:$P/app
password = \${APP_PW}
[wrong]
url = mariadb://app:$wrong_enc@127.0.0.1:$P/app
INI
chmod 600 secret.ini

targets=(
	"--url $TEST_MYSQL_URL"
	"--url $TEST_MYSQL_UNIX_URL"
	"--url mysql://app:$pw_enc@tcp(127.0.0.1:$P)/app"
	"--url mysql://app:$pw_enc@unix($TEST_MYSQL_SOCKET)/app"
	"--url mysql://app:$wrong_enc@127.0.0.1:$P/app"
	"--url mysql://app@127.0.0.1:$P/app -o password=$wrong"
	"--url mysql://app:$wrong_enc@127.0.0.1:$silent_port/app"
	"--url mysql://app:$wrong_enc@127.0.0.1:1/app"
	"--url mysql://app:$wrong_enc@127.0.0.1:$P/app?bogus=1"
	"--url mysql://app:$wrong_enc@127.0.0.1:$P/app?ssl-mode=NOPE"
	"--url mysql://app:$wrong_enc@127.0.0.1:$P/nosuchdb"
	"--config secret.ini"
	"--config secret.ini -p myvar"
	"--config secret.ini -p wrong"
)
printf 'select 1;\nselect * from nosuchtable;\n' >fail.sql
commands=("ping --timeout 0.5" "ping --timeout 0.5 --json" "pool stats" "pool stats --json" "config show"
	"config show --json" "ping --level server --timeout 0.5" "run fail.sql" "run --json fail.sql")

for target in "${targets[@]}"; do
	for command in "${commands[@]}"; do
		# shellcheck disable=SC2086 # word splitting is the point
		APP_PW=$pw run_cmd "$DBCTL" -o connect_timeout=1 $target $command
		check_clean "$(sed "s/$wrong_enc/WRONG/; s/$pw_enc/PW/" <<<"$target") $command"
	done
done

# the good targets really connected: a test that cannot fail is a defect
APP_PW=$pw run_cmd "$DBCTL" --config secret.ini -p myvar ping
is "$RC" 0 "password from the ini file's \${APP_PW}: up"
run_cmd "$DBCTL" --url "mysql://app:$wrong_enc@127.0.0.1:$P/app" ping --json
is "$RC" 1 "wrong password: refused"
like "$OUT" 'mysql://app:\*\*\*@127\.0\.0\.1' "... --json shows the URL masked"

# passwords from the environment (the official images' variables)
run_cmd env MYSQL_USER=app MYSQL_PASSWORD="$wrong" MYSQL_HOST=127.0.0.1 MYSQL_PORT="$P" MYSQL_DATABASE=app \
	"$DBCTL" --config /dev/null ping --json
is "$RC" 1 "MYSQL_PASSWORD wrong: refused"
check_clean "MYSQL_* ping --json"
run_cmd env MARIADB_USER=app MARIADB_PASSWORD="$pw" MARIADB_HOST=127.0.0.1 MARIADB_PORT="$P" \
	MARIADB_DATABASE=app "$DBCTL" --config /dev/null ping
is "$RC" 0 "MARIADB_* with the right password: up"
check_clean "MARIADB_* ping"
for command in "config show" "config show --json"; do
	# shellcheck disable=SC2086
	run_cmd env MARIADB_USER=app MARIADB_PASSWORD="$pw" MARIADB_HOST=127.0.0.1 "$DBCTL" --config /dev/null $command
	check_clean "MARIADB_* $command"
done
# MYSQL_PWD is never read by the library: the URL's (absent) password is used
run_cmd env MYSQL_PWD="$pw" "$DBCTL" --url "mysql://app@127.0.0.1:$P/app" ping
is "$RC" 1 "MYSQL_PWD is not read"
check_clean "MYSQL_PWD ping"

# A server in the middle that offers no TLS and, after the client's
# handshake, switches it to mysql_clear_password: the library would send the
# password as written (and checks REQUIRED's TLS only after authenticating).
# What the fake server received goes to a file.
fake_port=$(free_port)
perl -MIO::Socket::INET -e '
	my ($port, $log) = @ARGV;
	my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1:$port", ReuseAddr => 1) or die;
	sub packet { my ($seq, $body) = @_; return substr(pack("V", length $body), 0, 3) . chr($seq) . $body }
	sub readpacket { my $c = shift; my $h = ""; while (length $h < 4) { my $n = sysread($c, $h, 4 - length $h, length $h) or return } my $len = unpack("V", substr($h, 0, 3) . "\0"); my $b = ""; while (length $b < $len) { sysread($c, $b, $len - length $b, length $b) or return } return (ord(substr($h, 3)), $b) }
	my $caps = 1 | 8 | 0x200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x200000 | 0x800000;
	while (my $c = $s->accept) {
		my $version = "5.5.5-10.11.19-MariaDB";
		if (open(my $v, "<", "$log.version")) { $version = <$v>; chomp $version; close $v }
		my $greeting = chr(10) . "$version\0" . pack("V", 7) . "abcdefgh\0" . pack("v", $caps & 0xffff)
			. chr(45) . pack("v", 2) . pack("v", $caps >> 16) . chr(21) . ("\0" x 6) . pack("V", 0) . "ijklmnopqrst\0"
			. "mysql_native_password\0";
		syswrite($c, packet(0, $greeting));
		my ($seq, $reply) = readpacket($c);
		if (!defined $reply) { open(my $f, ">>", $log); print $f "no handshake response\n"; close $f; next }
		syswrite($c, packet($seq + 1, "\xfemysql_clear_password\0"));
		my (undef, $answer) = readpacket($c);
		open(my $f, ">>", $log); print $f (defined $answer ? "sent: $answer\n" : "sent nothing\n"); close $f;
		close $c;
	}' "$fake_port" "$tmp/fake.log" &
fake_pid=$!
for _ in $(seq 100); do perl -MIO::Socket::INET -e 'exit !IO::Socket::INET->new("127.0.0.1:'"$fake_port"'")' && break; sleep 0.05; done
: >"$tmp/fake.log"
# The greeting offers no TLS (no CLIENT_SSL): ssl-mode=REQUIRED and the
# VERIFY modes hang up before the handshake response, which holds the
# user and the hashed password (libmariadb 3.3 sends it, under REQUIRED, and
# only then checks TLS).
for mode in REQUIRED VERIFY_CA VERIFY_IDENTITY; do
	: >"$tmp/fake.log"
	run_cmd "$DBCTL" --url "mysql://app:$pw_enc@127.0.0.1:$fake_port/app?ssl-mode=$mode" ping
	is "$RC" 1 "ssl-mode=$mode, a server offering no TLS: refused (exit 1)"
	like "$ERR" "the server does not offer TLS, and ssl-mode=$mode requires it: dbctl hung up before authenticating" \
		"... the message names ssl-mode=$mode"
	check_clean "ssl-mode=$mode no TLS"
	sleep 0.2
	is "$(cat "$tmp/fake.log")" "no handshake response" "... and the server received no authentication packet"
done
# a greeting too long to read in one look (a 600-byte server version) is no
# reason to let the library send the login: refused the same
printf '%0600d\n' 5 >"$tmp/fake.log.version"
: >"$tmp/fake.log"
run_cmd "$DBCTL" --url "mysql://app:$pw_enc@127.0.0.1:$fake_port/app?ssl-mode=REQUIRED" ping
is "$RC" 1 "ssl-mode=REQUIRED, a 600-byte server version and no TLS: refused (exit 1)"
sleep 0.2
is "$(cat "$tmp/fake.log")" "no handshake response" "... and the server received no authentication packet"
rm -f "$tmp/fake.log.version"
run_cmd "$DBCTL" --url "mysql://app:$pw_enc@127.0.0.1:$fake_port/app?ssl-mode=REQUIRED" run fail.sql
is "$RC" 1 "run under ssl-mode=REQUIRED, no TLS offered: refused (exit 1)"
: >"$tmp/fake.log"
for mode in PREFERRED DISABLED; do
	run_cmd "$DBCTL" --url "mysql://app:$pw_enc@127.0.0.1:$fake_port/app?ssl-mode=$mode" ping
	is "$RC" 1 "ssl-mode=$mode, a server asking for the cleartext password: refused (exit 1)"
	like "$ERR" "asked for an authentication method that would send the password readably" "... and says so"
	check_clean "ssl-mode=$mode cleartext switch"
done
run_cmd "$DBCTL" --url "mysql://app:$pw_enc@127.0.0.1:$fake_port/app?ssl-mode=PREFERRED" pool stats
like "$ERR" "hint: .*only over verified TLS \(ssl-mode=VERIFY_CA or VERIFY_IDENTITY\)" "pool stats: the hint says when it is allowed"
check_clean "pool stats cleartext switch"
sleep 0.2
is "$(grep -c "$pw" "$tmp/fake.log")" 0 "the server in the middle never received the password"
like "$(cat "$tmp/fake.log")" "sent nothing" "... the client hung up at the switch"

done_testing
