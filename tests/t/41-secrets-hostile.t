#!/bin/bash
# Hostile passwords (relB 1-7, 19): raw '#', '?', '@', '/' in URL passwords,
# malformed schemes, 1-character passwords, typos on the command line, argv.
# Each target goes through every command that prints it, and every output is
# searched for every fragment of its password.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
silent_pid=
trap 'rm -rf "$tmp"; [ -z "$silent_pid" ] || kill $silent_pid 2>/dev/null' EXIT
cd "$tmp" || exit 1
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
silent_port=$(free_port)
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(Listen=>50,LocalAddr=>"127.0.0.1:'"$silent_port"'",ReuseAddr=>1) or die; while($c=$s->accept){push @k,$c}' &
silent_pid=$!

psql_super() { "$TEST_PG_BINDIR/psql" -X -q -w -v ON_ERROR_STOP=1 "$TEST_PG_SUPER_URL" "$@"; }
pg=127.0.0.1:$PGPORT_TEST
redis=127.0.0.1:$REDIS_PORT_TEST

# A role whose password libpq takes whole from a raw URL: '#' and '?' do not end the userinfo.
hash_pw='HashA1q#HashB2w?HashC3e'
psql_super -v pw="$hash_pw" >/dev/null <<'SQL'
DROP ROLE IF EXISTS hostile_hash;
CREATE ROLE hostile_hash LOGIN PASSWORD :'pw';
SQL

printf 'select 1;\nselect 1/0;\n' >fail.sql
mkdir -p migrations
printf -- '-- migrate:up\ncreate table hostile_t(a int);\n-- migrate:down\ndrop table hostile_t;\n' >migrations/001_t.sql
commands=("ping --timeout 1" "ping --timeout 1 --json" "config show" "config show --json" "run fail.sql"
	"migrate status" "pool stats")

# check_clean NAME FRAGMENT...: no fragment in OUT or ERR of the last run_cmd, and no crash.
check_clean() {
	local name=$1 f leaked=""
	shift
	for f in "$@"; do
		case "$OUT$ERR" in *"$f"*) leaked+=" $f" ;; esac
	done
	[ -z "$leaked" ] && [ "$RC" -lt 128 ]
	ok $? "$name: no fragment of the password (exit $RC)"
	[ -z "$leaked" ] || diag "leaked:$leaked" "stdout: $OUT" "stderr: $ERR"
}

# sweep LABEL URL FRAGMENT...: every command with --url URL.
sweep() {
	local label=$1 url=$2 command
	shift 2
	for command in "${commands[@]}"; do
		# shellcheck disable=SC2086 # word splitting is the point
		run_cmd "$DBCTL" -o connect_timeout=1 --url "$url" $command
		check_clean "$label: $command" "$@"
	done
}

# relB 2: raw '#' and '?' in a PostgreSQL password
url="postgresql://hostile_hash:$hash_pw@$pg/app"
sweep "raw #?" "$url" HashA1q HashB2w HashC3e
run_cmd "$DBCTL" --url "$url" ping --timeout 5
is "$RC" 0 "raw '#' and '?' in the password: libpq connects with it, and so does dbctl"
like "$OUT" "postgresql://hostile_hash:\*\*\*@$pg/app: up" "... shown masked"
printf '[p]\nurl = %s\n' "$url" >hash.ini
chmod 644 hash.ini
run_cmd "$DBCTL" --config hash.ini -p p config show
like "$ERR" "hash.ini holds a password and is readable by group/others" "a world-readable file with such a URL gets the warning"
check_clean "config show of hash.ini" HashA1q HashB2w HashC3e

