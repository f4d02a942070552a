#!/bin/bash
# No password ever appears in any output: every command, human and --json,
# success and failure, whichever source the password came from.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $silent_pid 2>/dev/null' EXIT
cd "$tmp" || exit 1
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
silent_port=$(free_port)
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>50,LocalAddr=>"127.0.0.1:'"$silent_port"'",ReuseAddr=>1) or die; while($c=$s->accept){push @k,$c}' &
silent_pid=$!

wrong='Wr0ng:p@ss/w%rd'
wrong_enc=$(pct_encode "$wrong")
secrets=("$TEST_PG_APP_PASSWORD" "$(pct_encode "$TEST_PG_APP_PASSWORD")" "$TEST_REDIS_PASSWORD"
	"$(pct_encode "$TEST_REDIS_PASSWORD")" "$wrong" "$wrong_enc")

# check_clean NAME: neither OUT nor ERR of the last run_cmd holds a secret.
check_clean() {
	local s leaked=""
	for s in "${secrets[@]}"; do
		case "$OUT$ERR" in *"$s"*) leaked="$s" ;; esac
	done
	[ -z "$leaked" ]
	ok $? "$1: no password in the output (exit $RC)"
	[ -z "$leaked" ] || diag "leaked: $leaked" "stdout: $OUT" "stderr: $ERR"
}

pg_host="127.0.0.1:$PGPORT_TEST"
cat >secret.ini <<INI
[defaults]
profile = pg
[pg]
url = $TEST_PG_URL
[pgvar]
url = postgresql://app@$pg_host/app
password = \${APP_PW}
[redis]
url = $TEST_REDIS_URL
[wrong]
url = postgresql://app:$wrong_enc@$pg_host/app
INI
chmod 644 secret.ini   # also exercises the file-mode warning, which must not quote the password

targets=(
	"--url $TEST_PG_URL"
	"--url postgresql://app:$wrong_enc@$pg_host/app"
	"--url postgresql://app@$pg_host/app -o password=$wrong"
	"--url postgresql://app:$wrong_enc@127.0.0.1:$silent_port/app"
	"--url postgresql://app:$wrong_enc@127.0.0.1:1/app"
	"--url postgresql://app:$wrong_enc@$pg_host/app?bogus=1"
	"--url postgresql://$pg_host/app?user=app&password=$wrong_enc"
	"--url host=127.0.0.1 port=$PGPORT_TEST user=app password=$wrong dbname=app"
	"--url $TEST_REDIS_URL"
	"--url redis://:$wrong_enc@127.0.0.1:$REDIS_PORT_TEST/0"
	"--url redis://:$wrong_enc@127.0.0.1:$silent_port/0"
	"--url $TEST_REDIS_UNIX_URL"
	"--config secret.ini"
	"--config secret.ini -p pgvar"
	"--config secret.ini -p redis"
	"--config secret.ini -p wrong"
)
printf 'select 1;\nselect 1/0;\n' >fail.sql
commands=("ping --timeout 0.5" "ping --timeout 0.5 --json" "pool stats" "pool stats --json" "config show"
	"config show --json" "ping --level server --timeout 0.5" "ping --all --timeout 0.5"
	"run fail.sql" "run --json fail.sql" "run --echo --dry-run fail.sql")

for target in "${targets[@]}"; do
	for command in "${commands[@]}"; do
		# shellcheck disable=SC2086 # word splitting is the point
		APP_PW=$TEST_PG_APP_PASSWORD run_cmd "$DBCTL" -o connect_timeout=1 $target $command
		check_clean "$(sed "s/$wrong_enc/WRONG/; s/$(pct_encode "$TEST_PG_APP_PASSWORD")/PW/; s/$(pct_encode "$TEST_REDIS_PASSWORD")/PW/" <<<"$target") $command"
	done
done

# passwords from the environment
for env in "DATABASE_URL=$TEST_PG_URL" "DBCTL_URL=postgresql://app:$wrong_enc@$pg_host/app" \
	"DBCTL_PASSWORD=$wrong" "REDIS_URL=redis://:$wrong_enc@127.0.0.1:$REDIS_PORT_TEST"; do
	for command in "ping --timeout 0.5" "ping --json --timeout 0.5" "config show" "config show --json" "pool stats"; do
		# shellcheck disable=SC2086
		run_cmd env "$env" "$DBCTL" --config /dev/null -o connect_timeout=1 $command
		check_clean "env ${env%%=*} $command"
	done
done
run_cmd env POSTGRES_USER=app POSTGRES_PASSWORD="$wrong" POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$PGPORT_TEST" \
	POSTGRES_DB=app "$DBCTL" --config /dev/null ping --json
is "$RC" 1 "POSTGRES_PASSWORD wrong: refused"
check_clean "POSTGRES_* ping --json"

# URLs that neither libpq nor dbctl can parse: libpq's parse errors quote the
# offending text, and the scrubber must find the password without a parse
odd='Odd5ecr3tPw'
secrets+=("$odd")
mkdir -p migrations
printf -- '-- migrate:up\ncreate table t(a int);\n-- migrate:down\ndrop table t;\n' >migrations/001_t.sql
for url in "postgresql://app:${odd}%zz@$pg_host/app" "postgresql://app:$odd@[::1/app"; do
	for command in "ping --timeout 0.5" "ping --timeout 0.5 --json" "run fail.sql" "run --json fail.sql" \
		"config show" "config show --json" "migrate up --json" "migrate status --json"; do
		# shellcheck disable=SC2086
		run_cmd "$DBCTL" --url "$url" $command
		check_clean "malformed ${url%%@*}@... $command"
	done
done
run_cmd "$DBCTL" --url "postgresql://app:$odd@[::1/app" run fail.sql
is "$RC" 3 "unparseable URL: exit 3"
like "$ERR" "invalid PostgreSQL URL: end of string reached" "... with libpq's reason"
unlike "$ERR" 'URI: "' "... but not the URI libpq quotes"

# a config error in a file that holds a password
printf '[defaults]\nprofile = p\n[p]\nurl = postgresql://app:%s@h/db\npool_size = x\n' "$wrong_enc" >bad.ini
run_cmd "$DBCTL" --config bad.ini ping --json
is "$RC" 3 "bad value next to a password: exit 3"
check_clean "config error"

done_testing
