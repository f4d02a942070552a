#!/bin/bash
# ping, pool stats and config loading under hostile input and faults (issue 9,
# relB 8-14, 17, 18, 19): numbers that are not numbers, files that are not
# config files, servers that answer garbage, name resolution and SQLite locks
# that must stay inside --timeout, pool stats as a user who cannot see others.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
cd "$tmp" || exit 1 # ./dbctl.ini must not be read from wherever we were
helper_pids=()
cleanup() {
	local pid
	for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
unset DATABASE_URL DBCTL_URL DBCTL_CONFIG DBCTL_PROFILE

free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0,Proto=>"tcp")->sockport'; }
json_ok() { /usr/bin/python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' 2>/dev/null; }
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --- relB 10: NaN and infinities are not numbers of seconds ---
for opt in "--timeout nan" "--timeout inf" "--timeout -nan" "--wait nan" "--interval nan" "--interval infinity" \
	"--timeout 0x10" "--timeout ' 1'"; do
	eval "set -- $opt"
	expect_exit 3 "ping $opt is exit 3" -- "$DBCTL" --url sqlite::memory: ping "$@"
	like "$ERR" "expects a number of seconds" "... and says what it expects"
done
expect_exit 0 "ping -c 2 -i 0.05 still works" -- "$DBCTL" --url sqlite::memory: ping -c 2 -i 0.05
like "$OUT" "2 pings, 2 up" "... both up"

# --- relB 13: whole numbers, in the range the pool and the servers take ---
for value in 4294967297 2147483648 " 5" "+5" "5 " 0x10 1e3; do
	expect_exit 3 "pool_size='$value' is refused" -- "$DBCTL" --url sqlite::memory: -o "pool_size=$value" config show
	like "$ERR" "invalid pool_size" "... names the setting"
done
expect_exit 3 "statement_timeout beyond PostgreSQL's int range is refused before connecting" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o statement_timeout=99999999999999 ping
like "$ERR" "from 0 to 2147483647" "... with the range"
expect_exit 0 "statement_timeout=2147483647 (PostgreSQL's maximum) is taken" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o statement_timeout=2147483647 ping
expect_exit 3 "--workers 1229782938247303442 is refused, not wrapped around" -- \
	"$DBCTL" --url "$TEST_PG_URL" pool stats --workers 1229782938247303442
expect_exit 3 "--workers +5 is refused" -- "$DBCTL" --url "$TEST_PG_URL" pool stats --workers +5
expect_exit 1 "pool_size=2147483647 max_overflow=1: capacity does not wrap to unlimited, and does not fit" -- \
	"$DBCTL" --url "$TEST_PG_URL" -o pool_size=2147483647 -o max_overflow=1 pool stats --workers 1
like "$OUT" "capacity: 2147483647" "... capacity is the largest int"
like "$OUT" "does not fit" "... and the answer is does not fit"

# --- relB 18: a config file must be a file ---
mkdir cfgdir
expect_exit 3 "--config DIRECTORY is exit 3" -- "$DBCTL" --config cfgdir config show
like "$ERR" "is a directory" "... says it is a directory"
RUN_TIMEOUT=20 expect_exit 3 "--config /dev/zero ends at once (NUL byte), exit 3" -- "$DBCTL" --config /dev/zero config show
like "$ERR" "NUL byte" "... says why"
expect_exit 0 "--config /dev/null is still an empty config" -- "$DBCTL" --config /dev/null --url sqlite::memory: config show
mkdir -p rel/dbctl && printf '[defaults]\npool_size = 7\n' >rel/dbctl/config.ini
XDG_CONFIG_HOME=rel HOME=$tmp/nohome expect_exit 0 "relative XDG_CONFIG_HOME: loads" -- "$DBCTL" --url sqlite::memory: config show
unlike "$OUT" "pool_size += 7" "... and ignores it, as the XDG spec says"
XDG_CONFIG_HOME=$tmp/rel expect_exit 0 "absolute XDG_CONFIG_HOME" -- "$DBCTL" --url sqlite::memory: config show
like "$OUT" "pool_size += 7" "... is read"

# --- relB 19: NUL bytes, line length, ${VAR} forms, -p defaults ---
printf '[p]\nurl = sqlite::memory:\nsearch_path = abc\0def\n' >nul.ini
expect_exit 3 "a NUL byte inside a value is refused, not cut short" -- "$DBCTL" --config nul.ini -p p config show
like "$ERR" "nul.ini:3: NUL byte" "... with FILE:LINE"
printf '[p\0x]\nurl = sqlite::memory:\n' >nul2.ini
expect_exit 3 "a NUL byte in a section name is refused" -- "$DBCTL" --config nul2.ini config show
like "$ERR" "nul2.ini:1: NUL byte" "... on its line"
pad=$(printf '%*s' 199 '' | tr ' ' x)
printf '[p]\nurl = sqlite::memory:\napplication_name = %s\n' "${pad:0:180}" >len199.ini
# "application_name = " is 19 characters: 180 more make 199
expect_exit 0 "a line of 199 characters (the documented maximum) loads" -- "$DBCTL" --config len199.ini -p p config show
printf '[p]\r\nurl = sqlite::memory:\r\napplication_name = %s\r\n' "${pad:0:180}" >crlf.ini
expect_exit 0 "... and with a CRLF line end" -- "$DBCTL" --config crlf.ini -p p config show
printf '[p]\nurl = sqlite::memory:\napplication_name = %s\n' "${pad:0:181}" >len200.ini
expect_exit 3 "a line of 200 characters is refused" -- "$DBCTL" --config len200.ini -p p config show
like "$ERR" "len200.ini:3: line too long .*at most 199" "... with the limit the docs give"

printf '[defaults]\nprofile = p\n[p]\nurl = sqlite::memory:\napplication_name = ${APPN:-fallback}\nsearch_path = ${SP-unset_default}\n' >vars.ini
expect_exit 0 "\${VAR:-default} with VAR unset" -- env -u APPN -u SP "$DBCTL" --config vars.ini config show
like "$OUT" "application_name += fallback" "... gives the default"
like "$OUT" "search_path += unset_default" "... and \${VAR-default} too"
APPN="" SP="" expect_exit 0 "VAR set but empty" -- "$DBCTL" --config vars.ini config show
like "$OUT" "application_name += fallback" "... :- takes the default"
like "$OUT" "search_path += *\(" "... - keeps the empty value"
APPN=mine expect_exit 0 "VAR set" -- "$DBCTL" --config vars.ini config show
like "$OUT" "application_name += mine" "... its value wins"
printf '[p]\nurl = sqlite::memory:\napplication_name = ${EMPTYVAR}\n' >empty.ini
EMPTYVAR="" expect_exit 3 "an empty \${VAR} is an error, as an empty DBCTL_* is ignored" -- \
	"$DBCTL" --config empty.ini -p p config show
like "$ERR" "'EMPTYVAR' is empty" "... and says it is empty"
like "$ERR" 'EMPTYVAR:-' "... with the way to allow it"
printf '[p]\nurl = sqlite::memory:\napplication_name = ${OUTER_${INNER}}\n' >nested.ini
INNER=X OUTER_X=y expect_exit 3 "nested \${OUTER_\${INNER}} is refused" -- "$DBCTL" --config nested.ini -p p config show
like "$ERR" "nested" "... and says nested references are not supported"
unlike "$ERR" "OUTER_\\\$\{INNER'" "... rather than naming a variable 'OUTER_\${INNER'"
printf '[p]\nurl = sqlite::memory:\napplication_name = ${X:=a}\n' >assign.ini
expect_exit 3 "\${X:=a} is refused" -- "$DBCTL" --config assign.ini -p p config show
like "$ERR" "malformed" "... as malformed"
printf '[defaults]\npool_size = 3\n[p]\nurl = sqlite::memory:\n' >defaults.ini
expect_exit 3 "-p defaults is refused" -- "$DBCTL" --config defaults.ini -p defaults config show
like "$ERR" "'defaults' .*is not a profile" "... saying [defaults] is not a profile"
unlike "$ERR" "has no \[defaults\] section" "... not that the file lacks one"
printf '[p]\nurl = postgresql://app@db/app\npassword = ${PW_A}${PW_B}\n' >twovars.ini
chmod 644 twovars.ini
PW_A=a PW_B=b expect_exit 0 "password = \${A}\${B} in a 0644 file" -- "$DBCTL" --config twovars.ini -p p config show
unlike "$ERR" "readable by group" "... holds no literal password: no warning"
printf '[p]\nurl = postgresql://app@db/app\npassword = ${PW_A:-Literal_Default_9}\n' >dflt.ini
chmod 644 dflt.ini
expect_exit 0 "password = \${A:-literal} in a 0644 file" -- env -u PW_A "$DBCTL" --config dflt.ini -p p config show
like "$ERR" "readable by group" "... holds a literal password: warned"
unlike "$OUT$ERR" "Literal_Default_9" "... and never shown"

# --- relB 17: a 10 MB INI loads in linear-ish time ---
/usr/bin/python3 -c '
import sys
with open("big.ini", "w") as f:
    for i in range(53556):
        f.write("[p%d]\nurl = sqlite:///some/long/path/%d/%s.db\napplication_name = app%d\n" % (i, i, "x" * 120, i))
'
RUN_TIMEOUT=30 expect_exit 0 "a 10 MB INI with 53,556 profiles loads" -- "$DBCTL" --config big.ini -p p53555 config show
like "$OUT" "application_name += app53555" "... and finds the last profile"
cmp_ok "$MS" -lt 8000 "... in seconds, not the 25 s of a quadratic load ($MS ms)"
printf '[a]\nurl = sqlite::memory:\n[b]\nurl = sqlite::memory:\n[a]\napplication_name = x\nurl = sqlite:///y.db\n' >dup.ini
expect_exit 3 "a key set twice in a reopened section is still found" -- "$DBCTL" --config dup.ini -p a config show
like "$ERR" "dup.ini:7: 'url' is set twice in \[a\] \(first on line 2\)" "... with both lines"
done_testing