# relB 3: raw '@' or '/' make libpq take part of the password for the host,
# port or database: bad config, exit 3, and no fragment anywhere
for case in "raw @|postgresql://app:AtPartA9@AtPartB8@$pg/app|AtPartA9 AtPartB8" \
	"raw /|postgresql://app:SlPartA7/SlPartB6@$pg/app|SlPartA7 SlPartB6" \
	"raw / and @|postgresql://app:SxPartA5/SxPartB4@SxPartC3@$pg/app|SxPartA5 SxPartB4 SxPartC3" \
	"redis raw #?|redis://:RdPartA1#RdPartB2?RdPartC3@$redis/0|RdPartA1 RdPartB2 RdPartC3"; do
	IFS='|' read -r label url fragments <<<"$case"
	# shellcheck disable=SC2086
	sweep "$label" "$url" $fragments
	run_cmd "$DBCTL" --url "$url" ping --timeout 1
	is "$RC" 3 "$label in the password: bad config (exit 3)"
	like "$ERR" "hint: percent-encode them" "... with a hint to percent-encode"
done

# relB 4: malformed schemes are masked up to the last '@'
for case in "postgresql:/|postgresql:/app:MalfA1x@$pg/app|MalfA1x" \
	"postgresql:|postgresql:app:MalfB2y@$pg/app|MalfB2y" \
	"redis:/|redis:/:MalfC3z@$redis/0|MalfC3z" \
	"no scheme|app:MalfD4w@$pg/app|MalfD4w" \
	"misspelt key|host=127.0.0.1 port=$PGPORT_TEST passwd=MalfE5v dbname=app|MalfE5v" \
	"= password X|host=127.0.0.1 = password MalfF6u|MalfF6u"; do
	IFS='|' read -r label url fragments <<<"$case"
	sweep "$label" "$url" "$fragments"
	run_cmd "$DBCTL" --url "$url" ping --timeout 1
	is "$RC" 3 "$label: bad config (exit 3)"
	run_cmd env DATABASE_URL="$url" "$DBCTL" --config /dev/null ping --json --timeout 1
	check_clean "$label from DATABASE_URL: ping --json" "$fragments"
done

# relB 5: mistyped command lines are echoed masked (stderr and --json)
typo=TypoSecret_Q9
for args in "ping --urll=postgresql://app:$typo@$pg/app" "--urll=postgresql://app:$typo@$pg/app ping" \
	"ping postgresql://app:$typo@$pg/app" "--json ping postgresql://app:$typo@$pg/app" \
	"postgresql://app:$typo@$pg/app ping" "ping -o password:$typo" "ping -o password $typo" \
	"-o postgresql://app:$typo@$pg/app?password=x ping" "ping --timeout postgresql://app:$typo@$pg" \
	"-o password $typo ping" "-p postgresql://app:$typo@$pg/app ping" "--config postgresql://app:$typo@$pg/app ping" \
	"-o pool_size=postgresql://app:$typo@$pg/app ping" "help postgresql://app:$typo@$pg/app"; do
	# shellcheck disable=SC2086
	run_cmd "$DBCTL" $args
	is "$RC" 3 "typo '${args//$typo/***}': bad usage"
	check_clean "typo '${args//$typo/***}'" "$typo"
done

run_cmd env DBCTL_PROFILE="postgresql://app:$typo@$pg/app" "$DBCTL" ping --json
is "$RC" 3 "a URL in DBCTL_PROFILE: bad config"
check_clean "a URL in DBCTL_PROFILE" "$typo"
printf '[p]\nurl = sqlite::memory:\npool_size = postgresql://app:%s@h/app\n' "$typo" >typo.ini
run_cmd "$DBCTL" --config typo.ini -p p ping
is "$RC" 3 "a URL in the wrong key of the INI file: bad config"
check_clean "a URL in the wrong key of the INI file" "$typo"

