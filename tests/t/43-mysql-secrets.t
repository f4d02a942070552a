#!/bin/bash
# No MySQL/MariaDB password ever appears in any output: every command, human
# and --json, success and failure, URL forms (dbmate, golang-migrate tcp() and
# unix(), ?socket=), passwords from the URL, -o password and MYSQL_* env.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mariadb.sh"
DBCTL=${DBCTL:-$PWD/dbctl}
command -v mariadbd >/dev/null || skip_all "mariadbd not installed (hint: .ci/install-deps check)"

tmp=$(mktemp -d)
silent_pid=
cleanup() {
	[ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null
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

done_testing