# relB 1: one- and two-character passwords neither crash nor garble the output
hosts=$(printf "127.0.0.1:%d," $(seq 100 107))
hosts=${hosts%,}
for args in "-o password=e --url sqlite:///eeeee config show" "--url sqlite:///eeeeeeee -o password=e config show" \
	"--url host=127.0.0.1 password=e dbname=eeeee config show" \
	"--url host=127.0.0.1 port=1 password=e dbname=eeeee ping --timeout 1" \
	"--url postgresql://app@$hosts/app -o password=o ping --timeout 2" \
	"--url postgresql://app:o@$hosts/app ping --json --timeout 2" \
	"--url postgresql://app@127.0.0.1:5,127.0.0.1:6,127.0.0.1:7,127.0.0.1:8,127.0.0.1:9,127.0.0.1:10,127.0.0.1:11,127.0.0.1:12/app -o password=a ping --timeout 2"; do
	# shellcheck disable=SC2086
	run_cmd "$DBCTL" $args
	cmp_ok "$RC" -lt 4 "short password, '$args': no crash (exit $RC)"
done
run_cmd "$DBCTL" -o password=e --url sqlite:///eeeee config show
like "$OUT" "url += sqlite:///eeeee " "a one-letter password is not masked inside other words"
run_cmd "$DBCTL" --url "postgresql://app:o@$hosts/app" ping --timeout 2
like "$ERR" "postgresql://app:\*\*\*@127.0.0.1:100," "... and the URL's own password is masked by its place"

# relB 6: settings output masks by structure, not by searching for the password
run_cmd "$DBCTL" --url sqlite::memory: -o password=10 config show
like "$OUT" "max_overflow += 10 +\(default\)" "password 10: max_overflow still shows 10"
like "$OUT" "password += \*\*\* +\(flag\)" "... and the password field is masked"
run_cmd "$DBCTL" --url sqlite:///aaaa.db -o password=a config show
like "$OUT" "journal_mode += wal " "password a: journal_mode is not w***l"
run_cmd "$DBCTL" --url "postgresql://app:app@127.0.0.1:1/app" config show
like "$OUT" "url += postgresql://app:\*\*\*@127.0.0.1:1/app " "password = user = db: only the password is masked"
run_cmd "$DBCTL" --url "postgresql://app:app@$pg/app" ping --timeout 5
is "$RC" 1 "password = user name, and wrong: refused"
like "$ERR" "postgresql://app:\*\*\*@$pg/app: refused: .*failed for user \"app\"" \
	"... the user name the masked URL shows anyway is not masked in the server's message"

# relB 19: password = ${A}${B} holds no literal password
printf '[p]\nurl = sqlite::memory:\npassword = ${PW_A}${PW_B}\n' >vars.ini
chmod 644 vars.ini
run_cmd env PW_A=x PW_B=y "$DBCTL" --config vars.ini -p p config show
unlike "$ERR" "readable by group/others" "password = \${A}\${B} in a world-readable file: no warning"
printf '[p]\nurl = sqlite::memory:\npassword = lit${PW_A}\n' >lit.ini
chmod 644 lit.ini
run_cmd env PW_A=x "$DBCTL" --config lit.ini -p p config show
like "$ERR" "readable by group/others" "password = lit\${A}: the literal part gets the warning"

# relB 7: the password is overwritten in argv once parsed (ps, /proc/PID/cmdline)
argv_pw=ArgvSecret_K7
"$DBCTL" --url "postgresql://app:$argv_pw@127.0.0.1:$silent_port/app" -o "password=$argv_pw" ping --timeout 8 \
	>/dev/null 2>&1 &
ping_pid=$!
hidden=1
for _ in $(seq 1 100); do
	cmdline=$(tr '\0' ' ' <"/proc/$ping_pid/cmdline" 2>/dev/null) || break
	case "$cmdline" in *"$argv_pw"*) sleep 0.05 ;; *ping*) hidden=0; break ;; esac
done
is "$hidden" 0 "argv no longer holds the password while ping runs"
like "$cmdline" "postgresql://app:x+@127.0.0.1:$silent_port/app" "... the URL is still there, password overwritten"
kill "$ping_pid" 2>/dev/null
wait "$ping_pid" 2>/dev/null

psql_super -c 'DROP ROLE IF EXISTS hostile_hash' >/dev/null
done_testing
